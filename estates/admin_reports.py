"""Wagtail's built-in reports (site history, locked, aging and workflow pages, page types) are for
platform administrators only.

They list every object of the platform whatever the reader's scope: the site history would show
staff of one estate the owners and ballots of another. Scoping each report is Wagtail's code, not
ours; so the Reports menu is hidden from everyone else and every report URL answers 403.
"""

from django.core.exceptions import PermissionDenied

from .selectors import user_sees_everything

#: The URL namespace of Wagtail's reports (wagtail/admin/urls/reports.py).
REPORTS_NAMESPACE = "wagtailadmin_reports"


def may_see_reports(user) -> bool:
    return user_sees_everything(user)


def reports_menu_for_platform_admins(request, menu_items) -> None:
    """construct_reports_menu hook: empty (so hidden) for anyone but a platform administrator."""
    if not may_see_reports(request.user):
        menu_items[:] = []


class ReportsForPlatformAdminsMiddleware:
    """403 on every report URL for a signed-in person who is not a platform administrator.

    Anonymous requests pass on to Wagtail, which sends them to the admin login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match is None or REPORTS_NAMESPACE not in match.namespaces:
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not may_see_reports(user):
            raise PermissionDenied
        return None
