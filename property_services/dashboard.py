"""The owners' common parts on the estate dashboard (estates.estate_dashboard): parking occupancy, the
waiting list, this period's public income and costs, the next statement to disclose, unauthorised
business use, and what the ledger holds for the owners. A fixed number of queries."""

from __future__ import annotations

from estates.estate_dashboard import EstateDashboardSection

from .selectors.common_parts import common_parts_summary


class CommonPartsSection(EstateDashboardSection):
    name = "common_parts"
    order = 20
    template_name = "property_services/admin/estate_common_parts.html"

    def get_context_data(self, parent_context=None):
        summary = common_parts_summary(estate=self.estate, on=self.today, units=getattr(self.estate, "n_units", 0))
        return {"estate": self.estate, "s": summary, "today": self.today, "user": self.user}


def common_parts_section(estate, request):
    user = request.user
    if not (user.has_perm("property_services.view_parkingspace") or user.has_perm("property_services.view_publicincomecost")):
        return None
    return CommonPartsSection(estate=estate, user=user)


class OperationsSection(EstateDashboardSection):
    """Work orders and governance (issue 14): open and overdue orders, time-limit compliance, satisfaction,
    the arrears rate, upcoming assemblies and overdue joint-meeting decisions. Five queries."""

    name = "operations"
    order = 10
    template_name = "property_services/admin/estate_operations.html"

    def __init__(self, *, show_arrears: bool, **kwargs):
        super().__init__(**kwargs)
        self.show_arrears = show_arrears

    def get_context_data(self, parent_context=None):
        from .selectors.dashboards import estate_operations

        return {
            "estate": self.estate,
            "ops": estate_operations(estate=self.estate),
            "show_arrears": self.show_arrears,
            "today": self.today,
        }


def operations_section(estate, request):
    user = request.user
    if not user.has_perm("property_services.view_workorder"):
        return None
    return OperationsSection(estate=estate, user=user, show_arrears=user.has_perm("billing.view_invoice"))
