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
