"""Back-office screens for property services (Wagtail ModelViewSets), all scoped by estate.

Saves go through services: an arrangement is started (and the previous one closed) by
``arrangement_start``, a committee by ``committee_save``, a paper ballot by ``ballot_record``.
"""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages as wagtail_messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.log_actions import log

from accounts.sanitize import clean_text_or_html
from estates.models import Estate, ManagementModel
from estates.selectors import estates_visible_to, user_sees_everything
from estates.unit_record import UnitRecordColumn

from . import admin_views, services
from .admin_scoping import (
    PSAdminModelForm,
    PSCreateView,
    PSDeleteView,
    PSEditView,
    PSIndexView,
    PSInspectView,
    PSModelViewSet,
)
from .models import (
    Assembly,
    AssemblyStatus,
    Ballot,
    BallotChannel,
    BallotChoice,
    DecisionStatus,
    JointMeeting,
    JointMeetingDecision,
    ManagementArrangement,
    Notice,
    NoticeKind,
    OwnersCommittee,
    Provider,
    ProviderKind,
    VoterDesignation,
)
from .selectors import scope_for_user


def _visible_estates(request):
    return estates_visible_to(user=request.user) if request else Estate.objects.none()


def estate_filter(field_name: str):
    return django_filters.ModelChoiceFilter(field_name=field_name, label=_("Estate"), queryset=_visible_estates)


def log_save(instance, request, created: bool):
    log(instance, "wagtail.create" if created else "wagtail.edit", user=request.user)


# --- providers ----------------------------------------------------------------------------------


class ProviderFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(choices=ProviderKind.choices, label=_("Kind"))

    class Meta:
        model = Provider
        fields = ["kind"]


class ProviderSaveMixin:
    def save_instance(self):
        created = self.form.instance.pk is None
        provider = services.provider_save(provider=self.form.save(commit=False))
        log_save(provider, self.request, created)
        return provider


class ProviderCreateView(ProviderSaveMixin, PSCreateView):
    pass


class ProviderEditView(ProviderSaveMixin, PSEditView):
    pass


class ProviderViewSet(PSModelViewSet):
    model = Provider
    icon = "group"
    menu_label = _("Providers")
    list_display = ["name", "kind", "credit_code", "service_phone"]
    filterset_class = ProviderFilterSet
    search_fields = ["name", "credit_code"]
    add_view_class = ProviderCreateView
    edit_view_class = ProviderEditView
    inspect_view_fields = ["kind", "name", "credit_code", "address", "service_phone"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("kind"), FieldPanel("credit_code")]),
            FieldPanel("name"),
            FieldPanel("address"),
            FieldPanel("service_phone"),
            InlinePanel("contacts", heading=_("Contacts"), label=_("Contact")),
        ],
        base_form_class=PSAdminModelForm,
    )


# --- management arrangements ----------------------------------------------------------------------


class ArrangementFilterSet(WagtailFilterSet):
    estate = estate_filter("estate")
    model = django_filters.ChoiceFilter(choices=ManagementModel.choices, label=_("Management model"))
    running = django_filters.BooleanFilter(field_name="ended_on", lookup_expr="isnull", label=_("Running"))

    class Meta:
        model = ManagementArrangement
        fields = ["estate", "model", "running"]


