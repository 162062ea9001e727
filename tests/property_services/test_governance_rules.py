"""Issue 8, rules 1, 2, 6, 7 and 8: who may hire a firm, when voting opens, committee powers and filing,
whose ballot it is, and the first assembly under the sub-district office. Each rule through the service and,
where a person acts, through the screen that person uses."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Role
from estates.models import RoleAssignment, Subdistrict
from property_services import services, tasks
from property_services.models import (
    Assembly,
    AssemblyStatus,
    AuthorityKind,
    Ballot,
    BallotChannel,
    CommitteeMember,
    ManagementArrangement,
    OwnersCommittee,
    ProviderKind,
)
from tests.property_services.conftest import (
    FIRM2_CODE,
    call_assembly,
    make_assembly,
    make_committee,
    make_provider,
    passed_resolution,
    start_arrangement,
)
from tests.property_services.test_assemblies import close_voting

pytestmark = pytest.mark.django_db

D = datetime.date
RATES = {"residential": Decimal("1.50")}


def hire(estate, firm, starts_on, **kwargs):
    kwargs.setdefault("authority_reference", "决议〔2026〕1号")
    kwargs.setdefault("authority_date", starts_on - datetime.timedelta(days=5))
    return services.arrangement_start(
        estate=estate, model="professional", provider=firm, starts_on=starts_on, fee_rates=RATES, **kwargs
    )


def legacy_called_assembly(estate, *, notice_days_ago=10):
    """A called assembly stored the old way: voting 'open' from the notice day (rows written directly)."""
    now = timezone.now()
    notice_on = timezone.localdate() - datetime.timedelta(days=notice_days_ago)
    assembly = Assembly.objects.create(
        estate=estate,
        title="旧规则下召集的业主大会",
        meeting_on=notice_on + datetime.timedelta(days=20),
        notice_on=notice_on,
        voting_opens_at=timezone.make_aware(datetime.datetime.combine(notice_on, datetime.time(9))),
        voting_closes_at=now + datetime.timedelta(days=10),
        status=AssemblyStatus.CALLED,
    )
    assembly.matters.create(matter="other_major", title="更换门禁", sort_order=0)
    assembly.save()
    return assembly


# --- Rule 1: Civil Code Art. 278 item (4) ---------------------------------------------------------------


def test_art_278_item_4_a_firm_is_hired_only_by_a_passed_resolution_on_that_matter_of_the_same_estate(
    gov_estate, gov_owners, other_estate, committee_user
):
    """Civil Code Art. 278 item (4): hiring a firm cites this estate's passed resolution on hiring/dismissing the manager."""
    firm = make_provider()
    starts = timezone.localdate()
    with pytest.raises(ValidationError, match="街道决定只能安排社区物业服务中心托管或居民自治过渡"):
        hire(gov_estate, firm, starts, authority_kind=AuthorityKind.SUBDISTRICT_DECISION)
    with pytest.raises(ValidationError, match="须选择本小区业主大会已通过的"):
        hire(gov_estate, firm, starts, authority_kind=AuthorityKind.ASSEMBLY_RESOLUTION)
    another_matter = passed_resolution(gov_estate, on=D(2026, 1, 10), matter="other_major", title="增设门禁")
    with pytest.raises(ValidationError, match="第二百七十八条第一款第四项"):
        hire(gov_estate, firm, starts, authority_kind=AuthorityKind.ASSEMBLY_RESOLUTION, authorising_matter=another_matter)
    another_estate = passed_resolution(other_estate, on=D(2026, 1, 10))
    with pytest.raises(ValidationError, match="所选决议不是本小区"):
        hire(gov_estate, firm, starts, authority_kind=AuthorityKind.ASSEMBLY_RESOLUTION, authorising_matter=another_estate)

    # The real thing: the assembly votes on item (4), the motion fails first, then a second one passes.
    assembly = call_assembly(
        make_assembly(
            gov_estate,
            matters=[("hire_or_dismiss_manager", "选聘重庆渝安物业"), ("hire_or_dismiss_manager", "选聘另一家物业")],
        ),
        committee_user,
    )
    carried, failed = assembly.matters.order_by("sort_order")
    for owner in gov_owners:
        services.assembly_vote(assembly=assembly, owner=owner, choices={carried.pk: "yes", failed.pk: "no"})
    close_voting(assembly)
    services.assembly_result_publish(assembly=assembly, by=committee_user)
    carried.refresh_from_db()
    failed.refresh_from_db()
    assert (carried.passed, failed.passed) == (True, False)
    with pytest.raises(ValidationError, match="所选决议不是本小区"):
        hire(gov_estate, firm, starts, authority_kind=AuthorityKind.ASSEMBLY_RESOLUTION, authorising_matter=failed)
    assert not ManagementArrangement.objects.exists()
    arrangement = hire(gov_estate, firm, starts, authority_kind=AuthorityKind.ASSEMBLY_RESOLUTION, authorising_matter=carried)
    assert arrangement.authorising_matter == carried


