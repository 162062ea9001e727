"""Notices: the publishing interface the public site (cms) reads."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from ..models import (
    Notice,
    NoticeStatus,
)


def notices_published(*, estate=None, on: datetime.date | None = None) -> QuerySet[Notice]:
    """Published notices whose display has started by ``on`` (today by default), newest first.

    Ended notices stay in the list (a public archive); ``notice.is_current(on)`` and
    ``notice.has_ended`` tell them apart. With ``estate``, only that estate's notices.
    """
    on = on or timezone.localdate()
    qs = Notice.objects.filter(status=NoticeStatus.PUBLISHED, display_from__lte=on).select_related(
        "estate__community__subdistrict"
    )
    if estate is not None:
        qs = qs.filter(estate=estate)
    return qs.order_by("-display_from", "-pk")
