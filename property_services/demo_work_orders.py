"""The demo's repairs and complaints and residents' surveys (issue 14), loaded by ``seed_demo`` after the common parts.

Every demo estate gets its categories with time limits and a contractor; the tenant 王浩宇 (13700000001) is
registered in a flat of 金汤街小区 (he reports about it in the portal); and each estate has a month of orders
in every status — reported in the portal by the demo owners and the tenant, or filed by staff for a call —
some answered late (flagged overdue), one reopened after the resident rejected it, some rated, one low (on
the return-visit list). Surveys: an open one of what to renovate next in 金汤街小区, and a closed one of
satisfaction with the manager's service in 洋河新村 with its results published. The history is the past month: the orders' times are moved back after the services
wrote them (demo only, like billing's backdated bills).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from estates.demo import JINTANGJIE, TONGYUANMEN, YANGHE
from estates.models import Estate, Ownership, Unit

from .models import Contractor, UnitResident, WorkOrder, WorkOrderCategory, WorkOrderKind, WorkOrderStatusChange

ALREADY = "工单演示数据已存在 / Work-order demo data exists already"
TENANT = "13700000001"
STAFF = "13900000001"  # 何晓燕, staff of 金汤街小区
ADMIN = "13900000000"  # the platform administrator answers for the estates without a staff login

#: (name, kind, response hours, completion hours)
CATEGORIES = [
    ("水电急修", WorkOrderKind.REPAIR, 2, 24),
    ("户内一般维修", WorkOrderKind.REPAIR, 24, 72),
    ("公共设施维修", WorkOrderKind.REPAIR, 24, 120),
    ("环境卫生投诉", WorkOrderKind.COMPLAINT, 24, 72),
    ("噪音扰民投诉", WorkOrderKind.COMPLAINT, 12, 48),
]
CONTRACTORS = {JINTANGJIE: "渝中区通达水电维修部", TONGYUANMEN: "七星岗便民维修服务部", YANGHE: "江北区安家水电安装队"}
LOGIN_OWNERS = {JINTANGJIE: ["13800000001"], YANGHE: ["13800000002", "13900000003"], TONGYUANMEN: []}

#: One story per order: (days ago, category, where, description, the moves made, rating, reason, paid amount).
#: where: "home" (the reporter's unit), "building" or a common place in words. Moves: a = accept, g = assign to
#: the contractor, s = start, r = resolve, x = the resident rejects, c = confirm, late = answered after the limit.
STORIES = [
    (26, "水电急修", "home", "卫生间水管接头漏水，楼下天花板渗水", "a g s r c", 5, "", None),
    (22, "公共设施维修", "building", "2单元楼道声控灯不亮", "a g s r c", 4, "", None),
    (19, "户内一般维修", "home", "厨房下水管堵塞", "late a g s r x r c", 2, "第一次没有修好，拖了好几天", Decimal("60.00")),
    (15, "环境卫生投诉", "小区南门垃圾收集点", "垃圾清运不及时，气味很大", "a g s r c", 3, "", None),
    (9, "公共设施维修", "小区中心花园", "健身器材螺丝松动，有安全隐患", "a g s r", None, "", None),
    (5, "噪音扰民投诉", "building", "夜间装修噪音", "a", None, "", None),
    (3, "水电急修", "home", "入户电闸频繁跳闸", "late", None, "", None),
    (0, "户内一般维修", "home", "阳台窗户合页损坏", "", None, "", None),
]


def _write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _move_back(order: WorkOrder, delta: datetime.timedelta) -> None:
    """Move an order's whole history ``delta`` into the past (demo only)."""
    fields = [
        "submitted_at",
        "response_due_at",
        "completion_due_at",
        "accepted_at",
        "resolved_at",
        "confirmed_at",
        "closed_at",
        "rated_at",
    ]
    WorkOrder.objects.filter(pk=order.pk).update(**{f: F(f) - delta for f in fields})
    WorkOrderStatusChange.objects.filter(order=order).update(at=F("at") - delta)


