"""Gates of the estate's car park: signed records in, an answer out (open or not, and the fee on leaving).

A plate-recognition gate POSTs one record per vehicle passing: ``{"gate": "G1", "serial": "…",
"direction": "enter" | "leave", "plate": "渝A12345", "at": "2026-11-30T09:00:00+08:00"}``, signed
with the estate's gate key (HMAC-SHA256 of the raw body, hex, in ``X-Anju-Gate-Signature``).

* Exactly once: each record carries the gate's own serial number; a record sent again (a gate
  catching up after being offline) gets the answer it got the first time and changes nothing.
* Entry: the stay starts and the gate opens: as a permit holder's when the plate has a permit valid
  that day (``permit_issue``), else as a visitor's.
* Exit: the open stay of that plate ends; a visitor's fee is computed by ``parking.fee`` from the estate's
  visitor tariff in force on the day of entry, counting the plate's earlier stays of the day; a fee
  is billed as ``parking_session``: the owners' public income (Civil Code Arts. 275, 282).
* Paying at the exit: while a visitor's fee is unpaid the answer is ``open: false`` with the fee and
  ``pay_url``, a public page (a signed link, ``stay_pay_url``) the gate shows as a QR code; the
  visitor pays the stay's bill there through billing's online checkout (a guest payer). The gate
  sends the same exit record again (same gate and serial) until the answer opens: once the bill is
  paid (or voided by staff, who may also take the money at the booth) it answers ``open: true`` —
  and, being the same record, still writes nothing. A stay with no fee, or a permit holder's,
  opens at once.
* Paying before leaving: on the estate's pay page the visitor finds the stay by its plate
  (``stay_parked``) and pays the fee so far, less what was paid before (``stay_checkout``: a
  ``ParkingPrepayment`` of the stay, billed and paid as a guest). Leaving within the tariff's grace
  minutes after the last paid one, nothing is billed at the exit; later, only what the fee grew by.
  A prepayment's bill nobody paid is voided when the car leaves (or a newer one is made).
* A record with a bad signature, signed with another estate's key, naming a time before the entry,
  or with a plate that is not a mainland plate, is refused and writes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.errors import bilingual, refuse
from billing.models import Invoice, InvoiceStatus, Payee, PaymentAttempt
from billing.selectors import attempts_blocking
from billing.services import PaymentInProgressError, attempt_create, invoice_create_for_source, invoice_void
from billing.services.payees import online_refusal, payee_for_bill
from billing.statuses import UNPAID
from estates.models import Estate

from ..models import (
    PERMIT_MONTHS,
    GateKey,
    ParkingPermit,
    ParkingPrepayment,
    ParkingRate,
    ParkingSpace,
    ParkingStay,
    ParkingWaitlistEntry,
    PermitPeriod,
)
from ..parking import BEIJING, ZERO, FeeResult, fee, normalize_plate

SIGNATURE_HEADER = "X-Anju-Gate-Signature"
EARLIER_STAYS_WINDOW = datetime.timedelta(days=2)


class GateSignatureError(Exception):
    """The record is not signed with the estate's current gate key."""


@dataclass(frozen=True)
class GateAnswer:
    """What the gate is told: open or not; on leaving the fee, whether it is paid, and where to pay it."""

    open: bool
    kind: str  # "visitor", "permit", "unknown"
    stay_id: int | None
    fee: Decimal | None = None
    message: str = ""
    paid: bool | None = None  # on leaving with a fee: whether its bill is settled (paid, or voided by staff)
    pay_url: str | None = None  # on leaving with a fee unpaid: the page to pay it (the gate shows it as a QR code)

    def as_json(self) -> dict[str, Any]:
        return {
            "open": self.open,
            "kind": self.kind,
            "stay": self.stay_id,
            "fee": f"{self.fee:.2f}" if self.fee is not None else None,
            "message": self.message,
            "paid": self.paid,
            "pay_url": self.pay_url,
        }


def gate_key_rotate(*, estate: Estate) -> GateKey:
    """A new gate key for the estate (the old one stops working at once); returns it."""
    key = secrets.token_hex(32)
    found, created = GateKey.objects.get_or_create(estate=estate, defaults={"key": key})
    if not created:
        GateKey.objects.filter(pk=found.pk).update(key=key, rotated_at=timezone.now())
        found.refresh_from_db()
    return found


