"""/portal/fund/: the maintenance fund account of each unit the owner holds — contributions paid in, each
use with the unit's share, and the balance (Civil Code Art. 281: the fund is the owners'; its raising
and use are published). Only the units the signed-in person owns today are shown: nobody reads another
unit's account here.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.portal import PortalSection
from estates.selectors import current_ownerships_of

from .selectors.fund import fund_statements_of_owner


@login_required
@require_GET
def fund_page(request):
    return render(request, "property_services/portal/fund.html", {"statements": fund_statements_of_owner(user=request.user)})


def owners_records_section(request):
    """Portal home: the unit's fund account and asking to inspect a record, for anyone owning a unit today."""
    if not current_ownerships_of(request):  # the current ownerships, read once for the whole portal home
        return None
    return PortalSection(
        template="property_services/portal/owners_records_section.html",
        context={"title": gettext_lazy("Maintenance fund and records")},
    )


app_name = "fund_portal"
urlpatterns = [path("", fund_page, name="page")]
