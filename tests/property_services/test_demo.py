"""seed_property_services_demo: every demo estate is run under the model its renovation chose; the
self-governance estate has its committee (with 13900000003), an assembly with ballots and a result, and
an open one; the professional estate has a joint meeting with an overdue decision."""

from io import StringIO

import pytest
from django.utils import timezone

from accounts.models import User
from billing.models import ChargeKind, Tariff
from estates.demo import demo_seed
from estates.models import Estate, Owner, OwnerKind, RenovationProject
from property_services import services
from property_services.demo import ALREADY_PRESENT, seed_property_services_demo
from property_services.models import (
    Assembly,
    AssemblyStatus,
    Ballot,
    DecisionStatus,
    JointMeetingDecision,
    ManagementArrangement,
    Notice,
    NoticeKind,
    OwnersCommittee,
    VoterDesignation,
)
from property_services.selectors import assemblies_for_owner, voter_for_assembly

pytestmark = pytest.mark.django_db


def test_demo_seed(sync_groups):
    demo_seed(units=600)
    out = StringIO()
    counts = seed_property_services_demo(stdout=out)
    assert counts["arrangements"] == Estate.objects.count() == 3
    # Each estate's visitor tariff has a night rate, and its gates a key (issue 13).
    assert counts["parking_tariffs"] == 3
    for estate in Estate.objects.all():
        assert estate.parking_rates.get().as_tariff().has_night_rate and estate.gate_key.key

    for project in RenovationProject.objects.select_related("estate"):
        current = ManagementArrangement.objects.get(estate=project.estate, ended_on__isnull=True)
        assert current.model == project.management_model_after
        assert current.provider.kind == {"professional": "property_firm"}.get(current.model, current.model)
        assert Tariff.objects.filter(estate=project.estate, charge_kind=ChargeKind.PROPERTY_FEE, unit_use="residential").exists()

    # Public income (issue 13): the self-governance estate discloses half-yearly; a cost waits for its invoice.
    from property_services.models import EstateSettings
    from property_services.services.public_income import costs_awaiting_evidence

    assert EstateSettings.objects.get(estate__name="洋河新村").statement_period == "half_year"
    assert costs_awaiting_evidence(estate=Estate.objects.get(name="金汤街小区")).count() == counts["costs_awaiting_evidence"] == 1

    committee = OwnersCommittee.objects.get(estate__name="洋河新村")
    chair = committee.members.get(role="chair")
    assert chair.user.mobile == "13900000003"
    assert (committee.filed_on - committee.elected_on).days <= 30

    published = Assembly.objects.get(estate__name="洋河新村", status=AssemblyStatus.PUBLISHED)
    assert Ballot.objects.filter(matter__assembly=published).count() > 100
    assert all(m.is_counted and m.participation_met for m in published.matters.all())
    assert Notice.objects.filter(kind=NoticeKind.ASSEMBLY_RESULT, source_id=published.pk).exists()
    current = Assembly.objects.get(estate__name="洋河新村", status=AssemblyStatus.CALLED, building__isnull=True)
    assert current.voting_is_open()

    # Voter roll (issue 8): the original work unit is one owner of several flats with a representative, a
    # couple designated who votes for their flat, and one entrance is called to decide on adding a lift.
    work_unit = Owner.objects.get(estate__name="洋河新村", name__contains="原产权单位")
    assert work_unit.kind == OwnerKind.ORGANISATION and work_unit.representative_name
    assert work_unit.ownerships.count() >= 2
    assert VoterDesignation.objects.filter(unit__building__estate__name="洋河新村").count() == 1
    lift = Assembly.objects.get(estate__name="洋河新村", entrance=2)
    assert lift.status == AssemblyStatus.CALLED and lift.roll_total_owners < current.roll_total_owners
    assert lift.matters.filter(matter="rebuild").exists()

    # Issue 8 rules 1, 2 and 8: the firm of 金汤街小区 was hired by a passed Art. 278 item (4) resolution of that
    # estate; each demo owner has an assembly open for voting now whose notice went out at least 15 days ago
    # (物业管理条例 Art. 14); in 金汤街小区, which has no committee, the sub-district officer called it (Art. 277).
    firm = ManagementArrangement.objects.get(estate__name="金汤街小区", ended_on__isnull=True)
    hiring = firm.authorising_matter
    assert firm.model == "professional" and hiring.matter == "hire_or_dismiss_manager" and hiring.passed is True
    assert hiring.assembly.estate_id == firm.estate_id
    for mobile, estate_name in (("13800000001", "金汤街小区"), ("13800000002", "洋河新村")):
        user = User.objects.get(mobile=mobile)
        open_now = [a for a in assemblies_for_owner(user=user) if a.voting_is_open() and a.estate.name == estate_name]
        assert open_now, mobile
        assembly = open_now[0]
        assert (timezone.localdate() - assembly.notice_on).days >= 15
        voter = voter_for_assembly(user=user, assembly=assembly)
        (ballot,) = services.assembly_vote(assembly=assembly, owner=voter, choices={assembly.matters.first().pk: "yes"}, by=user)
        assert ballot.channel == "online"
    first = Assembly.objects.get(estate__name="金汤街小区", status=AssemblyStatus.CALLED)
    assert first.called_by.mobile == "13900000002" and first.matters.filter(matter="elect_committee").exists()

    overdue = JointMeetingDecision.objects.filter(
        meeting__estate__name="金汤街小区", status=DecisionStatus.OPEN, due_on__lt=timezone.localdate()
    )
    assert overdue.count() == 1
    assert Notice.objects.filter(kind=NoticeKind.JOINT_MEETING_SUMMARY).exists()

    assert seed_property_services_demo() == dict.fromkeys(counts, 0)
    out = StringIO()
    seed_property_services_demo(stdout=out)
    assert ALREADY_PRESENT in out.getvalue()
