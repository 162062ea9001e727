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
from property_services.models import (
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    AuthorityKind,
    CommitteeMember,
    OwnersCommittee,
    Provider,
    ProviderKind,
)
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
    """The chair of gov_estate's committee in office (elected 200 days ago, filed in time)."""
    user = make_user("13900009001", Role.COMMITTEE_MEMBER, estate=gov_estate, name="冉桂芳")
    make_committee(gov_estate, [Owner.objects.create(estate=gov_estate, name="冉桂芳", user=user)])
    return user


def make_committee(estate, owners, *, elected_days_ago=200, term_years=5, filed_after_days=10):
    """A committee term through the service; the first owner chairs it, the others are members."""
    today = timezone.localdate()
    elected = today - datetime.timedelta(days=elected_days_ago)
    ends = elected.replace(year=elected.year + term_years) - datetime.timedelta(days=1)
    filed = elected + datetime.timedelta(days=filed_after_days) if filed_after_days is not None else None
    members = [
        CommitteeMember(owner=o, role="chair" if i == 0 else "member", term_starts_on=elected, term_ends_on=ends)
        for i, o in enumerate(owners)
    ]
    return services.committee_save(
        committee=OwnersCommittee(estate=estate, elected_on=elected, term_ends_on=ends, filed_on=filed), members=members
    )


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
    estate,
    *,
    matters=(("other_major", "更换小区门禁系统"),),
    opens_in_days=-1,
    closes_in_days=10,
    title="2026年第一次业主大会",
    notice_days_ago=16,
):
    """A draft assembly whose voting window is open now (by default); the meeting is 20 days after the notice.

    物业管理条例 Art. 14: voting opens no earlier than 15 days after the notice, so for voting to be open
    today the notice went out 16 days ago; call it with ``call_assembly`` (as on its notice day).
    """
    now = timezone.now()
    notice_on = timezone.localdate() - datetime.timedelta(days=notice_days_ago)
    return services.assembly_create(
        estate=estate,
        title=title,
        meeting_on=notice_on + datetime.timedelta(days=20),
        notice_on=notice_on,
        voting_opens_at=now + datetime.timedelta(days=opens_in_days),
        voting_closes_at=now + datetime.timedelta(days=closes_in_days),
        matters=matters,
        location="小区活动室",
    )


def call_assembly(assembly, by):
    """Call an assembly as its caller did on the notice day (which may lie in the past)."""
    return services.assembly_call(assembly=assembly, by=by, today=assembly.notice_on)


@pytest.fixture
def called_assembly(gov_estate, gov_owners, committee_user):
    assembly = make_assembly(
        gov_estate, matters=[("other_major", "更换小区门禁系统"), ("raise_maintenance_fund", "续筹维修资金")]
    )
    return call_assembly(assembly, committee_user)


def make_provider(kind=ProviderKind.PROPERTY_FIRM, name="重庆渝安物业服务有限公司", code=FIRM_CODE):
    return services.provider_save(
        provider=Provider(kind=kind, name=name, credit_code=code if kind == ProviderKind.PROPERTY_FIRM else "")
    )


def passed_resolution(estate, *, on, matter="hire_or_dismiss_manager", title="选聘物业服务企业"):
    """A published assembly of ``on`` whose one matter passed.

    Rows written directly: a shortcut for tests about what cites a resolution, not about the vote
    (tests/property_services/test_governance_rules.py goes through the vote itself).
    """
    notice_on = on - datetime.timedelta(days=20)
    opens = timezone.make_aware(datetime.datetime.combine(notice_on + datetime.timedelta(days=15), datetime.time(9)))
    closes = timezone.make_aware(datetime.datetime.combine(on, datetime.time(18)))
    assembly = Assembly.objects.create(
        estate=estate,
        title=f"{on.year}年业主大会（{title}）",
        meeting_on=on,
        notice_on=notice_on,
        voting_opens_at=opens,
        voting_closes_at=closes,
        status=AssemblyStatus.PUBLISHED,
        result_published_at=closes + datetime.timedelta(hours=1),
    )
    return AssemblyMatter.objects.create(
        assembly=assembly,
        matter=matter,
        title=title,
        counted_at=closes + datetime.timedelta(hours=1),
        participation_met=True,
        passed=True,
    )


def start_arrangement(estate, provider, starts_on, *, model="professional", rates=None, **kwargs):
    """Start an arrangement; a firm gets a passed Civil Code Art. 278 item (4) resolution unless told otherwise."""
    if model == "professional" and "authority_kind" not in kwargs:
        kwargs["authority_kind"] = AuthorityKind.ASSEMBLY_RESOLUTION
        kwargs.setdefault("authorising_matter", passed_resolution(estate, on=starts_on - datetime.timedelta(days=10)))
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
