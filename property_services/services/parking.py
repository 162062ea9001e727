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

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.errors import refuse
from billing.services import invoice_create_for_source
from estates.models import Estate

from ..models import (
    PERMIT_MONTHS,
    GateKey,
    ParkingPermit,
    ParkingRate,
    ParkingSpace,
    ParkingStay,
    ParkingWaitlistEntry,
    PermitPeriod,
)
from ..parking import BEIJING, fee, normalize_plate

SIGNATURE_HEADER = "X-Anju-Gate-Signature"
EARLIER_STAYS_WINDOW = datetime.timedelta(days=2)


class GateSignatureError(Exception):
    """The record is not signed with the estate's current gate key."""


@dataclass(frozen=True)
class GateAnswer:
    open: bool
    kind: str  # "visitor"
    stay_id: int | None
    fee: Decimal | None = None
    message: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "open": self.open,
            "kind": self.kind,
            "stay": self.stay_id,
            "fee": f"{self.fee:.2f}" if self.fee is not None else None,
            "message": self.message,
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


def _answer(stay: ParkingStay, *, leaving: bool) -> GateAnswer:
    return GateAnswer(
        open=True, kind="visitor" if stay.visitor else "permit", stay_id=stay.pk, fee=stay.amount if leaving else None
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
    earlier = list(
        ParkingStay.objects.filter(
            estate=estate,
            plate=plate,
            left_at__isnull=False,
            entered_at__lt=stay.entered_at,
            entered_at__gte=stay.entered_at - EARLIER_STAYS_WINDOW,
        ).values_list("entered_at", "left_at")
    )
    rate = _rate_on(estate, stay.entered_at.astimezone(BEIJING).date())
    amount = Decimal("0.00")
    lines = []
    if rate is not None and stay.visitor:
        result = fee(tariff=rate.as_tariff(), entered_at=stay.entered_at, left_at=at, earlier_sessions=earlier)
        amount, lines = result.amount, [line for line in result.lines if line.amount > 0]
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
            lines=[(f"{plate} {line.description}", Decimal("1"), line.amount) for line in lines],
            due_on=day,
        )
        ParkingStay.objects.filter(pk=stay.pk).update(invoice_id=invoice.pk)
    return _answer(stay, leaving=True)


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
    "SIGNATURE_HEADER",
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
