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