def test_art_278_item_4_a_subdistrict_decision_sets_up_only_the_interim_arrangements(gov_estate):
    """Civil Code Art. 278 item (4): without a vote the sub-district may put the centre or self-governance in place, never dismiss a firm."""
    firm = make_provider()
    centre = make_provider(ProviderKind.SERVICE_CENTRE, name="和平社区物业服务中心")
    start_arrangement(gov_estate, firm, D(2024, 1, 1), contract_until=D(2028, 12, 31))
    # the firm's term runs until 2028: taking it over now would dismiss it, which only the owners decide
    with pytest.raises(ValidationError, match="解聘物业服务企业须由业主大会表决决定"):
        start_arrangement(
            gov_estate, centre, D(2026, 6, 1), model="service_centre", dismissal_notice_on=D(2026, 3, 1), rates=RATES
        )
    dismissal = passed_resolution(gov_estate, on=D(2026, 2, 20), title="解聘重庆渝安物业，由社区物业服务中心托管")
    start_arrangement(
        gov_estate,
        centre,
        D(2026, 6, 1),
        model="service_centre",
        rates=RATES,
        dismissal_notice_on=D(2026, 3, 1),
        authority_kind=AuthorityKind.ASSEMBLY_RESOLUTION,
        authorising_matter=dismissal,
    )
    # once no firm is under contract, the sub-district's decision is enough for the interim models
    selfgov = make_provider(ProviderKind.SELF_GOVERNANCE, name="和平新村居民自治管理小组")
    start_arrangement(gov_estate, selfgov, D(2026, 9, 1), model="self_governance", rates=RATES)
    assert ManagementArrangement.objects.get(ended_on__isnull=True).provider == selfgov


def test_art_278_item_4_an_officer_cannot_hire_a_firm_by_a_subdistrict_decision_in_the_back_office(client, gov_estate, officer):
    """Civil Code Art. 278 item (4), through the back office with the sub-district officer who would try it."""
    firm = make_provider(name="重庆新城物业服务有限公司", code=FIRM2_CODE)
    client.force_login(officer)
    data = {
        "estate": gov_estate.pk,
        "model": "professional",
        "provider": firm.pk,
        "starts_on": "2026-03-01",
        "contract_until": "2029-02-28",
        "contract_reference": "HT-2026-08",
        "authority_kind": "subdistrict_decision",
        "authority_reference": "解放碑街道〔2026〕5号",
        "authority_date": "2026-01-10",
        "authorising_matter": "",
        "fee_standards-TOTAL_FORMS": "1",
        "fee_standards-INITIAL_FORMS": "0",
        "fee_standards-MIN_NUM_FORMS": "1",
        "fee_standards-MAX_NUM_FORMS": "1000",
        "fee_standards-0-unit_use": "residential",
        "fee_standards-0-rate": "1.45",
        "fee_standards-0-id": "",
        "fee_standards-0-DELETE": "",
    }
    response = client.post(reverse("property_services_managementarrangement:add"), data)
    assert response.status_code == 200
    assert "选聘物业服务企业须由业主大会表决决定" in response.content.decode()
    assert not ManagementArrangement.objects.exists()


# --- Rule 2: 物业管理条例 Art. 14 -------------------------------------------------------------------------


