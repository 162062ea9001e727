"""Joint meetings (联席会议, seed policy 三(二)4): who took part and the decisions tracked until done."""

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from estates.models import Estate
from estates.status import StatusChange, StatusFlow, register_flow


class OrganisationKind(models.TextChoices):
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PROVIDER = "provider", _("Property service provider")
    PROPERTY_RIGHTS_UNIT = "property_rights_unit", _("Property-rights unit")
    UTILITY = "utility", _("Utility company")
    SUBDISTRICT_OFFICE = "subdistrict_office", _("Sub-district office")
    OTHER = "other", _("Other")


class JointMeeting(ClusterableModel):
    """A joint meeting of the residents' committee, owners' committee, provider and others, with its decisions."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="joint_meetings", verbose_name=_("estate"))
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"))
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_pdf = models.FileField(_("minutes (PDF)"), upload_to="joint-meetings/%Y/", blank=True, editable=False)
    summary_published_at = models.DateTimeField(_("summary published at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")

    def __str__(self):
        return self.title


class JointMeetingParticipant(models.Model):
    """An organisation that took part in a joint meeting, and who represented it."""

    estate_scope_path = "meeting__estate_id"

    meeting = ParentalKey(JointMeeting, on_delete=models.CASCADE, related_name="participants")
    organisation_kind = models.CharField(_("organisation"), max_length=30, choices=OrganisationKind.choices)
    organisation_name = models.CharField(_("organisation name"), max_length=150)
    representative = models.CharField(_("represented by"), max_length=100, blank=True)

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("participating organisation")
        verbose_name_plural = _("participating organisations")

    def __str__(self):
        return self.organisation_name


class DecisionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


#: The one transition table of a decision; ``estates.status.transition`` applies it.
DECISION_TRANSITIONS: dict[str, frozenset[str]] = {
    DecisionStatus.OPEN: frozenset({DecisionStatus.DONE}),
    DecisionStatus.DONE: frozenset({DecisionStatus.OPEN}),
}


class JointMeetingDecision(models.Model):
    """What the meeting decided, who carries it out and by when; tracked until done."""

    estate_scope_path = "meeting__estate_id"

    meeting = ParentalKey(JointMeeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("joint meeting"))
    text = models.TextField(_("decision"))
    owner_kind = models.CharField(_("carried out by"), max_length=30, choices=OrganisationKind.choices)
    owner_name = models.CharField(_("organisation name"), max_length=150)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.OPEN, editable=False
    )
    done_on = models.DateField(_("done on"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("joint meeting decision")
        verbose_name_plural = _("joint meeting decisions")
        indexes = [models.Index(fields=["status", "due_on"], name="decision_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", done_on__isnull=True) | Q(status="done", done_on__isnull=False),
                name="decision_done_on_matches_status",
            ),
        ]

    def __str__(self):
        return self.text[:60]

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        return self.status == DecisionStatus.OPEN and self.due_on < (on or timezone.localdate())


class DecisionStatusChange(StatusChange):
    """History of a decision's status."""

    estate_scope_path = "decision__meeting__estate_id"

    decision = models.ForeignKey(
        JointMeetingDecision, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("decision")
    )
    from_status = models.CharField(_("from status"), max_length=10, choices=DecisionStatus.choices)
    to_status = models.CharField(_("to status"), max_length=10, choices=DecisionStatus.choices)

    class Meta:
        ordering = ["decision", "at", "pk"]
        verbose_name = _("decision status change")
        verbose_name_plural = _("decision status changes")


register_flow(
    StatusFlow(
        model=JointMeetingDecision,
        history=DecisionStatusChange,
        subject="decision",
        transitions=DECISION_TRANSITIONS,
        noun_zh="决定事项",
        noun_en="decision",
        choices=DecisionStatus,
    )
)
