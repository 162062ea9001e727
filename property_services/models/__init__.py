"""Property services: who runs each estate, how owners decide together, and what is made public.

One module per subdomain; every model is importable from here (Django and other apps look here).
"""

from .arrangements import (
    PROVIDER_KIND_FOR_MODEL,
    AuthorityKind,
    FeeStandard,
    ManagementArrangement,
    Provider,
    ProviderContact,
    ProviderKind,
)
from .assemblies import (
    ASSEMBLY_NOTICE_DAYS,
    ASSEMBLY_TRANSITIONS,
    MATTER_LABELS,
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    AssemblyStatusChange,
    Ballot,
    BallotChannel,
    BallotChoice,
    MatterKind,
    VoterDesignation,
)
from .committee import COMMITTEE_FILING_DAYS, CommitteeMember, CommitteeRole, OwnersCommittee
from .meetings import (
    DECISION_TRANSITIONS,
    DecisionStatus,
    DecisionStatusChange,
    JointMeeting,
    JointMeetingDecision,
    JointMeetingParticipant,
    OrganisationKind,
)
from .notices import NOTICE_TRANSITIONS, Notice, NoticeKind, NoticeStatus, NoticeStatusChange
from .parking import CapWindow, FreePer, GateKey, ParkingRate, ParkingStay

__all__ = [
    "CapWindow",
    "FreePer",
    "GateKey",
    "ParkingRate",
    "ParkingStay",
    "ASSEMBLY_NOTICE_DAYS",
    "ASSEMBLY_TRANSITIONS",
    "COMMITTEE_FILING_DAYS",
    "DECISION_TRANSITIONS",
    "MATTER_LABELS",
    "NOTICE_TRANSITIONS",
    "PROVIDER_KIND_FOR_MODEL",
    "Assembly",
    "AssemblyMatter",
    "AssemblyStatus",
    "AssemblyStatusChange",
    "AuthorityKind",
    "Ballot",
    "BallotChannel",
    "BallotChoice",
    "CommitteeMember",
    "CommitteeRole",
    "DecisionStatus",
    "DecisionStatusChange",
    "FeeStandard",
    "JointMeeting",
    "JointMeetingDecision",
    "JointMeetingParticipant",
    "ManagementArrangement",
    "MatterKind",
    "Notice",
    "NoticeKind",
    "NoticeStatus",
    "NoticeStatusChange",
    "OrganisationKind",
    "OwnersCommittee",
    "Provider",
    "ProviderContact",
    "ProviderKind",
    "VoterDesignation",
]