def _reporters(estate: Estate) -> list[tuple[User | None, Unit | None]]:
    """Who reports in the demo: the demo logins of the estate with a unit each (the tenant in 金汤街小区), else nobody
    with a login (staff file calls)."""
    people = []
    for mobile in LOGIN_OWNERS.get(estate.name, []):
        ownership = (
            Ownership.objects.filter(owner__user__mobile=mobile, unit__building__estate=estate).select_related("unit").first()
        )
        if ownership:
            people.append((ownership.owner.user, ownership.unit))
    resident = (
        UnitResident.objects.filter(user__mobile=TENANT, unit__building__estate=estate).select_related("unit", "user").first()
    )
    if resident:
        people.append((resident.user, resident.unit))
    return people


def _demo_surveys(estates: list[Estate]) -> int:
    """金汤街小区: an open survey of what to renovate next (the demo owner 陈建华 has not answered yet); 洋河新村:
    a closed survey of satisfaction with the manager's service, answered by its two demo owners, its results
    published as a notice with their PDF."""
    from .models import Survey, SurveyItem, SurveyKind, SurveyQuestion
    from .services.surveys import survey_answer, survey_close, survey_open, survey_save

    by_name = {estate.name: estate for estate in estates}
    today = timezone.localdate()
    made = 0
    if JINTANGJIE in by_name:
        survey = Survey(
            estate=by_name[JINTANGJIE],
            kind=SurveyKind.RENOVATION_CHOICE,
            title="2027年小区改造项目征询（共谋）",
            max_choices=2,
        )
        survey.items = [
            SurveyItem(title=title, estimated_cost=Decimal(cost))
            for title, cost in (
                ("加装电梯（1号楼）", "680000.00"),
                ("外墙保温与防水", "420000.00"),
                ("增设电动自行车充电棚", "36000.00"),
            )
        ]
        survey = survey_save(survey=survey)
        survey_open(survey=survey, closes_on=today + datetime.timedelta(days=20))
        tenant = UnitResident.objects.filter(
            user__mobile=TENANT, unit__building__estate=survey.estate, until__isnull=True
        ).first()
        if tenant is not None:
            items = list(survey.items.order_by("sort_order").values_list("pk", flat=True))
            survey_answer(survey=survey, unit=tenant.unit, by=tenant.user, item_ids=items[:2])
        made += 1
    if YANGHE in by_name:
        survey = Survey(estate=by_name[YANGHE], kind=SurveyKind.SERVICE_SATISFACTION, title="2026年物业服务满意度测评（共评）")
        survey.questions = [SurveyQuestion(text=text) for text in ("报修响应与维修质量", "环境卫生", "公共收益公开透明")]
        survey = survey_save(survey=survey)
        survey_open(survey=survey, closes_on=today + datetime.timedelta(days=7))
        questions = list(survey.questions.order_by("sort_order").values_list("pk", flat=True))
        for mobile, marks, comment in (("13800000002", (4, 5, 4), ""), ("13900000003", (3, 4, 5), "希望维修更及时")):
            ownership = (
                Ownership.objects.filter(owner__user__mobile=mobile, unit__building__estate=survey.estate, until__isnull=True)
                .select_related("unit", "owner__user")
                .first()
            )
            if ownership is not None:
                survey_answer(
                    survey=survey,
                    unit=ownership.unit,
                    by=ownership.owner.user,
                    ratings=dict(zip(questions, marks, strict=True)),
                    comment=comment,
                )
        survey_close(survey=survey, note="演示：测评结束")
        made += 1
    return made


