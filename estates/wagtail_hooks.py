from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.components import Component

from .selectors import estate_counts
from .viewsets import InventoryViewSetGroup


@hooks.register("register_admin_viewset")
def register_inventory():
    return InventoryViewSetGroup()


class InventoryCountsPanel(Component):
    """Dashboard panel: how much of the inventory the user's scope holds."""

    name = "inventory_counts"
    order = 50
    template_name = "estates/dashboard_counts.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        counts = estate_counts(user=self.user)
        return {
            "items": [
                (_("Estates"), counts["estates"]),
                (_("Buildings"), counts["buildings"]),
                (_("Units"), counts["units"]),
                (_("Owners"), counts["owners"]),
                (_("Renovation projects"), counts["projects"]),
            ]
        }


@hooks.register("construct_homepage_panels")
def add_inventory_panel(request, panels):
    if request.user.has_perm("estates.view_estate"):
        panels.insert(0, InventoryCountsPanel(request.user))
