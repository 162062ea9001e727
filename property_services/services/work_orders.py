"""Work orders (报修/投诉): residents report, the estate's staff answer within the category's limits, the resident
confirms (or rejects) the result and rates it.

- A resident is an owner holding a unit today, or a tenant or household member the staff registered in a unit
  (``UnitResident``). They report about one of their own units, a building of their estate, or a common
  area of it (``work_order_report``); staff file a report for a phone call (``work_order_file_for_caller``).
- The due times are fixed at the report from the category's limits (``work_order_clock``, calendar time
  unless the category counts office hours); a task flags the overdue orders (``work_orders_flag_overdue``).
- Staff of the order's estate accept, assign (to staff of that estate or one of its contractors), start,
  resolve, return (to the queue, with a reason), transfer (to another assignee, with a reason) and close.
- The reporter confirms or rejects a resolution (a rejection reopens the order: reopen_count + 1) and rates a
  confirmed order once, 1–5, giving a reason for 1 or 2 (the return-visit list).
- A paid repair inside a unit is billed through billing to the unit's owner when the resident confirms it
  (charge kind ``repair_fee``: the manager's fee income). Common parts are never billed to a resident.

Statuses move only through ``estates.status.transition``; every refusal is ``accounts.errors.refuse``
(Chinese first) and writes nothing.
"""

from __future__ import annotations

import datetime
import mimetypes
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import refuse
from accounts.models import Role
from accounts.uploads import validate_image
from estates.models import Building, Estate, Ownership, RoleAssignment, Unit
from estates.selectors import estates_visible_to
from estates.status import transition

from ..models import (
    OPEN_STATUSES,
    Contractor,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderPhoto,
    WorkOrderStatus,
    WorkOrderStatusChange,
)
from ..selectors.work_orders import resident_units
from ..work_order_clock import due_times, is_overdue

DESCRIPTION_MAX = 2000
REASON_MAX = 200
REPAIR_FEE = "repair_fee"
#: Days an owner has to pay a repair charge.
REPAIR_FEE_DUE_DAYS = 15
CHANGE_PERMISSION = "property_services.change_workorder"


# -- categories --------------------------------------------------------------------------------------------------


@transaction.atomic
def work_order_category_save(*, category: WorkOrderCategory) -> WorkOrderCategory:
    """Save a category after checking its limits: at least 1 hour, completion not shorter than response, and
    neither above the platform's maximum (``settings.ANJU_WORK_ORDER_MAX_HOURS``)."""
    category.full_clean()
    category.save()
    return category


# -- reports -----------------------------------------------------------------------------------------------------


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if not description:
        raise refuse("请描述问题", "Describe the problem.", field="description", code="description")
    if len(description) > DESCRIPTION_MAX:
        raise refuse(
            f"描述最多{DESCRIPTION_MAX}字",
            f"The description is at most {DESCRIPTION_MAX} characters.",
            field="description",
            code="description",
        )
    return description


def _check_photos(photos: list[Any]) -> list[tuple[Any, str]]:
    limit = settings.ANJU_WORK_ORDER_MAX_PHOTOS
    if len(photos) > limit:
        raise refuse(f"最多上传{limit}张照片", f"Attach at most {limit} photos.", field="photos", code="photos")
    checked = []
    for photo in photos:
        try:
            validate_image(photo, max_bytes=settings.ANJU_WORK_ORDER_PHOTO_MAX_MB * 1024 * 1024)
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}, code=exc.code) from exc
        from PIL import Image

        photo.seek(0)
        with Image.open(photo) as image:
            kind = image.format or "JPEG"
        photo.seek(0)
        checked.append((photo, Image.MIME.get(kind, "image/jpeg")))
    return checked


