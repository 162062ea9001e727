"""Read queries for property services, already joined for the pages that use them, one module per subdomain.

Pages run a fixed number of queries whatever the number of rows: lists come with their
``select_related``/``prefetch_related`` in place. Every public name is importable from here.
"""

from .arrangements import (
    CONTRACT_WARNING_DAYS,
    arrangement_in_effect,
    arrangements_contract_ending,
    management_overview,
    property_offices_of_user,
)
from .assemblies import (
    PORTAL_STATUSES,
    assemblies_for_owner,
    assembly_for_owner,
    ballots_of_owner,
    owner_records_of_user,
    voter_for_assembly,
)
from .committee import (
    acts_for_the_owners,
    committee_current,
    committees_filing_attention,
    officer_of_estate,
    serving_committee_members,
)
from .meetings import overdue_decisions
from .notices import notices_published
from .public_income import AllocationView, UnitAllocation, allocation_view
from .roll import RollUnit, VotingRoll, assembly_tallies, conflict_notes, count_notes, transfer_notes, voting_roll

__all__ = [
    "AllocationView",
    "UnitAllocation",
    "allocation_view",
    "CONTRACT_WARNING_DAYS",
    "PORTAL_STATUSES",
    "RollUnit",
    "VotingRoll",
    "arrangement_in_effect",
    "arrangements_contract_ending",
    "assemblies_for_owner",
    "assembly_for_owner",
    "assembly_tallies",
    "ballots_of_owner",
    "acts_for_the_owners",
    "committee_current",
    "committees_filing_attention",
    "conflict_notes",
    "count_notes",
    "management_overview",
    "notices_published",
    "officer_of_estate",
    "overdue_decisions",
    "owner_records_of_user",
    "property_offices_of_user",
    "serving_committee_members",
    "transfer_notes",
    "voter_for_assembly",
    "voting_roll",
]
