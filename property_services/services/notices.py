"""Notices (公示): publishing, withdrawing and attaching their PDFs."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction

from accounts.errors import refuse
from accounts.sanitize import clean_text_or_html
from estates.models import Estate

from ..models import (
    Notice,
    NoticeKind,
)


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
    source=None,
) -> Notice:
    """Publish a notice; publishing again for the same source and kind updates that notice, never adds one."""
    if kind not in NoticeKind.values:
        raise refuse("未知的公示类别", f"Unknown notice kind {kind!r}.", field="kind")
    if display_until < display_from:
        raise refuse("公示结束日期早于开始日期", "The display period ends before it starts.", field="display_until")
    notice = None
    source_type = source_id = None
    if source is not None:
        source_type = ContentType.objects.get_for_model(source)
        source_id = source.pk
        notice = Notice.objects.select_for_update().filter(source_type=source_type, source_id=source_id, kind=kind).first()
    if notice is None:
        notice = Notice(source_type=source_type, source_id=source_id, kind=kind)
    notice.estate = estate
    notice.title = title[:200]
    notice.body = clean_text_or_html(body)
    notice.display_from = display_from
    notice.display_until = display_until
    notice.is_published = True
    if pdf_bytes is not None:
        _notice_store_pdf(notice, pdf_bytes)
    notice.save()
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
