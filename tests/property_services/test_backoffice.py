"""Back office: scoped viewsets (staff of another estate get 404 everywhere), actions, the officer's overview,
the overdue-decisions dashboard panel, and fixed query counts on the assembly and meeting lists."""

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from property_services import services
from property_services.models import (
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    Ballot,
    CommitteeMember,
    DecisionStatus,
    JointMeeting,
    JointMeetingDecision,
    JointMeetingParticipant,
    ManagementArrangement,
    Notice,
    NoticeKind,
    OwnersCommittee,
    ProviderKind,
)
from tests.property_services.conftest import (
    call_assembly,
    make_assembly,
    make_provider,
    passed_resolution,
    start_arrangement,
)
from tests.property_services.test_assemblies import close_voting

pytestmark = pytest.mark.django_db

D = datetime.date


def make_meeting(estate, *, overdue=True, title="2026年第一季度联席会议"):
    today = timezone.localdate()
    meeting = JointMeeting(
        estate=estate,
        title=title,
        held_on=today - datetime.timedelta(days=40),
        agenda="一、电梯维保\n二、垃圾分类",
        minutes="会议记录",
    )
    meeting.participants.add(
        JointMeetingParticipant(
            organisation_kind="residents_committee", organisation_name="和平社区居委会", representative="王主任"
        )
    )
    meeting.participants.add(
        JointMeetingParticipant(organisation_kind="provider", organisation_name="重庆渝安物业", representative="李经理")
    )
    meeting.decisions.add(
        JointMeetingDecision(
            text="更换3栋电梯钢丝绳",
            owner_kind="provider",
            owner_name="重庆渝安物业",
            due_on=today - datetime.timedelta(days=5) if overdue else today + datetime.timedelta(days=30),
        )
    )
    return services.joint_meeting_save(meeting=meeting)


@pytest.fixture
def gov_records(gov_estate, gov_owners, committee_user, staff_user):
    """One of every back-office record in the estate."""
    provider = make_provider()
    arrangement = start_arrangement(gov_estate, provider, D(2024, 1, 1))
    committee = services.committee_save(
        committee=OwnersCommittee(
            estate=gov_estate, elected_on=D(2026, 1, 10), term_ends_on=D(2031, 1, 9), filed_on=D(2026, 1, 20)
        ),
        members=[CommitteeMember(owner=gov_owners[0], role="chair", term_starts_on=D(2026, 1, 10), term_ends_on=D(2031, 1, 9))],
    )
    assembly = call_assembly(make_assembly(gov_estate), committee_user)
    ballot = services.ballot_record(
        matter=assembly.matters.first(), owner=gov_owners[1], choice="yes", channel="paper", paper_reference="HP-1", by=staff_user
    )
    meeting = make_meeting(gov_estate)
    return {
        "provider": provider,
        "managementarrangement": arrangement,
        "ownerscommittee": committee,
        "assembly": assembly,
        "ballot": ballot,
        "jointmeeting": meeting,
        "jointmeetingdecision": meeting.decisions.first(),
        "notice": Notice.objects.get(kind=NoticeKind.ASSEMBLY_CALL),
    }


# Text each record shows in its back-office list.
MARKERS = {
    "provider": "重庆渝安物业服务有限公司",
    "managementarrangement": "七星岗街道〔2024〕12号",
    "ownerscommittee": "和平新村",
    "assembly": "2026年第一次业主大会",
    "ballot": "HP-1",
    "jointmeeting": "2026年第一季度联席会议",
    "jointmeetingdecision": "更换3栋电梯钢丝绳",
    "notice": "和平新村",
}


def object_urls(records):
    urls = []
    for name, obj in records.items():
        for action in ("edit", "inspect", "history", "usage", "delete"):
            try:
                urls.append(reverse(f"property_services_{name}:{action}", args=[obj.pk]))
            except Exception:  # noqa: BLE001 - a view this viewset does not have (delete is off for some)
                continue
    urls += [
        reverse("property_services_assembly:call", args=[records["assembly"].pk]),
        reverse("property_services_assembly:publish", args=[records["assembly"].pk]),
        reverse("property_services_jointmeeting:publish", args=[records["jointmeeting"].pk]),
        reverse("property_services_jointmeeting:minutes", args=[records["jointmeeting"].pk]),
        reverse("property_services_jointmeetingdecision:status", args=[records["jointmeetingdecision"].pk, "done"]),
        reverse("property_services_notice:status", args=[records["notice"].pk, "withdrawn"]),
    ]
    return urls


