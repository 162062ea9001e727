"""Parking on the estate's common ground: the visitor fee (one pure function) and number plates.

The income of parking spaces on the owners' common ground is the owners' public income (Civil Code
Art. 275 para. 2, Art. 282); what a visitor pays is set by the estate's tariff and computed here,
exactly to the fen, without a database:

    from property_services.parking import ParkingTariff, fee
    t = ParkingTariff(free_minutes=30, free_per="day", first_minutes=60, first_fee=Decimal("5.00"),
                      interval_minutes=30, interval_fee=Decimal("2.00"),
                      cap=Decimal("30.00"), cap_window="natural_day")
    r = fee(tariff=t, entered_at=..., left_at=..., earlier_sessions=[(entered, left), ...])
    r.amount, r.lines

Rules:

* A stay no longer than the free minutes costs nothing, if the free time applies to it: with
  ``free_per="entry"`` to every stay; with ``free_per="day"`` only to the plate's first stay of that
  Beijing calendar day (``earlier_sessions`` are the plate's earlier stays).
* A stay longer than the free minutes (or one the free time does not apply to) is charged from its
  start: the first period costs ``first_fee``, each started interval after it ``interval_fee``.
* ``cap_window="natural_day"``: what the plate pays for one Beijing calendar day — this stay's part
  of that day plus its earlier stays' parts — never exceeds ``cap``; a stay over midnight is split
  by day, each day's part being what the running charge grew by within that day.
  ``cap_window="rolling_24h"``: each 24 hours from the stay's entry are capped on their own.
  ``cap=None``: no cap.

Night rate (optional; without ``night_fee`` none of this applies and the rules above are the whole tariff):

* The night is the window from ``night_start`` to ``night_end``, Beijing time; when ``night_start``
  is later than ``night_end`` (19:00–07:00) the window runs over midnight, and the night of a
  calendar day D is D 19:00 to D+1 07:00; otherwise (00:30–06:00) it lies within the day.
* The minutes of a stay inside a night are not charged by the interval: the stay's day clock stops
  while it is inside a night, and instead each night the stay is inside for some time costs
  ``night_fee`` once (a flat fee per night, however long the stay is inside it).
* So the running charge of a stay at a moment is: the first period and started intervals of the
  day minutes up to that moment (nothing while it has no day minute yet), plus ``night_fee`` for
  every night it has been inside so far. A night's fee falls at the first moment the stay is inside
  that night, and counts in the calendar day (or 24-hour window) of that moment.
* The free minutes (a stay no longer than them costs nothing) and the caps apply as above to this
  running charge: a night's fee is part of its day's capped amount.

Times must be timezone-aware; Beijing time (Asia/Shanghai) decides the calendar day and the night.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from accounts.errors import refuse

BEIJING = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ParkingTariff:
    """A visitor tariff of one estate (money in yuan, Decimal)."""

    free_minutes: int = 0
    free_per: Literal["day", "entry"] = "day"
    first_minutes: int = 60
    first_fee: Decimal = ZERO
    interval_minutes: int = 30
    interval_fee: Decimal = ZERO
    cap: Decimal | None = None
    cap_window: Literal["natural_day", "rolling_24h"] = "natural_day"
    # The night rate (see the module docstring): all three, or none.
    night_start: datetime.time | None = None
    night_end: datetime.time | None = None
    night_fee: Decimal | None = None

    def __post_init__(self):
        if self.free_per not in ("day", "entry"):
            raise refuse("免费时段只能按天或按次", f"free_per must be 'day' or 'entry', not {self.free_per!r}.")
        if self.cap_window not in ("natural_day", "rolling_24h"):
            raise refuse(
                "封顶周期只能是自然日或连续24小时", f"cap_window must be 'natural_day' or 'rolling_24h', not {self.cap_window!r}."
            )
        if self.free_minutes < 0 or self.first_minutes <= 0 or self.interval_minutes <= 0:
            raise refuse(
                "免费时长不能为负，首段和计费间隔必须大于零",
                "Free minutes cannot be negative; the first period and the interval must be longer than zero.",
            )
        for name in ("first_fee", "interval_fee"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or value < 0 or value != value.quantize(CENT):
                raise refuse("收费金额必须是不为负、最多两位小数的金额", f"{name} must be a non-negative amount in fen.")
        if self.cap is not None and (not isinstance(self.cap, Decimal) or self.cap < 0 or self.cap != self.cap.quantize(CENT)):
            raise refuse("封顶金额必须是不为负、最多两位小数的金额", "cap must be a non-negative amount in fen, or None.")
        night = (self.night_start, self.night_end, self.night_fee)
        if any(value is not None for value in night):
            if any(value is None for value in night):
                raise refuse(
                    "夜间收费须同时填写开始时间、结束时间和每晚收费",
                    "A night rate needs its start, its end and its fee per night.",
                    code="night",
                )
            if not isinstance(self.night_start, datetime.time) or not isinstance(self.night_end, datetime.time):
                raise refuse("夜间开始和结束必须是时刻", "The night's start and end must be times of day.", code="night")
            if self.night_start.tzinfo is not None or self.night_end.tzinfo is not None:
                raise refuse(
                    "夜间时段按北京时间填写，不带时区", "The night's times are Beijing times, without a zone.", code="night"
                )
            if self.night_start == self.night_end:
                raise refuse("夜间开始和结束不能相同", "The night cannot start and end at the same time.", code="night")
            fee = self.night_fee
            if not isinstance(fee, Decimal) or fee < 0 or fee != fee.quantize(CENT):
                raise refuse(
                    "每晚收费必须是不为负、最多两位小数的金额", "night_fee must be a non-negative amount in fen.", code="night"
                )

    @property
    def has_night_rate(self) -> bool:
        return self.night_fee is not None


@dataclass(frozen=True)
class FeeLine:
    """One part of the fee, as a receipt prints it."""

    description: str
    amount: Decimal


@dataclass(frozen=True)
class FeeResult:
    amount: Decimal
    lines: list[FeeLine] = field(default_factory=list)
    minutes: int = 0  # the stay's length, started minutes
    free: bool = False  # the stay was within its free time
    nights: int = 0  # the nights the stay was inside (a night rate's fee each)


def _aware(value: datetime.datetime, what: str) -> datetime.datetime:
    if not isinstance(value, datetime.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise refuse(f"{what}必须是带时区的时间", f"The {what} time must be timezone-aware.")
    return value


def _running_charge(tariff: ParkingTariff, seconds: float) -> Decimal:
    """What a stay charged from its start costs if it ends ``seconds`` after its entry (no cap)."""
    if seconds <= tariff.first_minutes * 60:
        return tariff.first_fee
    intervals = math.ceil((seconds - tariff.first_minutes * 60) / (tariff.interval_minutes * 60))
    return tariff.first_fee + tariff.interval_fee * intervals


def _nights(
    tariff: ParkingTariff, entered_at: datetime.datetime, until: datetime.datetime
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The parts of [entered_at, until] inside a night, one (from, to) per night, in order; parts of no
    length (a stay ending exactly as a night starts) are not inside it."""
    night_start, night_end = tariff.night_start, tariff.night_end
    if night_start is None or night_end is None:
        return []
    over_midnight = night_start > night_end
    first = entered_at.astimezone(BEIJING).date() - datetime.timedelta(days=1)
    last = until.astimezone(BEIJING).date()
    parts = []
    day = first
    while day <= last:
        starts = datetime.datetime.combine(day, night_start, tzinfo=BEIJING)
        ends = datetime.datetime.combine(day + datetime.timedelta(days=1 if over_midnight else 0), night_end, tzinfo=BEIJING)
        inside_from, inside_to = max(starts, entered_at), min(ends, until)
        if inside_to > inside_from:
            parts.append((inside_from, inside_to))
        day += datetime.timedelta(days=1)
    return parts


