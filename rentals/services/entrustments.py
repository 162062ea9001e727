"""Entrustment (存房) from the owner's application to the agreement in force, and its early return.

Every function is atomic: a refusal leaves nothing half written.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import refuse
from accounts.uploads import validate_image
from billing.money import quantize
from estates.models import UnitUse
from estates.selectors import estates_visible_to
from estates.status import transition

from ..models import (
    MAX_TERM_YEARS,
    MIN_TERM_YEARS,
    OPEN_ENTRUSTMENT_STATUSES,
    AgreementMode,
    AgreementStatus,
    AgreementStatusChange,
    Entrustment,
    EntrustmentAgreement,
    EntrustmentPhoto,
    EntrustmentStatus,
    EntrustmentStatusChange,
    ListingStatus,
)
from ..recovery import add_months, equal_schedule, schedule_rows, schedule_total, unrecovered
from ..selectors.entrustments import current_ownership

#: Notice for an early return: at least a day, at most half a year.
MAX_NOTICE_DAYS = 180


def _money(value: Any, *, field: str, zh: str, en: str, allow_zero: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise refuse(f"{zh}不是有效金额", f"{en} is not a valid amount.", field=field, code="amount") from None
    if not amount.is_finite() or quantize(amount) != amount:
        raise refuse(f"{zh}须精确到分", f"{en} must be to the fen (0.01).", field=field, code="amount")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise refuse(
            f"{zh}不能为负数或零" if not allow_zero else f"{zh}不能为负数",
            f"{en} cannot be negative{'' if allow_zero else ' or zero'}.",
            field=field,
            code="amount",
        )
    return quantize(amount)


def _staff_check(by, estate_id: int) -> None:
    if not estates_visible_to(user=by).filter(pk=estate_id).exists():
        raise refuse("您无权处理该小区的存房", "You do not handle flat pooling for this estate.", code="forbidden")


def _owner_check(entrustment: Entrustment, by) -> None:
    if entrustment.owner.user_id is None or entrustment.owner.user_id != getattr(by, "pk", None):
        raise refuse("只有该房屋的业主本人可以操作", "Only the flat's owner may do this.", code="forbidden")


@transaction.atomic
def entrustment_apply(*, user, unit, vacant_from: datetime.date, note: str = "", on: datetime.date | None = None) -> Entrustment:
    """An owner applies to entrust a vacant flat they hold today. One open application per flat, none while
    an agreement on it is in force."""
    on = on or timezone.localdate()
    ownership = current_ownership(user=user, unit=unit, on=on)
    if ownership is None:
        raise refuse("您不是该房屋的业主", "You are not an owner of this flat.", field="unit", code="not_owner")
    if unit.use != UnitUse.RESIDENTIAL:
        raise refuse("只有住宅可以存房", "Only residential flats can be entrusted.", field="unit", code="not_residential")
    if Entrustment.objects.filter(unit=unit, status__in=OPEN_ENTRUSTMENT_STATUSES).exists():
        raise refuse("该房屋已有进行中的存房申请", "This flat already has an open application.", field="unit", code="open")
    if EntrustmentAgreement.objects.filter(unit=unit, status=AgreementStatus.ACTIVE).exists():
        raise refuse("该房屋的存房协议仍在履行中", "An agreement on this flat is in force.", field="unit", code="active")
    entrustment = Entrustment.objects.create(
        estate_id=unit.building.estate_id,
        unit=unit,
        owner=ownership.owner,
        applied_by=user,
        vacant_from=vacant_from,
        owner_note=note.strip()[:1000],
    )
    EntrustmentStatusChange.objects.create(entrustment=entrustment, to_status=EntrustmentStatus.APPLIED, by=user)
    return entrustment


def _check_photos(photos: list[Any]) -> list[tuple[Any, str]]:
    from PIL import Image

    limit = settings.ANJU_RENTAL_MAX_PHOTOS
    if not photos:
        raise refuse("请上传房屋照片", "Attach photos of the flat.", field="photos", code="photos")
    if len(photos) > limit:
        raise refuse(f"最多上传{limit}张照片", f"Attach at most {limit} photos.", field="photos", code="photos")
    checked = []
    for photo in photos:
        try:
            validate_image(photo, max_bytes=settings.ANJU_RENTAL_PHOTO_MAX_MB * 1024 * 1024)
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}, code=exc.code) from exc
        photo.seek(0)
        with Image.open(photo) as image:
            kind = image.format
        photo.seek(0)
        checked.append((photo, Image.MIME.get(kind, "image/jpeg")))
    return checked


@transaction.atomic
def entrustment_survey(*, entrustment: Entrustment, by, condition: str, rent_estimate: Any, photos: list[Any]) -> Entrustment:
    """Staff record the survey: the flat's condition, photos (images by content) and a monthly rent estimate."""
    _staff_check(by, entrustment.estate_id)
    if not condition.strip():
        raise refuse("请描述房屋状况", "Describe the flat's condition.", field="condition", code="condition")
    estimate = _money(rent_estimate, field="rent_estimate", zh="租金估价", en="The rent estimate", allow_zero=False)
    checked = _check_photos(list(photos or []))
    transition(
        entrustment,
        to=EntrustmentStatus.SURVEYED,
        by=by,
        condition=condition.strip()[:2000],
        rent_estimate=estimate,
        surveyed_by=by,
        surveyed_at=timezone.now(),
    )
    for photo, content_type in checked:
        row = EntrustmentPhoto(entrustment=entrustment, content_type=content_type)
        row.image.save("photo", photo, save=False)
        row.save()
    return entrustment