class ArrangementForm(PSAdminModelForm):
    """Starting an arrangement; the one in effect ends the day before (switching keeps the history)."""

    previous_dismissal_notice_on = forms.DateField(
        label=_("Written dismissal notice to the current firm served on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Needed when a property firm is dismissed before its term ends: at least 60 days before the new start."),
    )
    previous_end_reason = forms.CharField(label=_("Why the current arrangement ends"), required=False, max_length=200)

    class Meta:
        model = ManagementArrangement
        fields = [
            "estate",
            "model",
            "provider",
            "starts_on",
            "contract_until",
            "contract_reference",
            "authority_kind",
            "authority_reference",
            "authority_date",
            "authorising_matter",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "authorising_matter" in self.fields:
            self.fields["authorising_matter"].queryset = self.fields["authorising_matter"].queryset.filter(passed=True)


class ArrangementDetailsForm(PSAdminModelForm):
    class Meta:
        model = ManagementArrangement
        fields = ["contract_reference", "contract_until", "authority_reference"]


class ArrangementCreateView(PSCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        rates = {}
        formset = self.form.formsets["fee_standards"]
        for child in formset.forms:
            if not child.cleaned_data or child.cleaned_data.get("DELETE"):
                continue
            rates[child.cleaned_data["unit_use"]] = child.cleaned_data["rate"]
        arrangement = services.arrangement_start(
            estate=data["estate"],
            model=data["model"],
            provider=data["provider"],
            starts_on=data["starts_on"],
            fee_rates=rates,
            authority_kind=data["authority_kind"],
            authority_reference=data["authority_reference"],
            authority_date=data["authority_date"],
            authorising_matter=data.get("authorising_matter"),
            contract_until=data.get("contract_until"),
            contract_reference=data.get("contract_reference", ""),
            dismissal_notice_on=data.get("previous_dismissal_notice_on"),
            end_reason=data.get("previous_end_reason", ""),
            by=self.request.user,
        )
        log_save(arrangement, self.request, True)
        return arrangement


class ArrangementEditView(PSEditView):
    def save_instance(self):
        data = self.form.cleaned_data
        arrangement = services.arrangement_update_details(
            arrangement=self.object,
            contract_reference=data.get("contract_reference", ""),
            contract_until=data.get("contract_until"),
            authority_reference=data.get("authority_reference", ""),
        )
        log_save(arrangement, self.request, False)
        return arrangement


class ArrangementViewSet(PSModelViewSet):
    model = ManagementArrangement
    icon = "clipboard-list"
    menu_label = _("Management arrangements")
    list_display = [
        "estate",
        "model",
        "provider",
        "starts_on",
        "contract_until",
        "ended_on",
        Column("fee_summary", label=_("Fee standard (CNY/m²/month)")),
        "authority_reference",
    ]
    list_select_related = ("estate", "provider")
    list_prefetch_related = ("fee_standards",)
    filterset_class = ArrangementFilterSet
    search_fields = ["estate__name", "provider__name", "authority_reference"]
    add_view_class = ArrangementCreateView
    edit_view_class = ArrangementEditView
    delete_view_enabled = False
    inspect_view_fields = [
        "estate",
        "model",
        "provider",
        "starts_on",
        "contract_until",
        "ended_on",
        "contract_reference",
        "authority_kind",
        "authority_reference",
        "authority_date",
        "authorising_matter",
        "dismissal_notice_on",
        "end_reason",
        "fee_summary",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldRowPanel([FieldPanel("model"), FieldPanel("provider")]),
            FieldRowPanel([FieldPanel("starts_on"), FieldPanel("contract_until"), FieldPanel("contract_reference")]),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("authority_kind"), FieldPanel("authority_date")]),
                    FieldPanel("authority_reference"),
                    FieldPanel("authorising_matter"),
                ],
                heading=_("Decision behind it"),
            ),
            InlinePanel("fee_standards", heading=_("Fee standards (CNY per m² per month)"), label=_("Fee standard"), min_num=1),
            MultiFieldPanel(
                [FieldPanel("previous_dismissal_notice_on"), FieldPanel("previous_end_reason")],
                heading=_("The arrangement it replaces"),
            ),
        ],
        base_form_class=ArrangementForm,
    )
    details_handler = ObjectList(
        [FieldPanel("contract_reference"), FieldPanel("contract_until"), FieldPanel("authority_reference")],
        base_form_class=ArrangementDetailsForm,
    )

    def get_edit_view_kwargs(self, **kwargs):
        handler = self.details_handler.bind_to_model(self.model)
        return super().get_edit_view_kwargs(panel=handler, form_class=handler.get_form_class(), **kwargs)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("overview/", admin_views.ManagementOverviewView.as_view(), name="overview"),
        ]


# --- owners' committees ---------------------------------------------------------------------------


