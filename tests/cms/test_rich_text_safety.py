"""Issue 9 item 4: what staff and editors write cannot run as a script on our origin.

The public site, the portal and the back office share one origin: a script in a notice body would
run with a signed-in owner's or staff member's session. Rich text is sanitised (nh3 allow-list)
before it is stored and again when it is rendered; the notice PDF field takes only real PDFs;
uploaded documents are downloaded, never opened inline.
"""

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from accounts.models import Role
from cms.models import NewsPage, NoticePage
from cms.services import notice_pages_sync
from property_services.models import Notice

pytestmark = pytest.mark.django_db

ATTACK = (
    "<p>停水通知：6月1日全天停水。</p>"
    "<script>alert('xss-script')</script>"
    '<img src="x" onerror="alert(\'xss-img\')">'
    '<p onclick="alert(1)">请提前储水。</p>'
    "<a href=\"javascript:alert('xss-link')\">详情</a>"
    '<a href="https://www.cq.gov.cn/">市政府</a>'
)


def assert_inert(html: str) -> None:
    """Nothing of the attack survives that a browser would run."""
    lowered = html.lower()
    assert "xss-script" not in lowered and "<script>alert" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered
    assert "javascript:" not in lowered
    assert "<img" not in lowered


def real_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def estate(make_estate):
    return make_estate("X1", name="洋河新村")


@pytest.fixture
def officer(make_user, estate):
    """A sub-district officer: publishes notices for the estates of the sub-district."""
    return make_user("13900007001", Role.SUBDISTRICT_OFFICER, subdistrict=estate.community.subdistrict, name="谭志刚")


def notice_form(estate, **overrides):
    today = timezone.localdate()
    data = {
        "estate": estate.pk,
        "kind": "other",
        "title": "关于6月1日停水的通知",
        "body": ATTACK,
        "display_from": (today - datetime.timedelta(days=1)).isoformat(),
        "display_until": (today + datetime.timedelta(days=14)).isoformat(),
    }
    data.update(overrides)
    return data


def test_a_notice_written_in_the_back_office_is_inert_on_the_public_page_and_in_the_portal(
    client, home, estate, officer, make_user
):
    client.force_login(officer)
    response = client.post(reverse("property_services_notice:add"), notice_form(estate))
    assert response.status_code == 302, response.content.decode()[:2000]
    notice = Notice.objects.get(title="关于6月1日停水的通知")
    # stored clean: the back office's own screens and every later reader get the allowed part only
    assert_inert(notice.body)
    assert "停水通知：6月1日全天停水。" in notice.body and "请提前储水。" in notice.body
    # written as a draft; the officer publishes it with the back office's action
    assert client.post(reverse("property_services_notice:status", args=[notice.pk, "published"])).status_code == 302

    notice_pages_sync()
    page = NoticePage.objects.get(notice=notice)
    client.logout()
    html = client.get(page.url).content.decode()
    body = html.split('<div class="body">', 1)[1].split("</div>", 1)[0]
    assert_inert(body)
    assert "请提前储水。" in body
    assert 'href="https://www.cq.gov.cn/"' in body  # ordinary links stay

    # an owner of the estate finds it under the portal's notices and opens it there, signed in
    from estates.models import Owner

    owner_login = make_user("13800007101", Role.OWNER, name="业主甲")
    Owner.objects.create(estate=estate, name="业主甲", user=owner_login)
    client.force_login(owner_login)
    portal = client.get("/portal/notices/").content.decode()
    assert "关于6月1日停水的通知" in portal and page.url in portal
    assert "xss-" not in portal and "onerror" not in portal.lower()
    signed_in = client.get(page.url).content.decode()
    assert_inert(signed_in.split('<div class="body">', 1)[1].split("</div>", 1)[0])
    search = client.get("/search/", {"q": "停水"}).content.decode()
    assert "xss-script" not in search and "onerror" not in search


