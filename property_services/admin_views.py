"""Back-office actions and reports: call an assembly, publish its result, publish a joint meeting's
summary, download its minutes, track decisions, and the sub-district officer's management overview.

Every view loads its object through ``estates.selectors.scope_queryset`` first (404 outside the scope), then checks
the permission (403), then calls one service.
"""

from decimal import Decimal
from fractions import Fraction

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import BaseButton, Button, HeaderButton

from accounts.formats import format_instant
from estates.models import ManagementModel, Subdistrict
from estates.selectors import estates_visible_to, scope_queryset

from . import pdf, services, voting
from .forms import CallAssemblyForm, ConfirmForm, DecisionStatusForm
from .models import Assembly, AssemblyStatus, DecisionStatus, JointMeeting, JointMeetingDecision, Notice, NoticeStatus
from .selectors import (
    assembly_tallies,
    conflict_notes,
    management_overview,
    transfer_notes,
    voting_roll,
)


def _url(viewset: str, action: str, pk) -> str:
    return reverse(f"property_services_{viewset}:{action}", args=[pk])


def assembly_action_buttons(
    assembly: Assembly, user, *, powers: services.AssemblyPowers | None = None, row: bool = False, now=None
) -> list[BaseButton]:
    """The "Call assembly" and "Publish result" buttons for the people who run the assembly (``services.AssemblyPowers``).

    Shown outright (not in a "more" menu): on the list's rows (``row``) and in the header of the assembly's
    pages. "Publish result" only once voting has closed (物业管理条例 Art. 14: nothing is counted while
    voting is open; ``services.assembly_result_publish`` refuses too).
    """
    if not user.has_perm("property_services.change_assembly"):
        return []
    if powers is None:
        powers = services.assembly_powers(user=user, estate_ids=[assembly.estate_id])
    now = now or timezone.now()
    button = RowButton if row else HeaderButton
    if assembly.status == AssemblyStatus.DRAFT and powers.may_call(assembly):
        return [
            button(
                _("Call assembly"),
                url=_url("assembly", "call", assembly.pk),
                icon_name="mail",
                attrs={"data-testid": f"call-assembly-{assembly.pk}"},
                priority=5,
            )
        ]
    if assembly.status == AssemblyStatus.CALLED and now >= assembly.voting_closes_at and powers.may_publish(assembly):
        return [
            button(
                _("Publish result"),
                url=_url("assembly", "publish", assembly.pk),
                icon_name="check",
                attrs={"data-testid": f"publish-result-{assembly.pk}"},
                priority=5,
            )
        ]
    return []


class RowButton(BaseButton):
    """A button shown on a list row itself, not folded into the row's "more" menu; text only, and its label
    wraps in the narrow title column of a phone (the back office's policy allows style attributes)."""

    def __init__(self, *args, icon_name=None, attrs=None, **kwargs):
        attrs = {**(attrs or {}), "style": "white-space: normal; height: auto; line-height: 1.4; min-width: 7em"}
        super().__init__(*args, classname="button button-small button-secondary", attrs=attrs, **kwargs)


def assembly_roll_lines(assembly: Assembly) -> list[str]:
    """What staff read about an assembly's voter roll (Civil Code Art. 278; SPC interpretation Arts. 8-9).

    Its scope and totals (stored at the notice, else as the register stands now), the area and heads that
    nobody can vote for (no owner on record, or an organisation without a representative) so that the
    register can be completed before the call, units sold since the notice, and co-owners' conflicting ballots.
    """
    roll = voting_roll(assembly=assembly)
    figures = {
        "scope": assembly.scope_label,
        "units": len(roll.units),
        "area": roll.total_area,
        "owners": roll.total_owners,
    }
    if assembly.roll:
        lines = [
            _("Roll fixed at the notice (%(scope)s): %(units)s units, %(area)s m², %(owners)s owners by headcount.") % figures
        ]
    else:
        lines = [
            _(
                "Roll as the register stands now (%(scope)s): %(units)s units, %(area)s m², %(owners)s owners by "
                "headcount. It is fixed when the assembly is called."
            )
            % figures
        ]
    unvotable = roll.unvotable_units
    lines.append(
        _("Nobody can vote for %(area)s m² (%(owners)s owners by headcount).")
        % {"area": roll.unvotable_area, "owners": roll.unvotable_owners}
    )
    if unvotable:
        lines.append(
            _("Units without anyone able to vote (no owner on record, or an organisation without a representative): %(units)s")
            % {"units": "、".join(u.key for u in unvotable[:30]) + ("…" if len(unvotable) > 30 else "")}
        )
    if assembly.status == AssemblyStatus.PUBLISHED:
        for matter in assembly.matters.all():
            lines.extend(f"{matter.title}: {note}" for note in matter.count_notes.splitlines())
    elif assembly.status == AssemblyStatus.CALLED:
        lines.extend(transfer_notes(roll=roll))
        tallies = assembly_tallies(assembly=assembly, roll=roll)
        for matter in assembly.matters.all():
            lines.extend(f"{matter.title}: {note}" for note in conflict_notes(roll=roll, result=tallies[matter.pk]))
    return lines


