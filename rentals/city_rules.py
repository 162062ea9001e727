"""The city's limits on how many people may live in a let flat (住房租赁条例 Art. 7: the city sets the
occupants per room and the area per person), from ``settings.ANJU_RENTAL_CITY_RULES``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings


@dataclass(frozen=True)
class CityRules:
    city: str
    max_occupants_per_room: int
    min_area_per_person: Decimal

    def max_occupants(self, *, bedrooms: int, area: Decimal) -> int:
        """At most this many people in a flat of ``bedrooms`` bedrooms and ``area`` m² (the tighter limit)."""
        return min(bedrooms * self.max_occupants_per_room, int(Decimal(area) // self.min_area_per_person))


def city_rules() -> CityRules:
    rules = settings.ANJU_RENTAL_CITY_RULES[settings.ANJU_RENTAL_CITY]
    return CityRules(
        city=rules["name"],
        max_occupants_per_room=int(rules["max_occupants_per_room"]),
        min_area_per_person=Decimal(str(rules["min_area_per_person"])),
    )
