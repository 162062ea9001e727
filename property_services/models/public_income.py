"""The owners' public income: costs the manager claims against it, each with its evidence.

Income from common parts is the owners' (Civil Code Art. 282), less the reasonable costs of earning
it; the manager claiming a cost bears the burden of proving it, so a cost without a document is
refused (property_services.services.public_income).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.uploads import validate_pdf
from estates.models import Estate
from estates.status import StatusChange, StatusFlow, register_flow


class PublicIncomeCost(models.Model):
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="public_income_costs", verbose_name=_("estate"))
    incurred_on = models.DateField(_("incurred on"))
    description = models.CharField(_("what for"), max_length=200)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    evidence = models.FileField(
        _("evidence (PDF)"),
        upload_to="public_income/evidence/%Y/",
        validators=[validate_pdf],
        help_text=_("The invoice, contract or receipt that proves the cost."),
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("claimed by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("public income cost")
        verbose_name_plural = _("public income costs")
        ordering = ["estate", "-incurred_on"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="public_income_cost_positive")]

    def __str__(self):
        return f"{self.incurred_on} {self.description}"


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
