"""Every status of property services changes through ``estates.status.transition`` along its one table.

For each table: every listed move succeeds and writes one history row (from, to, by); every move the
table does not list (a move to the same status included) is refused with nothing written; a stale
object (someone else moved the row since it was read) is refused with nothing written. That no code
writes a status any other way is tests/test_one_house.py's scan.
"""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from estates.status import IllegalTransitionError, StatusChangedError, flow_for, registered_flows, transition
from property_services import services
from property_services.models import (
    ASSEMBLY_TRANSITIONS,
    COST_TRANSITIONS,
    DECISION_TRANSITIONS,
    INSPECTION_TRANSITIONS,
    NOTICE_TRANSITIONS,
    STATEMENT_TRANSITIONS,
    SURVEY_TRANSITIONS,
    WORK_ORDER_TRANSITIONS,
    Assembly,
    AssemblyStatus,
    DecisionStatus,
    InspectionRequest,
    InspectionStatus,
    JointMeeting,
    JointMeetingDecision,
    MaintenanceFundUse,
    Notice,
    NoticeKind,
    NoticeStatus,
    PublicIncomeCost,
    PublicIncomeStatement,
    Survey,
    WorkOrder,
)
from tests.rentals.factories import RENTAL_SUBJECTS

from .conftest import make_assembly

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 5, 20)


def _assembly(estate, status):
    assembly = make_assembly(estate)
    Assembly.objects.filter(pk=assembly.pk).update(status=status)  # test set-up: a row as it stands
    assembly.refresh_from_db()
    return assembly


def _decision(estate, status):
    meeting = JointMeeting.objects.create(estate=estate, title="联席会议", held_on=TODAY, agenda="楼道修缮")
    return JointMeetingDecision.objects.create(
        meeting=meeting,
        text="修缮3栋楼道",
        owner_kind="provider",
        owner_name="渝安物业",
        due_on=TODAY,
        status=status,
        done_on=TODAY if status == DecisionStatus.DONE else None,
    )


def _decision_changes(to):
    """The decision's own invariant (done ⇔ done_on) travels with the move."""
    return {"done_on": TODAY if to == DecisionStatus.DONE else None}


def _notice(estate, status):
    return Notice.objects.create(
        estate=estate, kind=NoticeKind.OTHER, title="停水通知", display_from=TODAY, display_until=TODAY, status=status
    )


def _statement(estate, status):
    zero = "0.00"
    return PublicIncomeStatement.objects.create(
        estate=estate,
        starts_on=TODAY,
        ends_on=TODAY,
        opening=zero,
        income_total=zero,
        costs_total=zero,
        closing=zero,
        status=status,
    )


def _cost(estate, status):
    claimed = status == "claimed"
    return PublicIncomeCost.objects.create(
        estate=estate,
        incurred_on=TODAY,
        description="道闸维修",
        amount="40.00",
        status=status,
        evidence="public_income/evidence/2026/invoice.pdf" if claimed else "",
        claimed_at=datetime.datetime(2026, 5, 20, 9, tzinfo=datetime.UTC) if claimed else None,
    )


def _cost_changes(to):
    """A claimed cost has its evidence and its moment (the database's check)."""
    if to != "claimed":
        return {}
    return {
        "evidence": "public_income/evidence/2026/invoice.pdf",
        "claimed_at": datetime.datetime(2026, 5, 20, 9, tzinfo=datetime.UTC),
    }


def _inspection(estate, status):
    """An owner's request to inspect a fund use, with what its status needs (an arrangement, a refusal's reason)."""
    from estates.models import Owner

    use = MaintenanceFundUse.objects.create(
        estate=estate, title="电梯抢修", amount="100.00", used_on=TODAY, emergency_reason="电梯困人"
    )
    fields = {}
    if status in (InspectionStatus.ARRANGED, InspectionStatus.DONE):
        fields = _inspection_changes(InspectionStatus.ARRANGED)
    elif status == InspectionStatus.REFUSED:
        fields = _inspection_changes(InspectionStatus.REFUSED)
    return InspectionRequest.objects.create(
        estate=estate,
        owner=Owner.objects.create(estate=estate, name="业主甲"),
        fund_use=use,
        answer_due_on=TODAY,
        status=status,
        **fields,
    )


def _inspection_changes(to):
    """An arrangement needs a date and place (or a copy); a refusal its ground and reason."""
    if to == InspectionStatus.ARRANGED:
        return {"arranged_on": TODAY, "place": "物业服务中心"}
    if to == InspectionStatus.REFUSED:
        return {"refusal_reason": "not_held", "answer": "资料由区住房城乡建委保管"}
    return {}