def _percent(ratio: Fraction) -> Decimal:
    return (Decimal(ratio.numerator) / Decimal(ratio.denominator) * 100).quantize(Decimal("0.01"))


def _bar(label: str, part, whole, *, threshold: Fraction, strict: bool, figures: str) -> dict:
    """One bar against an Art. 278 threshold: ``strict`` is "more than" (超过), else "at least" (以上, Art. 1259)."""
    ratio = Fraction(part) / Fraction(whole) if whole else Fraction(0)
    met = ratio > threshold if strict else ratio >= threshold
    percent = _percent(ratio)
    sign = ">" if strict else "≥"
    return {
        "label": label,
        "figures": figures,
        "percent": percent,
        "width": f"{min(percent, Decimal(100)):.2f}",
        "mark": f"{_percent(threshold):.2f}",
        "threshold_label": f"{sign} {threshold.numerator}/{threshold.denominator} ({_percent(threshold)}%)",
        "met": met,
    }


def assembly_turnout(assembly: Assembly, *, now=None) -> dict | None:
    """Turnout so far of a called assembly, per matter, against the Civil Code Art. 278 thresholds.

    Participation: owners holding at least 2/3 of the exclusive area and at least 2/3 of the owners by
    headcount of the roll stored at the notice (SPC interpretation Arts. 8-9). Consent so far, among those
    taking part: more than half for ordinary matters, at least 3/4 for matters (6)-(8) (Art. 1259: 以上
    includes the number, 超过 does not). Figures from the ballots recorded until now; the published count
    is made by ``services.assembly_result_publish`` after voting closes.
    """
    if assembly.status != AssemblyStatus.CALLED:
        return None
    now = now or timezone.now()
    roll = voting_roll(assembly=assembly)
    tallies = assembly_tallies(assembly=assembly, roll=roll)
    matters = []
    for matter in assembly.matters.all():
        result = tallies[matter.pk]
        special = result.matter.special
        consent = voting.SPECIAL_CONSENT_THRESHOLD if special else voting.ORDINARY_CONSENT_THRESHOLD
        area, heads = _("Exclusive area"), _("Owners by headcount")
        matters.append(
            {
                "title": matter.title,
                "kind": matter.get_matter_display(),
                "participation_met": result.participation_met,
                "consent_met": result.participation_met and result.consent_met,
                "groups": [],
                "participation": [
                    _bar(
                        area,
                        result.participating_area,
                        result.total_area,
                        threshold=voting.PARTICIPATION_THRESHOLD,
                        strict=False,
                        figures=f"{result.participating_area} / {result.total_area} m²",
                    ),
                    _bar(
                        heads,
                        result.participating_owners,
                        result.total_owners,
                        threshold=voting.PARTICIPATION_THRESHOLD,
                        strict=False,
                        figures=f"{result.participating_owners} / {result.total_owners}",
                    ),
                ],
                "consent": [
                    _bar(
                        area,
                        result.yes_area,
                        result.participating_area,
                        threshold=consent,
                        strict=not special,
                        figures=f"{result.yes_area} / {result.participating_area} m²",
                    ),
                    _bar(
                        heads,
                        result.yes_owners,
                        result.participating_owners,
                        threshold=consent,
                        strict=not special,
                        figures=f"{result.yes_owners} / {result.participating_owners}",
                    ),
                ],
            }
        )
    for matter in matters:
        matter["groups"] = [(_("Taking part"), matter["participation"]), (_("Consent so far"), matter["consent"])]
    opens, closes = assembly.effective_voting_opens_at, assembly.voting_closes_at
    state = "before" if now < opens else ("open" if now < closes else "closed")
    return {
        "state": state,
        "opens": format_instant(opens),
        "closes": format_instant(closes),
        "as_of": format_instant(now),
        "roll_area": roll.total_area,
        "roll_owners": roll.total_owners,
        "matters": matters,
    }


def meeting_action_buttons(meeting: JointMeeting, user) -> list[Button]:
    buttons = [Button(_("Minutes (PDF)"), url=_url("jointmeeting", "minutes", meeting.pk), icon_name="doc-full", priority=6)]
    if user.has_perm("property_services.change_jointmeeting"):
        buttons.append(
            Button(_("Publish summary"), url=_url("jointmeeting", "publish", meeting.pk), icon_name="mail", priority=5)
        )
    return buttons


