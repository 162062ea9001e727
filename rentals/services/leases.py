"""The lease's life: drawn up from an approved application, signed, filed, renewed, ended with notice, settled.

Every function is atomic: a refusal leaves nothing half written. The rules (each refused in Chinese and English):

- a term of whole months, at most 20 years (Civil Code Art. 705), inside the entrustment agreement's term, and
  never overlapping another lease of the flat that is drawn up, in force or under notice (the agreement's row is
  locked so that two drafts for one flat are serialised);
- rent above zero, collected one to three months at a time (2021 national opinion on rental companies), on a rent
  day 1–28; the deposit never negative, and when there is one the lease names the only cases in which it may be
  reduced (住房租赁条例 Art. 10);
- the occupants within the city's limit for the flat (Art. 7);
- the rent's payee is the lessor of record's: the owner's payee in the agency mode (Arts. 25, 36: Anju never
  holds the owner's rent), the operator's supervised account in the sublet mode (Art. 19); a deposit above one
  month's rent only to a supervised account (2021 national opinion). No loan product is attached to rent: a
  lease has no field for one and no step offers one.
- Termination is a dated notice only: no step of it cuts water, electricity or gas, changes a lock or removes
  the tenant's belongings (住房租赁条例 Art. 12). The lessor may end a lease for unpaid rent only after a
  reminder's cure period has passed with the bill still unpaid (Civil Code Art. 722), and gives the tenant
  reasonable time to move (``ANJU_RENTAL_MOVE_OUT_DAYS``).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.errors import refuse
from accounts.models import Role, User
from accounts.sms import sms_backend
from billing.statuses import UNPAID
from estates.models import RoleAssignment
from estates.status import transition

from ..cycles import lease_end
from ..models import (
    HOLDING_LEASE_STATUSES,
    MAX_LEASE_YEARS,
    MAX_RENT_CYCLE_MONTHS,
    AgreementMode,
    AgreementStatus,
    ApplicationStatus,
    DepositCase,
    EntrustmentAgreement,
    FilingStatus,
    Lease,
    LeaseStatus,
    LeaseStatusChange,
    ListingStatus,
    RentalApplication,
    RentReminder,
    TerminationKind,
)
from .applications import application_reject
from .entrustments import MAX_NOTICE_DAYS, _money, _staff_check
from .listings import listing_mark_let

#: Civil Code Art. 705, in months.
MAX_LEASE_MONTHS = MAX_LEASE_YEARS * 12
MAX_DEPOSIT_RETURN_DAYS = 60
#: The reason given to the other applicants for a flat once it is let.
LET_REASON = "房源已出租 / The flat has been let"


def _move_out_days() -> int:
    """住房租赁条例 Art. 12: reasonable time to move after the lessor's notice for arrears."""
    return int(getattr(settings, "ANJU_RENTAL_MOVE_OUT_DAYS", 15))


def _sms_after_commit(mobile: str, message: str) -> None:
    """Text the tenant or applicant once the change is committed (a refusal sends nothing)."""
    transaction.on_commit(lambda: sms_backend().send(phone=mobile, message=message), robust=True)


def _lock_lease(lease: Lease) -> Lease:
    return Lease.objects.select_for_update(of=("self",)).select_related("agreement", "listing").get(pk=lease.pk)


