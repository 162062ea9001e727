"""The voter roll of an assembly (issue 8, rules 3, 4, 5 and 9).

SPC interpretation on building ownership Arts. 8-9 (area and heads), Civil Code Arts. 297-301 (co-ownership:
co-owners are one owner and any of them may act for the unit unless they agreed otherwise) and Civil Code
Art. 278 (thresholds, also for the owners of one building or entrance).

The "gov" estate: building 1, entrance 1, units 101 (80 m²) and 102 (81 m²) of owner A, 201 (82) B, 202 (83) C,
301 (84) D, 302 (85) E: 495 m², 5 owners by headcount.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from estates.models import Building, Owner, OwnerKind, Ownership, Unit
from estates.services import owner_save
from property_services import services
from property_services.models import Assembly, AssemblyMatter, Ballot, Notice, NoticeKind, VoterDesignation
from property_services.selectors import voting_roll
from property_services.voting import Choice, Matter, tally

pytestmark = pytest.mark.django_db

D = Decimal
SINCE = datetime.date(2000, 1, 1)


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def open_assembly(estate, *, matters=(("other_major", "更换小区门禁系统"),), building=None, entrance=None, title="业主大会"):
    """Create and call an assembly by the rules, then move its dates so that voting is open now (as if 16 days had passed)."""
    today, now = timezone.localdate(), timezone.now()
    assembly = services.assembly_create(
        estate=estate,
        title=title,
        notice_on=today,
        meeting_on=today + datetime.timedelta(days=20),
        voting_opens_at=now + datetime.timedelta(days=16),
        voting_closes_at=now + datetime.timedelta(days=19),
        matters=matters,
        building=building,
        entrance=entrance,
    )
    assembly = services.assembly_call(assembly=assembly, by=None)
    Assembly.objects.filter(pk=assembly.pk).update(
        notice_on=today - datetime.timedelta(days=16),
        meeting_on=today + datetime.timedelta(days=4),
        voting_opens_at=now - datetime.timedelta(hours=1),
        voting_closes_at=now + datetime.timedelta(days=3),
    )
    assembly.refresh_from_db()
    return assembly


def close(assembly):
    now = timezone.now()
    Assembly.objects.filter(pk=assembly.pk).update(
        voting_opens_at=now - datetime.timedelta(days=2), voting_closes_at=now - datetime.timedelta(minutes=1)
    )
    assembly.refresh_from_db()
    return assembly


def unit(estate, number, entrance=1, building="1"):
    return Unit.objects.get(building__estate=estate, building__number=building, entrance=entrance, number=number)


def co_own(estate, number, owner, *others_with_shares):
    """Make ``owner`` share unit ``number`` with new co-owners: others_with_shares = (name, share, user or None)."""
    u = unit(estate, number)
    rest = sum((share for _n, share, _u in others_with_shares), D(0))
    Ownership.objects.filter(unit=u, owner=owner).update(share=D(1) - rest)
    added = []
    for name, share, user in others_with_shares:
        other = Owner.objects.create(estate=estate, name=name, user=user)
        Ownership.objects.create(unit=u, owner=other, share=share, since=SINCE)
        added.append(other)
    return added


def matter_of(assembly):
    return assembly.matters.order_by("sort_order").first()


# --------------------------------------------------------------------------------------------------
# The tally engine (pure): the interface hidden cases call
# --------------------------------------------------------------------------------------------------


def test_tally_co_owned_unit_counts_once_and_any_co_owner_casts_its_ballot_art_9_and_300():
    units = [("2-1-301", ("owner-7", "owner-8"), D("64.20")), ("2-1-302", "owner-9", D("70.00"))]
    result = tally(matter=Matter.OTHER_MAJOR, units=units, ballots={"owner-8": "yes"})
    assert (result.total_owners, result.total_area) == (2, D("134.20"))
    assert (result.yes_owners, result.yes_area) == (1, D("64.20"))


def test_tally_the_same_co_owner_group_with_several_units_is_one_head_art_9():
    units = [
        ("a", ("o7", "o8"), D(60)),
        ("b", ("o8", "o7"), D(40)),  # same people, other order
        ("c", "o7", D(50)),  # o7 alone is another owner
        ("d", "o9", D(50)),
    ]
    result = tally(matter=Matter.OTHER_MAJOR, units=units, ballots={"o7": "yes"})
    assert result.total_owners == 3
    # o7's ballot counts for the group's units and for o7's own unit
    assert (result.yes_owners, result.yes_area) == (2, D(150))


def test_tally_conflicting_co_owner_ballots_without_shares_take_part_without_consent_art_297_301():
    units = [("u1", ("o1", "o2"), D(100)), ("u2", "o3", D(100))]
    result = tally(matter=Matter.OTHER_MAJOR, units=units, ballots={"o1": "yes", "o2": "no", "o3": "yes"})
    assert (result.participating_owners, result.participating_area) == (2, D(200))
    assert (result.yes_owners, result.no_owners, result.conflicted_owners) == (1, 0, 1)
    assert result.conflicted_area == D(100)
    assert [c.unit for c in result.conflicts] == ["u1"] and result.conflicts[0].decided is None
    assert result.passed is False  # 1 of 2 participating owners consented: not more than half


def test_tally_conflicting_co_owner_ballots_are_decided_by_more_than_half_of_the_shares_art_297_301():
    units = [("u1", ("o1", "o2"), D(100))]
    ballots = {"o1": "yes", "o2": "no"}
    decided = tally(matter=Matter.OTHER_MAJOR, units=units, ballots=ballots, shares={"u1": {"o1": D("0.6"), "o2": D("0.4")}})
    assert (decided.yes_owners, decided.yes_area, decided.conflicted_owners) == (1, D(100), 0)
    assert decided.conflicts[0].decided == Choice.YES
    half = tally(matter=Matter.OTHER_MAJOR, units=units, ballots=ballots, shares={"u1": {"o1": D("0.5"), "o2": D("0.5")}})
    assert (half.yes_owners, half.conflicted_owners, half.conflicts[0].decided) == (0, 1, None)


def test_tally_unit_without_owner_is_its_own_head_in_the_denominators_art_8():
    units = [("u1", "o1", D(80)), ("u2", None, D(80)), ("u3", None, D(80))]
    result = tally(matter=Matter.OTHER_MAJOR, units=units, ballots={"o1": "yes"})
    assert (result.total_owners, result.total_area) == (3, D(240))
    assert result.participation_met is False


def test_tally_voters_keyword_lets_only_the_designated_co_owner_vote():
    units = [("u1", ("o1", "o2"), D(100)), ("u2", "o2", D(50))]
    result = tally(matter=Matter.OTHER_MAJOR, units=units, ballots={"o1": "yes", "o2": "no"}, voters={"u1": ("o1",)})
    assert (result.yes_area, result.no_area, result.conflicts) == (D(100), D(50), ())


# --------------------------------------------------------------------------------------------------
# Rule 3: co-owned units (Civil Code Arts. 297-301; SPC interpretation Art. 9)
# --------------------------------------------------------------------------------------------------


def test_fifty_percent_co_owner_votes_in_the_portal_art_300(client, gov_estate, gov_owners, make_user):
    e = gov_owners[4]
    spouse_login = make_user("13800002001", Role.OWNER, name="E的配偶")
    (spouse,) = co_own(gov_estate, "302", e, ("E的配偶", D("0.5"), spouse_login))
    assembly = open_assembly(gov_estate)
    matter = matter_of(assembly)
    client.force_login(spouse_login)
    response = client.post(reverse("governance:assembly_vote", args=[assembly.pk]), {f"matter_{matter.pk}": "yes"})
    assert response.status_code == 302
    assert Ballot.objects.get(owner=spouse).choice == "yes"
    close(assembly)
    services.assembly_result_publish(assembly=assembly)
    matter.refresh_from_db()
    assert (matter.total_owners, matter.yes_owners, matter.yes_area) == (5, 1, D("85.00"))  # the unit counts once


def test_designated_co_owner_votes_for_the_unit_and_the_other_is_told_so_art_9(gov_estate, gov_owners):
    e = gov_owners[4]
    (spouse,) = co_own(gov_estate, "302", e, ("E的配偶", D("0.5"), None))
    services.voter_designate(unit=unit(gov_estate, "302"), owner=spouse, agreement_reference="共有人指定书 2026-01")
    assembly = open_assembly(gov_estate)
    matter = matter_of(assembly)
    with pytest.raises(ValidationError, match="已指定E的配偶行使表决权"):
        services.assembly_vote(assembly=assembly, owner=e, choices={matter.pk: "no"})
    services.assembly_vote(assembly=assembly, owner=spouse, choices={matter.pk: "yes"})
    with pytest.raises(ValidationError, match="业主B不是1-1-302的共有人"):
        services.voter_designate(unit=unit(gov_estate, "302"), owner=gov_owners[1], agreement_reference="x")
    with pytest.raises(ValidationError, match="1-1-201只有一位业主"):
        services.voter_designate(unit=unit(gov_estate, "201"), owner=gov_owners[1], agreement_reference="x")


def test_staff_record_a_designated_voter_in_the_back_office(client, gov_estate, gov_owners, staff_user, other_staff):
    e = gov_owners[4]
    (spouse,) = co_own(gov_estate, "302", e, ("E的配偶", D("0.5"), None))
    client.force_login(staff_user)
    add = reverse("property_services_voterdesignation:add")
    data = {"unit": unit(gov_estate, "302").pk, "owner": spouse.pk, "agreement_reference": ""}
    response = client.post(add, data)
    assert response.status_code == 200 and not VoterDesignation.objects.exists()  # the written designation is required
    data["agreement_reference"] = "共有人指定书 2026-01"
    assert client.post(add, data).status_code == 302
    designation = VoterDesignation.objects.get()
    assert (designation.owner, designation.recorded_by) == (spouse, staff_user)
    # staff of another estate do not even see it
    client.force_login(other_staff)
    assert client.get(reverse("property_services_voterdesignation:edit", args=[designation.pk])).status_code == 404


def test_conflicting_co_owner_ballots_are_shown_to_staff_and_counted_without_consent_art_297_301(
    client, gov_estate, gov_owners, staff_user
):
    e = gov_owners[4]
    (spouse,) = co_own(gov_estate, "302", e, ("E的配偶", D("0.5"), None))
    assembly = open_assembly(gov_estate)
    matter = matter_of(assembly)
    services.assembly_vote(assembly=assembly, owner=e, choices={matter.pk: "yes"})
    services.assembly_vote(assembly=assembly, owner=spouse, choices={matter.pk: "no"})
    client.force_login(staff_user)
    html = client.get(reverse("property_services_assembly:inspect", args=[assembly.pk])).content.decode()
    assert "1-1-302" in html and "E的配偶" in html  # the conflict line names the unit and the co-owners' ballots
    close(assembly)
    services.assembly_result_publish(assembly=assembly)
    matter.refresh_from_db()
    assert (matter.participating_owners, matter.yes_owners, matter.no_owners, matter.conflicted_owners) == (1, 0, 0, 1)
    assert matter.conflicted_area == D("85.00") and "1-1-302" in matter.count_notes
    assert "1-1-302" in Notice.objects.get(kind=NoticeKind.ASSEMBLY_RESULT).body


def test_conflict_decided_by_the_co_owner_with_more_than_half_of_the_shares(gov_estate, gov_owners):
    e = gov_owners[4]
    (spouse,) = co_own(gov_estate, "302", e, ("E的配偶", D("0.6"), None))
    assembly = open_assembly(gov_estate)
    matter = matter_of(assembly)
    services.assembly_vote(assembly=assembly, owner=e, choices={matter.pk: "yes"})
    services.assembly_vote(assembly=assembly, owner=spouse, choices={matter.pk: "no"})
    close(assembly)
    services.assembly_result_publish(assembly=assembly)
    matter.refresh_from_db()
    assert (matter.no_owners, matter.no_area, matter.conflicted_owners) == (1, D("85.00"), 0)


def test_the_same_couple_owning_two_units_is_one_head_art_9(gov_estate, gov_owners):
    b, c = gov_owners[1], gov_owners[2]
    # B and C own 201 and 202 together, half each
    for number, holder, other in (("201", b, c), ("202", c, b)):
        u = unit(gov_estate, number)
        Ownership.objects.filter(unit=u, owner=holder).update(share=D("0.5"))
        Ownership.objects.create(unit=u, owner=other, share=D("0.5"), since=SINCE)
    roll = voting_roll(estate=gov_estate)
    assert roll.total_owners == 4  # A, {B, C}, D, E
    assembly = open_assembly(gov_estate)
    services.assembly_vote(assembly=assembly, owner=c, choices={matter_of(assembly).pk: "yes"})
    close(assembly)
    services.assembly_result_publish(assembly=assembly)
    matter = matter_of(assembly)
    assert (matter.total_owners, matter.yes_owners, matter.yes_area) == (4, 1, D("165.00"))


# --------------------------------------------------------------------------------------------------
# Rule 4: organisations, units without an owner (SPC interpretation Arts. 8-9)
# --------------------------------------------------------------------------------------------------


def make_work_unit(estate, numbers, *, representative=""):
    org = owner_save(
        owner=Owner(
            estate=estate,
            kind=OwnerKind.ORGANISATION,
            name="重庆建设机床厂",
            credit_code="91500103MA5U3XKQ1X",
            representative_name=representative,
        )
    )
    for number in numbers:
        u = unit(estate, number)
        Ownership.objects.filter(unit=u).delete()
        Ownership.objects.create(unit=u, owner=org, since=SINCE)
    return org


def test_organisation_counts_once_and_votes_only_through_its_representative(client, gov_estate, gov_owners, make_user):
    org = make_work_unit(gov_estate, ["201", "202", "301"])
    roll = voting_roll(estate=gov_estate)
    assert roll.total_owners == 3  # A, the work unit (three units), E
    assert (roll.unvotable_area, roll.unvotable_owners) == (D("249.00"), 1)
    assembly = open_assembly(gov_estate)
    matter = matter_of(assembly)
    with pytest.raises(ValidationError, match="尚未登记代表人"):
        services.ballot_record(matter=matter, owner=org, choice="yes", channel="paper", paper_reference="HP-1")
    representative = make_user("13800002002", Role.OWNER, name="刘科长")
    org.representative_name, org.user = "刘科长", representative
    owner_save(owner=org)
    client.force_login(representative)
    response = client.post(reverse("governance:assembly_vote", args=[assembly.pk]), {f"matter_{matter.pk}": "yes"})
    assert response.status_code == 302
    close(assembly)
    services.assembly_result_publish(assembly=assembly)
    matter.refresh_from_db()
    assert (matter.total_owners, matter.yes_owners, matter.yes_area) == (3, 1, D("249.00"))


def test_staff_see_the_area_and_heads_nobody_can_vote_for_before_the_call(
    client, gov_estate, gov_owners, staff_user, committee_user
):
    """SPC interpretation Art. 8: every exclusive part stays in the denominators; the screen says who cannot vote."""
    make_work_unit(gov_estate, ["201"])  # no representative yet
    for number in ("301", "302"):  # no owner on record
        Ownership.objects.filter(unit=unit(gov_estate, number)).delete()
    roll = voting_roll(estate=gov_estate)
    assert (roll.total_area, roll.total_owners) == (D("495.00"), 5)  # A, work unit, C, and each ownerless unit
    assembly = services.assembly_create(
        estate=gov_estate,
        title="草拟的业主大会",
        notice_on=timezone.localdate(),
        meeting_on=timezone.localdate() + datetime.timedelta(days=20),
        voting_opens_at=timezone.now() + datetime.timedelta(days=16),
        voting_closes_at=timezone.now() + datetime.timedelta(days=19),
        matters=[("other_major", "事项")],
    )
    client.force_login(staff_user)
    html = client.get(reverse("property_services_assembly:inspect", args=[assembly.pk])).content.decode()
    assert "251.00" in html  # 82 + 84 + 85 m² with nobody able to vote
    assert "1-1-201" in html and "1-1-301" in html and "1-1-302" in html
    # and on the screen the committee confirms the call on
    client.force_login(committee_user)
    html = client.get(reverse("property_services_assembly:call", args=[assembly.pk])).content.decode()
    assert "251.00" in html and "1-1-302" in html
    assert voting_roll(estate=gov_estate).unvotable_owners == 3  # the work unit and each ownerless unit


# --------------------------------------------------------------------------------------------------
# Rule 5: the roll is fixed at the notice
# --------------------------------------------------------------------------------------------------


def test_roll_is_stored_at_the_notice_and_a_buyer_votes_after_the_transfer(gov_estate, gov_owners):
    assembly = open_assembly(gov_estate)
    assert (assembly.roll_total_area, assembly.roll_total_owners) == (D("495.00"), 5)
    assert len(assembly.roll["units"]) == 6
    matter = matter_of(assembly)
    # after the notice: E sells 302 to F; a new unit appears in the register
    e = gov_owners[4]
    today = timezone.localdate()
    Ownership.objects.filter(unit=unit(gov_estate, "302"), owner=e).update(until=today)
    buyer = Owner.objects.create(estate=gov_estate, name="买受人F")
    Ownership.objects.create(unit=unit(gov_estate, "302"), owner=buyer, since=today)
    Unit.objects.create(
        building=Building.objects.get(estate=gov_estate), entrance=1, floor=4, number="401", exclusive_area=D("99")
    )
    with pytest.raises(ValidationError, match="已于通知后过户，由买受人表决"):
        services.assembly_vote(assembly=assembly, owner=e, choices={matter.pk: "yes"})
    services.assembly_vote(assembly=assembly, owner=buyer, choices={matter.pk: "yes"})
    close(assembly)
    services.assembly_result_publish(assembly=assembly)
    matter.refresh_from_db()
    assert (matter.total_area, matter.total_owners) == (D("495.00"), 5)  # the stored roll, not today's register
    assert (matter.yes_owners, matter.yes_area) == (1, D("85.00"))
    body = Notice.objects.get(kind=NoticeKind.ASSEMBLY_RESULT).body
    assert "495.00" in body and "买受人F" in body and "1-1-302" in body


# --------------------------------------------------------------------------------------------------
# Rule 9: building and entrance assemblies (Civil Code Art. 278 applied to their owners)
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def entrance_two(gov_estate, make_user):
    """Entrance 2 of building 1: three units (60, 61, 62 m²), three owners."""
    building = Building.objects.get(estate=gov_estate)
    owners = []
    for i in range(3):
        u = Unit.objects.create(building=building, entrance=2, floor=1 + i, number=f"{i + 1}01", exclusive_area=D(60 + i))
        owner = Owner.objects.create(estate=gov_estate, name=f"二单元业主{i + 1}")
        Ownership.objects.create(unit=u, owner=owner, since=SINCE)
        owners.append(owner)
    return owners


def test_entrance_assembly_counts_only_that_entrance_by_article_278(gov_estate, gov_owners, entrance_two):
    building = Building.objects.get(estate=gov_estate)
    assembly = open_assembly(
        gov_estate, building=building, entrance=2, matters=[("rebuild", "2单元加装电梯，运行费用按楼层分摊")]
    )
    assert (assembly.roll_total_area, assembly.roll_total_owners) == (D("183.00"), 3)
    matter = matter_of(assembly)
    with pytest.raises(ValidationError, match="表决名单中没有房屋"):
        services.assembly_vote(assembly=assembly, owner=gov_owners[0], choices={matter.pk: "yes"})
    for owner in entrance_two:
        services.assembly_vote(assembly=assembly, owner=owner, choices={matter.pk: "yes"})
    close(assembly)
    services.assembly_result_publish(assembly=assembly)
    matter.refresh_from_db()
    assert (matter.total_area, matter.total_owners, matter.passed) == (D("183.00"), 3, True)


def test_scope_must_be_a_part_of_the_estate(gov_estate, other_estate):
    today, now = timezone.localdate(), timezone.now()
    kwargs = dict(
        title="加装电梯",
        notice_on=today,
        meeting_on=today + datetime.timedelta(days=20),
        voting_opens_at=now + datetime.timedelta(days=16),
        voting_closes_at=now + datetime.timedelta(days=19),
        matters=[("rebuild", "加装电梯")],
    )
    with pytest.raises(ValidationError, match="不属于"):
        services.assembly_create(estate=gov_estate, building=Building.objects.get(estate=other_estate), **kwargs)
    with pytest.raises(ValidationError, match="没有9单元的房屋"):
        services.assembly_create(estate=gov_estate, building=Building.objects.get(estate=gov_estate), entrance=9, **kwargs)
    assert not Assembly.objects.exists()


def test_committee_member_creates_an_entrance_assembly_in_the_back_office(
    client, gov_estate, gov_owners, entrance_two, committee_user, other_estate
):
    client.force_login(committee_user)
    today = timezone.localdate()
    building = Building.objects.get(estate=gov_estate)
    data = {
        "estate": gov_estate.pk,
        "building": building.pk,
        "entrance": "9",
        "title": "2单元加装电梯业主表决",
        "meeting_on": (today + datetime.timedelta(days=20)).isoformat(),
        "location": "",
        "notice_on": today.isoformat(),
        "voting_opens_at": f"{(today + datetime.timedelta(days=16)).isoformat()} 09:00",
        "voting_closes_at": f"{(today + datetime.timedelta(days=19)).isoformat()} 18:00",
        "matters-TOTAL_FORMS": "1",
        "matters-INITIAL_FORMS": "0",
        "matters-MIN_NUM_FORMS": "1",
        "matters-MAX_NUM_FORMS": "1000",
        "matters-0-matter": "rebuild",
        "matters-0-title": "2单元加装电梯，运行费用按楼层分摊",
        "matters-0-description": "",
        "matters-0-ORDER": "1",
        "matters-0-id": "",
        "matters-0-DELETE": "",
    }
    add = reverse("property_services_assembly:add")
    response = client.post(add, data)
    assert response.status_code == 200 and "没有9单元的房屋" in response.content.decode()
    # a building of another estate is not even offered
    response = client.post(add, {**data, "building": Building.objects.get(estate=other_estate).pk, "entrance": "2"})
    assert response.status_code == 200 and not Assembly.objects.exists()
    assert client.post(add, {**data, "entrance": "2"}).status_code == 302
    assembly = Assembly.objects.get()
    assert (assembly.building, assembly.entrance) == (building, 2)
    assert AssemblyMatter.objects.get(assembly=assembly).matter == "rebuild"
    html = client.get(reverse("property_services_assembly:inspect", args=[assembly.pk])).content.decode()
    assert "183.00" in html  # the entrance's roll, not the estate's


def test_owner_sees_the_scope_and_the_roll_totals_in_the_portal(client, gov_estate, gov_owners, entrance_two, make_user):
    """SPC interpretation Art. 8 and Civil Code Art. 278: the published result states the roll it was counted on."""
    owner = entrance_two[0]
    owner.user = make_user("13800002003", Role.OWNER, name="二单元业主1")
    owner.save(update_fields=["user"])
    building = Building.objects.get(estate=gov_estate)
    assembly = open_assembly(gov_estate, building=building, entrance=2, matters=[("rebuild", "2单元加装电梯")])
    services.assembly_vote(assembly=assembly, owner=owner, choices={matter_of(assembly).pk: "yes"})
    close(assembly)
    services.assembly_result_publish(assembly=assembly)
    client.force_login(owner.user)
    html = client.get(reverse("governance:assembly_detail", args=[assembly.pk])).content.decode()
    assert 'data-testid="assembly-scope"' in html
    totals = html.split('data-testid="roll-totals">')[1].split("</p>")[0]
    assert "183.00" in totals and "3" in totals


def test_result_pdf_states_the_roll_and_the_co_owners_conflict(gov_estate, gov_owners, tmp_path):
    """SPC interpretation Arts. 8-9, Civil Code Arts. 297-301: the published PDF names the roll and the conflict."""
    import subprocess

    from property_services.pdf import assembly_result_pdf

    e = gov_owners[4]
    (spouse,) = co_own(gov_estate, "302", e, ("E的配偶", D("0.5"), None))
    assembly = open_assembly(gov_estate)
    matter = matter_of(assembly)
    services.assembly_vote(assembly=assembly, owner=e, choices={matter.pk: "yes"})
    services.assembly_vote(assembly=assembly, owner=spouse, choices={matter.pk: "no"})
    close(assembly)
    assembly = services.assembly_result_publish(assembly=assembly)
    path = tmp_path / "result.pdf"
    path.write_bytes(assembly_result_pdf(assembly=Assembly.objects.get(pk=assembly.pk)))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "495.00" in text and "1-1-302" in text and "E的配偶" in text