def _work_order(estate, status):
    """A work order about a common area of the estate, in ``status``."""
    from django.utils import timezone

    from property_services.models import WorkOrder, WorkOrderCategory

    category, _ = WorkOrderCategory.objects.get_or_create(
        estate=estate, name="漏水", defaults={"response_hours": 2, "completion_hours": 24}
    )
    now = timezone.now()
    return WorkOrder.objects.create(
        estate=estate,
        number=f"BX-T-{WorkOrder.objects.count() + 1}",
        category=category,
        description="楼道漏水",
        place="1栋楼道",
        status=status,
        response_due_at=now,
        completion_due_at=now,
    )


def _survey(estate, status):
    """A "what to renovate next" survey of the estate in ``status`` (an opened one has its date and households)."""
    from property_services.models import Survey, SurveyItem

    opened = {} if status == "draft" else {"closes_on": TODAY, "households": 2}
    survey = Survey.objects.create(estate=estate, title="下一步改造什么", status=status, **opened)
    SurveyItem.objects.create(survey=survey, title="加装电梯", estimated_cost="300000.00")
    return survey


def _survey_changes(to):
    """Opening a survey fixes its last day and the households asked (a database check holds it)."""
    return {"closes_on": TODAY, "households": 2} if to == "open" else {}


# model -> (make an object in a status, the fields that change with a move to ``to``)
SUBJECTS = {
    Assembly: (_assembly, lambda to: {}),
    JointMeetingDecision: (_decision, _decision_changes),
    Notice: (_notice, lambda to: {}),
    PublicIncomeStatement: (_statement, lambda to: {}),
    PublicIncomeCost: (_cost, _cost_changes),
    InspectionRequest: (_inspection, _inspection_changes),
    WorkOrder: (_work_order, lambda to: {}),
    Survey: (_survey, _survey_changes),
    **RENTAL_SUBJECTS,
}


def _moves(table):
    statuses = list(table)
    return [(old, new, new in table[old]) for old, new in itertools.product(statuses, statuses)]


def _cases():
    for model in SUBJECTS:
        for old, new, allowed in _moves(flow_for(model).transitions):
            yield pytest.param(model, old, new, allowed, id=f"{model.__name__}:{old}->{new}")


def test_every_status_of_property_services_has_a_registered_flow_and_a_walker_here():
    ours = {flow.model for flow in registered_flows() if flow.model._meta.app_label in ("property_services", "rentals")}
    assert ours == set(SUBJECTS)
    assert flow_for(Assembly).transitions is ASSEMBLY_TRANSITIONS
    assert flow_for(JointMeetingDecision).transitions is DECISION_TRANSITIONS
    assert flow_for(Notice).transitions is NOTICE_TRANSITIONS
    assert flow_for(PublicIncomeStatement).transitions is STATEMENT_TRANSITIONS
    assert flow_for(PublicIncomeCost).transitions is COST_TRANSITIONS
    assert flow_for(InspectionRequest).transitions is INSPECTION_TRANSITIONS
    assert flow_for(WorkOrder).transitions is WORK_ORDER_TRANSITIONS
    assert flow_for(Survey).transitions is SURVEY_TRANSITIONS


@pytest.mark.parametrize(("model", "old", "new", "allowed"), list(_cases()))
def test_each_move_of_each_table(model, old, new, allowed, gov_estate, make_user):
    make, changes = SUBJECTS[model]
    flow = flow_for(model)
    obj = make(gov_estate, old)
    by = make_user("13900008801", Role.ESTATE_STAFF, estate=gov_estate)
    history = flow.history._default_manager.filter(**{flow.subject: obj})
    before = history.count()
    if allowed:
        row = transition(obj, to=new, by=by, note="测试", **changes(new))
        assert getattr(obj, flow.field) == new
        assert model._default_manager.filter(pk=obj.pk, **{flow.field: new}).exists()
        assert history.count() == before + 1
        assert (row.from_status, row.to_status, row.by_id, row.note) == (old, new, by.pk, "测试")
    else:
        with pytest.raises(IllegalTransitionError) as refused:
            transition(obj, to=new, by=by, **changes(new))
        assert refused.value.code == "illegal_transition"
        assert " / " in refused.value.messages[0]  # Chinese first, then English
        assert model._default_manager.filter(pk=obj.pk, **{flow.field: old}).exists()
        assert history.count() == before


@pytest.mark.parametrize("model", list(SUBJECTS), ids=lambda m: m.__name__)
def test_a_stale_object_is_refused_and_nothing_is_written(model, gov_estate):
    make, changes = SUBJECTS[model]
    flow = flow_for(model)
    old, targets = next((s, t) for s, t in flow.transitions.items() if t)
    new = sorted(targets)[0]
    obj = make(gov_estate, old)
    # Someone else moved the row after ``obj`` was read.
    model._default_manager.filter(pk=obj.pk).update(**{flow.field: new}, **changes(new))
    history = flow.history._default_manager.filter(**{flow.subject: obj})
    with pytest.raises(StatusChangedError) as raced:
        transition(obj, to=new, **changes(new))
    assert raced.value.code == "status_changed"
    assert history.count() == 0
    assert model._default_manager.filter(pk=obj.pk, **{flow.field: new}).exists()


