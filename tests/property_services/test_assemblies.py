"""Assemblies: the 15-day notice, calling, ballots online and on paper, the Art. 278 tally from real ballots, notices and PDFs."""

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from estates.models import Owner, Ownership, Unit
from property_services import services
from property_services.models import AssemblyStatus, AssemblyStatusChange, Ballot, Notice, NoticeKind
from property_services.selectors import voting_roll
from tests.property_services.conftest import call_assembly, make_assembly

pytestmark = pytest.mark.django_db


def close_voting(assembly):
    """Move the voting window into the past (as if time had passed)."""
    now = timezone.now()
    type(assembly).objects.filter(pk=assembly.pk).update(
        voting_opens_at=now - datetime.timedelta(days=10), voting_closes_at=now - datetime.timedelta(minutes=1)
    )
    assembly.refresh_from_db()
    return assembly


def test_owners_must_be_notified_fifteen_days_ahead(gov_estate, gov_owners):
    """物业管理条例 Art. 14: notice at least 15 days before the meeting."""
    today = timezone.localdate()
    opens = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=15), datetime.time(9)))
    window = dict(voting_opens_at=opens, voting_closes_at=opens + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        services.assembly_create(
            estate=gov_estate,
            title="大会",
            notice_on=today,
            meeting_on=today + datetime.timedelta(days=14),
            matters=[("other_major", "事项")],
            **window,
        )
    message = str(error.value)
    assert "业主大会应于会议召开15日以前通知全体业主" in message
    assert "at least 15 days before the meeting" in message
    assert message.index("业主大会") < message.index("Owners must")  # Chinese first
    ok = services.assembly_create(
        estate=gov_estate,
        title="大会",
        notice_on=today,
        meeting_on=today + datetime.timedelta(days=15),
        matters=[("other_major", "事项")],
        **window,
    )
    assert ok.notice_days == 15


def test_calling_publishes_the_call_and_records_the_residents_committee(gov_estate, gov_owners, committee_user):
    assembly = make_assembly(gov_estate, matters=[("other_major", "更换门禁"), ("use_maintenance_fund", "维修屋面")])
    called = call_assembly(assembly, committee_user)
    assert called.status == AssemblyStatus.CALLED
    assert called.residents_committee_informed_on == called.notice_on
    assert gov_estate.community.name in called.residents_committee_note
    notice = Notice.objects.get(kind=NoticeKind.ASSEMBLY_CALL)
    assert notice.estate == gov_estate and notice.source == called
    assert "更换门禁" in notice.body and "维修屋面" in notice.body
    assert notice.display_from == called.notice_on
    assert list(AssemblyStatusChange.objects.values_list("from_status", "to_status", "by")) == [
        ("draft", "called", committee_user.pk)
    ]
    with pytest.raises(ValidationError, match="不能变为"):
        call_assembly(called, committee_user)


def test_owner_votes_once_and_can_change_until_the_close(called_assembly, gov_owners):
    matter = called_assembly.matters.order_by("sort_order").first()
    owner = gov_owners[0]
    services.assembly_vote(assembly=called_assembly, owner=owner, choices={matter.pk: "no"}, by=owner.user)
    services.assembly_vote(assembly=called_assembly, owner=owner, choices={matter.pk: "yes"}, by=owner.user)
    assert list(Ballot.objects.filter(owner=owner).values_list("choice", "channel")) == [("yes", "online")]

    close_voting(called_assembly)
    with pytest.raises(ValidationError) as error:
        services.assembly_vote(assembly=called_assembly, owner=owner, choices={matter.pk: "no"}, by=owner.user)
    assert "投票已于" in str(error.value) and "Voting closed at" in str(error.value)
    assert Ballot.objects.get(owner=owner).choice == "yes"


def test_staff_record_paper_ballots_written_consultation_and_proxies(called_assembly, gov_owners, staff_user, committee_user):
    matter = called_assembly.matters.first()
    with pytest.raises(ValidationError, match="请填写表决票编号"):
        services.ballot_record(matter=matter, owner=gov_owners[1], choice="yes", channel="paper", by=staff_user)
    with pytest.raises(ValidationError, match="代理人姓名和授权委托书编号"):
        services.ballot_record(matter=matter, owner=gov_owners[2], choice="no", channel="proxy", proxy_name="张三", by=staff_user)
    paper = services.ballot_record(
        matter=matter, owner=gov_owners[1], choice="yes", channel="paper", paper_reference="HP-0007", by=staff_user
    )
    proxy = services.ballot_record(
        matter=matter,
        owner=gov_owners[2],
        choice="no",
        channel="proxy",
        proxy_name="张三",
        proxy_document="委托书-12",
        by=staff_user,
    )
    written = services.ballot_record(
        matter=matter, owner=gov_owners[3], choice="abstain", channel="written", paper_reference="SM-3", by=staff_user
    )
    assert (paper.paper_reference, paper.cast_by) == ("HP-0007", staff_user)
    assert (proxy.proxy_name, proxy.proxy_document) == ("张三", "委托书-12")
    assert written.channel == "written"
    # 物业管理条例 Art. 14 and issue 8 rule 7: back-office entry only while voting is open
    close_voting(called_assembly)
    with pytest.raises(ValidationError, match="投票已于"):
        services.ballot_record(
            matter=matter, owner=gov_owners[4], choice="yes", channel="paper", paper_reference="HP-0008", by=staff_user
        )
    services.assembly_result_publish(assembly=called_assembly, by=committee_user)  # the committee publishes
    with pytest.raises(ValidationError, match="只能在已召集且尚未公布结果"):
        services.ballot_record(
            matter=matter, owner=gov_owners[0], choice="yes", channel="paper", paper_reference="HP-9", by=staff_user
        )


def test_owner_of_another_estate_cannot_vote(called_assembly, other_estate, make_user):
    from tests.property_services.conftest import make_owners

    outsider = make_owners(other_estate, make_user, start=3001)[0]
    with pytest.raises(ValidationError, match="不是本小区业主"):
        services.assembly_vote(assembly=called_assembly, owner=outsider, choices={called_assembly.matters.first().pk: "yes"})


def test_result_is_tallied_from_the_ballots_by_article_278(
    called_assembly, gov_owners, committee_user, django_capture_on_commit_callbacks
):
    # units 80..85 m² (495 m²); owner A holds 80 + 81 = 161 m², B 82, C 83, D 84, E 85: 5 owners.
    ordinary, special = list(called_assembly.matters.order_by("sort_order"))
    a, b, c, d, e = gov_owners
    vote = lambda owner, choices: services.assembly_vote(assembly=called_assembly, owner=owner, choices=choices)  # noqa: E731
    vote(a, {ordinary.pk: "yes", special.pk: "yes"})
    vote(b, {ordinary.pk: "yes", special.pk: "yes"})
    vote(c, {ordinary.pk: "no", special.pk: "yes"})
    vote(d, {ordinary.pk: "abstain", special.pk: "no"})
    # E does not vote: 4 of 5 owners (80%) and 410 of 495 m² (82.83%) take part.

    with pytest.raises(ValidationError, match="截止后才能计票"):
        services.assembly_result_publish(assembly=called_assembly, by=committee_user)
    close_voting(called_assembly)
    with django_capture_on_commit_callbacks(execute=True):
        services.assembly_result_publish(assembly=called_assembly, by=committee_user)
    ordinary.refresh_from_db()
    special.refresh_from_db()

    assert (ordinary.total_area, ordinary.total_owners) == (Decimal("495.00"), 5)
    assert (ordinary.participating_area, ordinary.participating_owners) == (Decimal("410.00"), 4)
    assert (ordinary.yes_area, ordinary.yes_owners) == (Decimal("243.00"), 2)  # A's two units count once, with both areas
    # yes: 243/410 m² > 1/2 but 2/4 owners is exactly half: not "more than half"
    assert ordinary.passed is False and ordinary.participation_met is True
    assert ordinary.yes_owners_percent == Decimal("50.00") and ordinary.participating_area_percent == Decimal("82.83")
    # special matter: yes 3/4 owners and 326/410 m² = 79.5% ≥ 3/4 → passed
    assert (special.yes_area, special.yes_owners, special.passed) == (Decimal("326.00"), 3, True)

    called_assembly.refresh_from_db()
    assert called_assembly.status == AssemblyStatus.PUBLISHED
    notice = Notice.objects.get(kind=NoticeKind.ASSEMBLY_RESULT)
    assert notice.source == called_assembly and notice.estate == called_assembly.estate
    assert "82.83%" in notice.body and "50.00%" in notice.body
    assert notice.pdf.name.endswith(".pdf")


def test_result_pdf_has_chinese_text_and_an_embedded_cjk_font(
    called_assembly, gov_owners, committee_user, django_capture_on_commit_callbacks, tmp_path
):
    matter = called_assembly.matters.order_by("sort_order").first()
    for owner in gov_owners:
        services.assembly_vote(assembly=called_assembly, owner=owner, choices={matter.pk: "yes"})
    close_voting(called_assembly)
    with django_capture_on_commit_callbacks(execute=True):
        services.assembly_result_publish(assembly=called_assembly, by=committee_user)
    path = tmp_path / "result.pdf"
    path.write_bytes(Notice.objects.get(kind=NoticeKind.ASSEMBLY_RESULT).pdf.read())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "和平新村" in text and "更换小区门禁系统" in text
    assert "民法典》第二百七十八条" in text
    assert "100.00%" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK-SC" in line.replace(" ", "-")]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column: embedded


def test_joint_owners_are_one_head_and_either_may_vote_art_9_and_300(gov_estate, gov_owners, make_user):
    """SPC interpretation Art. 9, Civil Code Art. 300: a co-owned unit counts once; any co-owner may cast its ballot."""
    unit = Unit.objects.filter(building__estate=gov_estate).order_by("-exclusive_area").first()  # E's 85 m² unit
    e = gov_owners[4]
    Ownership.objects.filter(unit=unit, owner=e).update(share=Decimal("0.4"))
    spouse = Owner.objects.create(estate=gov_estate, name="E的配偶")
    Ownership.objects.create(unit=unit, owner=spouse, share=Decimal("0.6"), since=datetime.date(2000, 1, 1))
    roll = voting_roll(estate=gov_estate)
    assert str(spouse.pk) in roll.owner_keys and str(e.pk) in roll.owner_keys
    assert len(roll.units) == 6 and roll.total_owners == 5