def gate_signature(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def gate_record_verify(*, estate: Estate, body: bytes, signature: str) -> dict:
    """The record's fields, once its signature checks against the estate's gate key."""
    key = GateKey.objects.filter(estate=estate).values_list("key", flat=True).first()
    if not key or not signature or not hmac.compare_digest(gate_signature(key, body), signature.strip().lower()):
        raise GateSignatureError("bad signature")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise refuse("记录不是有效的 JSON", "The record is not valid JSON.", code="json") from None
    if not isinstance(data, dict):
        raise refuse("记录不是有效的 JSON 对象", "The record is not a JSON object.", code="json")
    return data


def _field(data: dict, name: str, limit: int) -> str:
    value = str(data.get(name) or "").strip()
    if not value or len(value) > limit:
        raise refuse(f"记录缺少或超长的字段：{name}", f"The record's {name!r} is missing or too long.", code=name)
    return value


def _at(data: dict) -> datetime.datetime:
    raw = str(data.get("at") or "")
    value = parse_datetime(raw) if raw else None
    if value is None or value.tzinfo is None:
        raise refuse(
            "记录时间必须是带时区的 ISO 8601 时间", "The record's 'at' must be an ISO 8601 time with its offset.", code="at"
        )
    return value


def _answer(stay: ParkingStay, *, leaving: bool, bill_status: str | None = None) -> GateAnswer:
    """Open, unless a visitor leaves owing a fee whose bill is not settled yet (``bill_status``: known, or read)."""
    kind = "visitor" if stay.visitor else "permit"
    if not leaving:
        return GateAnswer(open=True, kind=kind, stay_id=stay.pk)
    if not stay.amount or stay.invoice_id is None:
        return GateAnswer(open=True, kind=kind, stay_id=stay.pk, fee=stay.amount)
    if bill_status is None:
        bill_status = Invoice.objects.filter(pk=stay.invoice_id).values_list("status", flat=True).first()
    if bill_status not in UNPAID:  # paid online or at the booth, or waived (voided) by staff
        return GateAnswer(open=True, kind=kind, stay_id=stay.pk, fee=stay.amount, paid=True)
    return GateAnswer(
        open=False,
        kind=kind,
        stay_id=stay.pk,
        fee=stay.amount,
        paid=False,
        pay_url=stay_pay_url(stay),
        message=bilingual(
            f"请扫码支付停车费 {stay.amount:.2f} 元，支付后道闸自动开启",
            f"Scan the code to pay the parking fee of ¥{stay.amount:.2f}; the gate opens once it is paid.",
        ),
    )


def gate_record(*, estate: Estate, data: dict) -> GateAnswer:
    """Handle one verified gate record (see the module docstring); idempotent per (gate, serial)."""
    gate = _field(data, "gate", 40)
    serial = _field(data, "serial", 80)
    direction = _field(data, "direction", 10)
    if direction not in ("enter", "leave"):
        raise refuse("方向只能是 enter 或 leave", "The direction must be 'enter' or 'leave'.", code="direction")
    plate = normalize_plate(str(data.get("plate") or ""))
    at = _at(data)
    if direction == "enter":
        return _enter(estate=estate, gate=gate, serial=serial, plate=plate, at=at)
    return _leave(estate=estate, gate=gate, serial=serial, plate=plate, at=at)


def _enter(*, estate: Estate, gate: str, serial: str, plate: str, at: datetime.datetime) -> GateAnswer:
    found = ParkingStay.objects.filter(estate=estate, enter_gate=gate, enter_serial=serial).first()
    if found is None:
        # A plate with a permit valid that day parks as a permit holder (no fee on leaving).
        visitor = permit_valid_for(estate=estate, plate=plate, on=at.astimezone(BEIJING).date()) is None
        try:
            with transaction.atomic():
                found = ParkingStay.objects.create(
                    estate=estate, plate=plate, entered_at=at, enter_gate=gate, enter_serial=serial, visitor=visitor
                )
        except IntegrityError:  # the same record, at the same moment
            found = ParkingStay.objects.get(estate=estate, enter_gate=gate, enter_serial=serial)
    return _answer(found, leaving=False)


def _rate_on(estate: Estate, day: datetime.date) -> ParkingRate | None:
    return ParkingRate.objects.filter(estate=estate, valid_from__lte=day).order_by("-valid_from").first()


def _stay_fee(stay: ParkingStay, rate: ParkingRate | None, at: datetime.datetime) -> FeeResult | None:
    """The fee of the whole stay if it ends ``at``, counting the plate's earlier stays of the day
    (None: a permit holder's stay, or no tariff)."""
    if rate is None or not stay.visitor:
        return None
    earlier = [
        (entered, left)
        for entered, left in ParkingStay.objects.filter(
            estate_id=stay.estate_id,
            plate=stay.plate,
            left_at__isnull=False,
            entered_at__lt=stay.entered_at,
            entered_at__gte=stay.entered_at - EARLIER_STAYS_WINDOW,
        ).values_list("entered_at", "left_at")
        if left is not None
    ]
    return fee(tariff=rate.as_tariff(), entered_at=stay.entered_at, left_at=at, earlier_sessions=earlier)


@dataclass(frozen=True)
class Prepaid:
    """What a stay paid before leaving (the estate's pay page)."""

    amount: Decimal  # paid on its prepayments' bills
    leave_by: datetime.datetime | None  # after the last fully paid one: the gate opens free until then
    unpaid: list[Invoice]  # prepayment bills nobody paid anything on (voided when superseded or at the exit)
    latest: Invoice | None  # the newest prepayment's bill


def _prepaid(stay: ParkingStay, rate: ParkingRate | None, *, lock: bool = False) -> Prepaid:
    """``lock``: the prepayments' bills locked (in a transaction), so that a payment arriving now is
    either counted here or finds its bill voided (and is refunded), never both."""
    prepayments = list(ParkingPrepayment.objects.filter(stay=stay).order_by("until", "pk"))
    if not prepayments:
        return Prepaid(amount=ZERO, leave_by=None, unpaid=[], latest=None)
    query = Invoice.objects.select_for_update() if lock else Invoice.objects.all()
    bills = {bill.pk: bill for bill in query.filter(pk__in=[p.invoice_id for p in prepayments if p.invoice_id]).order_by("pk")}
    amount, paid_until, unpaid = ZERO, None, []
    for prepayment in prepayments:
        bill = bills.get(prepayment.invoice_id or 0)
        if bill is None or bill.status == InvoiceStatus.VOID:
            continue
        amount += bill.paid_amount
        if bill.status == InvoiceStatus.PAID:
            paid_until = prepayment.until
        elif bill.paid_amount == 0:
            unpaid.append(bill)
    grace = datetime.timedelta(minutes=rate.grace_minutes if rate is not None else 0)
    return Prepaid(
        amount=amount,
        leave_by=paid_until + grace if paid_until is not None else None,
        unpaid=unpaid,
        latest=bills.get(prepayments[-1].invoice_id or 0),
    )


def _void_unpaid(prepaid: Prepaid, reason: str) -> None:
    for bill in prepaid.unpaid:
        invoice_void(invoice=bill, reason=reason)


@transaction.atomic
def _leave(*, estate: Estate, gate: str, serial: str, plate: str, at: datetime.datetime) -> GateAnswer:
    done = ParkingStay.objects.filter(estate=estate, leave_gate=gate, leave_serial=serial).first()
    if done is not None:
        return _answer(done, leaving=True)
    stay = (
        ParkingStay.objects.select_for_update()
        .filter(estate=estate, plate=plate, left_at__isnull=True, entered_at__lte=at)
        .order_by("-entered_at")
        .first()
    )
    if stay is None:
        if ParkingStay.objects.filter(estate=estate, plate=plate, left_at__isnull=True).exists():
            raise refuse("出场时间早于入场时间", "The car left before it entered.", code="left_before_entered")
        return GateAnswer(
            open=False, kind="unknown", stay_id=None, message="没有入场记录，请工作人员处理 / No entry record: staff will help."
        )
    done = ParkingStay.objects.filter(estate=estate, leave_gate=gate, leave_serial=serial).first()  # under the lock
    if done is not None:
        return _answer(done, leaving=True)
    rate = _rate_on(estate, stay.entered_at.astimezone(BEIJING).date())
    result = _stay_fee(stay, rate, at)
    prepaid = _prepaid(stay, rate, lock=True)
    amount = result.amount if result is not None else ZERO
    lines = [(f"{plate} {line.description}", line.amount) for line in (result.lines if result else []) if line.amount > 0]
    if prepaid.leave_by is not None and at <= prepaid.leave_by:
        amount, lines = ZERO, []  # paid before leaving, and left within the time to leave
    elif prepaid.amount > 0:
        amount = max(ZERO, amount - prepaid.amount)  # only what the fee grew by since
        lines = [(f"{plate} 停车费共 {amount + prepaid.amount:.2f} 元，出场前已付 {prepaid.amount:.2f} 元，补缴", amount)]
    _void_unpaid(prepaid, "车辆已出场，停车费在出口结算 / The car left; its fee is billed at the exit.")
    stay.left_at, stay.leave_gate, stay.leave_serial, stay.amount = at, gate, serial, amount
    try:
        with transaction.atomic():
            stay.save(update_fields=["left_at", "leave_gate", "leave_serial", "amount"])
    except IntegrityError:
        raise refuse("该出场记录已用于另一次停车", "This exit record was already used for another stay.", code="serial") from None
    if amount > 0:
        day = at.astimezone(BEIJING).date()
        invoice = invoice_create_for_source(
            source=stay,
            estate=estate,
            charge_kind="parking_session",
            period=stay.entered_at.astimezone(BEIJING).date(),
            payer_name=plate,
            lines=[(description, Decimal("1"), line_amount) for description, line_amount in lines],
            due_on=day,
        )
        ParkingStay.objects.filter(pk=stay.pk).update(invoice_id=invoice.pk)
        stay.invoice_id = invoice.pk
        return _answer(stay, leaving=True, bill_status=invoice.status)
    return _answer(stay, leaving=True)


# --- paying a stay's fee: the signed link the gate shows, and the estate's pay page -----------------

PAY_LINK_SALT = "property_services.parking.stay-pay"
# How long after leaving the link still pays the stay's bill; later, the bill is paid at the counter.
PAY_LINK_VALID_FOR = datetime.timedelta(days=7)


class PayLinkError(LookupError):
    """The link names no stay to pay: forged, altered, expired, or a permit holder's stay."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def stay_pay_token(stay: ParkingStay) -> str:
    """The stay's payment token: its id signed with the site's key (unguessable, and the same every time)."""
    return signing.Signer(salt=PAY_LINK_SALT).sign(str(stay.pk))


def stay_pay_url(stay: ParkingStay) -> str:
    """The absolute address of the stay's payment page (settings.SITE_URL), for the gate's QR code."""
    return f"{settings.SITE_URL.rstrip('/')}{reverse('parking_pay:stay', args=[stay_pay_token(stay)])}"


def _invalid_link() -> PayLinkError:
    return PayLinkError(bilingual("付款链接无效", "This payment link is not valid."), code="invalid")


def stay_for_pay_token(token: str, *, now: datetime.datetime | None = None) -> ParkingStay:
    """The visitor's stay a payment link names, with its estate; PayLinkError when the link does not check out.

    A link works while the car is parked (paying before leaving) and for PAY_LINK_VALID_FOR after it left.
    """
    try:
        pk = int(signing.Signer(salt=PAY_LINK_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise _invalid_link() from None
    stay = ParkingStay.objects.select_related("estate").filter(pk=pk, visitor=True).first()
    if stay is None:
        raise _invalid_link()
    if stay.left_at is not None and (now or timezone.now()) > stay.left_at + PAY_LINK_VALID_FOR:
        raise PayLinkError(
            bilingual(
                "付款链接已过期，请到物业服务中心缴费",
                "This payment link has expired; please pay at the property service counter.",
            ),
            code="expired",
        )
    return stay


def stay_parked(*, estate: Estate, plate: str) -> ParkingStay | None:
    """The visitor's stay of this plate still in the estate (the estate's pay page finds it by the plate typed)."""
    return (
        ParkingStay.objects.select_related("estate")
        .filter(estate=estate, plate=normalize_plate(plate), left_at__isnull=True, visitor=True)
        .order_by("-entered_at")
        .first()
    )


def _bill_query():
    return Invoice.objects.select_related("payee", "estate").prefetch_related("lines")


@dataclass(frozen=True)
class StayAccount:
    """What a visitor's stay owes, as its payment page shows it (``stay_account``)."""

    stay: ParkingStay
    parked: bool  # still inside: paying before leaving
    bill: Invoice | None  # left: the exit's bill (None: nothing was due); parked: the newest prepayment's bill
    fee: FeeResult | None  # parked: the fee of the whole stay if it left now
    prepaid: Decimal  # paid before leaving
    due: Decimal  # parked: what paying now costs (the fee so far, less what was paid before)
    leave_by: datetime.datetime | None  # parked and paid: the gate opens free until then
    rate: ParkingRate | None
    payee: Payee | None  # who receives the fee (the bill's payee; parked: the payee a bill issued now would have)


