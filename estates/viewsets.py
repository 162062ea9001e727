"""Back-office screens for the estate inventory (Wagtail ModelViewSets), all scoped by estate."""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSetGroup

from accounts.validators import normalise_mobile

from .admin_scoping import (
    ScopedAdminModelForm,
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    ScopedModelViewSet,
    ScopedObjectMixin,
    estate_filterset,
)
from .estate_dashboard import EstateDashboardIndexView, EstateDashboardView
from .hooks import project_facts_changed
from .models import (
    AssetKind,
    Building,
    CommonAsset,
    Community,
    District,
    Estate,
    Owner,
    OwnerKind,
    Ownership,
    ProjectStatus,
    RenovationProject,
    Subdistrict,
    Unit,
    UnitUse,
)
from .selectors import accounts_linkable_to_owners, scope_queryset
from .services import owner_reveal_personal_data, owner_save, renovation_project_edit
from .spreadsheets import Heading
from .unit_record import UnitRecordColumn, UnitRecordView, unit_record_url
from .validators import validate_resident_id


def _visible_districts(request):
    return scope_queryset(District.objects.all(), user=request.user) if request else District.objects.none()


class EstateFilterSet(WagtailFilterSet):
    district = django_filters.ModelChoiceFilter(
        field_name="community__subdistrict__district", label=_("District"), queryset=_visible_districts
    )

    class Meta:
        model = Estate
        fields = ["district"]


BuildingFilterSet = estate_filterset(Building)


UnitFilterSet = estate_filterset(
    Unit, "building__estate", use=django_filters.ChoiceFilter(choices=UnitUse.choices, label=_("Use"))
)


OwnerFilterSet = estate_filterset(Owner, kind=django_filters.ChoiceFilter(choices=OwnerKind.choices, label=_("Kind")))


OwnershipFilterSet = estate_filterset(Ownership, "unit__building__estate")


CommonAssetFilterSet = estate_filterset(CommonAsset, kind=django_filters.ChoiceFilter(choices=AssetKind.choices, label=_("Kind")))


ProjectFilterSet = estate_filterset(
    RenovationProject,
    status=django_filters.ChoiceFilter(choices=ProjectStatus.choices, label=_("Status")),
    model_fields=("year",),
)


def scoped_panels(*panels):
    return ObjectList(list(panels), base_form_class=ScopedAdminModelForm)


class DistrictViewSet(ScopedModelViewSet):
    model = District
    icon = "site"
    menu_label = _("Districts")
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    edit_handler = scoped_panels(FieldPanel("name"), FieldPanel("code"))


class SubdistrictViewSet(ScopedModelViewSet):
    model = Subdistrict
    icon = "site"
    menu_label = _("Sub-districts")
    list_display = ["name", "code", "district"]
    list_select_related = ("district",)
    search_fields = ["name", "code"]
    edit_handler = scoped_panels(FieldPanel("district"), FieldPanel("name"), FieldPanel("code"))


class CommunityViewSet(ScopedModelViewSet):
    model = Community
    icon = "group"
    menu_label = _("Communities")
    list_display = ["name", "code", "subdistrict"]
    list_select_related = ("subdistrict",)
    search_fields = ["name", "code"]
    edit_handler = scoped_panels(
        FieldPanel("subdistrict"), FieldPanel("name"), FieldPanel("code"), FieldPanel("residents_committee_phone")
    )


class ProjectFactsChangedMixin:
    """A saved project (with its content items and funding) or estate (name, address) changes the
    facts that case studies show: the pages that show them are told after commit (estates.hooks)."""

    def save_instance(self):
        instance = super().save_instance()
        if isinstance(instance, Estate):
            project_facts_changed(project_ids=instance.renovation_projects.values_list("pk", flat=True))
        else:
            project_facts_changed(project_ids=[instance.pk])
        return instance


class ProjectFactsCreateView(ProjectFactsChangedMixin, ScopedCreateView):
    pass


