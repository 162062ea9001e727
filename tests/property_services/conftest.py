"""Personas and a small estate for property-services tests.

The estate "gov" has 6 units in building 1 (areas 80, 81, … 85 m²) held by five owners: owner A holds
two units (a multi-unit owner), the others one each. Owner logins: A 13800001001, B 13800001002, …
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from estates.models import Owner, Ownership, Unit
from property_services import services
from property_services.models import AuthorityKind, Provider, ProviderKind
from tests.conftest import PASSWORD

FIRM_CODE = "91500103MA5U3XKQ1X"  # a valid unified social credit code
FIRM2_CODE = "91500105MA60B2C31Q"


def make_owners(estate, make_user, *, prefix="1380000", start=1001, logins=True):
    """One owner per unit, except that the first owner also holds the second unit."""
    units = list(Unit.objects.filter(building__estate=estate).order_by("building__number", "number"))
    owners = []
    for i, unit in enumerate(units):
        if i == 1:
            Ownership.objects.create(unit=unit, owner=owners[0], share=Decimal("1"), since=datetime.date(2000, 1, 1))
            continue
        mobile = f"{prefix}{start + len(owners):04d}"
        user = make_user(mobile, Role.OWNER, name=f"业主{len(owners) + 1}") if logins else None
        owner = Owner.objects.create(estate=estate, name=f"业主{chr(65 + len(owners))}", user=user)
        Ownership.objects.create(unit=unit, owner=owner, share=Decimal("1"), since=datetime.date(2000, 1, 1))
        owners.append(owner)
    return owners


@pytest.fixture
def gov_estate(make_estate):
    return make_estate("GOV1", name="和平新村", units_per_building=6, area=Decimal("80.00"))


@pytest.fixture
def other_estate(make_estate):
    return make_estate("OTH1", name="山城公寓", units_per_building=2, area=Decimal("60.00"))


@pytest.fixture
def gov_owners(gov_estate, make_user):
    return make_owners(gov_estate, make_user)


@pytest.fixture
def committee_user(make_user, gov_estate):
    return make_user("13900009001", Role.COMMITTEE_MEMBER, estate=gov_estate, name="冉桂芳")


@pytest.fixture
def staff_user(make_user, gov_estate):
    return make_user("13900009002", Role.ESTATE_STAFF, estate=gov_estate, name="何晓燕")


@pytest.fixture
def other_staff(make_user, other_estate):
    return make_user("13900009003", Role.ESTATE_STAFF, estate=other_estate, name="外小区员工")


@pytest.fixture
def officer(make_user, gov_estate):
    return make_user("13900009004", Role.SUBDISTRICT_OFFICER, subdistrict=gov_estate.community.subdistrict, name="谭志刚")


def make_assembly(
    estate, *, matters=(("other_major", "更换小区门禁系统"),), opens_in_days=-1, closes_in_days=10, title="2026年第一次业主大会"
):
    """A draft assembly whose voting window is open now (by default); the meeting is 20 days after the notice."""
    now = timezone.now()
    today = timezone.localdate()
    return services.assembly_create(
        estate=estate,
        title=title,
        meeting_on=today + datetime.timedelta(days=20),
        notice_on=today,
        voting_opens_at=now + datetime.timedelta(days=opens_in_days),
        voting_closes_at=now + datetime.timedelta(days=closes_in_days),
        matters=matters,
        location="小区活动室",
    )


@pytest.fixture
def called_assembly(gov_estate, gov_owners, committee_user):
    assembly = make_assembly(
        gov_estate, matters=[("other_major", "更换小区门禁系统"), ("raise_maintenance_fund", "续筹维修资金")]
    )
    return services.assembly_call(assembly=assembly, by=committee_user)


def make_provider(kind=ProviderKind.PROPERTY_FIRM, name="重庆渝安物业服务有限公司", code=FIRM_CODE):
    return services.provider_save(
        provider=Provider(kind=kind, name=name, credit_code=code if kind == ProviderKind.PROPERTY_FIRM else "")
    )


def start_arrangement(estate, provider, starts_on, *, model="professional", rates=None, **kwargs):
    kwargs.setdefault("authority_kind", AuthorityKind.SUBDISTRICT_DECISION)
    kwargs.setdefault("authority_reference", "七星岗街道〔2024〕12号")
    kwargs.setdefault("authority_date", starts_on - datetime.timedelta(days=10))
    return services.arrangement_start(
        estate=estate,
        model=model,
        provider=provider,
        starts_on=starts_on,
        fee_rates=rates if rates is not None else {"residential": Decimal("1.20"), "shop": Decimal("2.50")},
        **kwargs,
    )


__all__ = ["PASSWORD"]