def stay_account(*, stay: ParkingStay, now: datetime.datetime | None = None) -> StayAccount:
    """The stay's bill and, while it is parked, its fee if it left ``now`` and what was paid before."""
    now = now or timezone.now()
    rate = _rate_on(stay.estate, stay.entered_at.astimezone(BEIJING).date())
    if stay.left_at is not None:
        bill = _bill_query().filter(pk=stay.invoice_id).first() if stay.invoice_id else None
        prepaid = _prepaid(stay, rate)
        payee = bill.payee if bill is not None else None
        return StayAccount(stay, False, bill, None, prepaid.amount, ZERO, prepaid.leave_by, rate, payee)
    result = _stay_fee(stay, rate, max(now, stay.entered_at))
    prepaid = _prepaid(stay, rate)
    due = max(ZERO, (result.amount if result else ZERO) - prepaid.amount)
    latest = _bill_query().filter(pk=prepaid.latest.pk).first() if prepaid.latest is not None else None
    payee_id = payee_for_bill(estate_id=stay.estate_id, code="parking_session", issued_on=now.astimezone(BEIJING).date())
    payee = Payee.objects.filter(pk=payee_id).first() if payee_id else None
    return StayAccount(stay, True, latest, result, prepaid.amount, due, prepaid.leave_by, rate, payee)