def _check_location(
    *, estate: Estate, unit: Unit | None, building: Building | None, place: str, paid: bool, allowed_units: Any = None
) -> tuple[Unit | None, Building | None, str, bool]:
    place = (place or "").strip()[:200]
    if unit is not None:
        if unit.building.estate_id != estate.pk:
            raise refuse("该房屋不在本小区", "This unit is not in the estate.", field="unit", code="location")
        if allowed_units is not None and not allowed_units.filter(pk=unit.pk).exists():
            raise refuse(
                "只能报修您自己的房屋，或本小区的楼栋和公共区域",
                "Report about your own unit, or a building or common area of your estate.",
                field="unit",
                code="location",
            )
        return unit, None, place, paid
    if paid:
        raise refuse(
            "只有户内维修可以是有偿维修；公共部位维修不向居民收费",
            "Only repairs inside a unit can be paid; repairs of common parts are never charged to residents.",
            field="paid",
            code="paid",
        )
    if building is not None:
        if building.estate_id != estate.pk:
            raise refuse("该楼栋不在本小区", "This building is not in the estate.", field="building", code="location")
        return None, building, place, False
    if not place:
        raise refuse(
            "请选择位置：房屋、楼栋，或写明公共区域",
            "Give the location: a unit, a building, or the common area in words.",
            field="place",
            code="location",
        )
    return None, None, place, False


def _check_category(*, estate: Estate, category: WorkOrderCategory) -> None:
    if category is None or category.estate_id != estate.pk or not category.active:
        raise refuse("请选择本小区的报修类别", "Choose a category of the estate.", field="category", code="category")


def _next_number(estate: Estate, at: datetime.datetime) -> str:
    # Locks the estate's row: two reports at once get different numbers.
    Estate.objects.select_for_update().filter(pk=estate.pk).first()
    year = timezone.localtime(at).year
    count = WorkOrder.objects.filter(estate=estate, number__startswith=f"BX{year}-{estate.code}-").count()
    return f"BX{year}-{estate.code}-{count + 1:05d}"


def _create(
    *,
    estate: Estate,
    category: WorkOrderCategory,
    description: str,
    unit: Unit | None,
    building: Building | None,
    place: str,
    paid: bool,
    photos: list[Any],
    **fields: Any,
) -> WorkOrder:
    checked = _check_photos(list(photos or []))
    now = timezone.now()
    response_due, completion_due = due_times(
        now,
        response_hours=category.response_hours,
        completion_hours=category.completion_hours,
        office_hours=category.office_hours,
    )
    order = WorkOrder.objects.create(
        estate=estate,
        number=_next_number(estate, now),
        category=category,
        description=description,
        unit=unit,
        building=building,
        place=place,
        paid=paid,
        submitted_at=now,
        response_due_at=response_due,
        completion_due_at=completion_due,
        **fields,
    )
    WorkOrderStatusChange.objects.create(
        order=order, from_status="", to_status=WorkOrderStatus.SUBMITTED, by=fields.get("filed_by") or fields.get("reporter")
    )
    stored: list[str] = []
    try:
        for photo, content_type in checked:
            row = WorkOrderPhoto(order=order, content_type=content_type)
            extension = mimetypes.guess_extension(content_type) or ".jpg"
            row.image.save(f"photo{extension}", photo, save=False)
            stored.append(row.image.name)
            row.save()
    except Exception:
        for name in stored:
            WorkOrderPhoto._meta.get_field("image").storage.delete(name)
        raise
    return order


@transaction.atomic
def work_order_report(
    *,
    user: Any,
    category: WorkOrderCategory,
    description: str,
    unit: Unit | None = None,
    building: Building | None = None,
    place: str = "",
    paid: bool = False,
    photos: list[Any] | None = None,
) -> WorkOrder:
    """A resident (an owner holding a unit today, or a registered tenant or household member) reports a problem
    about one of their units, a building of their estate or a common area of it, with up to
    ``ANJU_WORK_ORDER_MAX_PHOTOS`` photos (checked as images by content, size-limited)."""
    units = resident_units(user=user)
    if category is None:
        raise refuse("请选择报修类别", "Choose a category.", field="category", code="category")
    estate = category.estate
    if not units.filter(building__estate=estate).exists():
        raise refuse(
            "只有本小区的业主和登记住户可以报修",
            "Only the owners and registered residents of the estate may report.",
            code="not_resident",
        )
    _check_category(estate=estate, category=category)
    description = _clean_description(description)
    unit, building, place, paid = _check_location(
        estate=estate, unit=unit, building=building, place=place, paid=paid, allowed_units=units
    )
    return _create(
        estate=estate,
        category=category,
        description=description,
        unit=unit,
        building=building,
        place=place,
        paid=paid,
        photos=photos or [],
        reporter=user,
    )