def test_staff_of_another_estate_get_404_on_every_object_view(client, gov_records, other_staff):
    client.force_login(other_staff)
    urls = object_urls(gov_records)
    assert len(urls) >= 30
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    # and the lists do not show the estate's records
    for name, marker in MARKERS.items():
        html = client.get(reverse(f"property_services_{name}:index")).content.decode()
        assert marker not in html, name
    assert Ballot.objects.count() == 1 and gov_records["assembly"].status == AssemblyStatus.CALLED


def test_staff_of_the_estate_see_their_records(client, gov_records, staff_user):
    client.force_login(staff_user)
    for name, obj in gov_records.items():
        assert client.get(reverse(f"property_services_{name}:inspect", args=[obj.pk])).status_code == 200, name
        html = client.get(reverse(f"property_services_{name}:index")).content.decode()
        assert MARKERS[name] in html, name


def test_committee_member_calls_an_assembly_and_publishes_the_result(
    client, gov_estate, gov_owners, committee_user, django_capture_on_commit_callbacks
):
    client.force_login(committee_user)
    # called today: voting opens on day 15 after the notice (物业管理条例 Art. 14)
    assembly = make_assembly(gov_estate, title="关于续聘物业的业主大会", notice_days_ago=0, opens_in_days=16, closes_in_days=19)
    url = reverse("property_services_assembly:call", args=[assembly.pk])
    assert "15" in client.get(url).content.decode()
    response = client.post(url, {"residents_committee_note": "书面通知送达和平社区居委会"})
    assert response.status_code == 302
    assembly.refresh_from_db()
    assert assembly.status == AssemblyStatus.CALLED and assembly.residents_committee_note == "书面通知送达和平社区居委会"
    assert Notice.objects.filter(kind=NoticeKind.ASSEMBLY_CALL, estate=gov_estate).exists()

    # publishing before the close is refused with the reason
    publish = reverse("property_services_assembly:publish", args=[assembly.pk])
    response = client.post(publish)
    assert response.status_code == 400 and "截止后才能计票" in response.content.decode()
    during = assembly.voting_opens_at + datetime.timedelta(hours=1)
    for owner in gov_owners:
        services.assembly_vote(assembly=assembly, owner=owner, choices={assembly.matters.first().pk: "yes"}, at=during)
    close_voting(assembly)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(publish).status_code == 302
    assembly.refresh_from_db()
    assert assembly.status == AssemblyStatus.PUBLISHED and assembly.matters.first().passed is True
    assert Notice.objects.get(kind=NoticeKind.ASSEMBLY_RESULT).pdf
    inspect = client.get(reverse("property_services_assembly:inspect", args=[assembly.pk])).content.decode()
    assert "100.00%" in inspect  # the stored tally, shown in the back office


def test_staff_record_a_paper_ballot_in_the_back_office(client, called_assembly, gov_owners, staff_user):
    client.force_login(staff_user)
    matter = called_assembly.matters.first()
    add = reverse("property_services_ballot:add")
    data = {"matter": matter.pk, "owner": gov_owners[2].pk, "choice": "no", "channel": "paper", "paper_reference": ""}
    response = client.post(add, data)
    assert response.status_code == 200 and "请填写表决票编号" in response.content.decode()
    data["paper_reference"] = "HP-0031"
    assert client.post(add, data).status_code == 302
    ballot = Ballot.objects.get(owner=gov_owners[2])
    assert (ballot.choice, ballot.channel, ballot.paper_reference, ballot.cast_by) == ("no", "paper", "HP-0031", staff_user)


def test_assembly_form_refuses_less_than_fifteen_days_notice(client, gov_estate, committee_user):
    client.force_login(committee_user)
    today = timezone.localdate()
    data = {
        "estate": gov_estate.pk,
        "title": "临时业主大会",
        "meeting_on": (today + datetime.timedelta(days=10)).isoformat(),
        "location": "",
        "notice_on": today.isoformat(),
        "voting_opens_at": f"{today.isoformat()} 09:00",
        "voting_closes_at": f"{(today + datetime.timedelta(days=9)).isoformat()} 18:00",
        "matters-TOTAL_FORMS": "1",
        "matters-INITIAL_FORMS": "0",
        "matters-MIN_NUM_FORMS": "1",
        "matters-MAX_NUM_FORMS": "1000",
        "matters-0-matter": "other_major",
        "matters-0-title": "安装充电桩",
        "matters-0-description": "",
        "matters-0-ORDER": "1",
        "matters-0-id": "",
        "matters-0-DELETE": "",
    }
    response = client.post(reverse("property_services_assembly:add"), data)
    assert response.status_code == 200
    assert "业主大会应于会议召开15日以前通知全体业主" in response.content.decode()
    assert not Assembly.objects.exists()
    data["meeting_on"] = (today + datetime.timedelta(days=15)).isoformat()
    data["voting_closes_at"] = f"{(today + datetime.timedelta(days=15)).isoformat()} 18:00"
    # voting may not open on the notice day either (物业管理条例 Art. 14: not before day 15)
    response = client.post(reverse("property_services_assembly:add"), data)
    assert response.status_code == 200 and "通知送达15日后才能开始投票" in response.content.decode()
    data["voting_opens_at"] = f"{(today + datetime.timedelta(days=15)).isoformat()} 09:00"
    assert client.post(reverse("property_services_assembly:add"), data).status_code == 302
    assert Assembly.objects.get().matters.get().title == "安装充电桩"