class ProjectFactsEditView(ProjectFactsChangedMixin, ScopedEditView):
    pass


class EstateViewSet(ScopedModelViewSet):
    model = Estate
    edit_view_class = ProjectFactsEditView
    icon = "home"
    menu_label = _("Estates")
    list_display = ["name", "code", "community", "address", "built_year"]
    list_select_related = ("community",)
    filterset_class = EstateFilterSet
    search_fields = ["name", "code", "address"]
    list_export = ["code", "name", "community", "address", "built_year"]
    export_headings = {
        "code": Heading("小区编码", _("Estate code")),
        "name": Heading("小区名称", _("Estate name")),
        "community": Heading("社区", _("Community")),
        "address": Heading("地址", _("Address")),
        "built_year": Heading("建成年份", _("Year built")),
    }
    edit_handler = scoped_panels(
        FieldPanel("community"), FieldPanel("code"), FieldPanel("name"), FieldPanel("address"), FieldPanel("built_year")
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("dashboard/", EstateDashboardIndexView.as_view(), name="dashboards"),
            path("dashboard/<int:pk>/", EstateDashboardView.as_view(), name="dashboard"),
        ]


class BuildingViewSet(ScopedModelViewSet):
    model = Building
    icon = "table"
    menu_label = _("Buildings")
    list_display = ["__str__", "number", "floors", "built_year", "lift_added_year"]
    list_select_related = ("estate",)
    filterset_class = BuildingFilterSet
    search_fields = ["number", "estate__name"]
    list_export = ["estate", "number", "floors", "built_year", "lift_added_year"]
    export_headings = {
        "estate": Heading("小区", _("Estate")),
        "number": Heading("楼栋号", _("Building number")),
        "floors": Heading("地上层数", _("Floors above ground")),
        "built_year": Heading("建成年份", _("Year built")),
        "lift_added_year": Heading("加装电梯年份", _("Year a lift was added")),
    }
    edit_handler = scoped_panels(
        FieldPanel("estate"),
        FieldPanel("number"),
        FieldRowPanel([FieldPanel("floors"), FieldPanel("built_year"), FieldPanel("lift_added_year")]),
    )


class UnitIndexView(ScopedIndexView):
    """The units list: a unit's name opens its one-page record (editing stays in the row's buttons)."""

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        return self._get_custom_column(field_name, self._get_title_column_class(column_class), get_url=unit_record_url, **kwargs)


class UnitViewSet(ScopedModelViewSet):
    model = Unit
    index_view_class = UnitIndexView
    icon = "doc-empty"
    menu_label = _("Units")
    list_display = ["__str__", "floor", "exclusive_area", "use"]
    list_select_related = ("building__estate",)
    filterset_class = UnitFilterSet
    search_fields = ["number", "building__number", "building__estate__name"]
    list_export = ["building", "entrance", "floor", "number", "exclusive_area", "use", "built_year"]
    export_headings = {
        "building": Heading("楼栋", _("Building")),
        "entrance": Heading("单元", _("Entrance")),
        "floor": Heading("楼层", _("Floor")),
        "number": Heading("房号", _("Unit number")),
        "exclusive_area": Heading("专有面积（㎡）", _("Exclusive area (m²)")),
        "use": Heading("用途", _("Use")),
        "built_year": Heading("建成年份", _("Year built")),
    }
    edit_handler = scoped_panels(
        FieldPanel("building"),
        FieldRowPanel([FieldPanel("entrance"), FieldPanel("floor"), FieldPanel("number")]),
        FieldRowPanel([FieldPanel("exclusive_area"), FieldPanel("use"), FieldPanel("built_year")]),
    )

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("record/<int:pk>/", UnitRecordView.as_view(), name="record")]


