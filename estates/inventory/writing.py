"""Writing a checked plan in one transaction with bulk inserts and updates."""

from __future__ import annotations

import hashlib

from django.db import transaction

from ..models import Building, Community, District, Estate, Owner, OwnerKind, Ownership, Subdistrict, Unit
from .planning import CommunityKey, OwnerKey, Plan, UnitKey

_BATCH = 2000


def _community_code(prefix: str, name: str, taken: set[str], max_length: int) -> str:
    base = f"{prefix}{hashlib.sha256(name.encode()).hexdigest()[:8].upper()}"[:max_length]
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    taken.add(code)
    return code


def _ensure_communities(keys: set[CommunityKey]) -> dict[CommunityKey, int]:
    """Find or create the district → sub-district → community chain for each name triple."""
    found: dict[CommunityKey, int] = {}
    taken = {
        District: set(District.objects.values_list("code", flat=True)),
        Subdistrict: set(Subdistrict.objects.values_list("code", flat=True)),
        Community: set(Community.objects.values_list("code", flat=True)),
    }
    for district_name, subdistrict_name, community_name in sorted(keys):
        district = District.objects.filter(name=district_name).first()
        if district is None:
            district = District.objects.create(name=district_name, code=_community_code("D", district_name, taken[District], 20))
        subdistrict = Subdistrict.objects.filter(district=district, name=subdistrict_name).first()
        if subdistrict is None:
            subdistrict = Subdistrict.objects.create(
                district=district,
                name=subdistrict_name,
                code=_community_code(f"{district.code}-", subdistrict_name, taken[Subdistrict], 30),
            )
        community = Community.objects.filter(subdistrict=subdistrict, name=community_name).first()
        if community is None:
            community = Community.objects.create(
                subdistrict=subdistrict,
                name=community_name,
                code=_community_code(f"{subdistrict.code}-", community_name, taken[Community], 40),
            )
        found[(district_name, subdistrict_name, community_name)] = community.pk
    return found


def _chunks(items: list, size: int = _BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def plan_write(plan: Plan) -> None:
    community_ids = _ensure_communities(plan.communities)

    # Estates.
    for estate, key in plan.estate_new:
        estate.community_id = community_ids[key]
    Estate.objects.bulk_create([e for e, _key in plan.estate_new], batch_size=_BATCH)
    for estate, key in plan.estate_update:
        if key is not None:
            estate.community_id = community_ids[key]
    if plan.estate_update:
        Estate.objects.bulk_update([e for e, _key in plan.estate_update], sorted(plan.estate_fields), batch_size=_BATCH)
    codes = {code for code, _r in plan.building_new} | {code for code, _r in plan.owner_new.values()}
    estate_ids = dict(Estate.objects.filter(code__in=codes).values_list("code", "pk"))

    # Buildings.
    new_buildings = {
        (code, r.number): Building(
            estate_id=estate_ids[code],
            number=r.number,
            floors=r.floors,
            built_year=r.built_year,
            lift_added_year=r.lift_added_year,
        )
        for code, r in plan.building_new
    }
    Building.objects.bulk_create(list(new_buildings.values()), batch_size=_BATCH)
    if plan.building_update:
        Building.objects.bulk_update(plan.building_update, sorted(plan.building_fields), batch_size=_BATCH)

    # Units, in chunks so that a 100k-row sheet never holds 100k model instances at once.
    new_unit_ids: dict[UnitKey, int] = {}
    wanted = {ref for ref, *_rest in plan.ownership_new if not isinstance(ref, int)}
    for chunk in _chunks(plan.unit_new):
        objs = []
        for building, _key, r in chunk:
            building_id = building if isinstance(building, int) else new_buildings[building].pk
            objs.append(
                Unit(
                    building_id=building_id,
                    entrance=r.entrance,
                    floor=r.floor,
                    number=r.number,
                    exclusive_area=r.exclusive_area,
                    use=r.use,
                    built_year=r.built_year,
                )
            )
        Unit.objects.bulk_create(objs, batch_size=_BATCH)
        for (_building, key, _r), obj in zip(chunk, objs, strict=True):
            if key in wanted:
                new_unit_ids[key] = obj.pk
    for chunk in _chunks(plan.unit_update):
        Unit.objects.bulk_update(chunk, sorted(plan.unit_fields), batch_size=_BATCH)

    # Owners.
    new_owner_ids: dict[OwnerKey, int] = {}
    owner_items = list(plan.owner_new.items())
    for chunk in _chunks(owner_items):
        objs = []
        for _okey, (code, r) in chunk:
            owner = Owner(estate_id=estate_ids[code], kind=r.kind, name=r.name)
            if r.kind == OwnerKind.ORGANISATION:
                owner.credit_code = r.id_number
            else:
                owner.set_id_number(r.id_number)
            if r.phone:
                owner.set_phone(r.phone)
            objs.append(owner)
        Owner.objects.bulk_create(objs, batch_size=_BATCH)
        for (okey, _value), obj in zip(chunk, objs, strict=True):
            new_owner_ids[okey] = obj.pk
    if plan.owner_update:
        Owner.objects.bulk_update(plan.owner_update, sorted(plan.owner_fields), batch_size=_BATCH)

    # Ownerships: lowered shares first, so that no unit passes 1 on the way (a trigger checks).
    if plan.ownership_lower:
        Ownership.objects.bulk_update(plan.ownership_lower, ["share", "since"], batch_size=_BATCH)
    if plan.ownership_other:
        Ownership.objects.bulk_update(plan.ownership_other, ["share", "since"], batch_size=_BATCH)
    for chunk in _chunks(plan.ownership_new):
        Ownership.objects.bulk_create(
            [
                Ownership(
                    unit_id=unit if isinstance(unit, int) else new_unit_ids[unit],
                    owner_id=okey[1] if okey[0] == "pk" else new_owner_ids[okey],
                    share=share,
                    since=since,
                )
                for unit, okey, share, since in chunk
            ],
            batch_size=_BATCH,
        )
