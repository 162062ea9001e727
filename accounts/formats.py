"""How instants are written for people: always in the estate's time (Asia/Shanghai), never UTC.

Anju serves estates in mainland China only, so every page, PDF, export and message shows
Beijing time whatever the database stores (UTC), whatever time zone a request or a worker has
activated, and whatever a back-office user once picked in their Wagtail profile. Voting deadlines
are legal dates (物业管理条例 Art. 14 counts days from the notice): an hour or a day off is a
different deadline, so nothing is left to the current time zone here.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.utils import timezone

__all__ = ["PEOPLE_TIME_ZONE", "format_instant", "local_instant", "naive_local"]

PEOPLE_TIME_ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)  # "Asia/Shanghai" (config/settings/base.py)

INSTANT_FORMAT = "%Y-%m-%d %H:%M"


def local_instant(value: datetime.datetime) -> datetime.datetime:
    """An aware instant in Beijing time; a naive value is taken to be Beijing time already."""
    if timezone.is_naive(value):
        return value.replace(tzinfo=PEOPLE_TIME_ZONE)
    return value.astimezone(PEOPLE_TIME_ZONE)


def naive_local(value):
    """Beijing wall-clock time without tzinfo (openpyxl cannot store aware datetimes); other values unchanged."""
    if isinstance(value, datetime.datetime):
        return local_instant(value).replace(tzinfo=None)
    return value


def format_instant(value, *, seconds: bool = False, empty: str = "—") -> str:
    """``2026-12-20 18:30`` in Beijing time: the one way an instant is written for people.

    A date is written ``2026-12-20``; None (an instant that has not happened) is ``empty``.
    """
    if value is None or value == "":
        return empty
    if isinstance(value, datetime.datetime):
        return local_instant(value).strftime(INSTANT_FORMAT + (":%S" if seconds else ""))
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value)
