"""Tariffs: the rates a management arrangement sets for an estate's charges, over date ranges."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.errors import refuse
from estates.models import Estate, UnitUse

from ..audit import money_audit
from ..charges import charge_kind as registered_kind
from ..models import Tariff


@transaction.atomic
def tariff_schedule_set(
    *,
    estate: Estate,
    charge_kind: str,
    rates: dict[str, Decimal],
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    source_label: str = "",
    basis: str | None = None,
    by: Any = None,
) -> list[Tariff]:
    """Set the rates of one charge for an estate from a date, one per unit use ("" = every use).

    The open-ended tariff in force before ``valid_from`` is closed the day before. A tariff that
    would overlap another is refused. Calling again with the same inputs changes nothing. Without a
    ``basis``, the charge kind's registered one applies (per m² for the property fee).
    """
    kind = registered_kind(charge_kind)
    if valid_to is not None and valid_to < valid_from:
        raise refuse("收费标准的结束日期早于开始日期", "The tariff ends before it starts.", code="period")
    if not rates:
        raise refuse("请至少填写一项收费标准", "Give at least one rate.", code="rates")
    basis = basis or kind.basis
    clean: dict[str, Decimal] = {}
    for use, rate in rates.items():
        use = use or ""
        if use and use not in UnitUse.values:
            raise refuse("未知的房屋用途", f"Unknown unit use {use!r}.", code="unit_use")
        if not isinstance(rate, (Decimal, int, str)) or isinstance(rate, bool):
            raise refuse("费率必须是十进制数", f"The rate for {use or 'all uses'} must be a decimal number.", code="rate")
        rate = Decimal(rate)
        if rate < 0 or rate != rate.quantize(Decimal("0.0001")):
            raise refuse("费率不能为负，最多四位小数", f"The rate {rate} must be ≥ 0 with at most four decimals.", code="rate")
        clean[use] = rate

    # Lock the estate's tariffs of this charge so two arrangements cannot interleave.
    existing = list(Tariff.objects.select_for_update().filter(estate=estate, charge_kind=charge_kind).order_by("pk"))
    result: list[Tariff] = []
    for use, rate in clean.items():
        same_use = [t for t in existing if t.unit_use == use]
        identical = next(
            (
                t
                for t in same_use
                if t.valid_from == valid_from and t.valid_to == valid_to and t.rate == rate and t.basis == basis
            ),
            None,
        )
        if identical:
            result.append(identical)
            continue
        to_close = [t for t in same_use if t.valid_to is None and t.valid_from < valid_from]
        for t in same_use:
            t_end = valid_from - datetime.timedelta(days=1) if t in to_close else t.valid_to
            overlaps = (valid_to is None or t.valid_from <= valid_to) and (t_end is None or t_end >= valid_from)
            if overlaps:
                raise refuse(
                    f"{estate.name} 已有 {t.valid_from:%Y-%m-%d} 起的收费标准与此重叠",
                    f"A tariff from {t.valid_from:%Y-%m-%d} ({t.rate}) already covers part of this period for "
                    f"{use or 'all uses'} in {estate.code}.",
                    code="overlap",
                )
        for t in to_close:
            old_to = t.valid_to
            t.valid_to = valid_from - datetime.timedelta(days=1)
            t.save(update_fields=["valid_to"])
            money_audit(action="tariff_close", obj=t, estate_id=estate.pk, user=by, data={"valid_to": t.valid_to, "was": old_to})
        tariff = Tariff.objects.create(
            estate=estate,
            charge_kind=charge_kind,
            unit_use=use,
            basis=basis,
            rate=rate,
            valid_from=valid_from,
            valid_to=valid_to,
            source_label=source_label[:200],
        )
        money_audit(
            action="tariff_set",
            obj=tariff,
            estate_id=estate.pk,
            user=by,
            data={
                "charge_kind": charge_kind,
                "unit_use": use,
                "rate": rate,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "source": source_label,
            },
        )
        result.append(tariff)
    return result
