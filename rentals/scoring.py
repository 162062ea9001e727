"""The transparent score of a rental application: a pure function returning its parts and their total, the same
parts the applicant sees on the tracking page and staff see in the ranked queue.

Parts (points from ``settings.ANJU_RENTAL_PRIORITY[city]``):
- priority category: the city's weight for the category (new citizens, young people, key workers, none);
- household fit: ``household_fit`` × occupants ÷ the listing's maximum occupants, to the hundredth (a household
  filling the flat uses it best; over the maximum is refused before scoring, 住房租赁条例 Art. 7);
- income band: the band's points (lower income, more points).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

CATEGORY_LABELS = {
    "none": _("None of these"),
    "new_citizen": _("New citizen"),
    "young_people": _("Young people"),
    "key_worker": _("Key worker"),
}


def priority_rules() -> dict:
    return settings.ANJU_RENTAL_PRIORITY[settings.ANJU_RENTAL_CITY]


def category_choices() -> list[tuple[str, str]]:
    return [(key, CATEGORY_LABELS.get(key, key)) for key in priority_rules()["categories"]]


@dataclass(frozen=True)
class ScorePart:
    key: str
    label: str
    points: Decimal


@dataclass(frozen=True)
class Score:
    parts: tuple[ScorePart, ...]

    @property
    def total(self) -> Decimal:
        return sum((p.points for p in self.parts), Decimal("0"))


def application_score(*, category: str, occupants: int, max_occupants: int, income_band: str, rules: dict | None = None) -> Score:
    rules = rules or priority_rules()
    fit = Decimal(rules["household_fit"]) * Decimal(occupants) / Decimal(max(max_occupants, 1))
    return Score(
        parts=(
            ScorePart("category", str(_("Priority category")), Decimal(rules["categories"][category])),
            ScorePart("household_fit", str(_("Household fit")), fit.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
            ScorePart("income_band", str(_("Income band")), Decimal(rules["income_bands"][income_band])),
        )
    )


def score_of(application) -> Score:
    return application_score(
        category=application.priority_category,
        occupants=application.occupants,
        max_occupants=application.listing.max_occupants,
        income_band=application.income_band,
    )
