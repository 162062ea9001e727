"""Owners' monthly statements and payouts for entrusted flats.

Agency (the owner is the lessor): the tenant's rent is paid straight to the owner's payee (Anju never holds it,
住房租赁条例 Arts. 25, 36); the month's statement shows the rent collected, the operator's commission and the
renovation instalment, and what the owner keeps; commission and instalment are billed to the owner.

Sublet (包租, the operator is the lessor): the owner is owed the guaranteed rent for every month after the
rent-free period, let or not; each month's payout is due no later than the tenant's rent that funds it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estates.models import Estate
from estates.status import StatusChange, StatusFlow, register_flow

from .entrustments import EntrustmentAgreement


class OwnerStatement(models.Model):
    """One month of one agreement, computed from the bills and the agreement (never typed in)."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="owner_statements", verbose_name=_("estate"))
    agreement = models.ForeignKey(
        EntrustmentAgreement, on_delete=models.PROTECT, related_name="statements", verbose_name=_("entrustment agreement")
    )
    period = models.DateField(_("month"), help_text=_("First day of the month."))
    mode = models.CharField(_("mode"), max_length=20)
    rent_collected = models.DecimalField(_("rent collected (CNY)"), max_digits=12, decimal_places=2, default=0)
    commission = models.DecimalField(_("commission (CNY)"), max_digits=12, decimal_places=2, default=0)
    recovery = models.DecimalField(_("renovation recovery (CNY)"), max_digits=12, decimal_places=2, default=0)
    guaranteed_rent = models.DecimalField(_("guaranteed rent (CNY)"), max_digits=12, decimal_places=2, default=0)
    payout = models.DecimalField(_("payout to the owner (CNY)"), max_digits=12, decimal_places=2, default=0)
    unrecovered_after = models.DecimalField(
        _("renovation cost still to recover (CNY)"), max_digits=12, decimal_places=2, default=0
    )
    # Agency: the owner's bill for the commission and the instalment (billing.Invoice), when there is one.
    owner_invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("bill to the owner")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("owner's statement")
        verbose_name_plural = _("owners' statements")
        ordering = ["agreement", "-period"]
        constraints = [models.UniqueConstraint(fields=["agreement", "period"], name="owner_statement_once_per_month")]

    def __str__(self):
        return f"{self.agreement_id} · {self.period:%Y-%m}"


class PayoutStatus(models.TextChoices):
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")


#: due → paid (recorded once, with the transfer's reference).
PAYOUT_TRANSITIONS: dict[str, frozenset[str]] = {PayoutStatus.DUE: frozenset({PayoutStatus.PAID}), PayoutStatus.PAID: frozenset()}


class OwnerPayout(models.Model):
    """Money owed to the owner for a month and its payment to the owner's payee."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="owner_payouts", verbose_name=_("estate"))
    agreement = models.ForeignKey(
        EntrustmentAgreement, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("entrustment agreement")
    )
    statement = models.OneToOneField(
        OwnerStatement, on_delete=models.PROTECT, null=True, blank=True, related_name="payout_record", verbose_name=_("statement")
    )
    period = models.DateField(_("month"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    payee = models.ForeignKey("billing.Payee", on_delete=models.PROTECT, related_name="+", verbose_name=_("paid to"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.DUE, editable=False)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )

    class Meta:
        verbose_name = _("payout to an owner")
        verbose_name_plural = _("payouts to owners")
        ordering = ["agreement", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "period"], name="owner_payout_once_per_month"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="owner_payout_positive"),
            models.CheckConstraint(
                condition=Q(status="due", paid_on__isnull=True) | Q(status="paid", paid_on__isnull=False),
                name="owner_payout_paid_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.agreement_id} · {self.period:%Y-%m} · {self.amount}"


class OwnerPayoutStatusChange(StatusChange):
    estate_scope_path = "payout__estate_id"

    payout = models.ForeignKey(OwnerPayout, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("payout"))
    from_status = models.CharField(_("from status"), max_length=10, choices=PayoutStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=10, choices=PayoutStatus.choices)

    class Meta:
        ordering = ["payout", "at", "pk"]
        verbose_name = _("payout status change")
        verbose_name_plural = _("payout status changes")


register_flow(
    StatusFlow(
        model=OwnerPayout,
        history=OwnerPayoutStatusChange,
        subject="payout",
        transitions=PAYOUT_TRANSITIONS,
        noun_zh="业主付款",
        noun_en="payout to an owner",
        choices=PayoutStatus,
    )
)