def stay_bill_ids(stay: ParkingStay) -> list[int]:
    """The ids of every bill of the stay: its prepayments' and its exit's."""
    ids = [pk for pk in ParkingPrepayment.objects.filter(stay=stay).values_list("invoice_id", flat=True) if pk is not None]
    return [*ids, stay.invoice_id] if stay.invoice_id else ids


def stay_checkout(*, stay: ParkingStay, expected: Decimal | None = None, now: datetime.datetime | None = None) -> PaymentAttempt:
    """Start paying the stay's fee online as a guest (no login), through billing's checkout with all its
    refusals (paid, void, a payee that cannot take online payments, a payment in progress); returns the
    attempt, whose ``checkout_url`` is the provider's payment page, which comes back to the stay's result page.

    After leaving: the exit's bill. While parked: a prepayment of the fee so far (less what was paid
    before) is billed first; ``expected``, the amount the visitor was shown, must still be the amount.
    """
    result_path = reverse("parking_pay:result", args=[stay_pay_token(stay)])
    if stay.left_at is not None:
        bill = _bill_query().filter(pk=stay.invoice_id).first() if stay.invoice_id else None
        if bill is None:
            raise refuse("本次停车无需在出口缴费", "Nothing is due for this stay at the exit.", code="nothing_due")
    else:
        bill = _prepayment_bill(stay=stay, expected=expected, now=now or timezone.now())
    return attempt_create(user=None, invoices=[bill], return_path=result_path)


