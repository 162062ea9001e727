"""The tenant's part of the portal home. Until 存房 (pooled flats for rent) is built, a tenant is told
what is coming and where it will be, and is given no link to a page that does not exist yet."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.portal import PortalSection
from estates.models import RoleAssignment


def tenant_section(request):
    """Portal home for a tenant: what renting through the platform will offer (nothing for others)."""
    user = request.user
    if not user.is_authenticated or not RoleAssignment.objects.filter(user=user, role=Role.TENANT).exists():
        return None
    return PortalSection(template="rentals/portal_section.html", context={"title": _("Your rental")})
