from wagtail import hooks

from .viewsets import RentalsViewSetGroup


@hooks.register("register_admin_viewset")
def register_rentals():
    return RentalsViewSetGroup()