@transaction.atomic
def _prepayment_bill(*, stay: ParkingStay, expected: Decimal | None, now: datetime.datetime) -> Invoice:
    """Bill the fee of a parked stay so far, less what it paid before (the bill the visitor then pays)."""
    stay = ParkingStay.objects.select_for_update().select_related("estate").get(pk=stay.pk)
    if stay.left_at is not None:
        raise refuse("车辆已出场，请按出口的付款码缴费", "The car has left; pay with the code shown at the exit.", code="left")
    account = stay_account(stay=stay, now=now)
    if account.leave_by is not None and now <= account.leave_by:
        raise refuse(
            f"已付清，请在 {account.leave_by.astimezone(BEIJING):%H:%M} 前出场",
            f"Paid: leave by {account.leave_by.astimezone(BEIJING):%H:%M}.",
            code="paid",
        )
    prepaid = _prepaid(stay, account.rate, lock=True)
    blocking = attempts_blocking(invoice_ids=[bill.pk for bill in prepaid.unpaid]).first()
    if blocking is not None:
        raise PaymentInProgressError(
            bilingual("已有一笔支付正在进行，请先完成或取消", "A payment is already in progress: finish or cancel it first."),
            attempt=blocking,
        )
    if account.due <= 0:
        raise refuse("现在离场无需缴费", "Nothing is due if you leave now.", code="nothing_due")
    reason = online_refusal(Invoice(payee=account.payee))
    if reason:  # paid at the counter: issue no bill that cannot be paid here
        raise ValidationError(reason, code="payee")
    if expected is not None and expected != account.due:
        raise refuse(
            f"停车费已变为 {account.due:.2f} 元，请确认后再支付",
            f"The fee is now ¥{account.due:.2f}; check it and pay again.",
            code="changed",
        )
    _void_unpaid(prepaid, "已由新的场内缴费取代 / Superseded by a newer payment before leaving.")
    prepayment = ParkingPrepayment.objects.create(estate=stay.estate, stay=stay, until=now, amount=account.due)
    until = now.astimezone(BEIJING)
    if prepaid.amount > 0 or account.fee is None:
        lines = [(f"{stay.plate} 停车费（截至 {until:%m-%d %H:%M}，已付 {prepaid.amount:.2f} 元）", account.due)]
    else:
        lines = [(f"{stay.plate} {line.description}", line.amount) for line in account.fee.lines if line.amount > 0]
    bill = invoice_create_for_source(
        source=prepayment,
        estate=stay.estate,
        charge_kind="parking_session",
        period=stay.entered_at.astimezone(BEIJING).date(),
        payer_name=stay.plate,
        lines=[(description, Decimal("1"), amount) for description, amount in lines],
        due_on=until.date(),
    )
    ParkingPrepayment.objects.filter(pk=prepayment.pk).update(invoice_id=bill.pk)
    return bill