def test_the_decision_service_walks_its_table_and_refuses_a_repeat(gov_estate, staff_user):
    decision = _decision(gov_estate, DecisionStatus.OPEN)
    services.decision_transition(decision=decision, to=DecisionStatus.DONE, by=staff_user, note="已完成", on=TODAY)
    decision.refresh_from_db()
    assert (decision.status, decision.done_on) == (DecisionStatus.DONE, TODAY)
    with pytest.raises(ValidationError, match="不能变为"):
        services.decision_transition(decision=decision, to=DecisionStatus.DONE, by=staff_user)
    services.decision_transition(decision=decision, to=DecisionStatus.OPEN, by=staff_user)
    decision.refresh_from_db()
    assert (decision.status, decision.done_on) == (DecisionStatus.OPEN, None)
    assert list(decision.status_changes.values_list("from_status", "to_status", "note")) == [
        ("open", "done", "已完成"),
        ("done", "open", ""),
    ]


def test_calling_and_publishing_an_assembly_leave_history_rows(called_assembly, committee_user):
    closed = called_assembly.voting_closes_at + datetime.timedelta(minutes=1)
    services.assembly_result_publish(assembly=called_assembly, by=committee_user, at=closed)
    called_assembly.refresh_from_db()
    assert called_assembly.status == AssemblyStatus.PUBLISHED
    assert list(called_assembly.status_changes.values_list("from_status", "to_status", "by")) == [
        ("draft", "called", committee_user.pk),
        ("called", "published", committee_user.pk),
    ]
    assert called_assembly.result_published_at == closed


def test_notices_are_published_withdrawn_and_published_again_through_the_services(gov_estate, officer):
    published = services.notice_publish(
        kind=NoticeKind.OTHER, title="停水通知", body="6月1日停水", estate=gov_estate, display_from=TODAY, display_until=TODAY
    )
    assert published.status == NoticeStatus.PUBLISHED and published.is_current(TODAY)
    services.notice_withdraw(notice=published, by=officer, note="日期有误")
    published.refresh_from_db()
    assert published.status == NoticeStatus.WITHDRAWN and not published.is_current(TODAY)
    with pytest.raises(IllegalTransitionError):
        services.notice_withdraw(notice=published, by=officer)
    services.notice_release(notice=published, by=officer)
    assert list(published.status_changes.values_list("from_status", "to_status", "by", "note")) == [
        ("draft", "published", None, ""),
        ("published", "withdrawn", officer.pk, "日期有误"),
        ("withdrawn", "published", officer.pk, ""),
    ]

    draft = services.notice_save(
        notice=Notice(estate=gov_estate, kind=NoticeKind.OTHER, title="草稿", display_from=TODAY, display_until=TODAY)
    )
    assert draft.status == NoticeStatus.DRAFT and not draft.is_current(TODAY)
    assert not draft.status_changes.exists()
    services.notice_release(notice=draft, by=officer)
    assert Notice.objects.get(pk=draft.pk).status == NoticeStatus.PUBLISHED


def test_publishing_a_withdrawn_notice_of_a_source_again_puts_it_back(called_assembly, committee_user):
    notice = Notice.objects.get(kind=NoticeKind.ASSEMBLY_CALL)
    assert notice.status_changes.get().by == committee_user  # the caller published the call
    services.notice_withdraw(notice=notice, by=None)
    again = services.notice_publish(
        kind=NoticeKind.ASSEMBLY_CALL,
        title="更正",
        body="",
        estate=called_assembly.estate,
        display_from=notice.display_from,
        display_until=notice.display_until,
        source=called_assembly,
    )
    assert again.pk == notice.pk and again.status == NoticeStatus.PUBLISHED and again.title == "更正"
    assert list(again.status_changes.values_list("to_status", flat=True)) == ["published", "withdrawn", "published"]


def test_the_wrong_person_cannot_publish_or_withdraw_a_notice(gov_estate, other_staff, make_user):
    notice = _notice(gov_estate, NoticeStatus.PUBLISHED)
    city_wide = Notice.objects.create(
        estate=None, kind=NoticeKind.OTHER, title="全市公告", display_from=TODAY, display_until=TODAY
    )
    estate_staff = make_user("13900008802", Role.ESTATE_STAFF, estate=gov_estate)
    for who, target in [(other_staff, notice), (estate_staff, city_wide)]:
        with pytest.raises(ValidationError) as refused:
            (services.notice_withdraw if target.status == NoticeStatus.PUBLISHED else services.notice_release)(
                notice=target, by=who
            )
        assert refused.value.code == "not_publisher"
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.PUBLISHED
    assert Notice.objects.get(pk=city_wide.pk).status == NoticeStatus.DRAFT
    assert not notice.status_changes.exists() and not city_wide.status_changes.exists()
