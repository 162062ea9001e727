from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import (
    lease_viewsets,  # noqa: F401 (adds Leases to the group)
    rent_views,  # noqa: F401 - adds Rent & deposits to the Rentals menu
    statement_views,  # noqa: F401  (adds the owners' statements and payouts to the group)
)
from .oversight_views import OversightView, may_oversee
from .viewsets import RentalsViewSetGroup


@hooks.register("register_admin_viewset")
def register_rentals():
    return RentalsViewSetGroup()


@hooks.register("register_admin_urls")
def register_oversight_url():
    return [path("rentals/oversight/", OversightView.as_view(), name="rentals_oversight")]


class OversightMenuItem(MenuItem):
    def is_shown(self, request):
        return may_oversee(request.user)


@hooks.register("register_admin_menu_item")
def register_oversight_menu_item():
    return OversightMenuItem(
        _("Rentals oversight"), reverse("rentals_oversight"), name="rentals-oversight", icon_name="site", order=172
    )
