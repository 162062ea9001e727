"""Back-office screens of owners' assemblies (Civil Code Art. 278), the ballots staff record on paper,
and the co-owners' designated voters (Civil Code Arts. 297-301).

Calling and publishing an assembly are actions (``admin_views``); a ballot is recorded through
``services.ballot_record``, a designation through ``services.voter_designate``.
"""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages as wagtail_messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.log_actions import log

from estates.admin_scoping import (
    ScopedAdminModelForm,
    ScopedDeleteView,
    ScopedEditView,
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
    add_service_errors,
    estate_filterset,
)
from estates.selectors import scope_queryset
from estates.unit_record import UnitRecordColumn

from .. import admin_views, services
from ..models import Assembly, AssemblyStatus, Ballot, BallotChannel, BallotChoice, VoterDesignation

AssemblyFilterSet = estate_filterset(
    Assembly, status=django_filters.ChoiceFilter(choices=AssemblyStatus.choices, label=_("Status"))
)


class AssemblyForm(ScopedAdminModelForm):
    def clean(self):
        data = super().clean()
        if data.get("estate"):
            # Civil Code Art. 278 for one building or entrance: the owners of that part decide.
            try:
                services.assembly_validate_scope(
                    estate=data["estate"], building=data.get("building"), entrance=data.get("entrance")
                )
            except forms.ValidationError as exc:
                add_service_errors(self, exc)
        if data.get("notice_on") and data.get("meeting_on"):
            try:
                services.assembly_validate_dates(
                    notice_on=data["notice_on"],
                    meeting_on=data["meeting_on"],
                    voting_opens_at=data.get("voting_opens_at"),
                    voting_closes_at=data.get("voting_closes_at"),
                )
            except forms.ValidationError as exc:
                add_service_errors(self, exc)
        if self.instance.pk and self.instance.status != AssemblyStatus.DRAFT:
            raise forms.ValidationError(
                "业主大会召集后不能再修改会议安排和表决事项 / An assembly cannot be changed once it has been called."
            )
        return data


class AssemblyPowersMixin:
    """What the signed-in person may do with the assemblies shown (services.AssemblyPowers), worked out once."""

    @cached_property
    def assembly_powers(self):
        return services.assembly_powers(
            user=self.request.user, estate_ids=scope_queryset(Assembly.objects.all(), user=self.request.user).values("estate_id")
        )


class AssemblyIndexView(AssemblyPowersMixin, ScopedIndexView):
    def annotate(self, queryset):
        return queryset.annotate(matter_count=Count("matters", distinct=True))

    def get_edit_url(self, instance):
        # Only a draft can be changed: the title of a called or published assembly opens its page (turnout, result).
        return super().get_edit_url(instance) if instance.status == AssemblyStatus.DRAFT else None

    def get_delete_url(self, instance):
        if self.delete_url_name and self.assembly_powers.may_delete(instance):
            return reverse(self.delete_url_name, args=[instance.pk])
        return None

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        return buttons + admin_views.assembly_action_buttons(instance, self.request.user, powers=self.assembly_powers, row=True)


class AssemblyEditView(AssemblyPowersMixin, ScopedEditView):
    @cached_property
    def header_buttons(self):
        return [*super().header_buttons, *admin_views.assembly_action_buttons(self.object, self.request.user)]

    @cached_property
    def can_delete(self):
        return self.assembly_powers.may_delete(self.object)


class AssemblyDeleteView(ScopedDeleteView):
    """A draft is deleted by the person who drafted it or a serving committee member (services.assembly_delete);
    a called assembly never is."""

    permission_required = None

    def dispatch(self, request, *args, **kwargs):
        if not scope_queryset(Assembly.objects.filter(pk=self.object.pk), user=request.user).exists():
            raise Http404
        powers = services.assembly_powers(user=request.user, estate_ids=[self.object.estate_id])
        if not powers.drafter_or_committee(self.object):
            raise PermissionDenied
        if self.object.status != AssemblyStatus.DRAFT:
            return self.refuse()
        return super().dispatch(request, *args, **kwargs)

    def refuse(self, exc: ValidationError | None = None):
        if exc is None:
            try:
                services.assembly_delete(assembly=self.object, by=self.request.user)
            except ValidationError as refused:
                exc = refused
        wagtail_messages.error(self.request, " ".join(exc.messages) if exc else "")
        return redirect(reverse("property_services_assembly:inspect", args=[self.object.pk]))

    def form_valid(self, form):
        try:
            services.assembly_delete(assembly=self.object, by=self.request.user)
        except ValidationError as exc:
            return self.refuse(exc)
        log(self.object, "wagtail.delete", user=self.request.user)
        wagtail_messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())


