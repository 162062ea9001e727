"""存房 (flat pooling): entrustments and their agreements, and the public listings."""

from .entrustments import (
    AGREEMENT_TRANSITIONS,
    ENTRUSTMENT_TRANSITIONS,
    MAX_TERM_YEARS,
    MIN_TERM_YEARS,
    OPEN_ENTRUSTMENT_STATUSES,
    AgreementMode,
    AgreementStatus,
    AgreementStatusChange,
    Entrustment,
    EntrustmentAgreement,
    EntrustmentPhoto,
    EntrustmentStatus,
    EntrustmentStatusChange,
)
from .listings import LISTING_TRANSITIONS, Listing, ListingStatus, ListingStatusChange

__all__ = [
    "AGREEMENT_TRANSITIONS",
    "ENTRUSTMENT_TRANSITIONS",
    "LISTING_TRANSITIONS",
    "MAX_TERM_YEARS",
    "MIN_TERM_YEARS",
    "OPEN_ENTRUSTMENT_STATUSES",
    "AgreementMode",
    "AgreementStatus",
    "AgreementStatusChange",
    "Entrustment",
    "EntrustmentAgreement",
    "EntrustmentPhoto",
    "EntrustmentStatus",
    "EntrustmentStatusChange",
    "Listing",
    "ListingStatus",
    "ListingStatusChange",
]

from .applications import (  # noqa: E402
    APPLICATION_TRANSITIONS,
    ApplicationDataAccess,
    ApplicationStatus,
    IncomeBand,
    RentalApplication,
    RentalApplicationDocument,
    RentalApplicationMember,
    RentalApplicationStatusChange,
)

__all__ += [
    "APPLICATION_TRANSITIONS",
    "ApplicationDataAccess",
    "ApplicationStatus",
    "IncomeBand",
    "RentalApplication",
    "RentalApplicationDocument",
    "RentalApplicationMember",
    "RentalApplicationStatusChange",
]

from .leases import (  # noqa: E402
    HOLDING_LEASE_STATUSES,
    LEASE_TRANSITIONS,
    MAX_LEASE_YEARS,
    MAX_RENT_CYCLE_MONTHS,
    DepositCase,
    DepositDeduction,
    DepositSettlement,
    FilingStatus,
    HandBack,
    Lease,
    LeaseStatus,
    LeaseStatusChange,
    RentReminder,
    TerminationKind,
)
from .statements import PAYOUT_TRANSITIONS, OwnerPayout, OwnerPayoutStatusChange, OwnerStatement, PayoutStatus  # noqa: E402

__all__ += [
    "HOLDING_LEASE_STATUSES",
    "LEASE_TRANSITIONS",
    "MAX_LEASE_YEARS",
    "MAX_RENT_CYCLE_MONTHS",
    "DepositCase",
    "DepositDeduction",
    "DepositSettlement",
    "FilingStatus",
    "HandBack",
    "Lease",
    "LeaseStatus",
    "LeaseStatusChange",
    "OwnerPayout",
    "OwnerPayoutStatusChange",
    "PAYOUT_TRANSITIONS",
    "OwnerStatement",
    "PayoutStatus",
    "RentReminder",
    "TerminationKind",
]