def test_arrangement_switch_in_the_back_office_checks_article_946(client, gov_estate, officer):
    from tests.property_services.conftest import FIRM2_CODE

    firm = make_provider()
    start_arrangement(gov_estate, firm, D(2024, 1, 1), contract_until=D(2027, 12, 31))
    new_firm = make_provider(name="重庆新城物业服务有限公司", code=FIRM2_CODE)
    resolution = passed_resolution(gov_estate, on=D(2026, 1, 10), title="解聘原物业、选聘重庆新城物业")
    client.force_login(officer)
    data = {
        "estate": gov_estate.pk,
        "model": "professional",
        "provider": new_firm.pk,
        "starts_on": "2026-03-01",
        "contract_until": "2029-02-28",
        "contract_reference": "HT-2026-08",
        "authority_kind": "assembly_resolution",
        "authority_reference": "和平新村业主大会决议〔2026〕1号",
        "authority_date": "2026-01-10",
        "authorising_matter": resolution.pk,
        "fee_standards-TOTAL_FORMS": "1",
        "fee_standards-INITIAL_FORMS": "0",
        "fee_standards-MIN_NUM_FORMS": "1",
        "fee_standards-MAX_NUM_FORMS": "1000",
        "fee_standards-0-unit_use": "residential",
        "fee_standards-0-rate": "1.45",
        "fee_standards-0-id": "",
        "fee_standards-0-DELETE": "",
        "previous_dismissal_notice_on": "2026-01-15",
        "previous_end_reason": "业主大会决定解聘",
    }
    response = client.post(reverse("property_services_managementarrangement:add"), data)
    assert response.status_code == 200
    assert "最早可于 2026-03-16 更换" in response.content.decode()
    data["previous_dismissal_notice_on"] = "2025-12-31"
    assert client.post(reverse("property_services_managementarrangement:add"), data).status_code == 302
    current = ManagementArrangement.objects.get(estate=gov_estate, ended_on__isnull=True)
    assert current.provider == new_firm and current.fee_standards.get().rate == Decimal("1.45")
    assert current.created_by == officer


def test_officer_overview_shows_model_provider_term_fee_and_history(
    client, gov_estate, other_estate, officer, make_estate, make_user
):
    from estates.models import Subdistrict

    elsewhere = make_estate(
        "FAR1",
        name="远方小区",
        subdistrict=Subdistrict.objects.create(district=gov_estate.community.subdistrict.district, code="T9", name="别的街道"),
    )
    firm = make_provider()
    centre = make_provider(ProviderKind.SERVICE_CENTRE, name="和平社区物业服务中心")
    start_arrangement(
        gov_estate, firm, D(2022, 1, 1), contract_until=D(2023, 12, 31), authority_reference="业主大会决议〔2021〕1号"
    )
    start_arrangement(
        gov_estate,
        centre,
        D(2024, 1, 1),
        model="service_centre",
        rates={"residential": Decimal("0.65")},
        authority_reference="街道决定〔2023〕9号",
        end_reason="合同期满未续聘",
    )
    start_arrangement(elsewhere, centre, D(2024, 1, 1), model="service_centre")
    client.force_login(officer)
    html = client.get(reverse("property_services_managementarrangement:overview")).content.decode()
    assert "和平新村" in html and "山城公寓" in html and "远方小区" not in html
    assert "和平社区物业服务中心" in html and "0.65" in html and "2024-01-01" in html
    assert "业主大会决议〔2021〕1号" in html and "街道决定〔2023〕9号" in html and "合同期满未续聘" in html
    filtered = client.get(reverse("property_services_managementarrangement:overview"), {"model": "professional"}).content.decode()
    assert "和平新村" not in filtered