class CommitteeFilterSet(WagtailFilterSet):
    estate = estate_filter("estate")

    class Meta:
        model = OwnersCommittee
        fields = ["estate"]


class CommitteeForm(PSAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "electing_matter" in self.fields:
            self.fields["electing_matter"].queryset = self.fields["electing_matter"].queryset.filter(
                passed=True, matter="elect_committee"
            )

    def clean(self):
        data = super().clean()
        if data.get("elected_on") and data.get("term_ends_on"):
            try:
                services.committee_validate(
                    elected_on=data["elected_on"], term_ends_on=data["term_ends_on"], filed_on=data.get("filed_on")
                )
            except forms.ValidationError as exc:
                from .admin_scoping import add_service_errors

                add_service_errors(self, exc)
        return data


class CommitteeSaveMixin:
    def save_instance(self):
        created = self.form.instance.pk is None
        committee = services.committee_save(committee=self.form.save(commit=False))
        log_save(committee, self.request, created)
        return committee


class CommitteeCreateView(CommitteeSaveMixin, PSCreateView):
    pass


class CommitteeEditView(CommitteeSaveMixin, PSEditView):
    pass


class CommitteeViewSet(PSModelViewSet):
    model = OwnersCommittee
    icon = "group"
    menu_label = _("Owners' committees")
    list_display = ["__str__", "estate", "elected_on", "term_ends_on", "filed_on", "filing_status", "filing_reference"]
    list_select_related = ("estate",)
    filterset_class = CommitteeFilterSet
    search_fields = ["estate__name", "filing_reference"]
    add_view_class = CommitteeCreateView
    edit_view_class = CommitteeEditView
    inspect_view_fields = [
        "estate",
        "elected_on",
        "term_ends_on",
        "filed_on",
        "filing_status",
        "filing_reference",
        "electing_matter",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldRowPanel([FieldPanel("elected_on"), FieldPanel("term_ends_on")]),
            FieldRowPanel([FieldPanel("filed_on"), FieldPanel("filing_reference")]),
            FieldPanel("electing_matter"),
            InlinePanel(
                "members",
                heading=_("Members"),
                label=_("Member"),
                panels=[
                    FieldPanel("owner"),
                    FieldPanel("role"),
                    FieldRowPanel([FieldPanel("term_starts_on"), FieldPanel("term_ends_on"), FieldPanel("left_on")]),
                ],
            ),
        ],
        base_form_class=CommitteeForm,
    )


# --- assemblies -----------------------------------------------------------------------------------


class AssemblyFilterSet(WagtailFilterSet):
    estate = estate_filter("estate")
    status = django_filters.ChoiceFilter(choices=AssemblyStatus.choices, label=_("Status"))

    class Meta:
        model = Assembly
        fields = ["estate", "status"]


class AssemblyForm(PSAdminModelForm):
    def clean(self):
        data = super().clean()
        if data.get("estate"):
            # Civil Code Art. 278 for one building or entrance: the owners of that part decide.
            try:
                services.assembly_validate_scope(
                    estate=data["estate"], building=data.get("building"), entrance=data.get("entrance")
                )
            except forms.ValidationError as exc:
                from .admin_scoping import add_service_errors

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
                from .admin_scoping import add_service_errors

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
            user=self.request.user, estate_ids=scope_for_user(Assembly.objects.all(), user=self.request.user).values("estate_id")
        )


class AssemblyIndexView(AssemblyPowersMixin, PSIndexView):
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


class AssemblyCreateView(PSCreateView):
    def save_instance(self):
        self.form.instance.created_by = self.request.user  # the drafter may delete the draft
        return super().save_instance()


class AssemblyEditView(AssemblyPowersMixin, PSEditView):
    @cached_property
    def header_buttons(self):
        return [*super().header_buttons, *admin_views.assembly_action_buttons(self.object, self.request.user)]

    @cached_property
    def can_delete(self):
        return self.assembly_powers.may_delete(self.object)


class AssemblyDeleteView(PSDeleteView):
    """A draft is deleted by the person who drafted it or a serving committee member (services.assembly_delete);
    a called assembly never is."""

    permission_required = None

    def dispatch(self, request, *args, **kwargs):
        if not scope_for_user(Assembly.objects.filter(pk=self.object.pk), user=request.user).exists():
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


