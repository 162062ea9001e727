"""Uses of the owners' maintenance fund (专项维修资金), borne unit by unit by exclusive area.

The fund is the owners' (Civil Code Art. 281): it is used for repairs of common parts as the owners
decide (Art. 278 item (5): more than half of the participating area and owners), or, in an emergency
that endangers safety, on the application of the owners' committee without a vote (Art. 281 para. 2).
Each use is charged to the units that bear it in proportion to their exclusive area.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estates.models import Building, Estate, Unit


class MaintenanceFundUse(models.Model):
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="fund_uses", verbose_name=_("estate"))
    title = models.CharField(_("repair"), max_length=200)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fund_uses",
        verbose_name=_("building bearing it"),
        help_text=_("Empty: every unit of the estate bears it."),
    )
    resolution = models.ForeignKey(
        "property_services.AssemblyMatter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fund_uses",
        verbose_name=_("approving resolution (Art. 278 item 5)"),
    )
    emergency_reason = models.CharField(
        _("emergency (Art. 281 para. 2)"),
        max_length=300,
        blank=True,
        help_text=_("Only for an urgent repair that endangers safety, applied for by the owners' committee."),
    )
    used_on = models.DateField(_("used on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("maintenance fund use")
        verbose_name_plural = _("maintenance fund uses")
        ordering = ["estate", "-used_on"]
        # Civil Code Art. 281: the fund's use is published (公示); a permission of its own, since a recorded
        # use is never changed.
        permissions = [("publish_maintenancefunduse", "Can publish a maintenance fund use")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_use_positive"),
            models.CheckConstraint(
                condition=Q(resolution__isnull=False) | ~Q(emergency_reason=""), name="fund_use_resolution_or_emergency"
            ),
        ]

    def __str__(self):
        return f"{self.used_on} {self.title}"


class MaintenanceFundUseShare(models.Model):
    """What one unit bears of a use (its exclusive area's share, to the fen)."""

    estate_scope_path = "use__estate_id"

    use = models.ForeignKey(MaintenanceFundUse, on_delete=models.CASCADE, related_name="shares", verbose_name=_("use"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="fund_use_shares", verbose_name=_("unit"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("unit's share of a fund use")
        verbose_name_plural = _("units' shares of fund uses")
        constraints = [
            models.UniqueConstraint(fields=["use", "unit"], name="fund_use_share_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fund_use_share_non_negative"),
        ]

    def __str__(self):
        return f"{self.use_id}/{self.unit_id}"