def _staff_check(*, estate: Estate, by: Any) -> None:
    if getattr(by, "is_authenticated", False) and by.has_perm(CHANGE_PERMISSION):
        if estates_visible_to(user=by).filter(pk=estate.pk).exists():
            return
    raise refuse("只有本小区的物业人员可以处理工单", "Only the estate's staff handle its work orders.", code="not_staff")


@transaction.atomic
def work_order_file_for_caller(
    *,
    by: Any,
    category: WorkOrderCategory,
    description: str,
    caller_name: str,
    reporter: Any = None,
    unit: Unit | None = None,
    building: Building | None = None,
    place: str = "",
    paid: bool = False,
    photos: list[Any] | None = None,
) -> WorkOrder:
    """Staff file a report for a phone call. When the caller has a login (``reporter``: a resident of the
    estate) they follow, confirm and rate it in the portal; otherwise staff record the confirmation."""
    if category is None:
        raise refuse("请选择报修类别", "Choose a category.", field="category", code="category")
    estate = category.estate
    _staff_check(estate=estate, by=by)
    _check_category(estate=estate, category=category)
    caller_name = (caller_name or "").strip()[:50]
    if not caller_name:
        raise refuse("请填写来电人", "Give the caller's name.", field="caller_name", code="caller_name")
    description = _clean_description(description)
    allowed = None
    if reporter is not None:
        allowed = resident_units(user=reporter)
        if not allowed.filter(building__estate=estate).exists():
            raise refuse(
                "来电人不是本小区的业主或登记住户",
                "The caller is not an owner or registered resident of the estate.",
                field="reporter",
                code="not_resident",
            )
    unit, building, place, paid = _check_location(
        estate=estate, unit=unit, building=building, place=place, paid=paid, allowed_units=allowed
    )
    return _create(
        estate=estate,
        category=category,
        description=description,
        unit=unit,
        building=building,
        place=place,
        paid=paid,
        photos=photos or [],
        reporter=reporter,
        reported_by_staff=True,
        filed_by=by,
        caller_name=caller_name,
    )


# -- staff's moves -----------------------------------------------------------------------------------------------


def _reason(reason: str, *, what_zh: str, what_en: str) -> str:
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise refuse(f"请说明{what_zh}的理由", f"Give the reason for the {what_en}.", field="reason", code="reason")
    return reason


def _assignee(*, order: WorkOrder, staff: Any = None, contractor: Contractor | None = None) -> dict[str, Any]:
    if (staff is None) == (contractor is None):
        raise refuse(
            "请选择一名物业人员或一家维修单位",
            "Choose one member of staff or one contractor.",
            field="assigned_to",
            code="assignee",
        )
    if contractor is not None:
        if contractor.estate_id != order.estate_id or not contractor.active:
            raise refuse(
                "该维修单位不在本小区的维修单位名录中",
                "This contractor is not among the estate's contractors.",
                field="contractor",
                code="contractor",
            )
        return {"contractor": contractor, "assigned_to": None}
    if not RoleAssignment.objects.filter(user=staff, role=Role.ESTATE_STAFF, estate_id=order.estate_id).exists():
        raise refuse("只能派给本小区的物业人员", "Assign only to staff of the estate.", field="assigned_to", code="assignee")
    return {"assigned_to": staff, "contractor": None}


@transaction.atomic
def work_order_accept(*, order: WorkOrder, by: Any, note: str = "") -> WorkOrder:
    """Staff take the order on: the response. The first acceptance is the response time measured."""
    _staff_check(estate=order.estate, by=by)
    now = timezone.now()
    transition(order, to=WorkOrderStatus.ACCEPTED, by=by, note=note, accepted_at=order.accepted_at or now)
    return order


@transaction.atomic
def work_order_assign(
    *, order: WorkOrder, by: Any, staff: Any = None, contractor: Contractor | None = None, note: str = ""
) -> WorkOrder:
    """Send an accepted order to a member of the estate's staff or to one of its contractors."""
    _staff_check(estate=order.estate, by=by)
    who = _assignee(order=order, staff=staff, contractor=contractor)
    transition(order, to=WorkOrderStatus.ASSIGNED, by=by, note=note, **who)
    return order


