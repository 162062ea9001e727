"""The tenant's part of the portal home: their current lease (in force or under notice) with the way to the rent
bills, or, without one, what renting through the platform offers."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.portal import PortalSection
from estates.models import RoleAssignment


def tenant_section(request):
    """Portal home for a tenant: the current lease, or what renting through Anju offers (nothing for others)."""
    from .selectors.leases import current_lease_of_tenant, leases_of_tenant

    user = request.user
    if not user.is_authenticated or not RoleAssignment.objects.filter(user=user, role=Role.TENANT).exists():
        return None
    lease = current_lease_of_tenant(user=user)
    return PortalSection(
        template="rentals/portal_section.html",
        context={
            "title": _("Your rental"),
            "lease": lease,
            "has_leases": lease is None and leases_of_tenant(user=user).exists(),
        },
    )