class AssemblyInspectView(AssemblyPowersMixin, ScopedInspectView):
    template_name = "property_services/admin/assembly_inspect.html"

    @cached_property
    def header_buttons(self):
        return [*super().header_buttons, *admin_views.assembly_action_buttons(self.object, self.request.user)]

    def get_delete_url(self):
        return super().get_delete_url() if self.assembly_powers.may_delete(self.object) else None

    def get_context_data(self, **kwargs):
        return super().get_context_data(turnout=admin_views.assembly_turnout(self.object), **kwargs)

    def get_result_summary_display_value(self):
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in self.object.result_summary.splitlines())) or "-"

    def get_field_label(self, field_name, field):
        if field_name == "voter_roll":
            return _("Voter roll")
        return super().get_field_label(field_name, field)

    def get_voter_roll_display_value(self):
        """The roll (stored at the notice, else as it stands), who cannot vote, and co-owners' conflicting ballots."""
        lines = admin_views.assembly_roll_lines(self.object)
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "-"


class AssemblyViewSet(ScopedModelViewSet):
    model = Assembly
    icon = "group"
    menu_label = _("Owners' assemblies")
    index_view_class = AssemblyIndexView
    edit_view_class = AssemblyEditView
    delete_view_class = AssemblyDeleteView
    inspect_view_class = AssemblyInspectView
    list_display = [
        "title",
        "estate",
        "meeting_on",
        "voting_closes_at",
        Column("matter_count", label=_("Matters")),
        "status",
    ]
    list_select_related = ("estate",)
    filterset_class = AssemblyFilterSet
    search_fields = ["title", "estate__name"]
    inspect_view_fields = [
        "estate",
        "title",
        "status",
        "meeting_on",
        "location",
        "notice_on",
        "voting_opens_at",
        "voting_closes_at",
        "residents_committee_informed_on",
        "residents_committee_note",
        "called_by",
        "result_published_at",
        "scope_label",
        "voter_roll",
        "result_summary",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldRowPanel([FieldPanel("building"), FieldPanel("entrance")]),
            FieldPanel("title"),
            FieldRowPanel([FieldPanel("meeting_on"), FieldPanel("location")]),
            FieldPanel("notice_on"),
            FieldRowPanel([FieldPanel("voting_opens_at"), FieldPanel("voting_closes_at")]),
            InlinePanel(
                "matters",
                heading=_("Matters to vote on"),
                label=_("Matter"),
                min_num=1,
                panels=[
                    FieldPanel("matter"),
                    FieldPanel("title"),
                    FieldPanel("description"),
                    FieldPanel("document"),
                    FieldPanel("link"),
                ],
            ),
        ],
        base_form_class=AssemblyForm,
    )

    def save_object(self, *, form, request, created):
        if created:
            form.instance.created_by = request.user  # the drafter may delete the draft
        return form.save()

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("call/<int:pk>/", admin_views.AssemblyCallView.as_view(), name="call"),
            path("publish/<int:pk>/", admin_views.AssemblyPublishView.as_view(), name="publish"),
        ]


# --- ballots --------------------------------------------------------------------------------------


class BallotFilterSet(WagtailFilterSet):
    assembly = django_filters.ModelChoiceFilter(
        field_name="matter__assembly",
        label=_("Assembly"),
        queryset=lambda request: (
            scope_queryset(Assembly.objects.all(), user=request.user) if request else Assembly.objects.none()
        ),
    )
    channel = django_filters.ChoiceFilter(choices=BallotChannel.choices, label=_("How cast"))
    choice = django_filters.ChoiceFilter(choices=BallotChoice.choices, label=_("Choice"))

    class Meta:
        model = Ballot
        fields = ["assembly", "channel", "choice"]


