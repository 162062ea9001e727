"""The desk's back-office pages around work orders: filing a report for a phone call, and the register of
residents (tenants and household members) who may report for a unit."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.validators import normalise_mobile
from estates.admin_scoping import ScopedIndexView, ScopedReadOnlyViewSet, add_service_errors, estate_filterset
from estates.models import Building, Unit
from estates.selectors import estates_visible_to, scope_queryset

from ..admin_views import RowButton, ScopedActionView
from ..models import UnitResident, WorkOrderCategory
from ..selectors.work_orders import resident_units
from ..services import residents as resident_services
from ..services import work_orders as services
from .work_orders import CHANGE


class _PhotosInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _PhotosField(forms.FileField):
    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(_PhotosField, self).clean(f, initial) for f in files]


class UnitLookupMixin(forms.Form):
    """A unit named as on its door: building, entrance and number (no list of every unit of every estate)."""

    building = forms.ModelChoiceField(label=gettext_lazy("Building"), queryset=Building.objects.none(), required=False)
    entrance = forms.IntegerField(label=gettext_lazy("Entrance"), min_value=1, initial=1, required=False)
    unit_number = forms.CharField(label=gettext_lazy("Unit number"), max_length=20, required=False)

    def narrow(self, user) -> None:
        self.fields["building"].queryset = (
            scope_queryset(Building.objects.all(), user=user).select_related("estate").order_by("estate__name", "number")
        )

    def unit(self) -> Unit | None:
        number = (self.cleaned_data.get("unit_number") or "").strip()
        building = self.cleaned_data.get("building")
        if not number:
            return None
        if building is None:
            raise ValidationError(_("Choose the building of the unit."))
        unit = Unit.objects.filter(building=building, entrance=self.cleaned_data.get("entrance") or 1, number=number).first()
        if unit is None:
            raise ValidationError(_("There is no unit %(number)s in this building and entrance.") % {"number": number})
        return unit


class CallReportForm(UnitLookupMixin):
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=WorkOrderCategory.objects.none())
    caller_name = forms.CharField(label=gettext_lazy("Caller"), max_length=50)
    caller_mobile = forms.CharField(
        label=gettext_lazy("Caller's mobile number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("When the caller is a resident with a portal account, they follow, confirm and rate it there."),
    )
    place = forms.CharField(
        label=gettext_lazy("Place"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For a building or a common area: where exactly. Leave the unit number empty."),
    )
    paid = forms.BooleanField(label=gettext_lazy("Paid repair inside the unit"), required=False)
    description = forms.CharField(label=gettext_lazy("What is wrong"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    photos = _PhotosField(label=gettext_lazy("Photos"), required=False, widget=_PhotosInput(attrs={"accept": "image/*"}))

    field_order = ["category", "caller_name", "caller_mobile", "building", "entrance", "unit_number", "place", "paid"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.narrow(user)
        self.fields["category"].queryset = (
            WorkOrderCategory.objects.filter(estate__in=estates_visible_to(user=user), active=True)
            .select_related("estate")
            .order_by("estate__name", "name")
        )
        self.fields["category"].label_from_instance = lambda c: f"{c.estate.name} · {c.name}"


class FileForCallerView(WagtailAdminTemplateMixin, TemplateView):
    """Staff file a report for a phone call (``services.work_orders.work_order_file_for_caller``)."""

    page_title = gettext_lazy("File a report for a call")
    template_name = "property_services/admin/confirm.html"
    header_icon = "tasks"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render_to_response(self.get_context_data(form=CallReportForm(user=request.user)))

    def post(self, request):
        form = CallReportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = form.unit()
                reporter = self._reporter(data, unit)
                order = services.work_order_file_for_caller(
                    by=request.user,
                    category=data["category"],
                    description=data["description"],
                    caller_name=data["caller_name"],
                    reporter=reporter,
                    unit=unit,
                    building=None if unit else data.get("building"),
                    place=data.get("place", ""),
                    paid=data.get("paid", False),
                    photos=data.get("photos") or [],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Work order %(number)s filed.") % {"number": order.number})
                return redirect(reverse("property_services_workorder:inspect", args=[order.pk]))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def _reporter(self, data, unit):
        """The caller's portal account when the number belongs to a resident of the estate; else none (staff then
        record the confirmation). No message tells whether a number has an account elsewhere."""
        mobile = normalise_mobile(data.get("caller_mobile") or "")
        if not mobile:
            return None
        from accounts.models import User

        account = User.objects.filter(mobile=mobile, is_active=True).first()
        estate_id = data["category"].estate_id
        if account is not None and resident_units(user=account).filter(building__estate_id=estate_id).exists():
            return account
        messages.info(
            self.request, _("No resident of the estate has a portal account with this number: staff record the confirmation.")
        )
        return None

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=_("Work orders"),
            explanation=[
                _("For a caller: the order gets its time limits at once, like a report from the portal."),
            ],
            **kwargs,
        )


# --- the register of residents ---------------------------------------------------------------------------------


class ResidentRegisterForm(UnitLookupMixin):
    mobile = forms.CharField(
        label=gettext_lazy("Resident's mobile number"),
        max_length=20,
        help_text=gettext_lazy("The resident's portal account is found by its number; no list of accounts is shown."),
    )
    since = forms.DateField(label=gettext_lazy("Moved in on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.narrow(user)
        self.fields["building"].required = True
        self.fields["unit_number"].required = True


class ResidentRegisterView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Register a resident")
    template_name = "property_services/admin/confirm.html"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(resident_services.ADD_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render_to_response(self.get_context_data(form=ResidentRegisterForm(user=request.user)))

    def post(self, request):
        form = ResidentRegisterForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                resident = resident_services.unit_resident_register(
                    unit=form.unit(), mobile=form.cleaned_data["mobile"], since=form.cleaned_data.get("since"), by=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Registered: %(resident)s.") % {"resident": resident})
                return redirect(reverse("property_services_unitresident:index"))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=_("Registered residents"),
            explanation=[
                _(
                    "Tenants and household members who live in a unit without owning it (Housing Rental Regulations "
                    "Art. 37: every occupant is registered). They report repairs of the unit and of the estate's common parts."
                )
            ],
            **kwargs,
        )


class ResidentEndForm(forms.Form):
    until = forms.DateField(label=gettext_lazy("Moved out on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ResidentEndView(ScopedActionView):
    model = UnitResident
    permission = resident_services.CHANGE_PERMISSION
    form_class = ResidentEndForm
    page_title = gettext_lazy("End the registration")

    def act(self, form):
        resident_services.unit_resident_end(resident=self.object, until=form.cleaned_data.get("until"), by=self.request.user)

    def success_url(self):
        return reverse("property_services_unitresident:index")

    def success_message(self):
        return _("The registration of %(resident)s has ended.") % {"resident": self.object}


class ResidentIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.until is None and self.request.user.has_perm(resident_services.CHANGE_PERMISSION):
            buttons.append(
                RowButton(
                    _("End the registration"),
                    url=reverse("property_services_unitresident:end", args=[instance.pk]),
                    attrs={"data-testid": f"resident-end-{instance.pk}"},
                    priority=5,
                )
            )
        return buttons


class UnitResidentViewSet(ScopedReadOnlyViewSet):
    """Residents registered in the user's estates; registered by mobile number and ended when they move out."""

    model = UnitResident
    icon = "user"
    menu_label = gettext_lazy("Registered residents")
    list_display = ["unit", "user", "since", "until"]
    list_select_related = ("unit__building__estate", "user")
    filterset_class = estate_filterset(UnitResident, "unit__building__estate")
    index_view_class = ResidentIndexView
    add_view = staticmethod(ResidentRegisterView.as_view())
    inspect_view_fields = ["unit", "user", "since", "until"]

    def extra_urls(self) -> list:
        return [path("end/<int:pk>/", ResidentEndView.as_view(), name="end")]
