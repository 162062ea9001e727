"""Notices: the publishing interface the public site lists."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from property_services.models import Notice, NoticeKind, NoticeStatus
from property_services.selectors import notices_published
from property_services.services import notice_publish, notice_withdraw

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
    notice_withdraw(notice=hidden, by=None)

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


# --- the back office: a notice is written as a draft, then published or withdrawn by an action ------------


def refused(response) -> bool:
    """Wagtail answers a PermissionDenied in the back office by sending the person to the dashboard."""
    return response.status_code == 403 or (response.status_code == 302 and response.url == reverse("wagtailadmin_home"))


def _notice_form(estate, **overrides):
    today = timezone.localdate()
    data = {
        "estate": estate.pk,
        "kind": "other",
        "title": "关于6月1日停水的通知",
        "body": "6月1日全天停水。",
        "display_from": today.isoformat(),
        "display_until": (today + datetime.timedelta(days=14)).isoformat(),
    }
    return data | overrides


def test_a_notice_written_in_the_back_office_is_a_draft_until_published_there(client, gov_estate, officer):
    client.force_login(officer)
    form = client.get(reverse("property_services_notice:add")).content.decode()
    assert 'name="is_published"' not in form and 'name="status"' not in form  # no flag to tick past the service
    assert client.post(reverse("property_services_notice:add"), _notice_form(gov_estate, is_published="on")).status_code == 302
    notice = Notice.objects.get(title="关于6月1日停水的通知")
    assert notice.status == NoticeStatus.DRAFT and not list(notices_published())

    index = client.get(reverse("property_services_notice:index")).content.decode()
    publish_url = reverse("property_services_notice:status", args=[notice.pk, "published"])
    assert publish_url in index
    assert client.post(publish_url, {"note": "已核对"}).status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED and list(notices_published()) == [notice]
    assert list(notice.status_changes.values_list("from_status", "to_status", "by", "note")) == [
        ("draft", "published", officer.pk, "已核对")
    ]

    # editing the text keeps it published; a status in the POST is ignored
    data = _notice_form(gov_estate, title="关于6月1日停水的通知（更正）", status="withdrawn", is_published="")
    assert client.post(reverse("property_services_notice:edit", args=[notice.pk]), data).status_code == 302
    notice.refresh_from_db()
    assert notice.title.endswith("（更正）") and notice.status == NoticeStatus.PUBLISHED

    withdraw_url = reverse("property_services_notice:status", args=[notice.pk, "withdrawn"])
    assert withdraw_url in client.get(reverse("property_services_notice:edit", args=[notice.pk])).content.decode()
    assert client.post(withdraw_url, {}).status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN and not list(notices_published())
    # withdrawing twice is refused on the page, and nothing is written
    response = client.post(withdraw_url, {})
    assert response.status_code == 400 and "不能变为" in response.content.decode()
    assert notice.status_changes.count() == 2


def test_the_wrong_person_cannot_publish_or_withdraw_through_the_back_office(
    client, gov_estate, officer, staff_user, other_staff, gov_owners
):
    draft = Notice.objects.create(
        estate=gov_estate, kind="other", title="草稿", display_from=D(2026, 1, 1), display_until=D(2026, 1, 31)
    )
    publish_url = reverse("property_services_notice:status", args=[draft.pk, "published"])
    client.force_login(other_staff)  # another estate: the notice does not exist for them
    assert client.get(publish_url).status_code == 404 and client.post(publish_url, {}).status_code == 404
    client.force_login(staff_user)  # the estate's staff may read notices, not publish them
    assert refused(client.post(publish_url, {}))
    assert publish_url not in client.get(reverse("property_services_notice:index")).content.decode()
    client.force_login(gov_owners[0].user)  # an owner has no back office at all
    response = client.post(publish_url, {})
    assert response.status_code == 403 or (response.status_code == 302 and not response.url.startswith(publish_url))
    client.force_login(officer)
    assert client.post(reverse("property_services_notice:status", args=[draft.pk, "draft"]), {}).status_code == 404
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.DRAFT and not draft.status_changes.exists()


def test_a_city_wide_notice_is_written_by_platform_administrators_only(client, gov_estate, officer):
    client.force_login(officer)
    response = client.post(reverse("property_services_notice:add"), _notice_form(gov_estate) | {"estate": ""})
    assert response.status_code == 200 and "全市公告由平台管理员发布" in response.content.decode()
    assert not Notice.objects.exists()


def test_a_notices_pdf_opens_from_its_page_for_the_estates_people_only(client, gov_estate, staff_user, other_staff, gov_owners):
    """The PDF of a disclosure (物业管理条例 Art. 54 and Civil Code Art. 943: shown to the owners) is served
    through a scoped download, never at its storage path; another estate's staff get 404."""
    from django.core.files.base import ContentFile

    notice = publish(gov_estate, "公共收益公示", D(2026, 1, 1), D(2026, 1, 31))
    notice.pdf.save("statement.pdf", ContentFile(b"%PDF-1.4 demo"), save=True)
    page_url = reverse("property_services_notice:inspect", args=[notice.pk])
    pdf_url = reverse("property_services_notice:pdf", args=[notice.pk])
    client.force_login(staff_user)
    page = client.get(page_url).content.decode()
    download = client.get(pdf_url)
    assert f'href="{pdf_url}"' in page and "notices/" not in page
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(other_staff)
    assert client.get(pdf_url).status_code == 404
    client.force_login(gov_owners[0].user)
    response = client.get(pdf_url)
    assert response.status_code == 403 or (response.status_code == 302 and not response.url.startswith(pdf_url))