def recovery_schedule_check(*, budget: Decimal, schedule: list, term_months: int) -> list[list]:
    """The schedule as stored: month indexes within the term, each once, amounts positive to the fen, summing
    exactly to the budget."""
    try:
        rows = schedule_rows(schedule)
    except (InvalidOperation, ValueError, TypeError):
        raise refuse(
            "回收计划格式有误", "The recovery schedule is malformed.", field="recovery_schedule", code="schedule"
        ) from None
    months = [m for m, _a in rows]
    if len(set(months)) != len(months) or any(m < 1 or m > term_months for m in months):
        raise refuse(
            f"回收月份须在第1至第{term_months}个月之间且不重复",
            f"Recovery months must be between 1 and {term_months}, each once.",
            field="recovery_schedule",
            code="schedule",
        )
    for _month, amount in schedule:
        if Decimal(str(amount)) <= 0 or quantize(Decimal(str(amount))) != Decimal(str(amount)):
            raise refuse(
                "每期回收金额须为正数且精确到分",
                "Each instalment must be positive, to the fen.",
                field="recovery_schedule",
                code="schedule",
            )
    total = schedule_total(schedule)
    if total != budget:
        raise refuse(
            f"回收计划合计{total}元，与装修预算{budget}元不符",
            f"The schedule sums to {total}, not the renovation budget of {budget}.",
            field="recovery_schedule",
            code="schedule_total",
        )
    return [[m, str(a)] for m, a in rows]


