"""Entrustment (存房): an owner entrusts a vacant flat to the estate's operator to be let.

The owner applies in the portal; staff survey the flat (its condition, photos, a rent estimate) and offer an
agreement in one of two modes; the owner accepts or declines it online. The agreement holds its terms: the
mode, the term (1–10 years), a rent-free period for renovation, the renovation budget with the schedule by
which it is recovered from rent, and the notice period for an early return.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estates.models import Estate, Owner, Unit
from estates.status import StatusChange, StatusFlow, register_flow

#: The agreement's term in whole years (the 存房 deal: 1–10 years).
MIN_TERM_YEARS = 1
MAX_TERM_YEARS = 10


class EntrustmentStatus(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("entrustment", "Applied")
    SURVEYED = "surveyed", _("Surveyed")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", pgettext_lazy("entrustment", "Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: applied → surveyed → offered → accepted | declined; the owner withdraws before accepting.
ENTRUSTMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    EntrustmentStatus.APPLIED: frozenset({EntrustmentStatus.SURVEYED, EntrustmentStatus.WITHDRAWN}),
    EntrustmentStatus.SURVEYED: frozenset({EntrustmentStatus.OFFERED, EntrustmentStatus.WITHDRAWN}),
    EntrustmentStatus.OFFERED: frozenset({EntrustmentStatus.ACCEPTED, EntrustmentStatus.DECLINED, EntrustmentStatus.WITHDRAWN}),
    EntrustmentStatus.ACCEPTED: frozenset(),
    EntrustmentStatus.DECLINED: frozenset(),
    EntrustmentStatus.WITHDRAWN: frozenset(),
}
OPEN_ENTRUSTMENT_STATUSES = (EntrustmentStatus.APPLIED, EntrustmentStatus.SURVEYED, EntrustmentStatus.OFFERED)


class Entrustment(models.Model):
    """An owner's application to entrust a vacant flat, its survey by the estate's staff and the answer to the
    offer."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="entrustments", verbose_name=_("estate"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="entrustments", verbose_name=_("flat"))
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="entrustments", verbose_name=_("owner"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entrustments", verbose_name=_("applied by")
    )
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    vacant_from = models.DateField(_("vacant from"))
    owner_note = models.TextField(_("owner's note"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=EntrustmentStatus.choices, default=EntrustmentStatus.APPLIED, editable=False
    )
    condition = models.TextField(_("condition"), max_length=2000, blank=True)
    rent_estimate = models.DecimalField(
        _("monthly rent estimate (CNY)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    surveyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("surveyed by")
    )
    surveyed_at = models.DateTimeField(_("surveyed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("entrustment")
        verbose_name_plural = _("entrustments")
        ordering = ["-applied_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(status__in=["applied", "surveyed", "offered"]),
                name="entrustment_one_open_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(rent_estimate__isnull=True) | Q(rent_estimate__gte=0), name="entrustment_estimate_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.unit.key} · {self.get_status_display()}"


def _photo_path(instance, filename: str) -> str:
    # Photos of people's homes: a name nobody can guess, served only through the portal and back office.
    return f"rentals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class EntrustmentPhoto(models.Model):
    """A photo taken at the survey (checked as an image by its content)."""

    estate_scope_path = "entrustment__estate_id"

    entrustment = models.ForeignKey(Entrustment, on_delete=models.CASCADE, related_name="photos", verbose_name=_("entrustment"))
    image = models.FileField(_("photo"), upload_to=_photo_path)
    content_type = models.CharField(max_length=30, editable=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey photo")
        verbose_name_plural = _("survey photos")
        ordering = ["entrustment", "pk"]

    def __str__(self):
        return f"{self.entrustment_id} #{self.pk}"


class EntrustmentStatusChange(StatusChange):
    estate_scope_path = "entrustment__estate_id"

    entrustment = models.ForeignKey(
        Entrustment, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("entrustment")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=EntrustmentStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=EntrustmentStatus.choices)

    class Meta:
        ordering = ["entrustment", "at", "pk"]
        verbose_name = _("entrustment status change")
        verbose_name_plural = _("entrustment status changes")


class AgreementMode(models.TextChoices):
    AGENCY = "agency", _("Agency (the owner is the lessor; commission)")
    SUBLET = "sublet", _("Sublet with guaranteed rent (the operator is the lessor)")


class AgreementStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Not concluded")
    ENDED = "ended", _("Ended")
    RETURNED_EARLY = "returned_early", _("Returned early")


#: offered → active (the owner accepts) | cancelled (declined or withdrawn); active → ended | returned early.
AGREEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AgreementStatus.OFFERED: frozenset({AgreementStatus.ACTIVE, AgreementStatus.CANCELLED}),
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.ENDED, AgreementStatus.RETURNED_EARLY}),
    AgreementStatus.CANCELLED: frozenset(),
    AgreementStatus.ENDED: frozenset(),
    AgreementStatus.RETURNED_EARLY: frozenset(),
}


class EntrustmentAgreement(models.Model):
    """The entrustment agreement (存房协议) offered to the owner and, once accepted, in force.

    Agency: the owner is the lessor of record, rent goes to the owner's payee and the operator takes
    ``commission_percent``. Sublet (包租): the operator is the lessor and pays the owner ``guaranteed_rent``
    every month whether the flat is let or not. ``recovery_schedule`` is the agreed recovery of the
    renovation budget from rent: a list of ``[month index, "amount"]`` (month 1 is the first month of the
    term) summing exactly to ``renovation_budget``; an early return repays what is not yet recovered
    (``rentals.recovery.unrecovered``).
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="entrustment_agreements", verbose_name=_("estate"))
    entrustment = models.OneToOneField(
        Entrustment, on_delete=models.PROTECT, related_name="agreement", verbose_name=_("entrustment")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="entrustment_agreements", verbose_name=_("flat"))
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="entrustment_agreements", verbose_name=_("owner"))
    number = models.CharField(_("number"), max_length=30, unique=True)
    mode = models.CharField(_("mode"), max_length=20, choices=AgreementMode.choices)
    start_on = models.DateField(_("term starts"))
    term_years = models.PositiveSmallIntegerField(
        _("term (years)"), validators=[MinValueValidator(MIN_TERM_YEARS), MaxValueValidator(MAX_TERM_YEARS)]
    )
    end_on = models.DateField(_("term ends"))
    rent_free_months = models.PositiveSmallIntegerField(_("rent-free months for renovation"), default=0)
    commission_percent = models.DecimalField(
        _("commission (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    guaranteed_rent = models.DecimalField(
        _("guaranteed monthly rent to the owner (CNY)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    owner_payee = models.ForeignKey(
        "billing.Payee", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("owner's payee")
    )
    # The operator's payee: in the sublet mode it receives the rent and must be a supervised account
    # (住房租赁条例 Art. 19); in the agency mode it receives the owner's commission and renovation instalments.
    operator_payee = models.ForeignKey(
        "billing.Payee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operator's payee"),
    )
    renovation_budget = models.DecimalField(_("renovation budget (CNY)"), max_digits=12, decimal_places=2, default=0)
    recovery_schedule = models.JSONField(_("renovation recovery schedule"), default=list, blank=True)
    notice_days = models.PositiveSmallIntegerField(_("notice for an early return (days)"), default=30)
    status = models.CharField(
        _("status"), max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.OFFERED, editable=False
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("offered by")
    )
    offered_at = models.DateTimeField(_("offered at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    repaid_on_return = models.DecimalField(
        _("renovation cost repaid on early return (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("entrustment agreement")
        verbose_name_plural = _("entrustment agreements")
        ordering = ["-offered_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(term_years__gte=1, term_years__lte=10), name="agreement_term_1_to_10_years"),
            models.CheckConstraint(condition=Q(end_on__gt=models.F("start_on")), name="agreement_end_after_start"),
            models.CheckConstraint(condition=Q(renovation_budget__gte=0), name="agreement_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(mode="agency", commission_percent__gte=0, commission_percent__lt=100, guaranteed_rent__isnull=True)
                | Q(mode="sublet", guaranteed_rent__gt=0, commission_percent__isnull=True),
                name="agreement_terms_match_mode",
            ),
            models.UniqueConstraint(fields=["unit"], condition=Q(status="active"), name="agreement_one_active_per_unit"),
        ]

    def __str__(self):
        return f"{self.number} · {self.unit.key}"


class AgreementStatusChange(StatusChange):
    estate_scope_path = "agreement__estate_id"

    agreement = models.ForeignKey(
        EntrustmentAgreement, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("agreement")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=AgreementStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=AgreementStatus.choices)

    class Meta:
        ordering = ["agreement", "at", "pk"]
        verbose_name = _("agreement status change")
        verbose_name_plural = _("agreement status changes")


register_flow(
    StatusFlow(
        model=Entrustment,
        history=EntrustmentStatusChange,
        subject="entrustment",
        transitions=ENTRUSTMENT_TRANSITIONS,
        noun_zh="存房申请",
        noun_en="entrustment",
        choices=EntrustmentStatus,
    )
)
register_flow(
    StatusFlow(
        model=EntrustmentAgreement,
        history=AgreementStatusChange,
        subject="agreement",
        transitions=AGREEMENT_TRANSITIONS,
        noun_zh="存房协议",
        noun_en="entrustment agreement",
        choices=AgreementStatus,
    )
)