def _int(value: Any, *, field: str, zh: str, en: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except (TypeError, ValueError):
            raise refuse(f"{zh}须为整数", f"{en} must be a whole number.", field=field, code=field) from None
    return value


def _payee_for(agreement: EntrustmentAgreement):
    """The lessor of record's payee. Agency: the owner's (住房租赁条例 Arts. 25, 36: the operator never holds the
    owner's rent). Sublet: the operator's, which must be a supervised account (Art. 19)."""
    if agreement.mode == AgreementMode.AGENCY:
        if agreement.owner_payee is None:
            raise refuse(
                "委托代理模式下租金须直接付给业主：存房协议未指定业主收款方",
                "In the agency mode the rent goes to the owner: the agreement names no owner's payee.",
                code="no_owner_payee",
            )
        return agreement.owner_payee
    payee = agreement.operator_payee
    if payee is None or not payee.supervised:
        raise refuse(
            "包租（转租经营）模式下租金只能收入资金监管账户：运营方收款方未指定或不是监管账户（住房租赁条例第十九条）",
            "In the sublet mode the rent goes only to a supervised account (Art. 19): the operator's payee is missing "
            "or not supervised.",
            code="payee_not_supervised",
        )
    return payee


def _check_terms(
    *,
    agreement: EntrustmentAgreement,
    start_on: datetime.date,
    months: Any,
    monthly_rent: Any,
    rent_day: Any,
    cycle_months: Any,
    deposit: Any,
    deposit_cases: Any,
    deposit_return_days: Any,
    notice_days: Any,
    occupants: int,
    max_occupants: int | None,
    exclude: Lease | None = None,
) -> dict[str, Any]:
    """Every rule of a lease's terms; returns the cleaned terms (with ``end_on`` and ``rent_payee``)."""
    if agreement.status != AgreementStatus.ACTIVE:
        raise refuse("存房协议已不在履行中", "The entrustment agreement is no longer in force.", code="no_agreement")
    if not isinstance(start_on, datetime.date):
        raise refuse("请填写起租日期", "Give the start date.", field="start_on", code="start_on")
    months = _int(months, field="months", zh="租期（月）", en="The term in months")
    if months < 1:
        raise refuse("租期至少一个月", "The term is at least one month.", field="months", code="months")
    # Civil Code Art. 705: a lease term may not exceed twenty years.
    if months > MAX_LEASE_MONTHS:
        raise refuse(
            "租赁期限不得超过二十年（民法典第七百零五条）",
            "A lease may not exceed twenty years (Civil Code Art. 705).",
            field="months",
            code="over_20_years",
        )
    end_on = lease_end(start_on, months)
    if start_on < agreement.start_on or end_on > agreement.end_on:
        raise refuse(
            f"租期须在存房协议期限内（{agreement.start_on:%Y-%m-%d}至{agreement.end_on:%Y-%m-%d}）",
            f"The lease must fall within the agreement's term ({agreement.start_on} to {agreement.end_on}).",
            field="months",
            code="past_agreement",
        )
    overlapping = Lease.objects.annotate(last=Coalesce("terminates_on", "end_on")).filter(
        unit_id=agreement.unit_id, status__in=HOLDING_LEASE_STATUSES, start_on__lte=end_on, last__gte=start_on
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    clash = overlapping.order_by("start_on").first()
    if clash is not None:
        raise refuse(
            f"该房屋在此期间已有租赁合同（{clash.number}，{clash.start_on:%Y-%m-%d}至{clash.last_day:%Y-%m-%d}）",
            f"This flat already has a lease in that period ({clash.number}, {clash.start_on} to {clash.last_day}).",
            field="start_on",
            code="overlap",
        )
    rent = _money(monthly_rent, field="monthly_rent", zh="月租金", en="The monthly rent", allow_zero=False)
    # 2021 national opinion on rental companies: rent collected at most three months at a time.
    cycle_months = _int(cycle_months, field="cycle_months", zh="收租周期", en="The rent cycle")
    if not 1 <= cycle_months <= MAX_RENT_CYCLE_MONTHS:
        raise refuse(
            "每次收取租金不得超过三个月（2021年住房租赁企业资金监管意见）",
            "Rent is collected at most three months at a time (2021 national opinion on rental companies).",
            field="cycle_months",
            code="cycle_months",
        )
    rent_day = _int(rent_day, field="rent_day", zh="交租日", en="The rent day")
    if not 1 <= rent_day <= 28:
        raise refuse("交租日须为每月1至28日", "The rent day is the 1st to the 28th.", field="rent_day", code="rent_day")
    deposit_amount = _money(deposit, field="deposit", zh="押金", en="The deposit")
    cases = list(dict.fromkeys(deposit_cases or []))
    if any(case not in DepositCase.values for case in cases):
        raise refuse("押金扣除情形不在可选范围内", "Unknown deposit deduction case.", field="deposit_cases", code="deposit_cases")
    # 住房租赁条例 Art. 10: the lease states the only cases in which the deposit may be reduced.
    if deposit_amount > 0 and not cases:
        raise refuse(
            "收取押金的，合同须列明可扣减押金的情形（住房租赁条例第十条）",
            "With a deposit, the lease names the cases in which it may be reduced (Art. 10).",
            field="deposit_cases",
            code="deposit_cases",
        )
    deposit_return_days = _int(deposit_return_days, field="deposit_return_days", zh="押金退还期限", en="The return period")
    if not 0 <= deposit_return_days <= MAX_DEPOSIT_RETURN_DAYS:
        raise refuse(
            f"押金须在退房后{MAX_DEPOSIT_RETURN_DAYS}日内退还",
            f"The deposit is returned within {MAX_DEPOSIT_RETURN_DAYS} days of the hand-back.",
            field="deposit_return_days",
            code="deposit_return_days",
        )
    notice_days = _int(notice_days, field="notice_days", zh="提前通知天数", en="The notice")
    if not 1 <= notice_days <= MAX_NOTICE_DAYS:
        raise refuse(
            f"提前通知期须为1至{MAX_NOTICE_DAYS}日",
            f"The notice is 1 to {MAX_NOTICE_DAYS} days.",
            field="notice_days",
            code="notice_days",
        )
    # 住房租赁条例 Art. 7: no more occupants than the city allows for the flat.
    if max_occupants is not None and occupants > max_occupants:
        raise refuse(
            f"入住人数（{occupants}人）超过该房屋上限（{max_occupants}人，住房租赁条例第七条）",
            f"{occupants} occupants exceed this flat's limit of {max_occupants} (Art. 7).",
            code="too_many_occupants",
        )
    payee = _payee_for(agreement)
    # 2021 national opinion: a deposit above one month's rent only into a supervised account.
    if deposit_amount > rent and not payee.supervised:
        raise refuse(
            "押金超过一个月租金的，只能收入资金监管账户",
            "A deposit above one month's rent goes only to a supervised account.",
            field="deposit",
            code="deposit_not_supervised",
        )
    return {
        "start_on": start_on,
        "end_on": end_on,
        "monthly_rent": rent,
        "rent_day": rent_day,
        "cycle_months": cycle_months,
        "deposit": deposit_amount,
        "deposit_cases": cases,
        "deposit_return_days": deposit_return_days,
        "notice_days": notice_days,
        "rent_payee": payee,
    }


def _create(*, by, mobile: str, id_number: str, **fields: Any) -> Lease:
    """Save a draft (the tenant's mobile and ID number encrypted, with masked copies) and number it ZL + year +
    sequence (the row's id: unique without a race)."""
    lease = Lease(number=f"tmp-{uuid.uuid4().hex[:24]}", created_by=by, **fields)
    lease.set_tenant_mobile(mobile)
    lease.set_tenant_id_number(id_number)
    lease.save()
    lease.number = f"ZL{timezone.localdate():%Y}{lease.pk:07d}"
    Lease.objects.filter(pk=lease.pk).update(number=lease.number)
    LeaseStatusChange.objects.create(lease=lease, to_status=LeaseStatus.DRAFT, by=by)
    return lease


@transaction.atomic
def lease_draft(
    *,
    application: RentalApplication,
    start_on: datetime.date,
    months: int,
    monthly_rent: Any,
    rent_day: int,
    cycle_months: int,
    deposit: Any,
    deposit_cases: list[str],
    deposit_return_days: int = 15,
    notice_days: int = 30,
    by,
) -> Lease:
    """A draft lease for an approved application, on the terms above (see the module's rules). The tenant's real
    name, mobile and ID number are the application's (住房租赁条例 Art. 8: real-name leases); the occupants are the
    application's household (Art. 37), within the city's limit (Art. 7)."""
    _staff_check(by, application.estate_id)
    application = RentalApplication.objects.select_related("listing").get(pk=application.pk)
    if application.status != ApplicationStatus.APPROVED:
        raise refuse("只能为已通过的申请起草租赁合同", "Only an approved application leads to a lease.", code="not_approved")
    listing = application.listing
    # Serialise drafts for one flat: every lease of the flat passes through its agreement's row.
    agreement = (
        EntrustmentAgreement.objects.select_for_update(of=("self",))
        .select_related("owner_payee", "operator_payee")
        .get(pk=listing.agreement_id)
    )
    if Lease.objects.filter(application=application).exists():
        raise refuse("该申请已有租赁合同", "This application already has a lease.", code="has_lease")
    let_to_nobody = listing.status == ListingStatus.LET and not listing.leases.exclude(status=LeaseStatus.CANCELLED).exists()
    if listing.status != ListingStatus.PUBLISHED and not let_to_nobody:
        raise refuse("该房源已不可出租", "This listing is no longer open for a lease.", code="listing_closed")
    terms = _check_terms(
        agreement=agreement,
        start_on=start_on,
        months=months,
        monthly_rent=monthly_rent,
        rent_day=rent_day,
        cycle_months=cycle_months,
        deposit=deposit,
        deposit_cases=deposit_cases,
        deposit_return_days=deposit_return_days,
        notice_days=notice_days,
        occupants=application.occupants,
        max_occupants=listing.max_occupants,
    )
    return _create(
        by=by,
        estate_id=agreement.estate_id,
        agreement=agreement,
        unit_id=agreement.unit_id,
        listing=listing,
        application=application,
        tenant_name=application.name,
        mobile=application.get_mobile(),
        id_number=application.get_id_number(),
        occupants=application.occupants,
        **terms,
    )


def _tenant_account(lease: Lease) -> User:
    """The tenant's login, by the lease's mobile (created without a password: the tenant logs in by a one-time
    code), with the unscoped tenant role."""
    mobile = lease.get_tenant_mobile()
    user = User.objects.filter(mobile=mobile).first()
    if user is None:
        user = User.objects.create_user(mobile, None, name=lease.tenant_name[:100])
    elif not user.name:
        User.objects.filter(pk=user.pk).update(name=lease.tenant_name[:100])
    if not RoleAssignment.objects.filter(user=user, role=Role.TENANT).exists():
        RoleAssignment.objects.create(user=user, role=Role.TENANT)
    return user


@transaction.atomic
def lease_sign(*, lease: Lease, by) -> Lease:
    """Record the signature: draft → in force. The tenant's account is created or linked by the lease's mobile
    (tenant role), the listing is marked let and its other open applications are closed with a reason; the
    tenant is texted that the lease is signed."""
    _staff_check(by, lease.estate_id)
    lease = _lock_lease(lease)
    if lease.status == LeaseStatus.DRAFT:
        agreement = EntrustmentAgreement.objects.select_for_update(of=("self",)).get(pk=lease.agreement_id)
        if agreement.status != AgreementStatus.ACTIVE:
            raise refuse("存房协议已不在履行中", "The entrustment agreement is no longer in force.", code="no_agreement")
    user = _tenant_account(lease)
    transition(lease, to=LeaseStatus.ACTIVE, by=by, signed_at=timezone.now(), tenant_user=user)
    listing = lease.listing
    if listing is not None and lease.renews_id is None:
        if listing.status == ListingStatus.PUBLISHED:
            listing_mark_let(listing=listing, by=by)
        others = listing.applications.filter(status=ApplicationStatus.SUBMITTED).order_by("pk")
        for other in others:
            application_reject(application=other, by=by, reason=LET_REASON)
    after_signing(lease)
    _sms_after_commit(
        lease.get_tenant_mobile(),
        f"【安居】您的租赁合同{lease.number}已签订，租期{lease.start_on:%Y-%m-%d}至{lease.end_on:%Y-%m-%d}。"
        "可用本手机号以验证码登录安居查看合同和账单。",
    )
    return lease


def after_signing(lease: Lease) -> None:
    """A signed lease is billed at once, in the signing's transaction: the deposit and the first cycle's rent (due
    on the lease's first day), to the lease's payee (``rentals.services.rent.rent_bills_issue``); later cycles come
    from the daily task. A refusal there (e.g. a payee that is not a supervised account) undoes the signing."""
    from .rent import rent_bills_issue

    rent_bills_issue(lease=lease)


@transaction.atomic
def lease_cancel(*, lease: Lease, by, reason: str = "") -> Lease:
    """A draft that will not be signed: draft → not signed. The application is freed so that a corrected draft
    can be drawn up from it."""
    _staff_check(by, lease.estate_id)
    lease = _lock_lease(lease)
    transition(lease, to=LeaseStatus.CANCELLED, by=by, note=(reason or "")[:200], application=None)
    return lease


@transaction.atomic
def lease_filing_record(*, lease: Lease, status: str, number: str = "", filed_on: datetime.date | None = None, by) -> Lease:
    """Record the lease's filing (登记备案) on the housing rental platform (住房租赁条例 Art. 8): a signed lease
    only; "filed" needs the filing number and the date."""
    _staff_check(by, lease.estate_id)
    lease = _lock_lease(lease)
    if lease.status in (LeaseStatus.DRAFT, LeaseStatus.CANCELLED):
        raise refuse("只有已签订的租赁合同才能登记备案", "Only a signed lease is filed.", code="not_signed")
    if status not in FilingStatus.values:
        raise refuse("备案状态不正确", "Unknown filing status.", field="status", code="filing_status")
    number = (number or "").strip()
    if status == FilingStatus.FILED:
        if not number:
            raise refuse(
                "已备案的须填写备案编号（住房租赁条例第八条）",
                "A filed lease has a filing number (Art. 8).",
                field="number",
                code="number",
            )
        if filed_on is None:
            raise refuse("已备案的须填写备案日期", "Give the filing date.", field="filed_on", code="filed_on")
        if lease.signed_at and filed_on < timezone.localtime(lease.signed_at).date():
            raise refuse(
                "备案日期不能早于签订日期", "The filing date cannot be before the signing.", field="filed_on", code="filed_on"
            )
    else:
        filed_on = None
    Lease.objects.filter(pk=lease.pk).update(filing_status=status, filing_number=number[:50], filed_on=filed_on)
    lease.filing_status, lease.filing_number, lease.filed_on = status, number[:50], filed_on
    return lease


@transaction.atomic
def lease_renew(
    *,
    lease: Lease,
    months: int,
    monthly_rent: Any,
    rent_day: int | None = None,
    cycle_months: int | None = None,
    deposit: Any = None,
    deposit_cases: list[str] | None = None,
    deposit_return_days: int | None = None,
    notice_days: int | None = None,
    by,
) -> Lease:
    """A draft renewal: a new lease for the same tenant from the day after ``lease.end_on``, on the same rules (at
    most 20 years, within the agreement's remaining term, no overlap — the old lease ends the day before). Terms
    not given are the old lease's."""
    _staff_check(by, lease.estate_id)
    lease = _lock_lease(lease)
    if lease.status not in (LeaseStatus.ACTIVE, LeaseStatus.ENDED):
        raise refuse("只有履行中的租赁合同可以续租", "Only a lease in force can be renewed.", code="not_active")
    if Lease.objects.filter(renews=lease).exists():
        raise refuse("该合同已有续租合同", "This lease already has a renewal.", code="renewed")
    agreement = (
        EntrustmentAgreement.objects.select_for_update(of=("self",))
        .select_related("owner_payee", "operator_payee")
        .get(pk=lease.agreement_id)
    )
    terms = _check_terms(
        agreement=agreement,
        start_on=lease.end_on + datetime.timedelta(days=1),
        months=months,
        monthly_rent=monthly_rent,
        rent_day=lease.rent_day if rent_day is None else rent_day,
        cycle_months=lease.cycle_months if cycle_months is None else cycle_months,
        deposit=lease.deposit if deposit is None else deposit,
        deposit_cases=lease.deposit_cases if deposit_cases is None else deposit_cases,
        deposit_return_days=lease.deposit_return_days if deposit_return_days is None else deposit_return_days,
        notice_days=lease.notice_days if notice_days is None else notice_days,
        occupants=lease.occupants,
        max_occupants=lease.listing.max_occupants if lease.listing else None,
    )
    return _create(
        by=by,
        estate_id=lease.estate_id,
        agreement=agreement,
        unit_id=lease.unit_id,
        listing=lease.listing,
        renews=lease,
        tenant_name=lease.tenant_name,
        mobile=lease.get_tenant_mobile(),
        id_number=lease.get_tenant_id_number(),
        tenant_user=lease.tenant_user,
        occupants=lease.occupants,
        **terms,
    )


def arrears_reminder_past_cure(*, lease: Lease, on: datetime.date) -> RentReminder | None:
    """A reminder for a bill of this lease still unpaid whose cure period ended before ``on`` (Civil Code
    Art. 722), or None."""
    return (
        RentReminder.objects.filter(lease=lease, cure_until__lt=on, invoice__status__in=UNPAID)
        .select_related("invoice")
        .order_by("cure_until", "pk")
        .first()
    )


@transaction.atomic
def lease_notice(
    *,
    lease: Lease,
    kind: str,
    reason: str,
    notice_on: datetime.date,
    terminates_on: datetime.date,
    by,
) -> Lease:
    """Record a notice ending the lease early on ``terminates_on``: in force → notice given.

    The tenant, or the lessor when the entrustment agreement ends early, gives at least the lease's notice days;
    both parties may agree on any later date. The lessor may end it for unpaid rent only when a reminder's cure
    period ended before the notice with the bill still unpaid (Civil Code Art. 722), and gives at least
    ``ANJU_RENTAL_MOVE_OUT_DAYS`` to move (住房租赁条例 Art. 12).

    A notice is a date, nothing more: no step of a termination cuts water, electricity or gas, changes a lock,
    or removes the tenant or their belongings (Art. 12); the tenant stays, with every right of the lease, until
    ``terminates_on``."""
    _staff_check(by, lease.estate_id)
    return _notice(lease=lease, kind=kind, reason=reason, notice_on=notice_on, terminates_on=terminates_on, by=by)


@transaction.atomic
def lease_notice_by_tenant(*, lease: Lease, user, terminates_on: datetime.date, reason: str) -> Lease:
    """The tenant gives notice in the portal, today, for a date at least the lease's notice days away (the same rule
    as ``lease_notice``); only the lease's own tenant may."""
    if user is None or lease.tenant_user_id != getattr(user, "pk", None):
        raise refuse("只有承租人本人可以提出退租", "Only the tenant can give notice on this lease.", code="forbidden")
    return _notice(
        lease=lease,
        kind=TerminationKind.BY_TENANT,
        reason=reason,
        notice_on=timezone.localdate(),
        terminates_on=terminates_on,
        by=user,
    )


def _notice(*, lease: Lease, kind: str, reason: str, notice_on: datetime.date, terminates_on: datetime.date, by) -> Lease:
    lease = _lock_lease(lease)
    if lease.status != LeaseStatus.ACTIVE:
        raise refuse("只有履行中的租赁合同可以提前解除", "Only a lease in force can be ended with notice.", code="not_active")
    if kind not in TerminationKind.values:
        raise refuse("请选择解除方式", "Choose how the lease ends.", field="kind", code="kind")
    reason = (reason or "").strip()
    if not reason:
        raise refuse("请说明解除原因", "Give the reason.", field="reason", code="reason")
    if not isinstance(notice_on, datetime.date) or not isinstance(terminates_on, datetime.date):
        raise refuse("请填写通知日期和解除日期", "Give the notice and end dates.", field="terminates_on", code="dates")
    if notice_on < lease.start_on:
        raise refuse(
            "通知日期不能早于起租日", "The notice cannot be before the lease starts.", field="notice_on", code="notice_on"
        )
    if not notice_on < terminates_on < lease.end_on:
        raise refuse(
            "提前解除日期须晚于通知日期、早于租期届满日",
            "The early end must be after the notice and before the lease's last day.",
            field="terminates_on",
            code="terminates_on",
        )
    if kind == TerminationKind.BY_LESSOR_ARREARS:
        if arrears_reminder_past_cure(lease=lease, on=notice_on) is None:
            raise refuse(
                "欠租解除须先催告并给予合理期限，期限届满仍未支付的方可解除（民法典第七百二十二条）",
                "The lessor may end the lease for unpaid rent only after a reminder's cure period has passed with the "
                "bill still unpaid (Civil Code Art. 722).",
                field="kind",
                code="no_cure_period",
            )
        days = _move_out_days()
        if terminates_on < notice_on + datetime.timedelta(days=days):
            raise refuse(
                f"须给承租人至少{days}日的合理搬离时间（住房租赁条例第十二条）",
                f"The tenant gets at least {days} days to move (Art. 12).",
                field="terminates_on",
                code="move_out_time",
            )
    elif kind != TerminationKind.MUTUAL and terminates_on < notice_on + datetime.timedelta(days=lease.notice_days):
        raise refuse(
            f"须提前{lease.notice_days}日通知",
            f"The lease requires {lease.notice_days} days' notice.",
            field="terminates_on",
            code="notice_days",
        )
    transition(
        lease,
        to=LeaseStatus.NOTICE,
        by=by,
        note=str(TerminationKind(kind).label)[:200],
        termination_kind=kind,
        termination_reason=reason[:500],
        notice_given_on=notice_on,
        terminates_on=terminates_on,
    )
    return lease


@transaction.atomic
def lease_notice_withdraw(*, lease: Lease, by, on: datetime.date | None = None) -> Lease:
    """Withdraw a notice before its date (e.g. the arrears are paid): notice given → in force."""
    _staff_check(by, lease.estate_id)
    lease = _lock_lease(lease)
    on = on or timezone.localdate()
    if lease.status == LeaseStatus.NOTICE and lease.terminates_on is not None and on > lease.terminates_on:
        raise refuse("解除日期已过，不能撤回", "The notice's date has passed.", code="past")
    transition(
        lease,
        to=LeaseStatus.ACTIVE,
        by=by,
        termination_kind="",
        termination_reason="",
        notice_given_on=None,
        terminates_on=None,
    )
    return lease


def leases_settle(*, on: datetime.date | None = None) -> dict[str, int]:
    """The daily task: a lease under notice is terminated the day after ``terminates_on``; a lease in force ends the
    day after ``end_on``. Each lease in its own transaction; safe to run twice. Nothing here touches utilities or
    access (住房租赁条例 Art. 12): it changes the lease's status, nothing in the flat."""
    on = on or timezone.localdate()
    counts = {"terminated": 0, "ended": 0}
    due: list[tuple[int, str, str]] = [
        *((pk, LeaseStatus.TERMINATED, "terminated") for pk in _due(LeaseStatus.NOTICE, Q(terminates_on__lt=on))),
        *((pk, LeaseStatus.ENDED, "ended") for pk in _due(LeaseStatus.ACTIVE, Q(end_on__lt=on))),
    ]
    for pk, to, key in due:
        try:
            with transaction.atomic():
                lease = Lease.objects.select_for_update().get(pk=pk)
                transition(lease, to=to, note="到期自动处理")
            counts[key] += 1
        except ValidationError:
            continue  # moved by someone else meanwhile
    return counts


def _due(status: str, condition: Q) -> list[int]:
    return list(Lease.objects.filter(condition, status=status).order_by("pk").values_list("pk", flat=True))