def seed_work_orders_demo(stdout: TextIO | None = None) -> dict[str, int]:
    from .services.work_orders import (
        work_order_accept,
        work_order_assign,
        work_order_confirm,
        work_order_file_for_caller,
        work_order_rate,
        work_order_reject,
        work_order_report,
        work_order_resolve,
        work_order_start,
        work_orders_flag_overdue,
    )

    counts = dict.fromkeys(["categories", "contractors", "residents", "orders"], 0)
    estates = list(Estate.objects.filter(name__in=CONTRACTORS).order_by("name"))
    if not estates:
        return counts
    if WorkOrderCategory.objects.filter(estate__in=estates).exists():
        _write(stdout, ALREADY)
        return counts
    staff = User.objects.filter(mobile=STAFF).first()
    admin = User.objects.filter(mobile=ADMIN).first()
    tenant = User.objects.filter(mobile=TENANT).first()
    now = timezone.now()
    with transaction.atomic():
        for estate in estates:
            categories = {
                name: WorkOrderCategory.objects.create(
                    estate=estate, name=name, kind=kind, response_hours=response, completion_hours=completion
                )
                for name, kind, response, completion in CATEGORIES
            }
            counts["categories"] += len(categories)
            contractor = Contractor.objects.create(
                estate=estate, name=CONTRACTORS[estate.name], trade="水电、门窗", phone="023-63800000"
            )
            counts["contractors"] += 1
            if estate.name == JINTANGJIE and tenant is not None:
                taken = Ownership.objects.filter(owner__user__isnull=False).values("unit_id")
                flat = (
                    Unit.objects.filter(building__estate=estate)
                    .exclude(pk__in=taken)
                    .order_by("building__number", "number")
                    .last()
                )
                UnitResident.objects.create(unit=flat, user=tenant, since=timezone.localdate() - datetime.timedelta(days=200))
                counts["residents"] += 1
            by = staff if (staff is not None and estate.name == JINTANGJIE) else admin
            if by is None:
                continue
            reporters = _reporters(estate)
            building = estate.buildings.order_by("number").first()
            for n, (days_ago, category_name, where, description, moves, rating, reason, amount) in enumerate(STORIES):
                reporter, unit = reporters[n % len(reporters)] if reporters else (None, None)
                location = {"unit": None, "building": None, "place": ""}
                if where == "home":
                    unit = unit or Unit.objects.filter(building=building).order_by("number")[n % 4]
                    location["unit"] = unit
                elif where == "building":
                    location["building"] = building
                else:
                    location["place"] = where
                paid = amount is not None and location["unit"] is not None
                category = categories[category_name]
                if reporter is not None:
                    order = work_order_report(user=reporter, category=category, description=description, paid=paid, **location)
                else:
                    order = work_order_file_for_caller(
                        by=by, category=category, description=description, caller_name="来电业主", paid=paid, **location
                    )
                steps = moves.split()
                late = "late" in steps
                resident = reporter if reporter is not None else by
                for step in (s for s in steps if s != "late"):
                    if step == "a":
                        work_order_accept(order=order, by=by)
                    elif step == "g":
                        work_order_assign(order=order, by=by, contractor=contractor)
                    elif step == "s":
                        work_order_start(order=order, by=by)
                    elif step == "r":
                        work_order_resolve(order=order, by=by, resolution="已派维修人员处理完毕", amount=amount if paid else None)
                    elif step == "x":
                        work_order_reject(order=order, by=resident, reason="问题还在，请再来看看")
                        work_order_start(order=order, by=by)
                    elif step == "c":
                        work_order_confirm(order=order, by=resident)
                if rating is not None and reporter is not None:
                    work_order_rate(order=order, by=reporter, rating=rating, reason=reason)
                _move_back(order, datetime.timedelta(days=days_ago))
                if late:
                    # Reported long before it was answered: the report (and its limits) a day past the completion
                    # limit earlier than the answers, so both limits were missed.
                    lateness = datetime.timedelta(hours=category.completion_hours + 24)
                    WorkOrder.objects.filter(pk=order.pk).update(
                        submitted_at=F("submitted_at") - lateness,
                        response_due_at=F("response_due_at") - lateness,
                        completion_due_at=F("completion_due_at") - lateness,
                    )
                    WorkOrderStatusChange.objects.filter(order=order, from_status="").update(at=F("at") - lateness)
                counts["orders"] += 1
        work_orders_flag_overdue(now=now)
    counts["surveys"] = _demo_surveys(estates)
    _write(stdout, "工单演示数据已加载 / Work-order demo data loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