@transaction.atomic
def work_order_start(*, order: WorkOrder, by: Any, note: str = "") -> WorkOrder:
    _staff_check(estate=order.estate, by=by)
    transition(order, to=WorkOrderStatus.IN_PROGRESS, by=by, note=note)
    return order


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("-1")
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("100000000"):
        raise refuse(
            "请填写收费金额（元，精确到分，大于零）",
            "Give the charge in yuan, to the fen, above zero.",
            field="amount",
            code="amount",
        )
    return amount


@transaction.atomic
def work_order_resolve(*, order: WorkOrder, by: Any, resolution: str, amount: Any = None) -> WorkOrder:
    """The work is done: say what was done; for a paid repair inside a unit, the charge (billed when the resident
    confirms). A repair of a common part carries no charge."""
    _staff_check(estate=order.estate, by=by)
    resolution = (resolution or "").strip()
    if not resolution:
        raise refuse("请说明处理结果", "Say what was done.", field="resolution", code="resolution")
    charge = _amount(amount)
    if order.paid and charge is None:
        raise refuse("有偿维修请填写收费金额", "Give the charge of this paid repair.", field="amount", code="amount")
    if not order.paid and charge is not None:
        raise refuse(
            "该工单不是有偿维修，不能收费（公共部位维修不向居民收费）",
            "This order is not a paid repair and carries no charge (common parts are never charged to residents).",
            field="amount",
            code="amount",
        )
    transition(
        order,
        to=WorkOrderStatus.RESOLVED,
        by=by,
        note=resolution[:REASON_MAX],
        resolution=resolution[:DESCRIPTION_MAX],
        amount=charge,
        resolved_at=timezone.now(),
    )
    return order


@transaction.atomic
def work_order_return(*, order: WorkOrder, by: Any, reason: str) -> WorkOrder:
    """Give an accepted or assigned order back to the queue (submitted), with the reason; the assignee is cleared.
    The response clock is not restarted: the first acceptance stands."""
    _staff_check(estate=order.estate, by=by)
    reason = _reason(reason, what_zh="退回", what_en="return")
    transition(order, to=WorkOrderStatus.SUBMITTED, by=by, note=reason, assigned_to=None, contractor=None)
    return order


@transaction.atomic
def work_order_transfer(
    *, order: WorkOrder, by: Any, reason: str, staff: Any = None, contractor: Contractor | None = None
) -> WorkOrder:
    """Hand an assigned or in-progress order to another assignee, with the reason. An order in progress goes back
    to assigned (the new assignee starts it); an assigned one stays assigned and the change is recorded."""
    _staff_check(estate=order.estate, by=by)
    reason = _reason(reason, what_zh="转派", what_en="transfer")
    who = _assignee(order=order, staff=staff, contractor=contractor)
    if (who["assigned_to"], who["contractor"]) == (order.assigned_to, order.contractor):
        raise refuse("请选择另一位处理人", "Choose another assignee.", field="assigned_to", code="same_assignee")
    if order.status == WorkOrderStatus.IN_PROGRESS:
        transition(order, to=WorkOrderStatus.ASSIGNED, by=by, note=reason, **who)
        return order
    if order.status != WorkOrderStatus.ASSIGNED:
        raise refuse(
            "只能转派已派单或处理中的工单",
            "Only an assigned order or one in progress can be transferred.",
            code="illegal_transition",
        )
    # Same status, new assignee: a guarded update (as transition does) and a history row of the handover.
    previous = {"assigned_to": order.assigned_to_id, "contractor": order.contractor_id}
    updated = WorkOrder.objects.filter(
        pk=order.pk, status=WorkOrderStatus.ASSIGNED, assigned_to_id=previous["assigned_to"], contractor_id=previous["contractor"]
    ).update(assigned_to=who["assigned_to"], contractor=who["contractor"])
    if updated != 1:
        raise refuse(
            "工单已被他人更改，请刷新后重试", "Someone else changed this work order; reload and try again.", code="status_changed"
        )
    order.assigned_to, order.contractor = who["assigned_to"], who["contractor"]
    WorkOrderStatusChange.objects.create(
        order=order, from_status=WorkOrderStatus.ASSIGNED, to_status=WorkOrderStatus.ASSIGNED, by=by, note=reason
    )
    return order


