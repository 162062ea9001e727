"""Gates of the estate's car park: signed records in, an answer out (open or not, and the fee on leaving).

A plate-recognition gate POSTs one record per vehicle passing: ``{"gate": "G1", "serial": "…",
"direction": "enter" | "leave", "plate": "渝A12345", "at": "2026-11-30T09:00:00+08:00"}``, signed
with the estate's gate key (HMAC-SHA256 of the raw body, hex, in ``X-Anju-Gate-Signature``).

* Exactly once: each record carries the gate's own serial number; a record sent again (a gate
  catching up after being offline) gets the answer it got the first time and changes nothing.
* Entry: the stay starts; the gate opens (every car is a visitor until permits are kept here).
* Exit: the open stay of that plate ends; its fee is computed by ``parking.fee`` from the estate's
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

from ..models import GateKey, ParkingRate, ParkingStay
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
        try:
            with transaction.atomic():
                found = ParkingStay.objects.create(
                    estate=estate, plate=plate, entered_at=at, enter_gate=gate, enter_serial=serial
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


__all__ = [
    "SIGNATURE_HEADER",
    "GateAnswer",
    "GateSignatureError",
    "gate_key_rotate",
    "gate_record",
    "gate_record_verify",
    "gate_signature",
]