def decision_action_buttons(decision: JointMeetingDecision, user) -> list[Button]:
    if not user.has_perm("property_services.change_jointmeetingdecision"):
        return []
    to = DecisionStatus.DONE if decision.status == DecisionStatus.OPEN else DecisionStatus.OPEN
    label = _("Mark done") if to == DecisionStatus.DONE else _("Reopen")
    return [Button(label, url=reverse("property_services_jointmeetingdecision:status", args=[decision.pk, to]), priority=5)]


def notice_action_buttons(notice: Notice, user) -> list[Button]:
    """ "Publish" for a draft or withdrawn notice, "Withdraw" for a published one (``services.notice_release``/``notice_withdraw``)."""
    if not user.has_perm("property_services.change_notice"):
        return []
    to = NoticeStatus.WITHDRAWN if notice.status == NoticeStatus.PUBLISHED else NoticeStatus.PUBLISHED
    label = _("Withdraw") if to == NoticeStatus.WITHDRAWN else _("Publish")
    return [
        Button(
            label,
            url=reverse("property_services_notice:status", args=[notice.pk, to]),
            icon_name="doc-full",
            attrs={"data-testid": f"notice-{to}-{notice.pk}"},
            priority=5,
        )
    ]


class ScopedActionView(WagtailAdminTemplateMixin, TemplateView):
    """Loads one object in the user's scope (else 404), checks a permission (else 403), confirms, calls a service."""

    model = None
    permission = ""
    form_class = ConfirmForm
    template_name = "property_services/admin/confirm.html"
    header_icon = "group"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(scope_queryset(self.model.objects.all(), user=request.user), pk=kwargs["pk"])
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self):
        if self.request.method == "POST":
            return self.form_class(self.request.POST, self.request.FILES)
        return self.form_class()

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                self.act(form)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, self.success_message())
                return redirect(self.success_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, explanation=self.explanation(), **kwargs)

    def explanation(self) -> list[str]:
        return []


class AssemblyCallView(ScopedActionView):
    model = Assembly
    permission = "property_services.change_assembly"
    form_class = CallAssemblyForm
    page_title = gettext_lazy("Call assembly")

    def explanation(self):
        a = self.object
        return [
            _("Owners are notified on %(date)s; the meeting is on %(meeting)s (%(days)s days later, at least 15 are required).")
            % {"date": f"{a.notice_on:%Y-%m-%d}", "meeting": f"{a.meeting_on:%Y-%m-%d}", "days": a.notice_days},
            _("The call is published as a notice and the residents' committee of %(community)s is recorded as informed.")
            % {"community": a.estate.community.name},
            # 物业管理条例 Art. 14: no ballot of any channel before day 15 after the notice.
            _("Voting of every channel (online, paper, written consultation, proxy) opens on %(opens)s at the earliest.")
            % {"opens": f"{timezone.localtime(a.voting_earliest_at):%Y-%m-%d}"},
            # Civil Code Art. 277; 物业管理条例 Arts. 10, 13: services.assembly_caller_check.
            _(
                "A serving member of the owners' committee calls the assembly; an estate without a committee in office "
                "holds it under the sub-district office, whose officer calls it."
            ),
            *assembly_roll_lines(a),
        ]

    def act(self, form):
        services.assembly_call(
            assembly=self.object,
            by=self.request.user,
            residents_committee_informed_on=form.cleaned_data.get("residents_committee_informed_on"),
            residents_committee_note=form.cleaned_data.get("residents_committee_note", ""),
        )

    def success_message(self):
        return _("The assembly has been called and the notice published.")

    def success_url(self):
        return _url("assembly", "inspect", self.object.pk)


class AssemblyPublishView(ScopedActionView):
    model = Assembly
    permission = "property_services.change_assembly"
    page_title = gettext_lazy("Publish result")

    def explanation(self):
        closes = timezone.localtime(self.object.voting_closes_at)
        return [
            _(
                "Voting closes at %(closes)s. The ballots are counted by Civil Code Art. 278 and the result is published as a notice with a PDF."
            )
            % {"closes": f"{closes:%Y-%m-%d %H:%M}"},
            _("Ballots recorded so far: %(count)s.") % {"count": self.object.matters.filter(ballots__isnull=False).count()},
        ]

    def act(self, form):
        services.assembly_result_publish(assembly=self.object, by=self.request.user)

    def success_message(self):
        return _("The result has been counted and published.")

    def success_url(self):
        return _url("assembly", "inspect", self.object.pk)