def test_art_14_no_voting_window_before_day_15_after_the_notice(gov_estate, gov_owners):
    """物业管理条例 Art. 14: voting of every channel opens no earlier than 15 days after the notice."""
    notice_on = timezone.localdate()
    day = lambda n, hour=9: timezone.make_aware(  # noqa: E731
        datetime.datetime.combine(notice_on + datetime.timedelta(days=n), datetime.time(hour))
    )
    common = dict(estate=gov_estate, title="大会", notice_on=notice_on, matters=[("other_major", "事项")])
    with pytest.raises(ValidationError) as error:
        services.assembly_create(
            meeting_on=notice_on + datetime.timedelta(days=20), voting_opens_at=day(14, 23), voting_closes_at=day(20), **common
        )
    assert "投票最早可于" in str(error.value) and "Art. 14" in str(error.value)
    with pytest.raises(ValidationError, match="投票截止时间须晚于开始时间"):
        services.assembly_create(
            meeting_on=notice_on + datetime.timedelta(days=20), voting_opens_at=day(15), voting_closes_at=day(15), **common
        )
    ok = services.assembly_create(
        meeting_on=notice_on + datetime.timedelta(days=15), voting_opens_at=day(15, 0), voting_closes_at=day(15, 18), **common
    )
    assert ok.voting_earliest_at == day(15, 0)


def test_art_14_no_ballot_of_any_channel_on_day_10_even_on_an_assembly_stored_the_old_way(
    gov_estate, gov_owners, staff_user, committee_user
):
    """物业管理条例 Art. 14: neither an online vote nor a paper ballot is taken on day 10 after the notice."""
    assembly = legacy_called_assembly(gov_estate, notice_days_ago=10)
    matter = assembly.matters.get()
    with pytest.raises(ValidationError, match="尚未开始投票"):
        services.assembly_vote(assembly=assembly, owner=gov_owners[0], choices={matter.pk: "yes"})
    with pytest.raises(ValidationError, match="通知送达15日后方可投票"):
        services.ballot_record(
            matter=matter, owner=gov_owners[1], choice="yes", channel="paper", paper_reference="HP-1", by=staff_user
        )
    # results come only after voting closes
    with pytest.raises(ValidationError, match="截止后才能计票"):
        services.assembly_result_publish(assembly=assembly, by=committee_user)
    assert not Ballot.objects.exists()
    # on day 15 the same ballot is taken
    day15 = assembly.voting_earliest_at + datetime.timedelta(hours=10)
    services.assembly_vote(assembly=assembly, owner=gov_owners[0], choices={matter.pk: "yes"}, at=day15)
    assert Ballot.objects.count() == 1


def test_art_14_an_owner_voting_on_day_10_is_refused_in_the_portal(client, gov_estate, gov_owners):
    """物业管理条例 Art. 14, in the owners' portal: on day 10 there is no vote form and a vote is refused."""
    assembly = legacy_called_assembly(gov_estate, notice_days_ago=10)
    matter = assembly.matters.get()
    client.force_login(gov_owners[0].user)
    detail = client.get(reverse("governance:assembly_detail", args=[assembly.pk])).content.decode()
    assert 'data-testid="vote-form"' not in detail
    response = client.post(reverse("governance:assembly_vote", args=[assembly.pk]), {f"matter_{matter.pk}": "yes"})
    assert response.status_code == 400
    assert "尚未开始投票" in response.content.decode()
    assert not Ballot.objects.exists()


# --- Rule 6: committee powers follow the term; filing ---------------------------------------------------