class BallotForm(ScopedAdminModelForm):
    """Staff record a paper ballot, a written-consultation reply or a proxy vote."""

    class Meta:
        model = Ballot
        fields = ["matter", "owner", "choice", "channel", "paper_reference", "proxy_name", "proxy_document"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "matter" in self.fields:
            self.fields["matter"].queryset = (
                self.fields["matter"].queryset.filter(assembly__status=AssemblyStatus.CALLED).select_related("assembly")
            )
        if "channel" in self.fields:
            self.fields["channel"].choices = [c for c in BallotChannel.choices if c[0] != BallotChannel.ONLINE]
            self.fields["channel"].initial = BallotChannel.PAPER
        if "owner" in self.fields:
            self.fields["owner"].queryset = self.fields["owner"].queryset.order_by("estate", "name")

    def _get_validation_exclusions(self):
        # services.ballot_record checks an existing ballot itself and names its channel (issue 8 rule 7),
        # so the model's one-ballot-per-owner constraint is left to it here; the database still holds it.
        exclude = super()._get_validation_exclusions()
        exclude.add("owner")
        return exclude


class BallotViewSet(ScopedModelViewSet):
    model = Ballot
    icon = "tick-inverse"
    menu_label = _("Ballots")
    # Who entered each ballot and its paper reference are shown: back-office entry is logged on the ballot.
    list_display = ["owner", "matter", "choice", "channel", "paper_reference", "proxy_name", "cast_by", "updated_at"]
    list_select_related = ("owner", "matter__assembly", "cast_by")
    filterset_class = BallotFilterSet
    search_fields = ["owner__name", "paper_reference", "proxy_name"]
    delete_view_enabled = False
    inspect_view_fields = [
        "matter",
        "owner",
        "choice",
        "channel",
        "paper_reference",
        "proxy_name",
        "proxy_document",
        "cast_by",
        "cast_at",
        "updated_at",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("matter"),
            FieldPanel("owner"),
            FieldRowPanel([FieldPanel("choice"), FieldPanel("channel")]),
            FieldPanel("paper_reference"),
            FieldRowPanel([FieldPanel("proxy_name"), FieldPanel("proxy_document")]),
        ],
        base_form_class=BallotForm,
    )

    def save_object(self, *, form, request, created):
        data = form.cleaned_data
        # Editing is an explicit correction of that ballot; adding never replaces one (services.ballot_record).
        replaces = None if created else Ballot.objects.get(pk=form.instance.pk)
        return services.ballot_record(
            matter=data["matter"],
            owner=data["owner"],
            choice=data["choice"],
            channel=data["channel"],
            paper_reference=data.get("paper_reference", ""),
            proxy_name=data.get("proxy_name", ""),
            proxy_document=data.get("proxy_document", ""),
            by=request.user,
            replaces=replaces,
        )


# --- designated voters of co-owned units ---------------------------------------------------------


class VoterDesignationForm(ScopedAdminModelForm):
    """Civil Code Arts. 297-301: the co-owners of a unit designate which of them casts its ballot."""

    class Meta:
        model = VoterDesignation
        fields = ["unit", "owner", "agreement_reference"]


class VoterDesignationViewSet(ScopedModelViewSet):
    model = VoterDesignation
    icon = "user"
    menu_label = _("Designated voters")
    list_display = ["owner", UnitRecordColumn("unit", full=True), "agreement_reference", "recorded_at"]
    list_select_related = ("unit__building__estate", "owner")
    search_fields = ["owner__name", "agreement_reference"]
    inspect_view_fields = ["unit", "owner", "agreement_reference", "recorded_by", "recorded_at"]
    edit_handler = ObjectList(
        [FieldPanel("unit"), FieldPanel("owner"), FieldPanel("agreement_reference")],
        base_form_class=VoterDesignationForm,
    )

    def save_object(self, *, form, request, created):
        data = form.cleaned_data
        return services.voter_designate(
            unit=data["unit"], owner=data["owner"], agreement_reference=data.get("agreement_reference", ""), by=request.user
        )
