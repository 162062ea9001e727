from django.utils.translation import gettext_lazy as _

from accounts.portal import PortalSection

from .selectors import units_of_user


def my_units_section(request):
    units = units_of_user(user=request.user)
    if not units:
        return None
    return PortalSection(template="estates/portal_units.html", context={"title": _("My flats"), "ownerships": units})