def test_overdue_decisions_on_the_dashboard_are_scoped(client, gov_estate, other_estate, staff_user, other_staff, officer):
    make_meeting(gov_estate, title="和平新村联席会议")
    make_meeting(other_estate, title="山城公寓联席会议")
    make_meeting(gov_estate, overdue=False, title="未到期")
    client.force_login(staff_user)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'data-testid="overdue-decisions"' in html
    assert html.count('class="overdue"') == 1
    client.force_login(officer)  # both estates are in the officer's sub-district
    assert client.get(reverse("wagtailadmin_home")).content.decode().count('class="overdue"') == 2

    decision = JointMeetingDecision.objects.filter(meeting__estate=gov_estate, due_on__lt=timezone.localdate()).get()
    client.force_login(staff_user)
    assert (
        client.post(
            reverse("property_services_jointmeetingdecision:status", args=[decision.pk, "done"]), {"note": "已更换"}
        ).status_code
        == 302
    )
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.DONE and decision.done_on == timezone.localdate()
    assert decision.status_changes.get().note == "已更换"
    assert client.get(reverse("wagtailadmin_home")).content.decode().count('class="overdue"') == 0


def test_joint_meeting_summary_notice_and_minutes_pdf(
    client, gov_estate, staff_user, django_capture_on_commit_callbacks, tmp_path
):
    meeting = make_meeting(gov_estate)
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("property_services_jointmeeting:publish", args=[meeting.pk])).status_code == 302
    notice = Notice.objects.get(kind=NoticeKind.JOINT_MEETING_SUMMARY)
    assert notice.estate == gov_estate and "更换3栋电梯钢丝绳" in notice.body
    meeting.refresh_from_db()
    assert meeting.minutes_pdf and notice.pdf

    response = client.get(reverse("property_services_jointmeeting:minutes", args=[meeting.pk]))
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "minutes.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "和平新村" in text and "更换3栋电梯钢丝绳" in text and "和平社区居委会" in text and "一、电梯维保" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert any("CJK" in line and line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow(estate, n: int) -> None:
    today = timezone.localdate()
    now = timezone.now()
    have = Assembly.objects.filter(estate=estate).count()
    assemblies = Assembly.objects.bulk_create(
        Assembly(
            estate=estate,
            title=f"第{i}次业主大会",
            meeting_on=today,
            notice_on=today - datetime.timedelta(days=20),
            voting_opens_at=now - datetime.timedelta(days=10),
            voting_closes_at=now + datetime.timedelta(days=1),
            status=AssemblyStatus.CALLED,
        )
        for i in range(have, n)
    )
    AssemblyMatter.objects.bulk_create(
        AssemblyMatter(assembly=a, sort_order=0, matter="other_major", title="事项") for a in assemblies
    )
    meetings = JointMeeting.objects.bulk_create(
        JointMeeting(estate=estate, title=f"联席会议{i}", held_on=today, agenda="议程") for i in range(have, n)
    )
    JointMeetingDecision.objects.bulk_create(
        JointMeetingDecision(
            meeting=m, text="决定", owner_kind="provider", owner_name="物业", due_on=today - datetime.timedelta(days=1)
        )
        for m in meetings
    )


@pytest.mark.parametrize("persona", ["staff_user", "officer"])
def test_assembly_and_meeting_lists_run_a_fixed_number_of_queries(client, gov_estate, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    urls = [
        reverse("property_services_assembly:index"),
        reverse("property_services_jointmeeting:index"),
        reverse("property_services_jointmeetingdecision:index"),
        reverse("property_services_ballot:index"),
        reverse("property_services_managementarrangement:overview"),
        reverse("wagtailadmin_home"),
    ]
    grow(gov_estate, 10)
    for url in urls:
        client.get(url)
    small = {url: count_queries(client, url) for url in urls}
    grow(gov_estate, 1000)
    large = {url: count_queries(client, url) for url in urls}
    assert large == small


def test_choice_lists_on_back_office_forms_stay_in_scope(
    client, gov_estate, gov_owners, other_estate, make_user, staff_user, committee_user
):
    from tests.property_services.conftest import make_owners

    outsider = make_owners(other_estate, make_user, start=4001)[0]
    outsider.name = "外小区业主"
    outsider.save()
    Notice.objects.create(estate=None, kind="other", title="全市公告", display_from=D(2026, 1, 1), display_until=D(2026, 1, 31))
    client.force_login(committee_user)
    html = client.get(reverse("property_services_ownerscommittee:add")).content.decode()
    assert gov_owners[0].name in html  # the member rows (inline forms) list the estate's owners
    assert outsider.name not in html and "山城公寓" not in html
    client.force_login(staff_user)
    html = client.get(reverse("property_services_ballot:add")).content.decode()
    assert gov_owners[0].name in html and outsider.name not in html
    # city-wide notices belong to platform administrators
    assert "全市公告" not in client.get(reverse("property_services_notice:index")).content.decode()
