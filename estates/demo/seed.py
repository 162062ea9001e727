"""The inventory's demo data: districts down to units, owners, common assets, renovation projects and logins.

``demo_seed()`` fills an *empty* inventory. Everything comes from one ``random.Random(seed)``, so the
same ``units`` give the same data on every run. Estates hold about 200 units in buildings of 1980s–90s
type (6–7 floors, 2–3 entrances, two flats per landing), so ``--units 100000`` gives about 500 estates
for benchmarks.

Rows are built in Python and written with ``bulk_create`` a few dozen estates at a time: no query per row.
Personal data is stored exactly as ``owner_save`` stores it (encrypted, digest, masked), with valid
resident ID numbers and unified social credit codes.
"""

from __future__ import annotations

import datetime
import math
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import User

from ..models import (
    Building,
    CommonAsset,
    Community,
    ContentItem,
    District,
    Estate,
    FundingLine,
    ManagementModel,
    Owner,
    OwnerKind,
    Ownership,
    RenovationProject,
    Subdistrict,
    Unit,
    UnitUse,
)
from ..services import role_grant
from ..validators import resident_id_check_char, uscc_check_char
from .logins import _LOGIN_PEOPLE, _OWNER_LOGINS, DEMO_LOGINS, DEMO_PASSWORD, JINTANGJIE, TONGYUANMEN, YANGHE
from .projects import common_assets, renovation_project
from .registry import demo_data_allowed_check, write
from .vocabulary import (
    COMMUNITY_STEMS,
    DISTRICTS,
    ESTATE_STEMS,
    FEMALE_NAMES,
    KNOWN_COMMUNITIES,
    MALE_NAMES,
    MOBILE_PREFIXES,
    OTHER_REGIONS,
    PHASES,
    PLACE_SUFFIXES,
    SHOP_BRANDS,
    SHOP_TRADES,
    SURNAME_CUM_WEIGHTS,
    SURNAMES,
    WORK_UNIT_SUFFIXES,
    WORK_UNITS,
)

DEFAULT_UNITS = 600
UNITS_PER_ESTATE = 200
DEFAULT_SEED = 2026
BATCH_SIZE = 2000
ESTATES_PER_CHUNK = 25

ALREADY_PRESENT = "演示数据已存在，未做更改 / Demo data already present; nothing changed"


# --- the plan, built in Python before anything is written -------------------------------------------


@dataclass
class EstatePlan:
    index: int
    estate: Estate
    district_code: str
    units: int
    model: str
    project_year: int


@dataclass
class _Chunk:
    buildings: list[Building] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    owners: list[Owner] = field(default_factory=list)
    ownerships: list[Ownership] = field(default_factory=list)
    assets: list[CommonAsset] = field(default_factory=list)
    projects: list[RenovationProject] = field(default_factory=list)
    # project -> (content items, funding lines), linked once the project has its pk
    project_children: list[tuple[RenovationProject, list[ContentItem], list[FundingLine]]] = field(default_factory=list)


