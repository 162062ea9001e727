"""The "My assemblies" section of the owners' portal home (/portal/)."""

from django.utils.translation import gettext_lazy as _

from accounts.portal import PortalSection

from .selectors import assemblies_for_owner, owner_records_of_user


def my_assemblies_section(request):
    if not owner_records_of_user(user=request.user).exists():
        return None
    assemblies = list(assemblies_for_owner(user=request.user)[:5])
    return PortalSection(
        template="property_services/portal/section.html", context={"title": _("My assemblies"), "assemblies": assemblies}
    )
