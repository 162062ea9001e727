"""What each role may do in 存房 (registered with ``estates.roles`` from the AppConfig): the estate's staff
survey entrusted flats, offer and record agreements, and keep the listings, review applications and
draw up, sign, file, renew and end leases."""

from accounts.models import Role
from estates.roles import register_role_permissions

STAFF = [
    ("rentals", codename)
    for codename in (
        "view_entrustment",
        "change_entrustment",
        "view_entrustmentagreement",
        "add_entrustmentagreement",
        "change_entrustmentagreement",
        "view_listing",
        "add_listing",
        "change_listing",
        "view_rentalapplication",
        "change_rentalapplication",
        # Owners' statements and the sublet mode's payouts: staff read them and record a payout as paid.
        "view_ownerstatement",
        "view_ownerpayout",
        "change_ownerpayout",
        "view_lease",
        "add_lease",
        "change_lease",
    )
]


def register() -> None:
    register_role_permissions(Role.ESTATE_STAFF, STAFF)