@transaction.atomic
def work_order_close(*, order: WorkOrder, by: Any, reason: str = "") -> WorkOrder:
    """Close a confirmed order; or a submitted one that needs no work (a duplicate, withdrawn), with the reason."""
    _staff_check(estate=order.estate, by=by)
    if order.status == WorkOrderStatus.SUBMITTED:
        reason = _reason(reason, what_zh="关闭", what_en="closing")
    transition(
        order, to=WorkOrderStatus.CLOSED, by=by, note=(reason or "").strip()[:REASON_MAX], closed_at=timezone.now(), overdue=False
    )
    return order


# -- the resident's moves ----------------------------------------------------------------------------------------


def _resident_check(*, order: WorkOrder, by: Any) -> None:
    """The reporter answers for their order; for a call by someone without a login, the estate's staff record it."""
    if order.reporter_id is not None:
        if getattr(by, "pk", None) == order.reporter_id:
            return
        raise refuse("只有报修人可以确认和评价", "Only the person who reported it confirms and rates it.", code="not_reporter")
    _staff_check(estate=order.estate, by=by)


def _bill(order: WorkOrder) -> None:
    """A confirmed paid repair is billed to the unit's owner (the manager's fee income)."""
    if not order.paid or not order.amount or order.invoice_id:
        return
    from billing.services import invoice_create_for_source

    ownership = Ownership.objects.filter(unit=order.unit, until__isnull=True).select_related("owner").order_by("pk").first()
    if ownership is None:
        raise refuse("该房屋没有登记业主，无法收费", "The unit has no owner on record to bill.", code="no_owner")
    today = timezone.localdate()
    invoice = invoice_create_for_source(
        source=order,
        estate=order.estate,
        unit=order.unit,
        charge_kind=REPAIR_FEE,
        period=today,
        payer_owner=ownership.owner,
        payer_name=ownership.owner.name,
        lines=[(f"有偿维修 {order.number}", Decimal(1), order.amount)],
        due_on=today + datetime.timedelta(days=REPAIR_FEE_DUE_DAYS),
    )
    WorkOrder.objects.filter(pk=order.pk).update(invoice=invoice)
    order.invoice = invoice


@transaction.atomic
def work_order_confirm(*, order: WorkOrder, by: Any) -> WorkOrder:
    """The resident confirms the resolution; a paid repair is billed to the unit's owner now."""
    _resident_check(order=order, by=by)
    transition(order, to=WorkOrderStatus.CONFIRMED, by=by, confirmed_at=timezone.now(), overdue=False)
    _bill(order)
    return order


@transaction.atomic
def work_order_reject(*, order: WorkOrder, by: Any, reason: str) -> WorkOrder:
    """The resident rejects the resolution, saying why: the order is reopened to its assignee (assigned), the reopen
    count goes up, and the completion clock runs on from the report (the rejected resolution is not a completion)."""
    _resident_check(order=order, by=by)
    reason = _reason(reason, what_zh="不满意", what_en="rejection")
    transition(
        order,
        to=WorkOrderStatus.ASSIGNED,
        by=by,
        note=reason,
        resolved_at=None,
        reopen_count=order.reopen_count + 1,
        overdue=timezone.now() > order.completion_due_at,
    )
    return order


