"""Notices: the publishing interface the public site lists."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from property_services.models import Notice, NoticeKind
from property_services.selectors import notices_published
from property_services.services import notice_publish

pytestmark = pytest.mark.django_db

D = datetime.date


def publish(estate, title, start, end, **kwargs):
    return notice_publish(
        kind=kwargs.pop("kind", NoticeKind.OTHER),
        title=title,
        body="正文",
        estate=estate,
        display_from=start,
        display_until=end,
        **kwargs,
    )


def test_published_notices_are_those_started_newest_first(gov_estate, other_estate):
    old = publish(gov_estate, "旧公告", D(2026, 1, 1), D(2026, 1, 31))
    new = publish(gov_estate, "新公告", D(2026, 3, 1), D(2026, 3, 31))
    publish(gov_estate, "未来公告", D(2026, 6, 1), D(2026, 6, 30))
    other = publish(other_estate, "他小区公告", D(2026, 2, 1), D(2026, 2, 28))
    hidden = publish(gov_estate, "撤回公告", D(2026, 2, 15), D(2026, 2, 20))
    Notice.objects.filter(pk=hidden.pk).update(is_published=False)

    on = D(2026, 3, 10)
    assert list(notices_published(on=on)) == [new, other, old]
    assert list(notices_published(estate=gov_estate, on=on)) == [new, old]
    assert new.is_current(on) and not old.is_current(on)
    assert old.has_ended


def test_republishing_the_same_source_updates_the_notice(gov_estate, called_assembly):
    first = notice_publish(
        kind=NoticeKind.ASSEMBLY_RESULT,
        title="结果",
        body="一",
        estate=gov_estate,
        display_from=D(2026, 1, 1),
        display_until=D(2026, 1, 31),
        source=called_assembly,
    )
    second = notice_publish(
        kind=NoticeKind.ASSEMBLY_RESULT,
        title="结果（更正）",
        body="二",
        estate=gov_estate,
        display_from=D(2026, 1, 2),
        display_until=D(2026, 2, 1),
        source=called_assembly,
        pdf_bytes=b"%PDF-1.7 test",
    )
    assert second.pk == first.pk
    assert Notice.objects.filter(kind=NoticeKind.ASSEMBLY_RESULT).count() == 1
    second.refresh_from_db()
    assert (second.title, second.body, second.display_from) == ("结果（更正）", "二", D(2026, 1, 2))
    assert second.pdf.read().startswith(b"%PDF")
    # the same source may also have a notice of another kind (its call)
    assert Notice.objects.filter(source_id=called_assembly.pk, kind=NoticeKind.ASSEMBLY_CALL).count() == 1


def test_display_period_must_not_end_before_it_starts(gov_estate):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="公示结束日期早于开始日期"):
        publish(gov_estate, "错", D(2026, 2, 1), D(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(
            estate=gov_estate, kind="other", title="错", display_from=D(2026, 2, 1), display_until=D(2026, 1, 1)
        )
