from django.utils.translation import gettext_lazy as _

from accounts.portal import PortalSection

from .selectors import current_ownerships_of


def my_units_section(request):
    units = current_ownerships_of(request)
    if not units:
        return None
    return PortalSection(template="estates/portal_units.html", context={"title": _("My flats"), "ownerships": units})