class OwnerForm(ScopedAdminModelForm):
    """ID number and phone are write-only here: the form never shows the stored values in full."""

    id_number = forms.CharField(
        label=_("Resident ID number"),
        required=False,
        max_length=18,
        help_text=_("Leave empty to keep the stored number. Stored encrypted and shown masked."),
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=20, help_text=_("Leave empty to keep the stored phone."))
    # A look-up by mobile number, not a list of accounts: a select showed every account's name
    # and number (administrators', other estates' owners') to whoever opened the form.
    login_mobile = forms.CharField(
        label=_("Login account (mobile number)"),
        required=False,
        max_length=20,
        help_text=_(
            "The mobile number the owner (or an organisation's representative) logs in with. Leave empty for no login account."
        ),
    )

    class Meta:
        model = Owner
        fields = ["estate", "kind", "name", "credit_code", "representative_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.user_id:
            self.fields["login_mobile"].initial = self.instance.user.mobile

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        if value:
            validate_resident_id(value)
        return value

    def clean_login_mobile(self):
        mobile = normalise_mobile(self.cleaned_data.get("login_mobile") or "")
        if not mobile:
            return None
        current = self.instance.user if self.instance.user_id else None
        if current is not None and current.mobile == mobile:
            return current  # unchanged: whoever linked it, it stays
        account = accounts_linkable_to_owners(user=self.for_user).filter(mobile=mobile).first()
        if account is None:
            # One message whether the number has no account or one that may not be linked here,
            # so the field cannot be used to find out who has an account.
            raise forms.ValidationError(
                _(
                    "No account that you may link has this mobile number. The owner needs a portal account "
                    "first; an account already used in an estate you do not manage is linked by someone who "
                    "manages both."
                )
            )
        return account

    def clean(self):
        cleaned = super().clean()
        if "login_mobile" in cleaned:
            self.instance.user = cleaned["login_mobile"]
        return cleaned


class OwnerViewSet(ScopedModelViewSet):
    model = Owner
    icon = "user"
    menu_label = _("Owners")
    list_display = ["name", "kind", "identifier_masked", "phone_masked", "estate"]
    list_select_related = ("estate",)
    filterset_class = OwnerFilterSet
    search_fields = ["name", "credit_code"]
    inspect_view_fields = [
        "estate",
        "kind",
        "name",
        "id_number_masked",
        "credit_code",
        "representative_name",
        "phone_masked",
        "user",
    ]
    list_export = ["estate", "kind", "name", "id_number_masked", "credit_code", "phone_masked"]
    export_headings = {
        "estate": Heading("小区", _("Estate")),
        "kind": Heading("业主类型", _("Owner type")),
        "name": Heading("业主姓名", _("Owner name")),
        "id_number_masked": Heading("证件号码（已遮蔽）", _("ID number (masked)")),
        "credit_code": Heading("统一社会信用代码", _("Unified social credit code")),
        "phone_masked": Heading("联系电话（已遮蔽）", _("Phone (masked)")),
    }

    def save_object(self, *, form, request, created):
        # The ID number and phone are encrypted and digested by the service, never saved raw.
        return owner_save(owner=form.instance, id_number=form.cleaned_data.get("id_number"), phone=form.cleaned_data.get("phone"))

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("reveal/<int:pk>/", OwnerRevealView.as_view(), name="reveal")]

    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldPanel("kind"),
            FieldPanel("name"),
            MultiFieldPanel([FieldPanel("id_number"), FieldPanel("credit_code")], heading=_("Identifier")),
            FieldPanel("representative_name"),
            FieldPanel("phone"),
            FieldPanel("login_mobile"),
        ],
        base_form_class=OwnerForm,
    )


class OwnershipViewSet(ScopedModelViewSet):
    model = Ownership
    icon = "link"
    menu_label = _("Ownerships")
    list_display = ["__str__", UnitRecordColumn("unit", full=True), "share", "since", "until"]
    list_select_related = ("unit__building__estate", "owner")
    filterset_class = OwnershipFilterSet
    search_fields = ["owner__name", "unit__number"]
    edit_handler = scoped_panels(
        FieldPanel("unit"), FieldPanel("owner"), FieldRowPanel([FieldPanel("share"), FieldPanel("since"), FieldPanel("until")])
    )


