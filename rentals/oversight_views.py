"""``/admin/rentals/oversight/``: occupancy, vacancy, pipeline and arrears of 存房 per estate and per district.

Estate staff (who may view agreements) see their estates; district and sub-district officers (who may open the
area dashboards, ``estates.view_area_dashboard``) see the estates of their area; anyone else is refused (403), and
an officer of another district sees none of this one's estates. A fixed number of queries
(``selectors.oversight.rental_oversight``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .selectors.oversight import rental_oversight

PERMISSIONS = ("rentals.view_entrustmentagreement", "estates.view_area_dashboard")


def may_oversee(user) -> bool:
    return any(user.has_perm(permission) for permission in PERMISSIONS)


class OversightView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "rentals/admin/oversight.html"
    page_title = gettext_lazy("Rentals oversight")
    header_icon = "site"

    def get(self, request):
        if not may_oversee(request.user):
            raise PermissionDenied
        return self.render_to_response(self.get_context_data(d=rental_oversight(user=request.user, on=timezone.localdate())))