class AssemblyInspectView(AssemblyPowersMixin, PSInspectView):
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


class AssemblyViewSet(PSModelViewSet):
    model = Assembly
    icon = "group"
    menu_label = _("Owners' assemblies")
    index_view_class = AssemblyIndexView
    add_view_class = AssemblyCreateView
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
            Assembly.objects.filter(estate__in=_visible_estates(request).values("pk")) if request else Assembly.objects.none()
        ),
    )
    channel = django_filters.ChoiceFilter(choices=BallotChannel.choices, label=_("How cast"))
    choice = django_filters.ChoiceFilter(choices=BallotChoice.choices, label=_("Choice"))

    class Meta:
        model = Ballot
        fields = ["assembly", "channel", "choice"]


class BallotForm(PSAdminModelForm):
    """Staff record a paper ballot, a written-consultation reply or a proxy vote."""

    class Meta:
        model = Ballot
        fields = ["matter", "owner", "choice", "channel", "paper_reference", "proxy_name", "proxy_document"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "matter" in self.fields:
            self.fields["matter"].queryset = self.fields["matter"].queryset.filter(assembly__status=AssemblyStatus.CALLED)
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


class BallotSaveMixin:
    def save_instance(self):
        data = self.form.cleaned_data
        created = self.form.instance.pk is None
        # Editing is an explicit correction of that ballot; adding never replaces one (services.ballot_record).
        replaces = None if created else Ballot.objects.get(pk=self.form.instance.pk)
        ballot = services.ballot_record(
            matter=data["matter"],
            owner=data["owner"],
            choice=data["choice"],
            channel=data["channel"],
            paper_reference=data.get("paper_reference", ""),
            proxy_name=data.get("proxy_name", ""),
            proxy_document=data.get("proxy_document", ""),
            by=self.request.user,
            replaces=replaces,
        )
        log_save(ballot, self.request, created)
        return ballot


class BallotCreateView(BallotSaveMixin, PSCreateView):
    pass


class BallotEditView(BallotSaveMixin, PSEditView):
    pass


class BallotViewSet(PSModelViewSet):
    model = Ballot
    icon = "tick-inverse"
    menu_label = _("Ballots")
    # Who entered each ballot and its paper reference are shown: back-office entry is logged on the ballot.
    list_display = ["owner", "matter", "choice", "channel", "paper_reference", "proxy_name", "cast_by", "updated_at"]
    list_select_related = ("owner", "matter__assembly", "cast_by")
    filterset_class = BallotFilterSet
    search_fields = ["owner__name", "paper_reference", "proxy_name"]
    add_view_class = BallotCreateView
    edit_view_class = BallotEditView
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


# --- designated voters of co-owned units ---------------------------------------------------------


class VoterDesignationForm(PSAdminModelForm):
    """Civil Code Arts. 297-301: the co-owners of a unit designate which of them casts its ballot."""

    class Meta:
        model = VoterDesignation
        fields = ["unit", "owner", "agreement_reference"]


class VoterDesignationSaveMixin:
    def save_instance(self):
        data = self.form.cleaned_data
        created = self.form.instance.pk is None
        designation = services.voter_designate(
            unit=data["unit"], owner=data["owner"], agreement_reference=data.get("agreement_reference", ""), by=self.request.user
        )
        log_save(designation, self.request, created)
        return designation


class VoterDesignationCreateView(VoterDesignationSaveMixin, PSCreateView):
    pass


class VoterDesignationEditView(VoterDesignationSaveMixin, PSEditView):
    pass


class VoterDesignationViewSet(PSModelViewSet):
    model = VoterDesignation
    icon = "user"
    menu_label = _("Designated voters")
    list_display = ["owner", UnitRecordColumn("unit", full=True), "agreement_reference", "recorded_at"]
    list_select_related = ("unit__building__estate", "owner")
    search_fields = ["owner__name", "agreement_reference"]
    add_view_class = VoterDesignationCreateView
    edit_view_class = VoterDesignationEditView
    inspect_view_fields = ["unit", "owner", "agreement_reference", "recorded_by", "recorded_at"]
    edit_handler = ObjectList(
        [FieldPanel("unit"), FieldPanel("owner"), FieldPanel("agreement_reference")],
        base_form_class=VoterDesignationForm,
    )


# --- joint meetings -------------------------------------------------------------------------------


class JointMeetingFilterSet(WagtailFilterSet):
    estate = estate_filter("estate")

    class Meta:
        model = JointMeeting
        fields = ["estate"]


class JointMeetingSaveMixin:
    def save_instance(self):
        created = self.form.instance.pk is None
        meeting = services.joint_meeting_save(meeting=self.form.save(commit=False))
        log_save(meeting, self.request, created)
        return meeting


class JointMeetingIndexView(PSIndexView):
    def annotate(self, queryset):
        today = timezone.localdate()
        return queryset.annotate(
            decision_count=Count("decisions", distinct=True),
            overdue_count=Count(
                "decisions", filter=Q(decisions__status=DecisionStatus.OPEN, decisions__due_on__lt=today), distinct=True
            ),
        )

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        return buttons + admin_views.meeting_action_buttons(instance, self.request.user, menu=True)


class JointMeetingCreateView(JointMeetingSaveMixin, PSCreateView):
    pass


class JointMeetingEditView(JointMeetingSaveMixin, PSEditView):
    @property
    def header_more_buttons(self):
        return super().header_more_buttons + admin_views.meeting_action_buttons(self.object, self.request.user)


class JointMeetingViewSet(PSModelViewSet):
    model = JointMeeting
    icon = "calendar-alt"
    menu_label = _("Joint meetings")
    index_view_class = JointMeetingIndexView
    add_view_class = JointMeetingCreateView
    edit_view_class = JointMeetingEditView
    list_display = [
        "title",
        "estate",
        "held_on",
        Column("decision_count", label=_("Decisions")),
        Column("overdue_count", label=_("Overdue")),
        "summary_published_at",
    ]
    list_select_related = ("estate",)
    filterset_class = JointMeetingFilterSet
    search_fields = ["title", "estate__name", "agenda"]
    inspect_view_fields = ["estate", "title", "held_on", "location", "agenda", "minutes", "summary_published_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldPanel("title"),
            FieldRowPanel([FieldPanel("held_on"), FieldPanel("location")]),
            InlinePanel(
                "participants",
                heading=_("Participating organisations"),
                label=_("Organisation"),
                min_num=1,
                panels=[FieldPanel("organisation_kind"), FieldPanel("organisation_name"), FieldPanel("representative")],
            ),
            FieldPanel("agenda"),
            FieldPanel("minutes"),
            InlinePanel(
                "decisions",
                heading=_("Decisions"),
                label=_("Decision"),
                panels=[
                    FieldPanel("text"),
                    FieldRowPanel([FieldPanel("owner_kind"), FieldPanel("owner_name"), FieldPanel("due_on")]),
                ],
            ),
        ],
        base_form_class=PSAdminModelForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("publish/<int:pk>/", admin_views.JointMeetingPublishView.as_view(), name="publish"),
            path("minutes/<int:pk>/", admin_views.JointMeetingMinutesView.as_view(), name="minutes"),
        ]