def demo_seed(*, units: int = DEFAULT_UNITS, stdout: TextIO | None = None, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Fill an empty inventory with ``units`` units of demo data and the demo logins; return row counts.

    Refuses (``DemoDataNotAllowedError``) where ``settings.DEMO_DATA_ALLOWED`` is false. If any estate exists
    already it writes a note and changes nothing (every count is 0).
    """
    demo_data_allowed_check()
    if units < 3:
        raise ValueError("The demo needs at least 3 units (one estate per management model).")
    counts = dict.fromkeys(
        [
            "districts",
            "subdistricts",
            "communities",
            "estates",
            "buildings",
            "units",
            "owners",
            "ownerships",
            "common_assets",
            "renovation_projects",
            "content_items",
            "funding_lines",
            "users",
        ],
        0,
    )
    if Estate.objects.exists():
        write(stdout, ALREADY_PRESENT)
        return counts
    started = time.perf_counter()
    with transaction.atomic():
        _Seeder(random.Random(seed), units, counts, stdout).run()
    write(stdout, f"演示数据已加载 / Demo data loaded in {time.perf_counter() - started:.1f} s: " + _format_counts(counts))
    return counts


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {number}" for name, number in counts.items())


class _Seeder:
    def __init__(self, rng: random.Random, units: int, counts: dict[str, int], stdout: TextIO | None):
        self.rng = rng
        self.total_units = units
        self.counts = counts
        self.stdout = stdout
        self.used_id_numbers: set[str] = set()
        self.used_credit_codes: set[str] = set()
        self.used_estate_names: set[str] = set()
        self.users: dict[str, User] = {}
        self.birth_years: dict[int, int] = {}  # id(owner) -> year of birth, for the estate being built

    # -- orchestration --------------------------------------------------------------------------

    def run(self) -> None:
        districts, subdistricts = self._create_places()
        plans = self._plan_estates(districts, subdistricts)
        self._create_users(plans)
        for start in range(0, len(plans), ESTATES_PER_CHUNK):
            chunk = _Chunk()
            for plan in plans[start : start + ESTATES_PER_CHUNK]:
                self._build_estate(plan, chunk)
            self._save_chunk(chunk)
            if len(plans) > ESTATES_PER_CHUNK:
                done = min(start + ESTATES_PER_CHUNK, len(plans))
                write(self.stdout, f"  … {done}/{len(plans)} estates, {self.counts['units']} units")

    def _save_chunk(self, chunk: _Chunk) -> None:
        Building.objects.bulk_create(chunk.buildings, batch_size=BATCH_SIZE)
        Unit.objects.bulk_create(chunk.units, batch_size=BATCH_SIZE)
        Owner.objects.bulk_create(chunk.owners, batch_size=BATCH_SIZE)
        Ownership.objects.bulk_create(chunk.ownerships, batch_size=BATCH_SIZE)
        CommonAsset.objects.bulk_create(chunk.assets, batch_size=BATCH_SIZE)
        RenovationProject.objects.bulk_create(chunk.projects, batch_size=BATCH_SIZE)
        items, lines = [], []
        for project, project_items, project_lines in chunk.project_children:
            for child in (*project_items, *project_lines):
                child.project_id = project.pk
            items += project_items
            lines += project_lines
        ContentItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
        FundingLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
        for key, rows in [
            ("buildings", chunk.buildings),
            ("units", chunk.units),
            ("owners", chunk.owners),
            ("ownerships", chunk.ownerships),
            ("common_assets", chunk.assets),
            ("renovation_projects", chunk.projects),
            ("content_items", items),
            ("funding_lines", lines),
        ]:
            self.counts[key] += len(rows)

    # -- districts, sub-districts, communities, estates --------------------------------------------

    def _create_places(self):
        districts = District.objects.bulk_create([District(code=code, name=name) for code, name, _s, _r in DISTRICTS])
        by_code = {d.code: d for d in districts}
        subdistricts = Subdistrict.objects.bulk_create(
            [
                Subdistrict(district=by_code[code], code=f"{code}{i:03d}", name=name)
                for code, _n, names, _r in DISTRICTS
                for i, name in enumerate(names, start=1)
            ]
        )
        self.counts["districts"] = len(districts)
        self.counts["subdistricts"] = len(subdistricts)
        return by_code, subdistricts

    def _plan_estates(self, districts: dict[str, District], subdistricts: list[Subdistrict]) -> list[EstatePlan]:
        rng = self.rng
        n_estates = max(3, round(self.total_units / UNITS_PER_ESTATE))
        quotas = self._split(self.total_units, n_estates, spread=0.3)
        by_name = {s.name: s for s in subdistricts}
        roads = {code: road_list for code, _n, _s, road_list in DISTRICTS}
        communities: dict[str, list[Community]] = {}  # subdistrict code -> communities
        estates_in: dict[int, int] = {}  # id(community) -> number of estates
        new_communities: list[Community] = []

        def community_for(subdistrict: Subdistrict, name: str | None = None) -> Community:
            existing = communities.setdefault(subdistrict.code, [])
            if name is not None:
                for community in existing:
                    if community.name == name:
                        return community
            elif existing and (estates_in[id(existing[-1])] < 3 and rng.random() < 0.6):
                return existing[-1]
            else:
                taken = {c.name for c in existing}
                free = [n for n in KNOWN_COMMUNITIES.get(subdistrict.name, []) if n not in taken]
                free += [f"{stem}社区" for stem in COMMUNITY_STEMS if f"{stem}社区" not in taken and f"{stem}社区" not in free]
                if not free:
                    return rng.choice(existing)
                name = free[0] if free[0] in KNOWN_COMMUNITIES.get(subdistrict.name, []) else rng.choice(free)
            community = Community(
                subdistrict=subdistrict,
                code=f"{subdistrict.code}{len(existing) + 1:03d}",
                name=name,
                residents_committee_phone=f"023-6{rng.randrange(1000000, 9999999)}",
            )
            existing.append(community)
            estates_in[id(community)] = 0
            new_communities.append(community)
            return community

        fixed = [
            ("七星岗街道", "金汤街社区", JINTANGJIE, ManagementModel.PROFESSIONAL, 1989, 2021),
            ("七星岗街道", "通远门社区", TONGYUANMEN, ManagementModel.SERVICE_CENTRE, 1985, 2022),
            ("观音桥街道", "洋河社区", YANGHE, ManagementModel.SELF_GOVERNANCE, 1993, 2023),
        ]
        plans: list[EstatePlan] = []
        for index, quota in enumerate(quotas):
            if index < len(fixed):
                sub_name, community_name, name, model, built, year = fixed[index]
                subdistrict = by_name[sub_name]
                community = community_for(subdistrict, community_name)
            else:
                subdistrict = rng.choice(subdistricts)
                community = community_for(subdistrict)
                name = self._estate_name(subdistrict)
                model = rng.choices(list(ManagementModel), weights=[5, 3.5, 1.5])[0]
                built = rng.randint(1980, 1999)
                year = rng.choice([2021, 2022, 2023])
            self.used_estate_names.add(name)
            estates_in[id(community)] += 1
            district_code = subdistrict.code[:6]
            estate = Estate(
                community=community,
                code=f"{district_code}-{index + 1:05d}",
                name=name,
                address=f"重庆市{districts[district_code].name}{rng.choice(roads[district_code])}{rng.randint(1, 400)}号",
                built_year=built,
            )
            plans.append(EstatePlan(index, estate, district_code, quota, model, year))
        Community.objects.bulk_create(new_communities, batch_size=BATCH_SIZE)
        Estate.objects.bulk_create([p.estate for p in plans], batch_size=BATCH_SIZE)
        self.counts["communities"] = len(new_communities)
        self.counts["estates"] = len(plans)
        return plans

    def _estate_name(self, subdistrict: Subdistrict) -> str:
        rng = self.rng
        # Many estates are named after the place they stand in, the rest after the old work unit.
        stem = subdistrict.name.removesuffix("街道") if rng.random() < 0.4 else rng.choice(ESTATE_STEMS)
        suffix = rng.choice(
            WORK_UNIT_SUFFIXES if stem.endswith(("厂", "局", "公司", "钢", "汽", "仪", "建工", "铁路")) else PLACE_SUFFIXES
        )
        name = stem + suffix
        if name not in self.used_estate_names:
            return name
        for phase in PHASES:
            if name + phase not in self.used_estate_names:
                return name + phase
        number = 2
        while f"{name}{number}号院" in self.used_estate_names:
            number += 1
        return f"{name}{number}号院"

    def _split(self, total: int, parts: int, *, spread: float) -> list[int]:
        """``total`` split into ``parts`` positive integers that vary by about ±spread."""
        weights = [1 + self.rng.uniform(-spread, spread) for _ in range(parts)]
        scale = (total - parts) / sum(weights)
        raw = [w * scale for w in weights]
        shares = [1 + math.floor(r) for r in raw]
        leftover = total - sum(shares)
        for i in sorted(range(parts), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)[:leftover]:
            shares[i] += 1
        return shares

    # -- logins ------------------------------------------------------------------------------------

    def _create_users(self, plans: list[EstatePlan]) -> None:
        existing = {u.mobile: u for u in User.objects.filter(mobile__in=[m for m, _r, _d in DEMO_LOGINS])}
        # One hash for all: the password is public anyway, and each hash costs the full work factor.
        password_hash = make_password(DEMO_PASSWORD)
        for mobile, _role, _description in DEMO_LOGINS:
            if mobile in existing:  # someone made this account by hand: leave its password alone
                self.users[mobile] = existing[mobile]
                continue
            name = _LOGIN_PEOPLE[mobile][0]
            create = User.objects.create_superuser if mobile == "13900000000" else User.objects.create_user
            user = create(mobile, None, name=name)
            user.password = password_hash
            user.save(update_fields=["password"])
            self.users[mobile] = user
            self.counts["users"] += 1
        professional, self_governance = plans[0].estate, plans[2].estate
        scopes = {
            "13900000001": {"estate": professional},
            "13900000002": {"subdistrict": professional.community.subdistrict},
            "13900000003": {"estate": self_governance},
        }
        for mobile, role, _description in DEMO_LOGINS:
            role_grant(user=self.users[mobile], role=role, **scopes.get(mobile, {}))

    # -- one estate ----------------------------------------------------------------------------------

    def _build_estate(self, plan: EstatePlan, chunk: _Chunk) -> None:
        rng = self.rng
        estate = plan.estate
        n_buildings = max(1, round(plan.units / 38))
        buildings: list[Building] = []
        estate_units: list[Unit] = []
        for number, quota in enumerate(self._split_even(plan.units, n_buildings), start=1):
            building, units = self._building(estate, number, quota, street_facing=(number == 1 and rng.random() < 0.7))
            buildings.append(building)
            estate_units += units
        project, items, lines, lifts, completed_on = renovation_project(self.rng, plan, buildings, estate_units)
        # Lifts go into the tallest buildings first.
        if completed_on is not None:
            for building in sorted(buildings, key=lambda b: (-b.floors, b.number))[:lifts]:
                building.lift_added_year = completed_on.year
        chunk.buildings += buildings
        chunk.units += estate_units
        self._owners(plan, estate_units, chunk)
        chunk.assets += common_assets(self.rng, estate, buildings, items)
        chunk.projects.append(project)
        chunk.project_children.append((project, items, lines))

    @staticmethod
    def _split_even(total: int, parts: int) -> list[int]:
        base, extra = divmod(total, parts)
        return [base + (1 if i < extra else 0) for i in range(parts)]

    def _building(self, estate: Estate, number: int, quota: int, *, street_facing: bool) -> tuple[Building, list[Unit]]:
        """A building of ``quota`` units: two flats per landing; missing places are on the ground floor
        (an open 架空层 or a caretaker's room, common on Chongqing's slopes)."""
        rng = self.rng
        options = [(e, math.ceil(quota / (2 * e))) for e in (2, 3) if 5 <= math.ceil(quota / (2 * e)) <= 7]
        if options:
            entrances, floors = rng.choice(options)
        else:
            entrances = max(1, min(4, math.ceil(quota / 14)))
            floors = math.ceil(quota / (2 * entrances))
        missing = 2 * entrances * floors - quota
        absent = set()
        for i in range(missing):  # from the last entrance backwards, flat 02 before flat 01
            entrance = entrances - i // 2
            absent.add((entrance, 2 - i % 2))
        built = min(2000, (estate.built_year or 1990) + rng.randint(0, 2))
        building = Building(estate=estate, number=str(number), floors=floors, built_year=built)
        units = []
        for entrance in range(1, entrances + 1):
            stacks = [rng.triangular(45, 98.5, 63) for _ in range(2)]  # the same plan on every floor
            shop = 0
            for floor in range(1, floors + 1):
                for flat in (1, 2):
                    if floor == 1 and (entrance, flat) in absent:
                        continue
                    if floor == 1 and street_facing:
                        shop += 1
                        area, use, unit_number = rng.uniform(18, 85), UnitUse.SHOP, f"附{(entrance - 1) * 2 + shop}"
                    else:
                        area, use, unit_number = (
                            stacks[flat - 1] + rng.uniform(-0.4, 0.4),
                            UnitUse.RESIDENTIAL,
                            f"{floor}{flat:02d}",
                        )
                    area = min(
                        max(area, 45.0 if use == UnitUse.RESIDENTIAL else 18.0), 98.5 if use == UnitUse.RESIDENTIAL else 85.0
                    )
                    units.append(
                        Unit(
                            building=building,
                            entrance=entrance,
                            floor=floor,
                            number=unit_number,
                            exclusive_area=Decimal(f"{area:.2f}"),
                            use=use,
                            built_year=built,
                        )
                    )
        return building, units

    # -- owners --------------------------------------------------------------------------------------

    def _owners(self, plan: EstatePlan, units: list[Unit], chunk: _Chunk) -> None:
        rng = self.rng
        estate, region = plan.estate, plan.district_code
        built = estate.built_year or 1990
        work_unit = None  # the old work unit that kept a few flats; made on first use
        singles: list[Owner] = []  # persons holding one unit, who may hold a second
        login_mobiles = list(_OWNER_LOGINS.get(plan.index, []))
        birth_years = self.birth_years = {}
        kept = self._kept_by_original_work_unit(plan, units)
        for unit in units:
            owners_before, singles_before, work_unit_before = len(chunk.owners), list(singles), work_unit
            since = self._purchase_date(built)
            roll = rng.random()
            residential = unit.use == UnitUse.RESIDENTIAL
            if not residential and roll < 0.5:
                owner = self._organisation(estate, region, shop=True)
                chunk.owners.append(owner)
                holders = [(owner, Decimal("1"))]
            elif residential and roll < 0.04 and singles:
                holders = [(singles.pop(rng.randrange(len(singles))), Decimal("1"))]
            elif residential and roll < 0.12:  # a married couple, half each
                husband, birth_year = self._person(estate, region, male=True)
                wife, _birth = self._person(estate, region, male=False, birth_year=birth_year + rng.randint(-4, 3))
                chunk.owners += [husband, wife]
                holders = [(husband, Decimal("0.5")), (wife, Decimal("0.5"))]
            elif residential and roll < 0.135:
                if work_unit is None:
                    work_unit = self._organisation(estate, region, shop=False)
                    chunk.owners.append(work_unit)
                holders = [(work_unit, Decimal("1"))]
                since = datetime.date(built, 12, 31)
            elif login_mobiles and residential and unit.floor >= 2:
                mobile = login_mobiles.pop(0)
                owner, _birth = self._person(estate, region, male=_LOGIN_PEOPLE[mobile][1])
                owner.name = _LOGIN_PEOPLE[mobile][0]
                owner.set_phone(mobile)
                owner.user = self.users[mobile]
                chunk.owners.append(owner)
                holders = [(owner, Decimal("1"))]
            else:
                owner, _birth = self._person(estate, region, male=rng.random() < 0.5)
                chunk.owners.append(owner)
                singles.append(owner)
                holders = [(owner, Decimal("1"))]
            if id(unit) in kept:
                # Never sold in the housing reform: the original work unit still holds it. The owner drawn
                # above is dropped, so the random sequence (and every other estate's data) stays the same.
                del chunk.owners[owners_before:]
                singles[:], work_unit = singles_before, work_unit_before
                if kept[id(unit)] not in chunk.owners:
                    chunk.owners.append(kept[id(unit)])
                holders, since = [(kept[id(unit)], Decimal("1"))], datetime.date(built, 12, 31)
            youngest = max((birth_years.get(id(owner), 0) for owner, _share in holders), default=0)
            if since.year < youngest + 20:  # nobody buys a flat before about twenty
                since = since.replace(year=youngest + 20 + rng.randint(0, 4))
            for owner, share in holders:
                chunk.ownerships.append(Ownership(unit=unit, owner=owner, share=share, since=since))

    def _kept_by_original_work_unit(self, plan: EstatePlan, units: list[Unit]) -> dict[int, Owner]:
        """In 洋河新村 the original work unit (原产权单位) kept the ground-floor flats of the last building.

        It is one owner however many units it holds (SPC interpretation on building ownership Art. 9) and votes
        through its named representative. Made without the random generator, so nothing else changes.
        """
        if plan.estate.name != YANGHE:
            return {}
        last = units[-1].building if units else None
        flats = [u for u in units if u.building is last and u.floor == 1 and u.use == UnitUse.RESIDENTIAL][:3]
        if len(flats) < 2:
            return {}
        body = f"{plan.index:08d}"
        first17 = "91" + plan.district_code + body + _organisation_code_check(body)
        self.used_credit_codes.add(first17)
        work_unit = Owner(
            estate=plan.estate,
            kind=OwnerKind.ORGANISATION,
            name="重庆长江电工厂（原产权单位）",
            credit_code=first17 + uscc_check_char(first17),
            representative_name="周建国",
        )
        return {id(u): work_unit for u in flats}

    def _purchase_date(self, built: int) -> datetime.date:
        # Most flats were bought from the work unit in the housing reform of 1994–2000; some resold since.
        rng = self.rng
        first = max(built + 1, 1994)
        year = rng.randint(first, 2000) if rng.random() < 0.65 else rng.randint(first, 2024)
        return datetime.date(min(year, 2024), rng.randint(1, 12), rng.randint(1, 28))

    def _person(self, estate: Estate, district_code: str, *, male: bool, birth_year: int | None = None) -> tuple[Owner, int]:
        """A person owner with a valid resident ID number, and the year of birth it contains."""
        rng = self.rng
        if birth_year is None:
            birth_year = round(rng.triangular(1936, 1980, 1960))
        birth = datetime.date(birth_year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        region = district_code if rng.random() < 0.7 else rng.choice(OTHER_REGIONS)
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)  # odd for men, even for women
            first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
            if first17 not in self.used_id_numbers:
                self.used_id_numbers.add(first17)
                break
        given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
        owner = Owner(
            estate=estate, kind=OwnerKind.PERSON, name=rng.choices(SURNAMES, cum_weights=SURNAME_CUM_WEIGHTS)[0] + given
        )
        owner.set_id_number(first17 + resident_id_check_char(first17))
        if rng.random() < 0.85:
            owner.set_phone(self._mobile())
        self.birth_years[id(owner)] = birth_year
        return owner, birth_year

    def _mobile(self) -> str:
        rng = self.rng
        while True:
            number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if not number.startswith(("1370000", "1380000", "1390000")):  # the demo logins' range
                return number

    def _organisation(self, estate: Estate, district_code: str, *, shop: bool) -> Owner:
        rng = self.rng
        if not shop:
            name, prefix = rng.choice(WORK_UNITS), "91"  # an enterprise registered with market regulation
        elif rng.random() < 0.5:
            name, prefix = f"重庆市{rng.choice(SHOP_BRANDS)}{rng.choice(SHOP_TRADES)}有限公司", "91"
        else:
            name, prefix = f"{rng.choice(SHOP_BRANDS)}{rng.choice(SHOP_TRADES)}店", "92"  # a sole trader
        while True:
            body = "".join(rng.choice("0123456789") for _ in range(8))
            first17 = prefix + district_code + body + _organisation_code_check(body)
            if first17 not in self.used_credit_codes:
                self.used_credit_codes.add(first17)
                break
        owner = Owner(estate=estate, kind=OwnerKind.ORGANISATION, name=name, credit_code=first17 + uscc_check_char(first17))
        if rng.random() < 0.6:
            owner.set_phone(self._mobile())
        return owner


def _organisation_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code (the USCC's 9th to 17th characters)."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    remainder = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))
