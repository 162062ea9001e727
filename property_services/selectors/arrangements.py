"""Management arrangements: who runs an estate now, whom owners call, the officers' overview and contract warnings."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from estates.models import Estate
from estates.selectors import estates_visible_to, scope_queryset

from ..models import (
    FeeStandard,
    ManagementArrangement,
)
from .assemblies import owner_records_of_user


def in_effect_on(on: datetime.date) -> Q:
    """An arrangement in effect on the day: started, and not ended before it (``ManagementArrangement.is_active``)."""
    return Q(starts_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gte=on))


def arrangement_in_effect(*, estate: Estate, on: datetime.date | None = None) -> ManagementArrangement | None:
    on = on or timezone.localdate()
    return (
        ManagementArrangement.objects.filter(in_effect_on(on), estate=estate)
        .select_related("provider")
        .prefetch_related("fee_standards")
        .first()
    )


def property_offices_of_user(*, user, on: datetime.date | None = None) -> list[dict]:
    """Whom an owner calls: for each estate where they own a flat, the provider in effect with its
    service phone and contacts, or the estate itself (address) when no arrangement is in effect.
    Three queries however many estates."""
    on = on or timezone.localdate()
    estates = list(Estate.objects.filter(pk__in=owner_records_of_user(user=user).values("estate_id")).order_by("name", "pk"))
    arrangements = {
        a.estate_id: a
        for a in ManagementArrangement.objects.filter(in_effect_on(on), estate__in=[e.pk for e in estates])
        .select_related("provider")
        .prefetch_related("provider__contacts")
    }
    return [{"estate": e, "arrangement": arrangements.get(e.pk)} for e in estates]


def management_overview(*, user, model: str | None = None, subdistrict=None, search: str = "") -> QuerySet[Estate]:
    """Every estate the user sees, with all its arrangements (newest first) for the officer's report.

    Each estate carries ``arrangement_history`` (a list): the first entry is the latest arrangement.
    Filtering by model looks at the arrangement open today.
    """
    history = (
        ManagementArrangement.objects.select_related("provider", "authorising_matter__assembly")
        .prefetch_related(Prefetch("fee_standards", queryset=FeeStandard.objects.order_by("unit_use")))
        .order_by("-starts_on")
    )
    qs = (
        estates_visible_to(user=user)
        .select_related("community__subdistrict")
        .prefetch_related(Prefetch("management_arrangements", queryset=history, to_attr="arrangement_history"))
        .order_by("community__subdistrict__name", "name")
    )
    if model:
        qs = qs.filter(management_arrangements__ended_on__isnull=True, management_arrangements__model=model)
    if subdistrict:
        qs = qs.filter(community__subdistrict=subdistrict)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs


def management_models_in_effect(*, estates, on: datetime.date) -> dict[int, str]:
    """The management model of the arrangement in effect on ``on``, per estate (estates without one are absent):
    the "Management overview" page's current arrangement, for many estates in one query."""
    return dict(
        ManagementArrangement.objects.filter(in_effect_on(on), estate__in=estates).values_list("estate_id", "model").order_by()
    )


#: How far ahead the home page warns of a management contract's end. Civil Code Art. 947: the
#: owners decide on renewal before the term ends, and a firm that will not renew says so in writing
#: 90 days before; an assembly needs 15 days' notice (物业管理条例 Art. 14). 90 days leaves time for both.
CONTRACT_WARNING_DAYS = 90


def arrangements_contract_ending(
    *, user, on: datetime.date | None = None, within_days: int = CONTRACT_WARNING_DAYS, limit: int | None = 20
) -> QuerySet[ManagementArrangement]:
    """Arrangements in effect in the user's estates whose contract term ends within ``within_days`` or has ended.

    Civil Code Arts. 947-948: before the term ends the owners renew or hire another provider; a term
    that ran out without that decision goes on as a contract without a fixed term, which either side
    may end with 60 days' written notice. Each carries ``days_left`` (negative: days since the term
    ended). Soonest (or longest expired) first. One query.
    """
    on = on or timezone.localdate()
    qs = (
        scope_queryset(ManagementArrangement.objects.all(), user=user)
        .filter(starts_on__lte=on, ended_on__isnull=True, contract_until__isnull=False)
        .filter(contract_until__lte=on + datetime.timedelta(days=within_days))
        .select_related("estate", "provider")
        .order_by("contract_until", "pk")
    )
    return qs[:limit] if limit else qs