def test_committee_role_ends_with_the_term_or_leaving_by_the_daily_task(gov_estate, gov_owners):
    """A committee's powers end with its term (物业管理条例 Art. 16): the daily task revokes members' back-office roles."""
    from django_q.models import Schedule

    tasks.schedules_ensure()
    tasks.schedules_ensure()
    schedule = Schedule.objects.get(name=tasks.COMMITTEE_ROLES_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == ("property_services.tasks.committee_roles_daily", Schedule.DAILY)

    users = [owner.user for owner in gov_owners[:3]]  # owners with logins
    today = timezone.localdate()
    committee = make_committee(gov_estate, gov_owners[:3])
    staying, leaving, ended = committee.members.order_by("pk")
    CommitteeMember.objects.filter(pk=leaving.pk).update(left_on=today - datetime.timedelta(days=1))
    CommitteeMember.objects.filter(pk=ended.pk).update(term_ends_on=today - datetime.timedelta(days=1))
    assert RoleAssignment.objects.filter(role=Role.COMMITTEE_MEMBER, estate=gov_estate).count() == 3

    assert tasks.committee_roles_daily() == 2
    assert tasks.committee_roles_daily() == 0  # twice does no harm
    holders = set(RoleAssignment.objects.filter(role=Role.COMMITTEE_MEMBER).values_list("user_id", flat=True))
    assert holders == {staying.user_id}
    leaver = users[1]
    leaver.refresh_from_db()
    assert not leaver.is_staff and not leaver.has_perm("property_services.change_assembly")

    # when the committee's own term ends, the last member loses the role too
    OwnersCommittee.objects.filter(pk=committee.pk).update(term_ends_on=today - datetime.timedelta(days=1))
    assert services.committee_roles_revoke_ended() == 1
    assert not RoleAssignment.objects.filter(role=Role.COMMITTEE_MEMBER).exists()


def test_an_expired_committee_cannot_call_an_assembly_in_the_back_office(client, gov_estate, gov_owners, committee_user):
    """物业管理条例 Art. 16 / Civil Code Art. 277: the member of a committee whose term ended tries to call; refused."""
    today = timezone.localdate()
    OwnersCommittee.objects.filter(estate=gov_estate).update(
        elected_on=today - datetime.timedelta(days=5 * 365), term_ends_on=today - datetime.timedelta(days=1)
    )
    assembly = make_assembly(gov_estate, notice_days_ago=0, opens_in_days=16, closes_in_days=19)
    with pytest.raises(ValidationError, match="任期已于"):
        services.assembly_call(assembly=assembly, by=committee_user)
    client.force_login(committee_user)  # the daily task has not run yet: the role is still there
    response = client.post(reverse("property_services_assembly:call", args=[assembly.pk]), {})
    assert response.status_code == 400
    assert "an expired committee cannot call an assembly" in response.content.decode()
    assembly.refresh_from_db()
    assert assembly.status == AssemblyStatus.DRAFT


def test_late_filing_is_recorded_flagged_and_listed_for_the_subdistrict_officer(
    client, gov_estate, gov_owners, other_estate, officer, make_estate, make_user
):
    """物业管理条例 Art. 16: filing within 30 days; late is recorded and flagged, and the officer's dashboard lists it."""
    far = make_estate(
        "FAR2",
        name="远方小区",
        subdistrict=Subdistrict.objects.create(district=gov_estate.community.subdistrict.district, code="T8", name="别的街道"),
    )
    late = make_committee(gov_estate, [gov_owners[0]], elected_days_ago=100, filed_after_days=45)
    unfiled = make_committee(other_estate, [], elected_days_ago=40, filed_after_days=None)
    make_committee(far, [], elected_days_ago=40, filed_after_days=None)  # outside the officer's sub-district
    due = make_committee(gov_estate, [], elected_days_ago=10, filed_after_days=None)
    assert late.filed_on and late.filing_is_late() and unfiled.filing_is_late() and not due.filing_is_late()
    client.force_login(officer)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'data-testid="committee-filing"' in html
    for committee in (late, unfiled, due):
        assert f'data-committee="{committee.pk}"' in html
    assert "远方小区" not in html


# --- Rule 7: an owner's ballot is the owner's ------------------------------------------------------------


def test_an_online_ballot_is_never_changed_by_staff_or_committee_members(called_assembly, gov_owners, staff_user, committee_user):
    """Issue 8 rule 7 (物业管理条例 Art. 14 window): staff entry never replaces a ballot; the conflict names its channel."""
    matter = called_assembly.matters.order_by("sort_order").first()
    owner, other = gov_owners[0], gov_owners[1]
    services.assembly_vote(assembly=called_assembly, owner=owner, choices={matter.pk: "no"}, by=owner.user)
    for person in (staff_user, committee_user):
        with pytest.raises(ValidationError) as error:
            services.ballot_record(matter=matter, owner=owner, choice="yes", channel="paper", paper_reference="HP-9", by=person)
        assert "本人网上投票" in str(error.value) and "cannot be changed by staff or committee members" in str(error.value)
    assert Ballot.objects.get(owner=owner).choice == "no"

    paper = services.ballot_record(
        matter=matter, owner=other, choice="yes", channel="paper", paper_reference="HP-1", by=staff_user
    )
    assert (paper.cast_by, paper.paper_reference) == (staff_user, "HP-1")
    with pytest.raises(ValidationError) as error:
        services.ballot_record(
            matter=matter,
            owner=other,
            choice="no",
            channel="proxy",
            proxy_name="张三",
            proxy_document="委托书-1",
            by=committee_user,
        )
    assert "Paper ballot (HP-1)" in str(error.value)
    # an explicit correction of that paper ballot is allowed, and says who made it
    corrected = services.ballot_record(
        matter=matter, owner=other, choice="no", channel="paper", paper_reference="HP-1", by=committee_user, replaces=paper
    )
    assert (corrected.pk, corrected.choice, corrected.cast_by) == (paper.pk, "no", committee_user)


def test_staff_cannot_overwrite_an_online_ballot_in_the_back_office(client, called_assembly, gov_owners, staff_user):
    """Issue 8 rule 7, with the estate staff who would try it: adding over it and editing it are both refused."""
    matter = called_assembly.matters.first()
    owner = gov_owners[0]
    (online,) = services.assembly_vote(assembly=called_assembly, owner=owner, choices={matter.pk: "no"}, by=owner.user)
    client.force_login(staff_user)
    data = {"matter": matter.pk, "owner": owner.pk, "choice": "yes", "channel": "paper", "paper_reference": "HP-77"}
    response = client.post(reverse("property_services_ballot:add"), data)
    assert response.status_code == 200 and "本人网上投票" in response.content.decode()
    response = client.post(reverse("property_services_ballot:edit", args=[online.pk]), data)
    assert response.status_code == 200 and "本人网上投票" in response.content.decode()
    online.refresh_from_db()
    assert (online.choice, online.channel, online.paper_reference) == ("no", BallotChannel.ONLINE, "")


def test_back_office_ballot_entry_only_while_voting_is_open(client, gov_estate, gov_owners, staff_user, committee_user):
    """物业管理条例 Art. 14 and issue 8 rule 7: no paper ballot entered before the window opens."""
    assembly = call_assembly(make_assembly(gov_estate, notice_days_ago=5, opens_in_days=11, closes_in_days=15), committee_user)
    client.force_login(staff_user)
    data = {
        "matter": assembly.matters.first().pk,
        "owner": gov_owners[2].pk,
        "choice": "yes",
        "channel": "paper",
        "paper_reference": "HP-5",
    }
    response = client.post(reverse("property_services_ballot:add"), data)
    assert response.status_code == 200 and "尚未开始投票" in response.content.decode()
    assert not Ballot.objects.exists()


def test_the_owner_sees_the_channel_and_time_of_their_recorded_ballot(client, called_assembly, gov_owners, staff_user):
    """Issue 8 rule 7: a ballot entered for the owner shows in their portal with its channel, time and paper number."""
    matter = called_assembly.matters.order_by("sort_order").first()
    owner = gov_owners[2]
    ballot = services.ballot_record(
        matter=matter, owner=owner, choice="yes", channel="paper", paper_reference="HP-0031", by=staff_user
    )
    client.force_login(owner.user)
    html = client.get(reverse("governance:assembly_detail", args=[called_assembly.pk])).content.decode()
    with override("zh-hans"):
        channel = str(BallotChannel.PAPER.label)
    cell = html.split(f'data-testid="my-ballot-record-{matter.pk}">', 1)[1].split("</small>", 1)[0]
    assert channel in cell and "HP-0031" in cell
    assert timezone.localtime(ballot.updated_at).strftime("%Y-%m-%d %H:%M") in cell


# --- Rule 8: first assembly under the sub-district office (Civil Code Art. 277; 物业管理条例 Art. 10) ---


def test_art_277_first_assembly_is_called_by_the_subdistrict_office(gov_estate, gov_owners, officer, staff_user, make_user):
    """Civil Code Art. 277, 物业管理条例 Art. 10: with no committee yet, the sub-district officer calls; others are refused."""
    elsewhere = Subdistrict.objects.create(district=gov_estate.community.subdistrict.district, code="T7", name="别的街道")
    foreign_officer = make_user("13900009100", Role.SUBDISTRICT_OFFICER, subdistrict=elsewhere)
    assembly = make_assembly(
        gov_estate, matters=[("elect_committee", "选举第一届业主委员会")], notice_days_ago=0, opens_in_days=16, closes_in_days=19
    )
    for person in (staff_user, foreign_officer):
        with pytest.raises(ValidationError, match="首次业主大会在街道办事处指导下召开"):
            services.assembly_call(assembly=assembly, by=person)
    called = services.assembly_call(assembly=assembly, by=officer)
    assert (called.status, called.called_by) == (AssemblyStatus.CALLED, officer)

    # once a committee is in office, it calls the assembly, not the sub-district
    make_committee(gov_estate, [gov_owners[0]])
    second = make_assembly(gov_estate, title="第二次业主大会", notice_days_ago=0, opens_in_days=16, closes_in_days=19)
    with pytest.raises(ValidationError, match="业主大会由在任委员召集"):
        services.assembly_call(assembly=second, by=officer)


def test_art_277_subdistrict_officer_creates_calls_and_publishes_the_first_assembly_in_the_back_office(
    client, gov_estate, gov_owners, officer, other_estate, make_user, django_capture_on_commit_callbacks
):
    """Civil Code Art. 277, 物业管理条例 Art. 10, through the back office with the sub-district officer."""
    today = timezone.localdate()
    client.force_login(officer)
    data = {
        "estate": gov_estate.pk,
        "title": "和平新村首次业主大会",
        "meeting_on": (today + datetime.timedelta(days=20)).isoformat(),
        "location": "社区党群服务中心",
        "notice_on": today.isoformat(),
        "voting_opens_at": f"{(today + datetime.timedelta(days=15)).isoformat()} 09:00",
        "voting_closes_at": f"{(today + datetime.timedelta(days=20)).isoformat()} 18:00",
        "matters-TOTAL_FORMS": "1",
        "matters-INITIAL_FORMS": "0",
        "matters-MIN_NUM_FORMS": "1",
        "matters-MAX_NUM_FORMS": "1000",
        "matters-0-matter": "elect_committee",
        "matters-0-title": "选举第一届业主委员会",
        "matters-0-description": "",
        "matters-0-ORDER": "1",
        "matters-0-id": "",
        "matters-0-DELETE": "",
    }
    assert client.post(reverse("property_services_assembly:add"), data).status_code == 302
    assembly = Assembly.objects.get(title="和平新村首次业主大会")
    call = reverse("property_services_assembly:call", args=[assembly.pk])
    assert client.post(call, {"residents_committee_note": "书面通知送达社区居委会"}).status_code == 302
    assembly.refresh_from_db()
    assert (assembly.status, assembly.called_by) == (AssemblyStatus.CALLED, officer)

    during = assembly.voting_opens_at + datetime.timedelta(hours=1)
    for owner in gov_owners:
        services.assembly_vote(assembly=assembly, owner=owner, choices={assembly.matters.get().pk: "yes"}, at=during)
    close_voting(assembly)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("property_services_assembly:publish", args=[assembly.pk])).status_code == 302
    assembly.refresh_from_db()
    assert assembly.status == AssemblyStatus.PUBLISHED and assembly.matters.get().passed is True

    # wrong person: an officer of another sub-district does not even see it
    elsewhere = Subdistrict.objects.create(district=gov_estate.community.subdistrict.district, code="T6", name="别的街道")
    client.force_login(make_user("13900009101", Role.SUBDISTRICT_OFFICER, subdistrict=elsewhere))
    assert client.get(call).status_code == 404
