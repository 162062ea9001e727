"""Read queries for the estate inventory, already joined for the pages that use them."""

from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Count, Exists, Model, Q, QuerySet

from accounts.models import Role

from .models import (
    Building,
    CommonAsset,
    Community,
    District,
    Estate,
    Owner,
    Ownership,
    RenovationProject,
    RoleAssignment,
    Subdistrict,
    Unit,
)


def user_sees_everything(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or RoleAssignment.objects.filter(user=user, role=Role.PLATFORM_ADMIN).exists()


def estates_visible_to(*, user) -> QuerySet[Estate]:
    """The estates a person may see in the back office. Every list and later app goes through this.

    One query, whatever the number of assignments: the scopes are subqueries.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Estate.objects.none()
    if user.is_superuser:
        return Estate.objects.all()
    grants = RoleAssignment.objects.filter(user=user)
    return Estate.objects.filter(
        Q(Exists(grants.filter(role=Role.PLATFORM_ADMIN)))
        | Q(community__subdistrict__district__in=grants.filter(role=Role.DISTRICT_OFFICER).values("district_id"))
        | Q(community__subdistrict__in=grants.filter(role=Role.SUBDISTRICT_OFFICER).values("subdistrict_id"))
        | Q(pk__in=grants.filter(role__in=[Role.ESTATE_STAFF, Role.COMMITTEE_MEMBER]).values("estate_id"))
    )


def accounts_linkable_to_owners(*, user) -> QuerySet:
    """Login accounts that ``user`` may link to an owner record of an estate they see.

    Not back-office accounts (superusers, administrators, officers, staff, editors: linking one
    would hand an owner's votes and bills to it), and not accounts tied to an estate outside the
    user's scope (an owner record or a committee seat there): a person who owns in two estates is
    linked in the second by someone who manages both. The owner form looks an account up by its
    mobile number in this set and never lists it, so no-one browses other people's numbers.
    """
    from django.contrib.auth import get_user_model

    visible = estates_visible_to(user=user)
    portal_roles = [Role.OWNER, Role.TENANT, Role.COMMITTEE_MEMBER]
    elsewhere = RoleAssignment.objects.exclude(role__in=portal_roles) | RoleAssignment.objects.filter(
        estate__isnull=False
    ).exclude(estate__in=visible)
    # Committee members use the back office (is_staff) and are owners themselves.
    committee_here = RoleAssignment.objects.filter(role=Role.COMMITTEE_MEMBER, estate__in=visible)
    return (
        get_user_model()
        .objects.filter(Q(is_staff=False) | Q(pk__in=committee_here.values("user_id")), is_active=True, is_superuser=False)
        .exclude(pk__in=elsewhere.values("user_id"))
        .exclude(pk__in=Owner.objects.exclude(estate__in=visible).filter(user__isnull=False).values("user_id"))
    )


# How each back-office model reaches its estate. Models above the estate (district, sub-district,
# community) are visible when they contain a visible estate.
ESTATE_PATHS = {
    Estate: "pk",
    Building: "estate_id",
    Unit: "building__estate_id",
    Owner: "estate_id",
    Ownership: "unit__building__estate_id",
    CommonAsset: "estate_id",
    RenovationProject: "estate_id",
}
CONTAINER_PATHS = {
    District: "community__subdistrict__district_id",
    Subdistrict: "community__subdistrict_id",
    Community: "community_id",
}


# Models with no estate of their own register how they are scoped (providers, city-wide notices,
# billing runs over all estates): rule(queryset, user=...) -> the part of the queryset the user sees.
ScopeRule = Callable[..., QuerySet]
_SCOPE_RULES: dict[type[Model], ScopeRule] = {}


def register_scope(model: type[Model], rule: ScopeRule) -> None:
    """Declare once how a model without a direct estate is narrowed to what a user may see.

    Registering a model twice is a mistake (two apps disagreeing on who sees it) and fails.
    """
    existing = _SCOPE_RULES.get(model)
    if existing is not None and existing is not rule:
        raise ImproperlyConfigured(f"A scope rule for {model.__name__} is already registered.")
    _SCOPE_RULES[model] = rule


def _scope_path(model: type[Model]) -> str | None:
    if model in ESTATE_PATHS:
        return ESTATE_PATHS[model]
    return getattr(model, "estate_scope_path", None) or ("estate_id" if _has_field(model, "estate") else None)


def has_scope(model: type[Model]) -> bool:
    """Whether ``scope_queryset`` knows how to narrow this model (a registered rule, a path, an estate)."""
    return model in _SCOPE_RULES or model in CONTAINER_PATHS or _scope_path(model) is not None


def scope_queryset(queryset: QuerySet, *, user) -> QuerySet:
    """Narrow any queryset of estate data to what the user may see.

    In order: a rule registered with ``register_scope``; the inventory's own paths; a class
    attribute ``estate_scope_path`` (e.g. "invoice__estate_id") where the estate is further away;
    an ``estate`` foreign key. A model with none of these is a programming error (LookupError).
    """
    model = queryset.model
    rule = _SCOPE_RULES.get(model)
    if rule is not None:
        return rule(queryset, user=user)
    visible = estates_visible_to(user=user)
    if model in CONTAINER_PATHS:
        return queryset.filter(pk__in=visible.values(CONTAINER_PATHS[model]))
    path = _scope_path(model)
    if path:
        return queryset.filter(**{f"{path}__in": visible.values("pk")})
    raise LookupError(f"No estate scope is defined for {model.__name__}.")


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def estate_counts(*, user) -> dict[str, int]:
    """Figures for the dashboard panel, for the user's scope."""
    visible = estates_visible_to(user=user)
    totals = visible.aggregate(
        estates=Count("pk", distinct=True),
        buildings=Count("buildings", distinct=True),
    )
    totals["units"] = Unit.objects.filter(building__estate__in=visible.values("pk")).count()
    totals["owners"] = Owner.objects.filter(estate__in=visible.values("pk")).count()
    totals["projects"] = RenovationProject.objects.filter(estate__in=visible.values("pk")).count()
    return totals


def units_of_user(*, user) -> list[Ownership]:
    """The current ownerships of the units a signed-in owner holds, joined for display."""
    return list(
        Ownership.objects.filter(owner__user=user, until__isnull=True)
        .select_related("unit__building__estate", "owner")
        .order_by("unit__building__estate__name", "unit__building__number", "unit__entrance", "unit__number")
    )


_OWNERSHIPS_ATTR = "_anju_current_ownerships"


def current_ownerships_of(request) -> list[Ownership]:
    """``units_of_user`` for the signed-in person, read once per request: the portal's sections (my flats,
    repairs, the fund, assemblies, entrusting a flat) each ask "does this person own a flat today?", and an
    owner's answer is in this list (a section still asks the database when the list is empty)."""
    ownerships = getattr(request, _OWNERSHIPS_ATTR, None)
    if ownerships is None:
        ownerships = units_of_user(user=request.user) if request.user.is_authenticated else []
        setattr(request, _OWNERSHIPS_ATTR, ownerships)
    return ownerships