@transaction.atomic
def entrustment_offer(
    *,
    entrustment: Entrustment,
    by,
    mode: str,
    start_on: datetime.date,
    term_years: int,
    rent_free_months: int = 0,
    commission_percent: Any = None,
    guaranteed_rent: Any = None,
    owner_payee=None,
    operator_payee=None,
    renovation_budget: Any = Decimal("0.00"),
    recovery_months: int | None = None,
    recovery_schedule: list | None = None,
    notice_days: int = 30,
) -> EntrustmentAgreement:
    """Staff offer the agreement for a surveyed flat.

    Term 1–10 years (the 存房 deal). Agency: the owner is the lessor of record, rent goes to the owner's payee,
    the operator takes a commission below 100 %. Sublet (包租): the operator is the lessor and pays the owner
    a fixed monthly rent whether the flat is let or not; subletting needs the owner's consent (Civil Code
    Art. 716), which their acceptance gives. The renovation budget is recovered from rent either in
    ``recovery_months`` equal instalments after the rent-free period, or by an explicit ``recovery_schedule``
    summing exactly to the budget.

    ``operator_payee``: in the sublet mode the operator receives the tenants' rent and deposits, so it must be a
    supervised account (资金监管账户, 住房租赁条例 Art. 19); in the agency mode it receives the owner's commission and
    renovation instalments (the estate's fee payee when none is named).
    """
    _staff_check(by, entrustment.estate_id)
    if not isinstance(term_years, int) or not MIN_TERM_YEARS <= term_years <= MAX_TERM_YEARS:
        raise refuse(
            f"存房期限须为{MIN_TERM_YEARS}至{MAX_TERM_YEARS}年",
            f"The term must be {MIN_TERM_YEARS} to {MAX_TERM_YEARS} years.",
            field="term_years",
            code="term",
        )
    term_months = term_years * 12
    if rent_free_months < 0 or rent_free_months >= term_months:
        raise refuse(
            "免租期须短于存房期限",
            "The rent-free period must be shorter than the term.",
            field="rent_free_months",
            code="rent_free",
        )
    if not 1 <= notice_days <= MAX_NOTICE_DAYS:
        raise refuse(
            f"提前收回的通知期须为1至{MAX_NOTICE_DAYS}天",
            f"The notice period must be 1 to {MAX_NOTICE_DAYS} days.",
            field="notice_days",
            code="notice",
        )
    if mode == AgreementMode.AGENCY:
        if commission_percent in (None, ""):
            raise refuse(
                "托管模式须约定佣金比例", "Agency needs a commission rate.", field="commission_percent", code="commission"
            )
        commission = _money(commission_percent, field="commission_percent", zh="佣金比例", en="The commission")
        if commission >= 100:
            raise refuse(
                "佣金比例须低于100%", "The commission must be below 100 %.", field="commission_percent", code="commission"
            )
        if guaranteed_rent not in (None, ""):
            raise refuse("托管模式没有保底租金", "Agency has no guaranteed rent.", field="guaranteed_rent", code="mode")
        if owner_payee is None:
            # 住房租赁条例 Arts. 25, 36: in agency the rent is the owner's and goes to the owner's payee.
            raise refuse("托管模式须指定业主的收款方", "Agency needs the owner's payee.", field="owner_payee", code="payee")
        rent = None
    elif mode == AgreementMode.SUBLET:
        if guaranteed_rent in (None, ""):
            raise refuse("包租模式须约定保底租金", "Sublet needs a guaranteed rent.", field="guaranteed_rent", code="guaranteed")
        rent = _money(guaranteed_rent, field="guaranteed_rent", zh="保底租金", en="The guaranteed rent", allow_zero=False)
        if commission_percent not in (None, ""):
            raise refuse("包租模式没有佣金", "Sublet has no commission.", field="commission_percent", code="mode")
        if operator_payee is None or not operator_payee.supervised:
            # 住房租赁条例 Art. 19: an operator that sublets runs all rental money through a supervised account.
            raise refuse(
                "包租模式下运营方收取租金，须指定其资金监管账户作为收款方",
                "In the sublet mode the operator collects the rent: name its supervised account as the payee.",
                field="operator_payee",
                code="supervised",
            )
        commission = None
    else:
        raise refuse("请选择存房模式", "Choose the mode.", field="mode", code="mode")
    for field, payee in (("owner_payee", owner_payee), ("operator_payee", operator_payee)):
        if payee is not None and payee.estate_id != entrustment.estate_id:
            raise refuse("收款方须属于该小区", "The payee must be one of this estate's.", field=field, code="payee")
    budget = _money(renovation_budget or 0, field="renovation_budget", zh="装修预算", en="The renovation budget")
    if recovery_schedule is not None and recovery_months:
        raise refuse(
            "回收计划与分期月数只能选一种",
            "Give either a schedule or a number of months, not both.",
            field="recovery_months",
            code="schedule",
        )
    if recovery_schedule is None:
        if budget and not recovery_months:
            raise refuse(
                "有装修预算时须约定回收期",
                "A renovation budget needs a recovery period.",
                field="recovery_months",
                code="schedule",
            )
        if budget and rent_free_months + recovery_months > term_months:
            raise refuse(
                "回收期须在存房期限内结束", "Recovery must end within the term.", field="recovery_months", code="schedule"
            )
        recovery_schedule = (
            equal_schedule(budget=budget, months=recovery_months, first_month=rent_free_months + 1) if budget else []
        )
    schedule = recovery_schedule_check(budget=budget, schedule=recovery_schedule, term_months=term_months)
    transition(entrustment, to=EntrustmentStatus.OFFERED, by=by)
    agreement = EntrustmentAgreement.objects.create(
        estate_id=entrustment.estate_id,
        entrustment=entrustment,
        unit_id=entrustment.unit_id,
        owner_id=entrustment.owner_id,
        number=f"CF{timezone.localdate():%Y}{entrustment.pk:07d}",
        mode=mode,
        start_on=start_on,
        term_years=term_years,
        end_on=add_months(start_on, term_months),
        rent_free_months=rent_free_months,
        commission_percent=commission,
        guaranteed_rent=rent,
        owner_payee=owner_payee,
        operator_payee=operator_payee,
        renovation_budget=budget,
        recovery_schedule=schedule,
        notice_days=notice_days,
        offered_by=by,
    )
    AgreementStatusChange.objects.create(agreement=agreement, to_status=AgreementStatus.OFFERED, by=by)
    return agreement