class DecisionFilterSet(WagtailFilterSet):
    estate = estate_filter("meeting__estate")
    status = django_filters.ChoiceFilter(choices=DecisionStatus.choices, label=_("Status"))
    # Choices, not a BooleanFilter: the active-filter chip then reads 逾期：是, never "True".
    overdue = django_filters.ChoiceFilter(
        choices=[("true", _("Yes")), ("false", _("No"))], label=_("Overdue"), method="filter_overdue"
    )

    class Meta:
        model = JointMeetingDecision
        fields = ["estate", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=DecisionStatus.OPEN, due_on__lt=timezone.localdate())
        if value not in ("true", "false"):
            return queryset
        return queryset.filter(overdue) if value == "true" else queryset.exclude(overdue)


class DecisionIndexView(PSIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        return buttons + admin_views.decision_action_buttons(instance, self.request.user)


class DecisionViewSet(PSModelViewSet):
    """Decisions are written on the meeting's form; here they are tracked to done."""

    model = JointMeetingDecision
    icon = "tasks"
    menu_label = _("Meeting decisions")
    index_view_class = DecisionIndexView
    add_view_enabled = False
    delete_view_enabled = False
    list_display = ["text", "meeting", "owner_name", "due_on", "status", "done_on"]
    list_select_related = ("meeting__estate",)
    filterset_class = DecisionFilterSet
    search_fields = ["text", "owner_name"]
    inspect_view_fields = ["meeting", "text", "owner_kind", "owner_name", "due_on", "status", "done_on"]
    edit_handler = ObjectList(
        [FieldPanel("text"), FieldRowPanel([FieldPanel("owner_kind"), FieldPanel("owner_name"), FieldPanel("due_on")])],
        base_form_class=PSAdminModelForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("status/<int:pk>/<str:to>/", admin_views.DecisionStatusView.as_view(), name="status"),
        ]


# --- notices --------------------------------------------------------------------------------------


class NoticeFilterSet(WagtailFilterSet):
    estate = estate_filter("estate")
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices, label=_("Kind"))
    is_published = django_filters.BooleanFilter(label=_("Published"))

    class Meta:
        model = Notice
        fields = ["estate", "kind", "is_published"]