@transaction.atomic
def work_order_rate(*, order: WorkOrder, by: Any, rating: Any, reason: str = "") -> WorkOrder:
    """The reporter rates a confirmed (or closed) order once, 1 to 5; a rating of 1 or 2 gives its reason (staff
    call back: the return-visit list)."""
    if order.reporter_id is None or getattr(by, "pk", None) != order.reporter_id:
        raise refuse("只有报修人可以评价", "Only the person who reported it rates it.", code="not_reporter")
    if order.status not in (WorkOrderStatus.CONFIRMED, WorkOrderStatus.CLOSED):
        raise refuse("确认处理结果后才能评价", "Rate the order once you have confirmed its resolution.", code="not_confirmed")
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise refuse("评分须为1到5分", "The rating is from 1 to 5.", field="rating", code="rating")
    reason = (reason or "").strip()[:500]
    if value <= 2 and not reason:
        raise refuse("评分为1或2分时请说明理由", "Give a reason for a rating of 1 or 2.", field="rating_reason", code="reason")
    if (
        WorkOrder.objects.filter(pk=order.pk, rating__isnull=True).update(
            rating=value, rating_reason=reason, rated_at=timezone.now()
        )
        != 1
    ):
        raise refuse("该工单已评价过", "This order has been rated already.", code="rated")
    order.refresh_from_db()
    return order


# -- the clock ---------------------------------------------------------------------------------------------------


def work_orders_flag_overdue(*, now: datetime.datetime | None = None) -> int:
    """Flag the open orders past their response or completion time and unflag those no longer overdue; returns how
    many flags changed. Safe to run twice (the hourly task)."""
    now = now or timezone.now()
    candidates = WorkOrder.objects.filter(Q(status__in=OPEN_STATUSES) | Q(overdue=True)).only(
        "pk", "status", "accepted_at", "resolved_at", "response_due_at", "completion_due_at", "overdue"
    )
    on, off = [], []
    for order in candidates.iterator(chunk_size=2000):
        late = is_overdue(order, now)
        if late and not order.overdue:
            on.append(order.pk)
        elif order.overdue and not late:
            off.append(order.pk)
    changed = 0
    if on:
        changed += WorkOrder.objects.filter(pk__in=on).update(overdue=True)
    if off:
        changed += WorkOrder.objects.filter(pk__in=off).update(overdue=False)
    return changed


def work_orders_settle(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Settle the orders nobody answers (the daily task): a resolution the resident has neither confirmed nor
    rejected within ``ANJU_WORK_ORDER_CONFIRM_DAYS`` is confirmed by the system (a paid repair is billed then),
    and a confirmed order is closed ``ANJU_WORK_ORDER_CLOSE_DAYS`` after its confirmation. Each order in its own
    transaction; one that cannot be settled (e.g. a paid repair of a unit without an owner on record) is left
    for staff and counted under ``left``. Safe to run twice."""
    now = now or timezone.now()
    note_confirm = f"{settings.ANJU_WORK_ORDER_CONFIRM_DAYS}日内未确认，系统自动确认"
    note_close = f"确认后{settings.ANJU_WORK_ORDER_CLOSE_DAYS}日自动关闭"
    counts = {"confirmed": 0, "closed": 0, "left": 0}
    unanswered = WorkOrder.objects.filter(
        status=WorkOrderStatus.RESOLVED,
        resolved_at__lte=now - datetime.timedelta(days=settings.ANJU_WORK_ORDER_CONFIRM_DAYS),
    )
    for order in list(unanswered.select_related("estate", "unit").order_by("pk")):
        try:
            with transaction.atomic():
                transition(order, to=WorkOrderStatus.CONFIRMED, note=note_confirm, confirmed_at=now, overdue=False)
                _bill(order)
            counts["confirmed"] += 1
        except ValidationError:
            counts["left"] += 1
    done = WorkOrder.objects.filter(
        status=WorkOrderStatus.CONFIRMED,
        confirmed_at__lte=now - datetime.timedelta(days=settings.ANJU_WORK_ORDER_CLOSE_DAYS),
    )
    for order in list(done.order_by("pk")):
        try:
            transition(order, to=WorkOrderStatus.CLOSED, note=note_close, closed_at=now, overdue=False)
            counts["closed"] += 1
        except ValidationError:
            counts["left"] += 1
    return counts


__all__ = [
    "REPAIR_FEE",
    "work_order_accept",
    "work_order_assign",
    "work_order_category_save",
    "work_order_close",
    "work_orders_settle",
    "work_order_confirm",
    "work_order_file_for_caller",
    "work_order_rate",
    "work_order_reject",
    "work_order_report",
    "work_order_resolve",
    "work_order_return",
    "work_order_start",
    "work_order_transfer",
    "work_orders_flag_overdue",
]
