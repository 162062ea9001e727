"""Money-audit rows: written by every money service (``money_audit``), and read by people (what happened,
and each recorded change as label and value).

``MoneyAudit.data`` is stored JSON (amounts as strings, dates as ISO text, codes such as ``wechat_pay``).
Staff read it in the back office, so nothing here shows a dict, a code, ``True`` or ``None``: amounts
are written by billing.money.format_rmb, codes by their labels, instants by accounts.formats.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from accounts.formats import format_instant
from estates.models import UnitUse

from .charges import charge_kind_label
from .models import MoneyAudit, PaymentMethod
from .money import format_rmb


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def money_audit(*, action: str, obj: Model, estate_id: int | None, user: Any = None, data: dict | None = None) -> MoneyAudit:
    """Record who changed a money record and how. Every money service calls this."""
    row = money_audit_row(action=action, obj=obj, estate_id=estate_id, user=user, data=data)
    row.save(force_insert=True)
    return row


def money_audit_row(*, action: str, obj: Model, estate_id: int | None, user: Any = None, data: dict | None = None) -> MoneyAudit:
    """The audit row ``money_audit`` writes, not saved: a batch writes many with ``money_audits``."""
    return MoneyAudit(
        action=action,
        object_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        estate_id=estate_id,
        user=user if getattr(user, "pk", None) else None,
        data=_json(data or {}),
    )


def money_audits(rows: list[MoneyAudit]) -> list[MoneyAudit]:
    """Write many audit rows (from ``money_audit_row``) in one query."""
    return MoneyAudit.objects.bulk_create(rows) if rows else []


ACTION_LABELS = {
    "payment_record": _("Payment recorded"),
    "refund_record": _("Refund recorded"),
    "invoice_void": _("Bill voided"),
    "invoice_write_off": _("Bill written off"),
    "tariff_set": _("Tariff set"),
    "tariff_close": _("Tariff ended"),
    "online_excess": _("Online payment: excess to give back"),
    "online_excess_refunded": _("Online payment: excess refunded"),
    "online_flagged": _("Online payment flagged for staff"),
}

FIELD_LABELS = {
    "amount": _("Amount"),
    "total": _("Total"),
    "applied": _("Applied to bills"),
    "allocations": _("Bills paid"),
    "method": _("Payment method"),
    "reference": _("Reference"),
    "receipt": _("Receipt number"),
    "reason": _("Reason"),
    "payment": _("Payment"),
    "provider_refund_id": _("Provider's refund number"),
    "request_key": _("Form key"),
    "session": _("Checkout session"),
    "already_paid": _("Bills already paid"),
    "voided": _("Bills voided meanwhile"),
    "charge_kind": _("Charge"),
    "unit_use": _("Unit use"),
    "rate": _("Rate"),
    "valid_from": _("Valid from"),
    "valid_to": _("Valid until"),
    "was": _("Previously valid until"),
    "source": _("Source"),
}

MONEY_FIELDS = {"amount", "total", "applied", "excess"}
CHOICE_FIELDS = {"method": PaymentMethod, "unit_use": UnitUse}
DATE_FIELDS = {"valid_from", "valid_to", "was"}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action.replace("_", " ").capitalize()))


def _date(value) -> str:
    if not value:
        return str(_("open-ended"))
    try:
        if "T" in str(value):
            return format_instant(datetime.datetime.fromisoformat(str(value)))
        return format_instant(datetime.date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _money(value) -> str:
    try:
        return format_rmb(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return readable_value(value)


def readable_value(value, key: str = "") -> str:
    """One recorded value as a person reads it; never a repr."""
    if key in MONEY_FIELDS and value not in (None, ""):
        return _money(value)
    if key in DATE_FIELDS:
        return _date(value)
    if key == "charge_kind" and value:
        return charge_kind_label(str(value))
    if key in CHOICE_FIELDS and value:
        choices = CHOICE_FIELDS[key]
        return str(choices(value).label) if value in choices.values else str(value)
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    if isinstance(value, dict):  # e.g. allocations: bill number → amount
        return "；".join(f"{k} {_money(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "、".join(readable_value(v) for v in value)
    return str(value)


def audit_changes(data: dict | None) -> list[tuple[str, str]]:
    """(label, value) for each recorded field, in the order the service wrote them."""
    return [
        (str(FIELD_LABELS.get(key, key.replace("_", " ").capitalize())), readable_value(value, key))
        for key, value in (data or {}).items()
    ]


def audit_summary(data: dict | None) -> str:
    """The changes on one line, for the back-office list: ``Amount: ¥100.00 · Payment method: 现金``."""
    return " · ".join(f"{label}: {value}" for label, value in audit_changes(data))
