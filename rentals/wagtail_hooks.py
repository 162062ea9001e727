from wagtail import hooks

from . import rent_views  # noqa: F401 - adds Rent & deposits to the Rentals menu
from .viewsets import RentalsViewSetGroup


@hooks.register("register_admin_viewset")
def register_rentals():
    return RentalsViewSetGroup()
