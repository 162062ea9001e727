"""Notice pages are made from property-services notices, kept up to date, and editors' edits survive."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from cms.models import NoticePage
from cms.services import notice_pages_sync
from property_services.services import notice_publish, notice_withdraw

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def estate(make_estate):
    return make_estate("N1", name="洋河新村")


def publish(
    estate, *, title="关于召开2025年第一次业主大会的公告", body="会议定于6月1日召开。\n请各位业主准时参加。", days=(-1, 14), **kw
):
    today = timezone.localdate()
    return notice_publish(
        kind=kw.pop("kind", "assembly_call"),
        title=title,
        body=body,
        estate=estate,
        display_from=today + datetime.timedelta(days=days[0]),
        display_until=today + datetime.timedelta(days=days[1]),
        **kw,
    )


def test_a_notice_becomes_a_live_page_with_its_period_and_pdf(client, home, estate):
    notice = publish(estate, pdf_bytes=PDF)
    counts = notice_pages_sync()
    assert counts["created"] == 1
    page = NoticePage.objects.get(notice=notice)
    assert page.live and page.title == notice.title
    assert page.get_parent().specific_class.__name__ == "NoticeIndexPage"
    assert (page.display_from, page.display_until, page.kind, page.estate_id) == (
        notice.display_from,
        notice.display_until,
        "assembly_call",
        estate.pk,
    )
    html = client.get(page.url).content.decode()
    assert "会议定于6月1日召开。" in html and "<p>请各位业主准时参加。</p>" in html
    assert f"{notice.display_from:%Y-%m-%d}" in html and f"{notice.display_until:%Y-%m-%d}" in html
    assert "洋河新村" in html
    pdf_link = page.pdf.url
    assert f'href="{pdf_link}"' in html
    assert pdf_link.startswith("/documents/")  # served by Wagtail's document view
    # (the test settings keep files in memory, which Wagtail's view cannot stream: read the file itself)
    with page.pdf.file.open("rb") as handle:
        assert handle.read() == PDF


def test_sync_twice_changes_nothing(home, estate):
    publish(estate, pdf_bytes=PDF)
    notice_pages_sync()
    page = NoticePage.objects.get()
    revisions = page.revisions.count()
    from wagtail.documents import get_document_model

    documents = get_document_model().objects.count()
    assert notice_pages_sync() == {"created": 0, "updated": 0, "unpublished": 0, "unchanged": 1}
    assert page.revisions.count() == revisions
    assert get_document_model().objects.count() == documents


def test_an_editors_changes_stay_until_the_notice_changes(home, estate):
    # Publishing again for the same source updates the same notice (property_services' rule).
    notice = publish(estate, source=estate)
    notice_pages_sync()
    page = NoticePage.objects.get()
    page.body = "<p>编辑补充：会场设在社区活动室。</p>"
    page.save_revision().publish()

    notice_pages_sync()
    page.refresh_from_db()
    assert "编辑补充" in page.body

    assert (
        publish(estate, title="关于召开2025年第一次业主大会的公告（更正）", body="会议改为6月8日召开。", source=estate) == notice
    )
    notice.refresh_from_db()
    assert notice_pages_sync()["updated"] == 1
    page.refresh_from_db()
    assert page.title.endswith("（更正）")
    assert "6月8日" in page.body and "编辑补充" not in page.body


def test_a_withdrawn_notice_is_taken_off_the_site(home, estate):
    notice = publish(estate)
    notice_pages_sync()
    notice_withdraw(notice=notice, by=None)
    assert notice_pages_sync()["unpublished"] == 1
    assert not NoticePage.objects.get().live


def test_a_notice_appears_when_its_display_starts(home, estate):
    publish(estate, days=(3, 10))
    today = timezone.localdate()
    assert notice_pages_sync(on=today)["created"] == 0
    assert not NoticePage.objects.exists()
    assert notice_pages_sync(on=today + datetime.timedelta(days=3))["created"] == 1


def test_command_task_and_schedule(home, estate):
    from django_q.models import Schedule

    from cms import tasks

    notice = publish(estate)
    call_command("sync_notices")
    assert NoticePage.objects.filter(notice=notice, live=True).exists()
    assert tasks.notice_page_sync(notice.pk) == "unchanged"
    schedule = Schedule.objects.get(name="cms.notice_pages_sync")
    assert schedule.func == "cms.tasks.notice_pages_sync" and schedule.schedule_type == Schedule.MINUTES


def test_public_income_statement_notice_is_listed_on_the_home_page(client, home, estate):
    publish(estate, kind="public_income_statement", title="2025年第一季度公共收益收支公示")
    notice_pages_sync()
    html = client.get("/").content.decode()
    assert "2025年第一季度公共收益收支公示" in html
