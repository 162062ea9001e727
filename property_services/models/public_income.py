"""The owners' public income: costs the manager claims against it, each with its evidence; the
statement of a period; and the allocation of what it holds as the owners decided.

Income from common parts is the owners' (Civil Code Art. 282), less the reasonable costs of earning
it; the manager claiming a cost bears the burden of proving it, so a cost is charged only with its
document: one recorded without it waits for it and counts nowhere until then
(property_services.services.public_income).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.uploads import validate_pdf
from estates.models import Estate, Unit
from estates.status import StatusChange, StatusFlow, register_flow


class CostStatus(models.TextChoices):
    AWAITING_EVIDENCE = "awaiting_evidence", _("Awaiting evidence")
    CLAIMED = "claimed", _("Claimed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: A cost recorded without its document waits for it; attaching the document claims it (posted to the
#: ledger, counted in the statement); a proposal never evidenced may be withdrawn. A claimed cost is final.
COST_TRANSITIONS: dict[str, frozenset[str]] = {
    CostStatus.AWAITING_EVIDENCE: frozenset({CostStatus.CLAIMED, CostStatus.WITHDRAWN}),
    CostStatus.CLAIMED: frozenset(),
    CostStatus.WITHDRAWN: frozenset(),
}


class PublicIncomeCost(models.Model):
    """A cost the manager charges to the owners' public income, with the document that proves it.

    Until its document is attached it only awaits it: not in the ledger, not in any statement.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="public_income_costs", verbose_name=_("estate"))
    incurred_on = models.DateField(_("incurred on"))
    description = models.CharField(_("what for"), max_length=200)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    evidence = models.FileField(
        _("evidence (PDF)"),
        upload_to="public_income/evidence/%Y/",
        validators=[validate_pdf],
        blank=True,
        help_text=_("The invoice, contract or receipt that proves the cost."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CostStatus.choices, default=CostStatus.AWAITING_EVIDENCE, db_index=True
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("claimed by")
    )
    # When the cost was posted to the ledger: the statement counts it in the period of this moment.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("public income cost")
        verbose_name_plural = _("public income costs")
        ordering = ["estate", "-incurred_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="public_income_cost_positive"),
            # The burden of proof (SPC interpretation Arts. 13-14): no claimed cost without its document.
            models.CheckConstraint(
                condition=~Q(status=CostStatus.CLAIMED) | (~Q(evidence="") & Q(claimed_at__isnull=False)),
                name="public_income_cost_claimed_with_evidence",
            ),
        ]

    def __str__(self):
        return f"{self.incurred_on} {self.description}"


class PublicIncomeCostStatusChange(StatusChange):
    estate_scope_path = "cost__estate_id"

    cost = models.ForeignKey(PublicIncomeCost, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("cost"))
    from_status = models.CharField(_("from status"), max_length=20, choices=CostStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=CostStatus.choices)

    class Meta:
        ordering = ["cost", "at", "pk"]
        verbose_name = _("public income cost status change")
        verbose_name_plural = _("public income cost status changes")


register_flow(
    StatusFlow(
        model=PublicIncomeCost,
        history=PublicIncomeCostStatusChange,
        subject="cost",
        transitions=COST_TRANSITIONS,
        noun_zh="公共收益支出",
        noun_en="public income cost",
        choices=CostStatus,
    )
)


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


#: A statement is drafted (and may be drafted again with newer figures), approved by the owners'
#: committee (or the sub-district office where there is none), then published as a notice with its PDF.
STATEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    StatementStatus.DRAFT: frozenset({StatementStatus.APPROVED}),
    StatementStatus.APPROVED: frozenset({StatementStatus.PUBLISHED}),
    StatementStatus.PUBLISHED: frozenset(),
}


class PublicIncomeStatement(models.Model):
    """The disclosure (公示) of an estate's public income for a period, its figures frozen when drafted."""

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="public_income_statements", verbose_name=_("estate")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    opening = models.DecimalField(_("opening balance (CNY)"), max_digits=14, decimal_places=2)
    income_total = models.DecimalField(_("income (CNY)"), max_digits=14, decimal_places=2)
    costs_total = models.DecimalField(_("costs (CNY)"), max_digits=14, decimal_places=2)
    closing = models.DecimalField(_("closing balance (CNY)"), max_digits=14, decimal_places=2)
    lines = models.JSONField(_("lines"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=StatementStatus.choices, default=StatementStatus.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("public income statement")
        verbose_name_plural = _("public income statements")
        ordering = ["estate", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "starts_on", "ends_on"], name="statement_once_per_period"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="statement_period_valid"),
        ]

    def __str__(self):
        return f"{self.estate} {self.starts_on}–{self.ends_on}"

    @property
    def allocated(self):
        """What was allocated of the closing balance as the owners decided (0 before any allocation)."""
        try:
            return self.allocation.amount
        except PublicIncomeAllocation.DoesNotExist:
            return Decimal("0.00")

    @property
    def balance(self):
        """The balance after the allocation: what the owners' public-income account carries forward."""
        return self.closing - self.allocated


