"""The owners' portal parts of property services: the "My assemblies" and property-office sections
of the portal home, and the threshold bars of a published result."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from accounts.portal import PortalSection
from estates.selectors import current_ownerships_of

from .models import AssemblyMatter
from .selectors import assemblies_for_owner, owner_records_of_user, property_offices_of_user


def my_assemblies_section(request):
    # An ownership of a flat today is held through one of the person's owner records.
    if not current_ownerships_of(request) and not owner_records_of_user(user=request.user).exists():
        return None
    assemblies = list(assemblies_for_owner(user=request.user)[:5])
    return PortalSection(
        template="property_services/portal/section.html", context={"title": _("My assemblies"), "assemblies": assemblies}
    )


def property_office_section(request):
    """Portal home and 我的: the property office of each of the owner's estates, with its phone."""
    offices = property_offices_of_user(user=request.user)
    if not offices:
        return None
    return PortalSection(
        template="property_services/portal/contact_section.html", context={"title": _("Property office"), "offices": offices}
    )


@dataclass(frozen=True)
class ThresholdBar:
    """One measure of a counted matter against its legal threshold, for the portal's result table."""

    label: str
    part: Decimal | int
    whole: Decimal | int
    threshold: Fraction
    threshold_label: str
    strict: bool  # "more than" (超过) rather than "at least" (以上), Civil Code Art. 1259

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.part) / Fraction(self.whole) if self.whole else Fraction(0)

    @property
    def met(self) -> bool:
        return self.ratio > self.threshold if self.strict else self.ratio >= self.threshold

    @property
    def percent(self) -> Decimal:
        """Shown to two places; whether the threshold is met is decided on the exact fraction."""
        return (Decimal(self.ratio.numerator) * 100 / Decimal(self.ratio.denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def bar_width(self) -> str:
        return f"{min(self.percent, Decimal(100)):.2f}%"

    @property
    def mark_at(self) -> str:
        return f"{Decimal(self.threshold.numerator) * 100 / Decimal(self.threshold.denominator):.2f}%"


def threshold_bars(matter: AssemblyMatter) -> list[ThresholdBar]:
    """Civil Code Art. 278(2): participation of at least 2/3 of the exclusive area and of the owners;
    consent of at least 3/4 of the participating area and owners for items (6)-(8), more than half
    for the others. Empty until the matter is counted."""
    if not matter.is_counted:
        return []
    two_thirds, three_quarters, half = Fraction(2, 3), Fraction(3, 4), Fraction(1, 2)
    at_least_2_3, at_least_3_4, over_half = _("at least 2/3"), _("at least 3/4"), _("more than 1/2")
    consent, consent_label, strict = (three_quarters, at_least_3_4, False) if matter.is_special else (half, over_half, True)
    return [
        ThresholdBar(
            _("Participation by area"), matter.participating_area or 0, matter.total_area or 0, two_thirds, at_least_2_3, False
        ),
        ThresholdBar(
            _("Participation by owners"),
            matter.participating_owners or 0,
            matter.total_owners or 0,
            two_thirds,
            at_least_2_3,
            False,
        ),
        ThresholdBar(_("Consent by area"), matter.yes_area or 0, matter.participating_area or 0, consent, consent_label, strict),
        ThresholdBar(
            _("Consent by owners"), matter.yes_owners or 0, matter.participating_owners or 0, consent, consent_label, strict
        ),
    ]


def manager_name_of(estate) -> str | None:
    """For billing's payee line: the provider running the estate today, if any (registered in apps.py)."""
    from .selectors import arrangement_in_effect

    arrangement = arrangement_in_effect(estate=estate)
    return arrangement.provider.name if arrangement else None