def _charge_at(tariff: ParkingTariff, entered_at: datetime.datetime, moment: datetime.datetime) -> Decimal:
    """The running charge of a stay charged from its start, at ``moment`` (no cap; see the module docstring)."""
    seconds = (moment - entered_at).total_seconds()
    if tariff.night_fee is None:
        return _running_charge(tariff, seconds)
    nights = _nights(tariff, entered_at, moment)
    day_time = (moment - entered_at) - sum((to - since for since, to in nights), datetime.timedelta())  # exact, not floats
    day = _running_charge(tariff, day_time.total_seconds()) if day_time > datetime.timedelta() else ZERO
    return day + tariff.night_fee * len(nights)


def _day_bounds(
    start: datetime.datetime, end: datetime.datetime
) -> list[tuple[datetime.date, datetime.datetime, datetime.datetime]]:
    """The stay cut at Beijing midnights: (day, from, to) parts."""
    parts = []
    cursor = start
    while True:
        local = cursor.astimezone(BEIJING)
        next_midnight = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), datetime.time.min, tzinfo=BEIJING)
        if end <= next_midnight:
            parts.append((local.date(), cursor, end))
            return parts
        parts.append((local.date(), cursor, next_midnight))
        cursor = next_midnight


def _windows(start: datetime.datetime, end: datetime.datetime) -> list[tuple[int, datetime.datetime, datetime.datetime]]:
    """The stay cut every 24 hours from its entry: (index, from, to) parts."""
    parts, index = [], 0
    while True:
        window_end = start + datetime.timedelta(hours=24 * (index + 1))
        window_start = start + datetime.timedelta(hours=24 * index)
        if end <= window_end:
            parts.append((index, window_start, end))
            return parts
        parts.append((index, window_start, window_end))
        index += 1


def _free_applies(tariff: ParkingTariff, entered_at: datetime.datetime, earlier: Sequence[tuple]) -> bool:
    if tariff.free_per == "entry":
        return True
    day = entered_at.astimezone(BEIJING).date()
    return not any(e < entered_at and e.astimezone(BEIJING).date() == day for e, _left in earlier)


