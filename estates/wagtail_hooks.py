from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from .admin_reports import may_see_reports, reports_menu_for_platform_admins
from .selectors import estate_counts
from .viewsets import InventoryViewSetGroup


@hooks.register("register_admin_viewset")
def register_inventory():
    return InventoryViewSetGroup()


hooks.register("construct_reports_menu", reports_menu_for_platform_admins)


@hooks.register("register_admin_urls")
def register_inventory_urls():
    from accounts.personal_data import access_log_view

    return [
        path("inventory/", include("estates.admin_urls")),
        path("personal-data-log/", access_log_view, name="personal_data_log"),
    ]


class PlatformAdminMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_reports(request.user)


@hooks.register("register_reports_menu_item")
def register_personal_data_log_menu_item():
    return PlatformAdminMenuItem(_("Views of personal data"), reverse("personal_data_log"), icon_name="view", order=900)


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_admin_menu_item")
def register_inventory_import_menu_item():
    return PermissionMenuItem(
        _("Import inventory"), reverse("inventory_import"), icon_name="upload", order=160, permission="estates.add_unit"
    )


@hooks.register("register_admin_menu_item")
def register_estate_dashboards_menu_item():
    return PermissionMenuItem(
        _("Estate dashboards"),
        reverse("estates_estate:dashboards"),
        icon_name="home",
        order=150,
        permission="estates.view_estate",
    )


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