def stay_attempt_latest(*, stay: ParkingStay) -> PaymentAttempt | None:
    """The newest guest payment of any of the stay's bills (what its result page shows)."""
    ids = stay_bill_ids(stay)
    if not ids:
        return None
    return (
        PaymentAttempt.objects.filter(user__isnull=True, attemptinvoice__invoice_id__in=ids)
        .order_by("-created_at", "-pk")
        .first()
    )


# --- permits and the owners-first waiting list (Civil Code Art. 276) ---------------------------------


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return datetime.date(year, month, min(day.day, last[month - 1]))


def permit_valid_for(*, estate: Estate, plate: str, on: datetime.date) -> ParkingPermit | None:
    """The permit that lets this plate park in the estate on this day, if any."""
    return ParkingPermit.objects.filter(estate=estate, plate=plate, valid_from__lte=on, valid_to__gte=on).first()


def waitlist_join(*, estate: Estate, owner: Any, plate: str) -> ParkingWaitlistEntry:
    """An owner asks for a space; the list is served in the order of asking."""
    if owner.estate_id != estate.pk:
        raise refuse("只有本小区业主可以排队", "Only an owner of this estate can wait for a space here.", code="not_owner")
    plate = normalize_plate(plate)
    try:
        with transaction.atomic():
            return ParkingWaitlistEntry.objects.create(estate=estate, owner=owner, plate=plate)
    except IntegrityError:
        raise refuse("您已在排队名单中", "You are already on the waiting list.", code="already_waiting") from None


def waitlist_open(*, estate: Estate):
    """Owners waiting, in the order they asked (what owners see, by position and plate)."""
    return ParkingWaitlistEntry.objects.filter(estate=estate, served_at__isnull=True, withdrawn_at__isnull=True).order_by(
        "asked_at", "pk"
    )


