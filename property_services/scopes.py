"""Back-office scope rules of the property-services records that have no estate of their own.

Registered with ``estates.selectors.register_scope`` (PropertyServicesConfig.ready); every list,
record page and choice field of the shared back-office base then follows them.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from estates.selectors import estates_visible_to, user_sees_everything


def providers_scope(queryset: QuerySet, *, user) -> QuerySet:
    """A provider is visible when it serves (or served) an estate the user sees, or serves no estate
    yet (a register entry waiting for its first arrangement)."""
    from .models import ManagementArrangement

    if user_sees_everything(user):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    arrangements = ManagementArrangement.objects.filter(provider=OuterRef("pk"))
    visible = estates_visible_to(user=user).values("pk")
    return queryset.filter(Exists(arrangements.filter(estate__in=visible)) | ~Exists(arrangements))


def notices_scope(queryset: QuerySet, *, user) -> QuerySet:
    """City-wide notices (no estate) are for platform administrators; others see their estates' notices."""
    if user_sees_everything(user):
        return queryset
    return queryset.filter(estate__in=estates_visible_to(user=user).values("pk"))


def register() -> None:
    from estates.selectors import register_scope

    from .models import Notice, Provider

    register_scope(Provider, providers_scope)
    register_scope(Notice, notices_scope)