class CommonAssetViewSet(ScopedModelViewSet):
    model = CommonAsset
    icon = "tag"
    menu_label = _("Common assets")
    list_display = ["__str__", "name", "estate", "location", "in_service"]
    list_select_related = ("estate",)
    filterset_class = CommonAssetFilterSet
    search_fields = ["code", "name", "location"]
    edit_handler = scoped_panels(
        FieldPanel("estate"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("code")]),
        FieldPanel("name"),
        FieldPanel("location"),
        FieldRowPanel([FieldPanel("area"), FieldPanel("in_service")]),
    )


class RenovationProjectViewSet(ScopedModelViewSet):
    model = RenovationProject
    add_view_class = ProjectFactsCreateView
    edit_view_class = ProjectFactsEditView
    icon = "cogs"
    menu_label = _("Renovation projects")
    list_display = ["name", "estate", "year", "status", "management_model_after"]
    list_select_related = ("estate",)
    filterset_class = ProjectFilterSet
    search_fields = ["name", "estate__name"]

    def save_object(self, *, form, request, created):
        if created:
            return form.save()
        # The status moves through the status table (estates.statuses) and is recorded; the rest as edited.
        return renovation_project_edit(project=form.instance, save_facts=form.save, by=request.user)

    edit_handler = scoped_panels(
        FieldPanel("estate"),
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("year"), FieldPanel("status")]),
        FieldRowPanel([FieldPanel("started_on"), FieldPanel("completed_on")]),
        FieldPanel("management_model_after"),
        FieldPanel("summary"),
        InlinePanel("content_items", heading=_("Content items"), label=_("Content item")),
        InlinePanel("funding_lines", heading=_("Funding"), label=_("Funding line")),
    )


class InventoryViewSetGroup(ModelViewSetGroup):
    menu_label = _("Estate inventory")
    menu_icon = "home"
    menu_order = 150
    items = (
        DistrictViewSet("estates_district", url_prefix="estates/district"),
        SubdistrictViewSet("estates_subdistrict", url_prefix="estates/subdistrict"),
        CommunityViewSet("estates_community", url_prefix="estates/community"),
        EstateViewSet("estates_estate", url_prefix="estates/estate"),
        BuildingViewSet("estates_building", url_prefix="estates/building"),
        UnitViewSet("estates_unit", url_prefix="estates/unit"),
        OwnerViewSet("estates_owner", url_prefix="estates/owner"),
        OwnershipViewSet("estates_ownership", url_prefix="estates/ownership"),
        CommonAssetViewSet("estates_commonasset", url_prefix="estates/commonasset"),
        RenovationProjectViewSet("estates_renovationproject", url_prefix="estates/renovationproject"),
    )


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("Resident ID number")), ("phone", _("Phone"))], label=_("Field"))
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("Why you need the full value. This is logged."))


class OwnerRevealView(ScopedObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """Shows one protected field in full after the staff member states a reason; logs the access."""

    model = Owner
    template_name = "estates/owner_reveal.html"
    page_title = _("View personal data")
    header_icon = "user"

    def get(self, request, pk):
        if not request.user.has_perm("estates.change_owner"):
            raise PermissionDenied
        return self.render_to_response(self.get_context_data(owner=self._owner(pk), form=RevealForm()))

    def post(self, request, pk):
        if not request.user.has_perm("estates.change_owner"):
            raise PermissionDenied
        owner = self._owner(pk)
        form = RevealForm(request.POST)
        value = None
        if form.is_valid():
            value = owner_reveal_personal_data(
                owner=owner, viewer=request.user, field=form.cleaned_data["field"], reason=form.cleaned_data["reason"]
            )
        response = self.render_to_response(self.get_context_data(owner=owner, form=form, value=value))
        response["Cache-Control"] = "no-store"
        return response

    def _owner(self, pk):
        return get_object_or_404(Owner, pk=pk)
