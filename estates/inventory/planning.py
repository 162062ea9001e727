"""Checking every row against the database and the rest of the file, and planning the writes.

Matching, scope (who may import what) and the share rule are described in the package docstring."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from .. import crypto
from ..models import Building, Community, District, Estate, Owner, OwnerKind, Ownership, Subdistrict, Unit
from ..selectors import estates_visible_to, user_sees_everything
from ..validators import mask_phone
from .report import InventoryError
from .rows import BuildingRow, OwnerRow, UnitRow
from .workbook import Sheet

CommunityKey = tuple[str, str, str]  # district, sub-district, community names
BuildingKey = tuple[str, str]  # estate code, building number
UnitKey = tuple[str, str, int, str]  # estate code, building, entrance, unit number
OwnerKey = tuple  # ("pk", id) for a registered owner; (estate code, kind, digest or credit code) for a new one


@dataclass
class Plan:
    communities: set[CommunityKey] = field(default_factory=set)
    estate_new: list[tuple[Estate, CommunityKey]] = field(default_factory=list)
    estate_update: list[tuple[Estate, CommunityKey | None]] = field(default_factory=list)
    estate_fields: set[str] = field(default_factory=set)
    building_new: list[tuple[str, BuildingRow]] = field(default_factory=list)
    building_update: list[Building] = field(default_factory=list)
    building_fields: set[str] = field(default_factory=set)
    unit_new: list[tuple[int | BuildingKey, UnitKey, UnitRow]] = field(default_factory=list)
    unit_update: list[Unit] = field(default_factory=list)
    unit_fields: set[str] = field(default_factory=set)
    owner_new: dict[OwnerKey, tuple[str, OwnerRow]] = field(default_factory=dict)
    owner_update: list[Owner] = field(default_factory=list)
    owner_fields: set[str] = field(default_factory=set)
    ownership_new: list[tuple[int | UnitKey, OwnerKey, Decimal, datetime.date]] = field(default_factory=list)
    ownership_lower: list[Ownership] = field(default_factory=list)
    ownership_other: list[Ownership] = field(default_factory=list)


class Planner:
    """Checks every row against the database and the rest of the file; plans the writes."""

    def __init__(self, sheets: dict[str, Sheet], user, errors: list[InventoryError]):
        self.sheets = sheets
        self.errors = errors
        self.plan = Plan()
        self.full_access = user is None or user_sees_everything(user)
        self.visible: set[int] | None = None
        if not self.full_access:
            self.visible = set(estates_visible_to(user=user).values_list("pk", flat=True))
        codes = {r.estate_code for key in ("buildings", "units", "owners") for r in self._rows(key) if r.estate_code}
        codes |= {r.code for r in self._rows("estates") if r.code}
        ordered = sorted(codes)
        self.estates = {
            e.code: e
            for start in range(0, len(ordered), 5000)
            for e in Estate.objects.filter(code__in=ordered[start : start + 5000]).select_related("community")
        }
        self.file_estates: dict[str, int] = {}
        self.file_buildings: dict[BuildingKey, int] = {}
        self.file_units: dict[UnitKey, int] = {}

    def _rows(self, key: str) -> list:
        sheet = self.sheets.get(key)
        return sheet.rows if sheet else []

    def _broken(self, key: str) -> bool:
        sheet = self.sheets.get(key)
        return sheet is not None and not sheet.sound

    def _err(self, sheet_key: str, row: int, col: str, zh: str, en: str) -> None:
        self.errors.append(self.sheets[sheet_key].error(row, col, zh, en))

    def run(self) -> Plan:
        self._plan_estates()
        self._plan_buildings()
        self._plan_units()
        self._plan_owners()
        return self.plan

    # estates ---------------------------------------------------------------------------------

    def _estate_allowed(self, sheet_key: str, row: int, col: str, code: str) -> bool:
        """Whether the user may touch this existing estate; records the error if not."""
        estate = self.estates[code]
        if self.visible is not None and estate.pk not in self.visible:
            self._err(sheet_key, row, col, f"无权导入该小区 {code}", f"you may not import estate {code}")
            return False
        return True

    def _estate_ref(self, sheet_key: str, row: int, code: str) -> tuple[bool, Estate | None]:
        """(usable, estate in the database or None for one created by this file)."""
        if not code:
            return False, None
        if code in self.estates:
            return self._estate_allowed(sheet_key, row, "estate_code", code), self.estates[code]
        if code in self.file_estates:
            return True, None
        if not self._broken("estates"):
            self._err(sheet_key, row, "estate_code", f"未知的小区编码 {code}", f"unknown estate code {code}")
        return False, None

    def _plan_estates(self) -> None:
        rows = self._rows("estates")
        if not rows:
            return
        sheet = self.sheets["estates"]
        districts = {d.name: d for d in District.objects.all()}
        subdistricts = {(s.district_id, s.name): s for s in Subdistrict.objects.all()}
        communities = {(c.subdistrict_id, c.name): c for c in Community.objects.all()}

        def existing_community(key: CommunityKey) -> Community | None:
            district = districts.get(key[0])
            subdistrict = subdistricts.get((district.pk, key[1])) if district else None
            return communities.get((subdistrict.pk, key[2])) if subdistrict else None

        for r in rows:
            if not r.code:
                continue
            if r.code in self.file_estates:
                self._err(
                    "estates",
                    r.row,
                    "code",
                    f"小区编码重复，与第{self.file_estates[r.code]}行相同",
                    f"duplicate estate code, already on row {self.file_estates[r.code]}",
                )
                continue
            self.file_estates[r.code] = r.row
            estate = self.estates.get(r.code)
            if estate is None and not self.full_access:
                self._err("estates", r.row, "code", f"无权新建小区 {r.code}", f"you may not create estate {r.code}")
                continue
            if estate is not None and not self._estate_allowed("estates", r.row, "code", r.code):
                continue
            if not (r.district and r.subdistrict and r.community):
                continue
            key = (r.district, r.subdistrict, r.community)
            community = existing_community(key)
            if estate is None:
                self.plan.communities.add(key)
                new = Estate(code=r.code, name=r.name, address=r.address, built_year=r.built_year)
                self.plan.estate_new.append((new, key))
                continue
            changed: set[str] = set()
            moved = community is None or community.pk != estate.community_id
            if moved:
                if not self.full_access:
                    self._err(
                        "estates",
                        r.row,
                        "community",
                        "无权变更小区所属的区县、街道或社区（或该社区不存在）",
                        f"you may not move estate {r.code} to another district, sub-district or community (or that community does not exist)",
                    )
                    continue
                self.plan.communities.add(key)
                changed.add("community")
            if r.name and estate.name != r.name:
                estate.name = r.name
                changed.add("name")
            if sheet.has("address") and estate.address != r.address:
                estate.address = r.address
                changed.add("address")
            if sheet.has("built_year") and estate.built_year != r.built_year:
                estate.built_year = r.built_year
                changed.add("built_year")
            if changed:
                self.plan.estate_update.append((estate, key if moved else None))
                self.plan.estate_fields |= changed

    # buildings -------------------------------------------------------------------------------

    @cached_property
    def existing_buildings(self) -> dict[tuple[int, str], Building]:
        ids = [e.pk for e in self.estates.values()]
        return {(b.estate_id, b.number): b for b in Building.objects.filter(estate_id__in=ids)}

    def _plan_buildings(self) -> None:
        sheet = self.sheets.get("buildings")
        existing = self.existing_buildings
        for r in self._rows("buildings"):
            usable, estate = self._estate_ref("buildings", r.row, r.estate_code)
            if not r.number:
                continue
            key = (r.estate_code, r.number)
            if key in self.file_buildings:
                self._err(
                    "buildings",
                    r.row,
                    "number",
                    f"楼栋重复，与第{self.file_buildings[key]}行相同",
                    f"duplicate building, already on row {self.file_buildings[key]}",
                )
                continue
            self.file_buildings[key] = r.row
            if not usable:
                continue
            building = existing.get((estate.pk, r.number)) if estate else None
            if building is None:
                self.plan.building_new.append((r.estate_code, r))
                continue
            changed = set()
            if r.floors is not None and building.floors != r.floors:
                building.floors = r.floors
                changed.add("floors")
            for name in ("built_year", "lift_added_year"):
                if sheet.has(name) and getattr(building, name) != getattr(r, name):
                    setattr(building, name, getattr(r, name))
                    changed.add(name)
            if changed:
                self.plan.building_update.append(building)
                self.plan.building_fields |= changed

    # units -----------------------------------------------------------------------------------

    def _building_ref(self, sheet_key: str, row: int, estate: Estate | None, code: str, number: str) -> int | BuildingKey | None:
        if estate is not None:
            building = self.existing_buildings.get((estate.pk, number))
            if building is not None:
                return building.pk
        if (code, number) in self.file_buildings:
            return (code, number)
        if not self._broken("buildings"):
            self._err(
                sheet_key,
                row,
                "building",
                f"小区 {code} 没有楼栋 {number}（数据库和楼栋表中都没有）",
                f"estate {code} has no building {number} (neither in the database nor on the buildings sheet)",
            )
        return None

    @cached_property
    def existing_units(self) -> dict[tuple[int, int, str], tuple]:
        ids = [e.pk for e in self.estates.values()]
        fields = ("id", "building_id", "entrance", "number", "floor", "exclusive_area", "use", "built_year")
        return {
            (u[1], u[2], u[3]): u for u in Unit.objects.filter(building__estate_id__in=ids).values_list(*fields).iterator(5000)
        }

    def _plan_units(self) -> None:
        sheet = self.sheets.get("units")
        rows = self._rows("units")
        if not rows:
            return
        existing = self.existing_units
        for r in rows:
            usable, estate = self._estate_ref("units", r.row, r.estate_code)
            if not (r.building and r.number):
                continue
            key = (r.estate_code, r.building, r.entrance, r.number)
            if key in self.file_units:
                self._err(
                    "units",
                    r.row,
                    "number",
                    f"房屋重复：{r.building}-{r.entrance}-{r.number} 与第{self.file_units[key]}行相同",
                    f"duplicate unit {r.building}-{r.entrance}-{r.number}, already on row {self.file_units[key]}",
                )
                continue
            self.file_units[key] = r.row
            if not usable:
                continue
            building = self._building_ref("units", r.row, estate, r.estate_code, r.building)
            if building is None or r.floor is None or r.exclusive_area is None:
                continue
            current = existing.get((building, r.entrance, r.number)) if isinstance(building, int) else None
            if current is None:
                self.plan.unit_new.append((building, key, r))
                continue
            pk, building_id, entrance, number, floor, area, use, built_year = current
            changed = set()
            if floor != r.floor:
                changed.add("floor")
            if area != r.exclusive_area:
                changed.add("exclusive_area")
            if sheet.has("use") and use != r.use:
                changed.add("use")
            if sheet.has("built_year") and built_year != r.built_year:
                changed.add("built_year")
            if changed:
                self.plan.unit_update.append(
                    Unit(
                        pk=pk,
                        building_id=building_id,
                        entrance=entrance,
                        number=number,
                        floor=r.floor,
                        exclusive_area=r.exclusive_area,
                        use=r.use if sheet.has("use") else use,
                        built_year=r.built_year if sheet.has("built_year") else built_year,
                    )
                )
                self.plan.unit_fields |= changed

    # owners and ownerships -------------------------------------------------------------------

    def _unit_ref(self, row: OwnerRow, estate: Estate | None) -> int | UnitKey | None:
        key = (row.estate_code, row.building, row.entrance, row.unit)
        if estate is not None:
            building = self.existing_buildings.get((estate.pk, row.building))
            if building is not None:
                current = self.existing_units.get((building.pk, row.entrance, row.unit))
                if current is not None:
                    return current[0]
        if key in self.file_units:
            return key
        if not (self._broken("units") or self._broken("buildings")):
            self._err(
                "owners",
                row.row,
                "unit",
                f"小区 {row.estate_code} 没有房屋 {row.building}-{row.entrance}-{row.unit}",
                f"estate {row.estate_code} has no unit {row.building}-{row.entrance}-{row.unit}",
            )
        return None

    def _plan_owners(self) -> None:
        rows = self._rows("owners")
        if not rows:
            return
        sheet = self.sheets["owners"]
        ids = [e.pk for e in self.estates.values()]
        owners = list(Owner.objects.filter(estate_id__in=ids))
        by_digest = {(o.estate_id, o.id_number_digest): o for o in owners if o.id_number_digest}
        by_credit = {(o.estate_id, o.credit_code): o for o in owners if o.credit_code}
        by_mask: dict[tuple[int, str], list[Owner]] = defaultdict(list)
        for o in owners:
            if o.id_number_masked:
                by_mask[(o.estate_id, o.id_number_masked)].append(o)
        current: dict[tuple[int, int], Ownership] = {}
        held: dict[int, list[Ownership]] = defaultdict(list)
        for o in Ownership.objects.filter(unit__building__estate_id__in=ids, until__isnull=True).only(
            "id", "unit_id", "owner_id", "share", "since", "until"
        ):
            current[(o.unit_id, o.owner_id)] = o
            held[o.unit_id].append(o)

        seen_owner: dict[OwnerKey, OwnerRow] = {}
        seen_pair: dict[tuple, int] = {}
        updated_owners: dict[int, Owner] = {}
        shares: dict[int | UnitKey, list[tuple[int | None, Decimal, int]]] = defaultdict(list)  # unit → (owner pk, share, row)

        for r in rows:
            usable, estate = self._estate_ref("owners", r.row, r.estate_code)
            if not usable or not (r.building and r.unit and r.id_number):
                continue
            unit = self._unit_ref(r, estate)
            owner = self._match_owner(r, estate, unit, by_digest, by_credit, by_mask, current)
            if unit is None or owner is None or not r.valid:
                continue
            okey: OwnerKey = ("pk", owner.pk) if isinstance(owner, Owner) else owner
            first = seen_owner.get(okey)
            if first is not None:
                if first.name != r.name:
                    self._err(
                        "owners",
                        r.row,
                        "name",
                        f"同一证件号码在第{first.row}行的姓名是「{first.name}」",
                        f"the same ID number has the name '{first.name}' on row {first.row}",
                    )
                    continue
                if sheet.has("phone") and first.phone != r.phone:
                    self._err(
                        "owners",
                        r.row,
                        "phone",
                        f"同一业主在第{first.row}行的电话不同",
                        f"the same owner has another phone number on row {first.row}",
                    )
                    continue
            else:
                seen_owner[okey] = r
                if isinstance(owner, Owner):
                    self._plan_owner_update(r, owner, sheet, updated_owners)
                else:
                    if "*" in r.phone:
                        self._err(
                            "owners",
                            r.row,
                            "phone",
                            "新业主的电话不能带*号，请填写完整号码",
                            "a new owner needs the full phone number, not a masked one",
                        )
                        continue
                    self.plan.owner_new[okey] = (r.estate_code, r)
            pair = (unit, okey)
            if pair in seen_pair:
                self._err(
                    "owners",
                    r.row,
                    "id_number",
                    f"同一业主对同一房屋重复登记，与第{seen_pair[pair]}行相同",
                    f"the same owner of the same unit is already on row {seen_pair[pair]}",
                )
                continue
            seen_pair[pair] = r.row
            existing = current.get((unit, owner.pk)) if isinstance(unit, int) and isinstance(owner, Owner) else None
            if existing is None:
                share = r.share if r.share is not None else Decimal(1)
                self.plan.ownership_new.append((unit, okey, share, r.since))
                shares[unit].append((None, share, r.row))
                continue
            share = (r.share if r.share is not None else Decimal(1)) if sheet.has("share") else existing.share
            shares[unit].append((existing.owner_id, share, r.row))
            if share != existing.share or r.since != existing.since:
                lower = share < existing.share
                existing.share, existing.since = share, r.since
                (self.plan.ownership_lower if lower else self.plan.ownership_other).append(existing)

        for unit, on_sheet in shares.items():
            listed = {owner_pk for owner_pk, _share, _row in on_sheet if owner_pk is not None}
            others = (
                sum((o.share for o in held.get(unit, []) if o.owner_id not in listed), Decimal(0)) if isinstance(unit, int) else 0
            )
            total = others + sum(share for _pk, share, _row in on_sheet)
            if total > 1:
                last_row = max(row for _pk, _share, row in on_sheet)
                self._err(
                    "owners",
                    last_row,
                    "share",
                    f"该房屋现有产权份额合计为 {total.normalize()}，超过 1",
                    f"the current shares of this unit would add up to {total.normalize()}, more than 1",
                )
        self.plan.owner_update = list(updated_owners.values())

    def _match_owner(self, r: OwnerRow, estate, unit, by_digest, by_credit, by_mask, current) -> Owner | OwnerKey | None:
        if r.kind == OwnerKind.ORGANISATION:
            found = by_credit.get((estate.pk, r.id_number)) if estate else None
            return found or (r.estate_code, OwnerKind.ORGANISATION, r.id_number)
        if "*" not in r.id_number:
            digest = crypto.digest(r.id_number)
            found = by_digest.get((estate.pk, digest)) if estate else None
            return found or (r.estate_code, OwnerKind.PERSON, digest)
        candidates = by_mask.get((estate.pk, r.id_number), []) if estate else []
        if len(candidates) > 1:
            holding = [o for o in candidates if isinstance(unit, int) and (unit, o.pk) in current]
            candidates = holding if len(holding) == 1 else [o for o in (holding or candidates) if o.name == r.name]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            self._err(
                "owners",
                r.row,
                "id_number",
                "带*号的证件号码与本小区已登记业主的号码不符；新业主或新号码请填写完整号码",
                "a masked ID number (with *) must match an owner already registered in this estate; give the full number",
            )
        else:
            self._err(
                "owners",
                r.row,
                "id_number",
                "带*号的证件号码对应多名业主，请填写完整号码",
                "the masked ID number matches several owners; give the full number",
            )
        return None

    def _plan_owner_update(self, r: OwnerRow, owner: Owner, sheet: Sheet, updated: dict[int, Owner]) -> None:
        changed = set()
        if r.name and owner.name != r.name:
            owner.name = r.name
            changed.add("name")
        if sheet.has("phone"):
            phone_changed = False
            if not r.phone:
                phone_changed = bool(owner.phone_masked or owner.phone_encrypted)
            elif "*" in r.phone:
                if r.phone != owner.phone_masked:
                    self._err(
                        "owners",
                        r.row,
                        "phone",
                        "带*号的电话与已登记的电话不符，请填写完整号码",
                        "the masked phone number does not match the registered one; give the full number",
                    )
                    return
            else:
                phone_changed = mask_phone(r.phone) != owner.phone_masked or owner.get_phone() != r.phone
            if phone_changed:
                owner.set_phone(r.phone)
                changed |= {"phone_encrypted", "phone_masked"}
        if changed:
            updated[owner.pk] = owner
            self.plan.owner_fields |= changed
