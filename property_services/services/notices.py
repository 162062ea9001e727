"""Notices (公示): drafting, publishing, withdrawing, and attaching their PDFs.

A notice's status moves only along ``NOTICE_TRANSITIONS`` through ``estates.status.transition``
(draft → published → withdrawn → published again), each move with a history row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone

from accounts.errors import refuse
from accounts.sanitize import clean_text_or_html
from estates.models import Estate
from estates.selectors import estates_visible_to, user_sees_everything
from estates.status import transition

from ..models import Notice, NoticeKind, NoticeStatus

#: What ``notice_publish`` writes on a notice that exists already (never its status: that is a transition).
_CONTENT_FIELDS = ["estate", "title", "body", "display_from", "display_until", "pdf", "updated_at"]


def _check_period(*, display_from: datetime.date, display_until: datetime.date) -> None:
    if display_until < display_from:
        raise refuse("公示结束日期早于开始日期", "The display period ends before it starts.", field="display_until")


@transaction.atomic
def notice_publish(
    *,
    kind: str,
    title: str,
    body: str,
    estate: Estate | None,
    display_from: datetime.date,
    display_until: datetime.date,
    pdf_bytes: bytes | None = None,
    source: models.Model | None = None,
    by: Any = None,
) -> Notice:
    """Publish a notice; publishing again for the same source and kind updates that notice, never adds one.

    The interface other apps publish through (assembly calls and results, meeting summaries, public
    income statements). A notice of the source that was withdrawn is published again.
    """
    if kind not in NoticeKind.values:
        raise refuse("未知的公示类别", f"Unknown notice kind {kind!r}.", field="kind")
    _check_period(display_from=display_from, display_until=display_until)
    notice = None
    source_type = source_id = None
    if source is not None:
        source_type = ContentType.objects.get_for_model(source)
        source_id = source.pk
        notice = Notice.objects.select_for_update().filter(source_type=source_type, source_id=source_id, kind=kind).first()
    is_new = notice is None
    if notice is None:
        notice = Notice(source_type=source_type, source_id=source_id, kind=kind)
    notice.estate = estate
    notice.title = title[:200]
    notice.body = clean_text_or_html(body)
    notice.display_from = display_from
    notice.display_until = display_until
    if pdf_bytes is not None:
        _notice_store_pdf(notice, pdf_bytes)
    if is_new:
        notice.save()  # a draft, published just below
    else:
        notice.save(update_fields=_CONTENT_FIELDS)
    if notice.status != NoticeStatus.PUBLISHED:
        transition(notice, to=NoticeStatus.PUBLISHED, by=by, updated_at=timezone.now())
    return notice


#: A financial disclosure (a public income statement, a use of the maintenance fund) stays on display this long.
DISCLOSURE_DISPLAY_DAYS = 30


def disclosure_publish(
    *,
    kind: str,
    source: models.Model,
    estate: Estate,
    title: str,
    body: str,
    render_pdf: Callable[[], bytes],
    by: Any = None,
    then: Callable[[], object] | None = None,
) -> Notice:
    """Publish a financial disclosure (公示) of an estate: a notice of the estate with its PDF, on display for
    DISCLOSURE_DISPLAY_DAYS from today, which owners read among their estate's notices in the portal.

    The manager discloses regularly the use of the maintenance fund and the income from the common parts
    (Civil Code Arts. 281, 943). The PDF is rendered first, outside any transaction (slow I/O); then the
    notice is published and ``then`` (the source's own status change, if it has one) runs in one
    transaction, so that a refusal there leaves no notice behind. Publishing the same source again
    updates its notice (``notice_publish``).
    """
    pdf_bytes = render_pdf()
    today = timezone.localdate()
    with transaction.atomic():
        notice = notice_publish(
            kind=kind,
            title=title,
            body=body,
            estate=estate,
            display_from=today,
            display_until=today + datetime.timedelta(days=DISCLOSURE_DISPLAY_DAYS),
            pdf_bytes=pdf_bytes,
            source=source,
            by=by,
        )
        if then is not None:
            then()
    return notice


@transaction.atomic
def notice_save(*, notice: Notice, by: Any = None) -> Notice:
    """Store a notice written in the back office: a new one is a draft until it is published.

    Its body is cleaned here (it will be shown on the public site); its status is never changed here.
    A city-wide notice (no estate) is written by platform administrators only.
    """
    _check_period(display_from=notice.display_from, display_until=notice.display_until)
    if notice.estate_id is None and by is not None and not user_sees_everything(by):
        raise refuse(
            "请选择小区；全市公告由平台管理员发布",
            "Choose an estate: city-wide notices are published by platform administrators.",
            field="estate",
        )
    notice.body = clean_text_or_html(notice.body)
    if notice.pk is None:
        notice.save()  # the status's default: a draft
    else:
        notice.save(update_fields=[*_CONTENT_FIELDS, "kind"])
    return notice


def _publisher_check(*, notice: Notice, by: Any) -> None:
    """Who puts a notice up or takes it down: someone who may change the notices of its estate in the back
    office; a city-wide notice (no estate) only a platform administrator. ``by=None`` is the platform itself."""
    if by is None or user_sees_everything(by):
        return
    if (
        notice.estate_id is not None
        and by.has_perm("property_services.change_notice")
        and estates_visible_to(user=by).filter(pk=notice.estate_id).exists()
    ):
        return
    raise refuse(
        "只有本小区的管理人员可以发布或撤回此公示；全市公告由平台管理员发布",
        "Only staff of the notice's estate may publish or withdraw it; city-wide notices belong to platform administrators.",
        code="not_publisher",
    )


@transaction.atomic
def notice_release(*, notice: Notice, by: Any, note: str = "") -> Notice:
    """Publish a draft notice, or publish again one that was withdrawn."""
    _publisher_check(notice=notice, by=by)
    transition(notice, to=NoticeStatus.PUBLISHED, by=by, note=note, updated_at=timezone.now())
    return notice


@transaction.atomic
def notice_withdraw(*, notice: Notice, by: Any, note: str = "") -> Notice:
    """Take a published notice off display. It is kept (its text was public) and may be published again."""
    _publisher_check(notice=notice, by=by)
    transition(notice, to=NoticeStatus.WITHDRAWN, by=by, note=note, updated_at=timezone.now())
    return notice


def _notice_store_pdf(notice: Notice, pdf_bytes: bytes) -> None:
    if notice.pdf:
        notice.pdf.delete(save=False)
    name = f"{notice.kind}-{notice.source_id or 'notice'}-{notice.display_from:%Y%m%d}.pdf"
    notice.pdf.save(name, ContentFile(pdf_bytes), save=False)


@transaction.atomic
def notice_attach_pdf(*, notice: Notice, pdf_bytes: bytes) -> Notice:
    """Attach (or replace) a notice's PDF, e.g. once a task has rendered it."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _notice_store_pdf(notice, pdf_bytes)
    notice.save(update_fields=["pdf", "updated_at"])
    return notice