@transaction.atomic
def permit_issue(
    *,
    space: ParkingSpace,
    plate: str,
    period: str,
    valid_from: datetime.date,
    owner: Any = None,
    holder_name: str = "",
) -> ParkingPermit:
    """A permit for one plate on one space, billed as the owners' public income (``parking_permit``).

    Civil Code Art. 276: the estate's spaces serve its owners first. A permit for someone who is not
    an owner of the estate is monthly only, and refused while any owner is waiting. Two permits on
    one space never overlap.
    """
    estate = space.estate
    plate = normalize_plate(plate)
    if period not in PermitPeriod.values:
        raise refuse("月卡、季卡或年卡", f"Unknown permit period {period!r}.", code="period")
    if owner is not None and owner.estate_id != estate.pk:
        raise refuse("该业主不属于本小区", "This owner is not an owner of this estate.", code="not_owner")
    holder = (owner.name if owner is not None else holder_name or "").strip()
    if not holder:
        raise refuse("请填写持卡人", "Give the permit holder's name.", code="holder")
    if not space.in_service:
        raise refuse(f"车位 {space.code} 未启用", f"Space {space.code} is not in service.", code="space")
    if owner is None:
        if period != PermitPeriod.MONTH:
            raise refuse(
                "非本小区业主只能办理月卡（民法典第276条：车位首先满足业主需要）",
                "Someone who is not an owner may only have a monthly permit (Civil Code Art. 276: owners first).",
                code="owners_first",
            )
        waiting = waitlist_open(estate=estate).count()
        if waiting:
            raise refuse(
                f"尚有 {waiting} 位业主在排队等候车位，不能向非业主发放月卡（民法典第276条）",
                f"{waiting} owner(s) are waiting for a space: no permit for someone who is not an owner (Civil Code Art. 276).",
                code="owners_first",
            )
    ParkingSpace.objects.select_for_update().filter(pk=space.pk).first()  # one permit decision per space at a time
    months = PERMIT_MONTHS[PermitPeriod(period)]
    valid_to = _add_months(valid_from, months) - datetime.timedelta(days=1)
    clash = ParkingPermit.objects.filter(space=space, valid_from__lte=valid_to, valid_to__gte=valid_from).first()
    if clash is not None:
        raise refuse(
            f"车位 {space.code} 在 {clash.valid_from}–{clash.valid_to} 已有车卡",
            f"Space {space.code} already has a permit from {clash.valid_from} to {clash.valid_to}.",
            code="overlap",
        )
    permit = ParkingPermit.objects.create(
        estate=estate,
        space=space,
        plate=plate,
        owner=owner,
        holder_name=holder[:100],
        period=period,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    if owner is not None:
        ParkingWaitlistEntry.objects.filter(estate=estate, owner=owner, served_at__isnull=True, withdrawn_at__isnull=True).update(
            served_at=timezone.now()
        )
    invoice = invoice_create_for_source(
        source=permit,
        estate=estate,
        charge_kind="parking_permit",
        period=valid_from,
        payer_owner=owner,
        payer_user=owner.user if owner is not None else None,
        payer_name=holder,
        lines=[(f"车位 {space.code} {plate} {PermitPeriod(period).label}", Decimal(months), space.month_fee)],
        due_on=valid_from,
    )
    ParkingPermit.objects.filter(pk=permit.pk).update(invoice_id=invoice.pk)
    permit.invoice_id = invoice.pk
    return permit


__all__ = [
    "PAY_LINK_VALID_FOR",
    "SIGNATURE_HEADER",
    "PayLinkError",
    "Prepaid",
    "StayAccount",
    "stay_account",
    "stay_attempt_latest",
    "stay_bill_ids",
    "stay_checkout",
    "stay_parked",
    "stay_for_pay_token",
    "stay_pay_token",
    "stay_pay_url",
    "permit_issue",
    "permit_valid_for",
    "waitlist_join",
    "waitlist_open",
    "GateAnswer",
    "GateSignatureError",
    "gate_key_rotate",
    "gate_record",
    "gate_record_verify",
    "gate_signature",
]