class PublicIncomeStatementStatusChange(StatusChange):
    estate_scope_path = "statement__estate_id"

    statement = models.ForeignKey(
        PublicIncomeStatement, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("statement")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=StatementStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=StatementStatus.choices)

    class Meta:
        ordering = ["statement", "at", "pk"]
        verbose_name = _("public income statement status change")
        verbose_name_plural = _("public income statement status changes")


register_flow(
    StatusFlow(
        model=PublicIncomeStatement,
        history=PublicIncomeStatementStatusChange,
        subject="statement",
        transitions=STATEMENT_TRANSITIONS,
        noun_zh="公共收益公示",
        noun_en="public income statement",
        choices=StatementStatus,
    )
)


# --- the allocation of what the account holds (Civil Code Arts. 282-283; 物业管理条例 Art. 54) ----------


class AllocationKind(models.TextChoices):
    MAINTENANCE_FUND = "maintenance_fund", _("Into the maintenance fund")
    NAMED_USE = "named_use", _("A named use")
    SHARED_TO_OWNERS = "shared_to_owners", _("Shared to the owners")


class PublicIncomeAllocation(models.Model):
    """How the balance of an approved statement was allocated as the owners decided, in parts."""

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="public_income_allocations", verbose_name=_("estate")
    )
    statement = models.OneToOneField(
        PublicIncomeStatement, on_delete=models.PROTECT, related_name="allocation", verbose_name=_("statement")
    )
    amount = models.DecimalField(_("amount allocated (CNY)"), max_digits=14, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("public income allocation")
        verbose_name_plural = _("public income allocations")
        ordering = ["estate", "-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive")]

    def __str__(self):
        return f"{self.statement} ¥{self.amount}"


class PublicIncomeAllocationPart(models.Model):
    """One part of an allocation: into the fund, a named use, or shared to the owners; with the resolution
    that decided it (into the fund needs none: 物业管理条例 Art. 54 para. 3 makes it the rule)."""

    estate_scope_path = "allocation__estate_id"

    allocation = models.ForeignKey(
        PublicIncomeAllocation, on_delete=models.CASCADE, related_name="parts", verbose_name=_("allocation")
    )
    kind = models.CharField(_("allocated to"), max_length=20, choices=AllocationKind.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    description = models.CharField(_("use"), max_length=200, blank=True)
    resolution = models.ForeignKey(
        "property_services.AssemblyMatter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="public_income_allocations",
        verbose_name=_("deciding resolution"),
    )

    class Meta:
        verbose_name = _("part of a public income allocation")
        verbose_name_plural = _("parts of public income allocations")
        ordering = ["allocation", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_part_positive"),
            models.CheckConstraint(
                condition=Q(kind=AllocationKind.MAINTENANCE_FUND) | Q(resolution__isnull=False),
                name="allocation_part_decided",
            ),
            models.CheckConstraint(
                condition=~Q(kind=AllocationKind.NAMED_USE) | ~Q(description=""), name="allocation_named_use_named"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ¥{self.amount}"


class PublicIncomeAllocationShare(models.Model):
    """What one unit gets of a part credited unit by unit (into its fund account, or payable to its owners),
    by exclusive area to the fen (Civil Code Art. 283)."""

    estate_scope_path = "part__allocation__estate_id"

    part = models.ForeignKey(PublicIncomeAllocationPart, on_delete=models.CASCADE, related_name="shares", verbose_name=_("part"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="public_income_shares", verbose_name=_("unit"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("unit's share of a public income allocation")
        verbose_name_plural = _("units' shares of public income allocations")
        ordering = ["part", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["part", "unit"], name="allocation_share_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="allocation_share_non_negative"),
        ]

    def __str__(self):
        return f"{self.part_id}/{self.unit_id}"
