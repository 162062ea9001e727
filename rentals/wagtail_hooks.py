from wagtail import hooks

from . import lease_viewsets  # noqa: F401 (adds Leases to the group)
from .viewsets import RentalsViewSetGroup


@hooks.register("register_admin_viewset")
def register_rentals():
    return RentalsViewSetGroup()
