"""Owners' requests to inspect a record of their estate (查阅), and the manager's answer.

An owner may ask the manager to make public and let them inspect the records of the fund's raising
and use, the owners' decisions, the service contract and the use of and income from the common parts
(SPC interpretation on building ownership Art. 13; Civil Code Art. 943: the manager discloses them
regularly). A request names one record — a published public income statement (with its costs'
evidence), a lease of a common part, a use of the maintenance fund — and is answered within the time
limit: arranged (a date and place, or a copy) or refused for one of the few reasons the right to know
leaves; then done once the owner has inspected it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.uploads import validate_pdf
from estates.models import Estate, Owner
from estates.status import StatusChange, StatusFlow, register_flow


class InspectionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ARRANGED = "arranged", _("Arranged")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


#: A request is arranged (a date and place, or a copy) or refused with its reason; an arranged one is
#: done once the owner has inspected the record. Refused and done are final (the owner may ask again).
INSPECTION_TRANSITIONS: dict[str, frozenset[str]] = {
    InspectionStatus.REQUESTED: frozenset({InspectionStatus.ARRANGED, InspectionStatus.REFUSED}),
    InspectionStatus.ARRANGED: frozenset({InspectionStatus.DONE}),
    InspectionStatus.DONE: frozenset(),
    InspectionStatus.REFUSED: frozenset(),
}


class RefusalReason(models.TextChoices):
    """The only grounds on which a request is refused. The owners' right to know is the rule: a record that
    shows other people's personal data is shown with that data masked, never refused for it."""

    NOT_HELD = "not_held", _("The manager does not hold this record (the answer says who does)")
    ALREADY_PROVIDED = "already_provided", _("The same record was already provided to this owner (the answer says when)")


def _copy_path(instance, filename: str) -> str:
    # A name nobody can guess: the copy is the asking owner's, served only through the portal.
    return f"inspection/copies/{timezone.now():%Y}/{uuid.uuid4().hex}.pdf"


class InspectionRequest(models.Model):
    """An owner's request to inspect one record of their estate, and the manager's answer."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="inspection_requests", verbose_name=_("estate"))
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="inspection_requests", verbose_name=_("owner"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("asked by")
    )
    statement = models.ForeignKey(
        "property_services.PublicIncomeStatement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_requests",
        verbose_name=_("public income statement"),
    )
    lease = models.ForeignKey(
        "property_services.CommonPartLease",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_requests",
        verbose_name=_("lease of a common part"),
    )
    fund_use = models.ForeignKey(
        "property_services.MaintenanceFundUse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_requests",
        verbose_name=_("maintenance fund use"),
    )
    message = models.TextField(_("message"), max_length=1000, blank=True)
    preferred_on = models.DateField(_("preferred date"), null=True, blank=True)
    asked_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    answer_due_on = models.DateField(_("answer due on"))
    status = models.CharField(
        _("status"), max_length=20, choices=InspectionStatus.choices, default=InspectionStatus.REQUESTED, editable=False
    )
    arranged_on = models.DateField(_("inspection date"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    copy = models.FileField(_("copy (PDF)"), upload_to=_copy_path, blank=True, validators=[validate_pdf])
    refusal_reason = models.CharField(_("reason for refusal"), max_length=30, choices=RefusalReason.choices, blank=True)
    answer = models.TextField(_("answer"), max_length=1000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("request to inspect a record")
        verbose_name_plural = _("requests to inspect records")
        ordering = ["-asked_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(statement__isnull=False, lease__isnull=True, fund_use__isnull=True)
                | Q(statement__isnull=True, lease__isnull=False, fund_use__isnull=True)
                | Q(statement__isnull=True, lease__isnull=True, fund_use__isnull=False),
                name="inspection_one_record",
            ),
            models.CheckConstraint(
                condition=~Q(status=InspectionStatus.REFUSED) | (~Q(refusal_reason="") & ~Q(answer="")),
                name="inspection_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[InspectionStatus.ARRANGED, InspectionStatus.DONE])
                | (Q(arranged_on__isnull=False) & ~Q(place=""))
                | ~Q(copy=""),
                name="inspection_arranged_has_date_place_or_copy",
            ),
        ]
        indexes = [models.Index(fields=["estate", "status", "answer_due_on"], name="inspection_due")]

    def __str__(self):
        return f"{self.record_label} · {self.asked_at:%Y-%m-%d}" if self.asked_at else self.record_label

    @property
    def record(self) -> models.Model:
        return self.statement or self.lease or self.fund_use

    @property
    def record_label(self) -> str:
        """What the owner asked to inspect, without anyone's personal data (no lessee, no names)."""
        return record_label(self.record)

    def is_overdue(self, on=None) -> bool:
        """Still unanswered after its answer date."""
        on = on or timezone.localdate()
        return self.status == InspectionStatus.REQUESTED and self.answer_due_on < on


def record_label(record) -> str:
    """A record as owners and staff name it: "公共收益公示 2026-10-01–2026-12-31", "租约 S-01 …", "维修资金使用 …"."""
    from .fund import MaintenanceFundUse
    from .parking import CommonPartLease
    from .public_income import PublicIncomeStatement

    if isinstance(record, PublicIncomeStatement):
        return _("Public income statement %(start)s – %(end)s") % {
            "start": f"{record.starts_on:%Y-%m-%d}",
            "end": f"{record.ends_on:%Y-%m-%d}",
        }
    if isinstance(record, CommonPartLease):
        return _("Lease of %(asset)s, %(start)s – %(end)s") % {
            "asset": str(record.asset),
            "start": f"{record.starts_on:%Y-%m-%d}",
            "end": f"{record.ends_on:%Y-%m-%d}",
        }
    if isinstance(record, MaintenanceFundUse):
        return _("Maintenance fund use: %(title)s (%(day)s)") % {"title": record.title, "day": f"{record.used_on:%Y-%m-%d}"}
    return str(record)


class InspectionRequestStatusChange(StatusChange):
    estate_scope_path = "request__estate_id"

    request = models.ForeignKey(
        InspectionRequest, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("request")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=InspectionStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=InspectionStatus.choices)

    class Meta:
        ordering = ["request", "at", "pk"]
        verbose_name = _("inspection request status change")
        verbose_name_plural = _("inspection request status changes")


register_flow(
    StatusFlow(
        model=InspectionRequest,
        history=InspectionRequestStatusChange,
        subject="request",
        transitions=INSPECTION_TRANSITIONS,
        noun_zh="查阅申请",
        noun_en="request to inspect a record",
        choices=InspectionStatus,
    )
)
