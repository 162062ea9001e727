from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from . import area_dashboard
from .dashboard import common_parts_section, operations_section
from .selectors import CONTRACT_WARNING_DAYS, arrangements_contract_ending, committees_filing_attention, overdue_decisions
from .unit_record import unit_ballots_section
from .viewsets import PropertyServicesViewSetGroup


@hooks.register("register_admin_viewset")
def register_property_services():
    return PropertyServicesViewSetGroup()


@hooks.register("register_admin_urls")
def register_area_dashboard_urls():
    # Under estates/ beside the estate dashboards; estates.District carries the permission.
    return [path("estates/area-dashboard/", include((area_dashboard.urlpatterns, "area_dashboard")))]


class AreaDashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(area_dashboard.PERMISSION)


@hooks.register("register_admin_menu_item")
def register_area_dashboard_menu_item():
    return AreaDashboardMenuItem(
        _("Area dashboards"), reverse("area_dashboard:index"), name="area-dashboards", icon_name="site", order=151
    )


class OverviewMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("property_services.view_managementarrangement")


@hooks.register("register_property_services_menu_item")
def register_overview_menu_item():
    return OverviewMenuItem(
        _("Management overview"),
        reverse("property_services_managementarrangement:overview"),
        name="management-overview",
        icon_name="clipboard-list",
        order=0,
    )


class OverdueDecisionsPanel(Component):
    """Dashboard panel: joint-meeting decisions past their due date in the user's estates (one query)."""

    name = "overdue_decisions"
    order = 60
    template_name = "property_services/admin/dashboard_overdue.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        today = timezone.localdate()
        decisions = list(overdue_decisions(user=self.user, on=today, limit=20))
        for decision in decisions:
            decision.days_overdue = (today - decision.due_on).days
        return {"decisions": decisions}


@hooks.register("construct_homepage_panels")
def add_overdue_decisions_panel(request, panels):
    if request.user.has_perm("property_services.view_jointmeetingdecision"):
        panels.append(OverdueDecisionsPanel(request.user))


class CommitteeFilingPanel(Component):
    """Dashboard panel for officers: committees whose filing is due, overdue or was late (物业管理条例 Art. 16). One query."""

    name = "committee_filing"
    order = 61
    template_name = "property_services/admin/dashboard_filing.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        today = timezone.localdate()
        committees = list(committees_filing_attention(user=self.user, on=today, limit=20))
        for committee in committees:
            committee.late = committee.filing_is_late(today)
        return {
            "committees": committees,
            "today": today,
            "can_change": self.user.has_perm("property_services.change_ownerscommittee"),
        }


@hooks.register("construct_homepage_panels")
def add_committee_filing_panel(request, panels):
    # Officers file committees (change permission); estate staff and committee members see their own
    # estates' filing too (issue 10 item 11), linked to the committee's read-only page.
    if request.user.has_perm("property_services.view_ownerscommittee"):
        panels.append(CommitteeFilingPanel(request.user))


class ContractEndingPanel(Component):
    """Dashboard panel: management contracts of the user's estates whose term ends soon or has ended
    while the arrangement runs on (Civil Code Arts. 947-948). One query."""

    name = "contracts_ending"
    order = 59
    template_name = "property_services/admin/dashboard_contracts.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        today = timezone.localdate()
        arrangements = list(arrangements_contract_ending(user=self.user, on=today))
        for arrangement in arrangements:
            arrangement.days_left = (arrangement.contract_until - today).days
            arrangement.days_expired = -arrangement.days_left
        return {"arrangements": arrangements, "within_days": CONTRACT_WARNING_DAYS}


@hooks.register("construct_homepage_panels")
def add_contract_ending_panel(request, panels):
    if request.user.has_perm("property_services.view_managementarrangement"):
        panels.append(ContractEndingPanel(request.user))


# The unit's ballots on its back-office record (estates.unit_record).
hooks.register("register_unit_record_section", unit_ballots_section)
# The common parts on the estate dashboard (estates.estate_dashboard).
hooks.register("register_estate_dashboard_section", common_parts_section)
# Work orders and governance on the estate dashboard (issue 14).
hooks.register("register_estate_dashboard_section", operations_section)
