"""What the estate's staff may do with rent and deposits (registered from the AppConfig, next to ``roles``): see the
money page of a lease, send rent reminders, record the hand-back, settle the deposit and record its return."""

from accounts.models import Role
from estates.roles import register_role_permissions

STAFF = [
    ("rentals", codename)
    for codename in (
        "view_rentreminder",
        "add_rentreminder",
        "view_handback",
        "add_handback",
        "view_depositsettlement",
        "add_depositsettlement",
        "change_depositsettlement",
    )
]


def register() -> None:
    register_role_permissions(Role.ESTATE_STAFF, STAFF)
