"""The time limits of a work order (报修/投诉): when the response and the completion are due, and whether an
order is overdue. Pure functions of the report time, the category's limits and "now".

The rule (docs/work-orders.md):

- Limits run in **calendar time** — every hour of every day counts — unless the category says
  ``office_hours``. Office hours are not assumed: a burst pipe at 23:00 on a Saturday is due by the clock.
- With ``office_hours``, only 08:30–17:30, Monday to Friday, Beijing time (Asia/Shanghai) count: a limit of
  4 hours reported on Friday at 16:30 is due on Monday at 11:30. Public holidays and the weekend days
  worked in their place (调休) are not modelled: they count as ordinary weekdays and weekends.
- The response is due ``response_hours`` after the report; the completion ``completion_hours`` after it.
  The response is met by acceptance, the completion by the resolution that the resident confirms (a
  rejected resolution does not stop the clock). No category exceeds ``settings.ANJU_WORK_ORDER_MAX_HOURS``.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
OFFICE_OPENS = datetime.time(8, 30)
OFFICE_CLOSES = datetime.time(17, 30)


def _next_office_moment(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` itself when the office is open then, else the next opening (Beijing time)."""
    while True:
        if moment.weekday() >= 5 or moment.time() >= OFFICE_CLOSES:
            moment = datetime.datetime.combine(moment.date() + datetime.timedelta(days=1), OFFICE_OPENS, tzinfo=BEIJING)
            continue
        if moment.time() < OFFICE_OPENS:
            return datetime.datetime.combine(moment.date(), OFFICE_OPENS, tzinfo=BEIJING)
        return moment


def add_office_hours(start: datetime.datetime, hours: int) -> datetime.datetime:
    """``start`` plus ``hours`` counted only 08:30–17:30 Monday to Friday, Beijing time."""
    remaining = datetime.timedelta(hours=hours)
    moment = start.astimezone(BEIJING)
    if remaining <= datetime.timedelta(0):
        return moment
    while True:
        moment = _next_office_moment(moment)
        closes = datetime.datetime.combine(moment.date(), OFFICE_CLOSES, tzinfo=BEIJING)
        if remaining <= closes - moment:
            return moment + remaining
        remaining -= closes - moment
        moment = closes


def due_at(start: datetime.datetime, hours: int, *, office_hours: bool = False) -> datetime.datetime:
    """When a limit of ``hours`` that starts at ``start`` runs out (calendar time unless ``office_hours``)."""
    if office_hours:
        return add_office_hours(start, hours)
    return start + datetime.timedelta(hours=hours)


def due_times(
    submitted_at: datetime.datetime, *, response_hours: int, completion_hours: int, office_hours: bool = False
) -> tuple[datetime.datetime, datetime.datetime]:
    """(response due, completion due) of an order reported at ``submitted_at``."""
    return (
        due_at(submitted_at, response_hours, office_hours=office_hours),
        due_at(submitted_at, completion_hours, office_hours=office_hours),
    )


def response_overdue(order, now: datetime.datetime) -> bool:
    """Not accepted and past its response time."""
    return order.accepted_at is None and now > order.response_due_at


def completion_overdue(order, now: datetime.datetime) -> bool:
    """Not (finally) resolved and past its completion time. Closed orders are never overdue."""
    return order.resolved_at is None and order.status != "closed" and now > order.completion_due_at


def is_overdue(order, now: datetime.datetime) -> bool:
    """Past its response time unanswered, or past its completion time unresolved."""
    if order.status == "closed":
        return False
    return response_overdue(order, now) or completion_overdue(order, now)


def response_met(order) -> bool | None:
    """Whether the response came in time (None while it has not come)."""
    return None if order.accepted_at is None else order.accepted_at <= order.response_due_at


def completion_met(order) -> bool | None:
    """Whether the (last) resolution came in time (None while unresolved)."""
    return None if order.resolved_at is None else order.resolved_at <= order.completion_due_at
