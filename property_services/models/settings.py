"""An estate's own settings for property services: one row per estate, edited by its staff.

An estate without a row has the defaults (``EstateSettings.for_estate`` answers them without
writing anything).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from estates.models import Estate


class StatementPeriod(models.TextChoices):
    """How often the estate discloses its public income (公示): quarterly unless the estate chose otherwise.

    DOMAIN.md: Chongqing's own rule on the frequency was not found, so it is the estate's setting;
    Hangzhou's regulation discloses half-yearly.
    """

    QUARTER = "quarter", _("Quarterly")
    HALF_YEAR = "half_year", _("Half-yearly")
    YEAR = "year", _("Yearly")


#: The months one disclosure period spans; periods follow the calendar (Jan–Mar, Jan–Jun, Jan–Dec…).
PERIOD_MONTHS: dict[str, int] = {StatementPeriod.QUARTER: 3, StatementPeriod.HALF_YEAR: 6, StatementPeriod.YEAR: 12}


class EstateSettings(models.Model):
    """What an estate decided for how its common parts are run and disclosed (one row per estate)."""

    estate = models.OneToOneField(Estate, on_delete=models.PROTECT, related_name="property_settings", verbose_name=_("estate"))
    statement_period = models.CharField(
        _("public income disclosed"),
        max_length=20,
        choices=StatementPeriod.choices,
        default=StatementPeriod.QUARTER,
        help_text=_("How often the statement of the owners' public income is published (quarterly unless set otherwise)."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("estate settings")
        verbose_name_plural = _("estate settings")
        ordering = ["estate"]

    def __str__(self):
        return str(self.estate)

    @classmethod
    def for_estate(cls, estate: Estate) -> EstateSettings:
        """The estate's settings, or the defaults (unsaved) when it has none."""
        return cls.objects.filter(estate=estate).first() or cls(estate=estate)