def _stay(
    tariff: ParkingTariff,
    entered_at: datetime.datetime,
    left_at: datetime.datetime,
    earlier: Sequence[tuple],
    paid_by_day: dict[datetime.date, Decimal],
) -> FeeResult:
    """One stay's fee given the plate's earlier stays (and what they paid per day, updated here)."""
    seconds = (left_at - entered_at).total_seconds()
    minutes = math.ceil(seconds / 60)
    if seconds <= tariff.free_minutes * 60 and _free_applies(tariff, entered_at, earlier):
        return FeeResult(amount=ZERO, lines=[], minutes=minutes, free=True)
    lines: list[FeeLine] = []
    total = ZERO
    if tariff.cap_window == "rolling_24h":
        parts = [(f"第{index + 1}个24小时", start, end) for index, start, end in _windows(entered_at, left_at)]
    else:
        parts = [(day.isoformat(), start, end) for day, start, end in _day_bounds(entered_at, left_at)]
    for label, start, end in parts:
        grew = _charge_at(tariff, entered_at, end)
        grew -= _charge_at(tariff, entered_at, start) if start > entered_at else ZERO
        part = grew
        if tariff.cap is not None:
            if tariff.cap_window == "natural_day":
                day = datetime.date.fromisoformat(label)
                part = max(ZERO, min(grew, tariff.cap - paid_by_day[day]))
            else:
                part = min(grew, tariff.cap)
        if tariff.cap_window == "natural_day":
            paid_by_day[datetime.date.fromisoformat(label)] += part
        total += part
        capped = " (封顶)" if part < grew else ""
        night = ""
        if tariff.has_night_rate:
            began = len(_nights(tariff, entered_at, end)) - (len(_nights(tariff, entered_at, start)) if start > entered_at else 0)
            night = f" (含夜间{began}晚)" if began else ""
        lines.append(FeeLine(description=f"{label} 停车费{night}{capped}", amount=part.quantize(CENT)))
    nights = len(_nights(tariff, entered_at, left_at)) if tariff.has_night_rate else 0
    return FeeResult(amount=total.quantize(CENT), lines=lines, minutes=minutes, free=False, nights=nights)


def fee(
    *,
    tariff: ParkingTariff,
    entered_at: datetime.datetime,
    left_at: datetime.datetime,
    earlier_sessions: Iterable[tuple[datetime.datetime, datetime.datetime]] = (),
) -> FeeResult:
    """The fee of one stay of a plate (see the module docstring for the rules).

    ``earlier_sessions``: the same plate's earlier stays (entered, left); they decide whether the free
    time of the day is used up and how much of a day's cap is left. Leaving before entering is refused.
    """
    entered_at, left_at = _aware(entered_at, "入场"), _aware(left_at, "出场")
    if left_at < entered_at:
        raise refuse("出场时间早于入场时间", "The car left before it entered.", code="left_before_entered")
    earlier = sorted(
        ((_aware(e, "入场"), _aware(left, "出场")) for e, left in earlier_sessions if e < entered_at),
        key=lambda session: session[0],
    )
    paid_by_day: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    for index, (e, left) in enumerate(earlier):
        if left < e:
            raise refuse("出场时间早于入场时间", "An earlier stay left before it entered.", code="left_before_entered")
        _stay(tariff, e, min(left, entered_at), earlier[:index], paid_by_day)
    return _stay(tariff, entered_at, left_at, earlier, paid_by_day)


# --- number plates ----------------------------------------------------------------------------

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # no I or O: they read as 1 and 0
_ORDINARY = re.compile(rf"^[{PROVINCES}][{_LETTER}][{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警港澳]$")
_NEW_ENERGY_SMALL = re.compile(rf"^[{PROVINCES}][{_LETTER}][DF][{_LETTER}0-9][0-9]{{4}}$")
_NEW_ENERGY_LARGE = re.compile(rf"^[{PROVINCES}][{_LETTER}][0-9]{{5}}[DF]$")


def normalize_plate(raw: str) -> str:
    """A mainland number plate as stored: upper case, without spaces, dots or hyphens (渝A·12345 → 渝A12345).

    Ordinary plates have 7 characters (province, issuing letter, 5 letters or digits; a special
    plate ends in 挂, 学, 警, 港 or 澳); new-energy plates have 8 (small cars: D or F third, then a
    letter or digit and 4 digits; large vehicles: 5 digits, then D or F). I and O are never used.
    Anything else is refused (ValidationError, Chinese then English).
    """
    plate = re.sub(r"[\s·.\-•]", "", str(raw or "")).upper()
    if _ORDINARY.match(plate) or _NEW_ENERGY_SMALL.match(plate) or _NEW_ENERGY_LARGE.match(plate):
        return plate
    raise refuse(
        f"“{raw}”不是有效的内地车牌号（普通车牌7位，新能源车牌8位，不含字母I和O）",
        f"{raw!r} is not a mainland number plate (ordinary plates have 7 characters, new-energy plates 8; no I or O).",
        field="plate",
        code="plate",
    )


def is_mainland_plate(raw: str) -> bool:
    try:
        normalize_plate(raw)
    except Exception:  # noqa: BLE001 - a ValidationError: not a plate
        return False
    return True


__all__ = ["BEIJING", "FeeLine", "FeeResult", "ParkingTariff", "fee", "is_mainland_plate", "normalize_plate"]