def test_a_body_stored_raw_before_sanitising_is_still_inert_when_rendered(client, home, estate):
    """Render-time filter: rows written before this fix (or by a path that skipped the service)."""
    today = timezone.localdate()
    notice = Notice.objects.create(
        estate=estate,
        kind="other",
        title="旧公告",
        body="<p>旧公告正文</p>",
        display_from=today - datetime.timedelta(days=1),
        display_until=today + datetime.timedelta(days=3),
        status="published",
    )
    notice_pages_sync()
    page = NoticePage.objects.get(notice=notice)
    NoticePage.objects.filter(pk=page.pk).update(body="<p>旧公告正文</p>" + ATTACK)
    html = client.get(page.url).content.decode()
    assert "旧公告正文" in html and "请提前储水。" in html
    assert_inert(html.split('<div class="body">', 1)[1].split("</div>", 1)[0])


def test_notice_publish_service_stores_the_clean_body_and_keeps_plain_text(estate):
    from property_services.services import notice_publish

    today = timezone.localdate()
    dirty = notice_publish(kind="other", title="A", body=ATTACK, estate=estate, display_from=today, display_until=today)
    assert_inert(dirty.body)
    plain = notice_publish(
        kind="other",
        title="B",
        body="面积<100平方米的住户\n请于6月1日前登记",
        estate=estate,
        display_from=today,
        display_until=today,
    )
    assert plain.body == "面积<100平方米的住户\n请于6月1日前登记"  # plain text is escaped where shown, not altered


def test_an_editors_rich_text_is_cleaned_before_the_revision_is_stored(home):
    """A crafted admin request can put any HTML into a rich text block; the page's validation strips it."""
    page = NewsPage(title="新闻", slug="news-x", intro="摘要", body=[("paragraph", "<p>正文</p>" + ATTACK)])
    page.clean()
    stored = page.body[0].value.source
    assert_inert(stored)
    assert "正文" in stored and "请提前储水。" in stored


def test_a_non_pdf_upload_is_refused_with_a_clear_message(client, home, estate, officer):
    client.force_login(officer)
    fake = SimpleUploadedFile(
        "notice.pdf", b"<html><script>alert(document.cookie)</script></html>", content_type="application/pdf"
    )
    response = client.post(reverse("property_services_notice:add"), notice_form(estate, body="正文", pdf=fake))
    assert response.status_code == 200
    html = response.content.decode()
    assert "not a valid PDF" in html or "不是有效的PDF" in html
    assert not Notice.objects.filter(title="关于6月1日停水的通知").exists()

    # a PDF signature in front of garbage is not a PDF either
    half = SimpleUploadedFile("half.pdf", b"%PDF-1.7\n<script>alert(1)</script>", content_type="application/pdf")
    response = client.post(reverse("property_services_notice:add"), notice_form(estate, body="正文", pdf=half))
    assert response.status_code == 200 and not Notice.objects.exists()

    good = SimpleUploadedFile("notice.pdf", real_pdf(), content_type="application/pdf")
    response = client.post(reverse("property_services_notice:add"), notice_form(estate, body="正文", pdf=good))
    assert response.status_code == 302
    assert Notice.objects.get().pdf


def test_a_document_download_is_an_attachment(client, settings, tmp_path, home):
    """Wagtail documents (the notices' PDFs among them) are downloaded, never opened inline."""
    from wagtail.documents import get_document_model

    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    document = get_document_model()(title="公告")
    document.file.save("notice.pdf", ContentFile(real_pdf()), save=True)
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    html_doc = get_document_model()(title="page")
    html_doc.file.save("page.txt", ContentFile(b"<script>alert(1)</script>"), save=True)
    assert client.get(html_doc.url)["Content-Disposition"].startswith("attachment")


def test_development_media_server_sends_non_images_as_downloads(settings, tmp_path):
    from config.security import serve_media

    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "evil.html").write_text("<script>alert(1)</script>")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    request = RequestFactory().get("/media/evil.html")
    assert serve_media(request, "evil.html")["Content-Disposition"] == "attachment"
    photo = serve_media(RequestFactory().get("/media/photo.png"), "photo.png")
    assert not photo.get("Content-Disposition", "").startswith("attachment")  # images show inline