class JointMeetingPublishView(ScopedActionView):
    model = JointMeeting
    permission = "property_services.change_jointmeeting"
    page_title = gettext_lazy("Publish summary")

    def explanation(self):
        return [_("The agenda and decisions are published as a notice; the minutes PDF is attached when it is ready.")]

    def act(self, form):
        services.joint_meeting_summary_publish(meeting=self.object, by=self.request.user)

    def success_message(self):
        return _("The summary has been published.")

    def success_url(self):
        return _url("jointmeeting", "edit", self.object.pk)


class DecisionStatusView(ScopedActionView):
    model = JointMeetingDecision
    permission = "property_services.change_jointmeetingdecision"
    form_class = DecisionStatusForm
    header_icon = "tasks"

    @property
    def page_title(self):
        return _("Mark done") if self.kwargs["to"] == DecisionStatus.DONE else _("Reopen")

    def dispatch(self, request, *args, **kwargs):
        if kwargs.get("to") not in DecisionStatus.values:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def explanation(self):
        d = self.object
        return [f"{d.text} · {d.owner_name} · {d.due_on:%Y-%m-%d}"]

    def act(self, form):
        services.decision_transition(
            decision=self.object, to=self.kwargs["to"], by=self.request.user, note=form.cleaned_data.get("note", "")
        )

    def success_message(self):
        return _("The decision has been updated.")

    def success_url(self):
        return reverse("property_services_jointmeetingdecision:index")


class JointMeetingMinutesView(View):
    """The minutes as a PDF, rendered on request (the published copy is kept on the meeting)."""

    def dispatch(self, request, *args, **kwargs):
        self.meeting = get_object_or_404(
            scope_queryset(JointMeeting.objects.select_related("estate"), user=request.user).prefetch_related(
                "participants", "decisions"
            ),
            pk=kwargs["pk"],
        )
        if not request.user.has_perm("property_services.view_jointmeeting"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        meeting = self.meeting
        response = HttpResponse(pdf.joint_meeting_minutes_pdf(meeting=meeting), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="joint-meeting-{meeting.pk}.pdf"'
        return response


class OverviewFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Estate"), required=False)
    model = forms.ChoiceField(
        label=gettext_lazy("Management model"), required=False, choices=[("", "---------"), *ManagementModel.choices]
    )
    subdistrict = forms.ModelChoiceField(label=gettext_lazy("Sub-district"), required=False, queryset=Subdistrict.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subdistrict"].queryset = Subdistrict.objects.filter(
            pk__in=estates_visible_to(user=user).values("community__subdistrict_id")
        )


class ManagementOverviewView(WagtailAdminTemplateMixin, TemplateView):
    """For every estate in scope: model, provider, contract term, fee standard, and the history of changes with the decision behind each."""

    template_name = "property_services/admin/management_overview.html"
    page_title = gettext_lazy("Management overview")
    header_icon = "clipboard-list"
    per_page = 25

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("property_services.view_managementarrangement"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = OverviewFilterForm(self.request.GET or None, user=self.request.user)
        filters = form.cleaned_data if form.is_valid() else {}
        estates = management_overview(
            user=self.request.user,
            model=filters.get("model") or None,
            subdistrict=filters.get("subdistrict"),
            search=filters.get("q", ""),
        )
        page = Paginator(estates, self.per_page).get_page(self.request.GET.get("p"))
        today = timezone.localdate()
        rows = []
        for estate in page:
            history = estate.arrangement_history
            current = next((a for a in history if a.is_active(today)), None)
            rows.append({"estate": estate, "current": current, "history": history})
        return super().get_context_data(form=form, page=page, rows=rows, today=today, **kwargs)


class NoticeStatusView(ScopedActionView):
    """Publish a draft (or withdrawn) notice, or withdraw a published one: the only way its status changes."""

    model = Notice
    permission = "property_services.change_notice"
    form_class = DecisionStatusForm
    header_icon = "doc-full"

    @property
    def page_title(self):
        return _("Withdraw") if self.kwargs["to"] == NoticeStatus.WITHDRAWN else _("Publish")

    def dispatch(self, request, *args, **kwargs):
        if kwargs.get("to") not in (NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def explanation(self):
        n = self.object
        return [f"{n.get_kind_display()} · {n.display_from:%Y-%m-%d} – {n.display_until:%Y-%m-%d}"]

    def act(self, form):
        note = form.cleaned_data.get("note", "")
        if self.kwargs["to"] == NoticeStatus.WITHDRAWN:
            services.notice_withdraw(notice=self.object, by=self.request.user, note=note)
        else:
            services.notice_release(notice=self.object, by=self.request.user, note=note)

    def success_message(self):
        return _("The notice has been updated.")

    def success_url(self):
        return reverse("property_services_notice:index")