@transaction.atomic
def entrustment_accept(*, entrustment: Entrustment, by) -> EntrustmentAgreement:
    """The owner accepts the offer online: the agreement is in force (and consents to subletting, Civil Code
    Art. 716, in sublet mode)."""
    _owner_check(entrustment, by)
    agreement = entrustment.agreement
    transition(entrustment, to=EntrustmentStatus.ACCEPTED, by=by)
    try:
        with transaction.atomic():
            transition(agreement, to=AgreementStatus.ACTIVE, by=by, accepted_at=timezone.now())
    except IntegrityError:
        raise refuse("该房屋已有履行中的存房协议", "An agreement on this flat is already in force.", code="active") from None
    return agreement


@transaction.atomic
def entrustment_decline(*, entrustment: Entrustment, by, reason: str = "") -> Entrustment:
    _owner_check(entrustment, by)
    transition(entrustment, to=EntrustmentStatus.DECLINED, by=by, note=reason)
    transition(entrustment.agreement, to=AgreementStatus.CANCELLED, by=by, note=reason)
    return entrustment


@transaction.atomic
def entrustment_withdraw(*, entrustment: Entrustment, by, reason: str = "") -> Entrustment:
    """The owner withdraws the application at any point before accepting."""
    _owner_check(entrustment, by)
    transition(entrustment, to=EntrustmentStatus.WITHDRAWN, by=by, note=reason)
    agreement = EntrustmentAgreement.objects.filter(entrustment=entrustment).first()
    if agreement is not None:
        transition(agreement, to=AgreementStatus.CANCELLED, by=by, note=reason)
    return entrustment


def _close_listings(agreement: EntrustmentAgreement, by) -> None:
    if agreement.listings.filter(status=ListingStatus.LET).exists():
        raise refuse(
            "房屋已出租，租约结束前不能收回", "The flat is let: it cannot be handed back before the lease ends.", code="let"
        )
    for listing in agreement.listings.filter(status__in=(ListingStatus.DRAFT, ListingStatus.PUBLISHED)):
        transition(listing, to=ListingStatus.WITHDRAWN, by=by, note="协议终止")


@transaction.atomic
def agreement_return_early(*, agreement: EntrustmentAgreement, by, notice_given_on: datetime.date, on: datetime.date) -> Decimal:
    """The owner takes the flat back before the term ends, after the agreed notice. They repay exactly the part
    of the renovation budget not yet recovered from rent on that day (``rentals.recovery.unrecovered``); the
    amount is stored with the agreement and returned. Its open listings are withdrawn."""
    _staff_check(by, agreement.estate_id)
    if on >= agreement.end_on:
        raise refuse(
            "期满收回不是提前收回", "On or after the end of the term this is not an early return.", field="on", code="not_early"
        )
    if on < agreement.start_on:
        raise refuse("收回日期早于协议开始", "The return is before the term starts.", field="on", code="date")
    if on < notice_given_on + datetime.timedelta(days=agreement.notice_days):
        raise refuse(
            f"须提前{agreement.notice_days}天通知",
            f"The agreement requires {agreement.notice_days} days' notice.",
            field="on",
            code="notice",
        )
    repay = unrecovered(agreement, on=on)
    _close_listings(agreement, by)
    transition(
        agreement,
        to=AgreementStatus.RETURNED_EARLY,
        by=by,
        ended_on=on,
        repaid_on_return=repay,
        note=f"通知日 {notice_given_on:%Y-%m-%d}",
    )
    return repay


@transaction.atomic
def agreement_end(*, agreement: EntrustmentAgreement, by, on: datetime.date) -> EntrustmentAgreement:
    """The term has run out: the flat goes back to the owner."""
    _staff_check(by, agreement.estate_id)
    if on < agreement.end_on:
        raise refuse("协议尚未到期", "The term has not ended yet.", field="on", code="not_ended")
    _close_listings(agreement, by)
    transition(agreement, to=AgreementStatus.ENDED, by=by, ended_on=on)
    return agreement