class NoticeForm(PSAdminModelForm):
    class Meta:
        model = Notice
        fields = ["estate", "kind", "title", "body", "display_from", "display_until", "pdf", "is_published"]

    def clean_body(self):
        # Published on the public site, which shares its origin with the portal and back office.
        return clean_text_or_html(self.cleaned_data.get("body"))

    def clean(self):
        data = super().clean()
        start, end = data.get("display_from"), data.get("display_until")
        if start and end and end < start:
            self.add_error("display_until", "公示结束日期早于开始日期 / The display period ends before it starts.")
        if not data.get("estate") and self.for_user is not None and not user_sees_everything(self.for_user):
            self.add_error(
                "estate",
                "请选择小区；全市公告由平台管理员发布 / Choose an estate: city-wide notices are published by platform administrators.",
            )
        return data


class NoticeViewSet(PSModelViewSet):
    model = Notice
    icon = "doc-full"
    menu_label = _("Notices")
    list_display = ["title", "estate", "kind", "display_from", "display_until", "is_published"]
    list_select_related = ("estate",)
    filterset_class = NoticeFilterSet
    search_fields = ["title", "body"]
    inspect_view_fields = ["estate", "kind", "title", "body", "display_from", "display_until", "pdf", "is_published"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("kind")]),
            FieldPanel("title"),
            FieldPanel("body"),
            FieldRowPanel([FieldPanel("display_from"), FieldPanel("display_until")]),
            FieldPanel("pdf"),
            FieldPanel("is_published"),
        ],
        base_form_class=NoticeForm,
    )


class PropertyServicesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Property services")
    menu_icon = "group"
    menu_order = 160
    submenu_hook = "register_property_services_menu_item"
    items = (
        ProviderViewSet("property_services_provider", url_prefix="property_services/provider"),
        ArrangementViewSet("property_services_managementarrangement", url_prefix="property_services/managementarrangement"),
        CommitteeViewSet("property_services_ownerscommittee", url_prefix="property_services/ownerscommittee"),
        AssemblyViewSet("property_services_assembly", url_prefix="property_services/assembly"),
        BallotViewSet("property_services_ballot", url_prefix="property_services/ballot"),
        VoterDesignationViewSet("property_services_voterdesignation", url_prefix="property_services/voterdesignation"),
        JointMeetingViewSet("property_services_jointmeeting", url_prefix="property_services/jointmeeting"),
        DecisionViewSet("property_services_jointmeetingdecision", url_prefix="property_services/jointmeetingdecision"),
        NoticeViewSet("property_services_notice", url_prefix="property_services/notice"),
    )
