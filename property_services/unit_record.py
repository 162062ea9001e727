"""Governance's part of the back-office unit record (estates.unit_record): the ballots that count
for the unit, by assembly and matter, with how each was cast.

A ballot belongs to an owner; it counts for this unit when its owner holds (or held) the unit or is
the unit's designated voter, and the assembly covers the unit (the whole estate, or its building or
entrance). The choice is shown only to those who may see ballots in the back office (the ballots
list shows it to them already); others see that a ballot was cast and how. One query.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estates.unit_record import UnitRecordSection

from .models import Ballot, VoterDesignation


def unit_ballots(*, unit) -> list[Ballot]:
    holders = unit.ownerships.values("owner_id")
    designated = VoterDesignation.objects.filter(unit=unit).values("owner_id")
    covers_unit = Q(matter__assembly__building__isnull=True) | (
        Q(matter__assembly__building_id=unit.building_id)
        & (Q(matter__assembly__entrance__isnull=True) | Q(matter__assembly__entrance=unit.entrance))
    )
    return list(
        Ballot.objects.filter(Q(owner_id__in=holders) | Q(owner_id__in=designated), covers_unit)
        .filter(matter__assembly__estate_id=unit.building.estate_id)
        .select_related("owner", "matter__assembly", "cast_by")
        .order_by("-matter__assembly__meeting_on", "matter__assembly_id", "matter__sort_order", "matter_id", "owner_id")
    )


class UnitBallotsSection(UnitRecordSection):
    name = "unit_ballots"
    order = 30
    template_name = "property_services/admin/unit_record_ballots.html"

    def get_context_data(self, parent_context=None):
        return {
            "title": _("Ballots"),
            "ballots": unit_ballots(unit=self.unit),
            "show_choice": self.user.has_perm("property_services.view_ballot"),
        }


def unit_ballots_section(unit, request):
    if not request.user.has_perm("property_services.view_assembly"):
        return None
    return UnitBallotsSection(unit=unit, user=request.user)
