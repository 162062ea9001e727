"""Disclosure (公示) of the maintenance fund's uses (issue 13): Civil Code Art. 281 para. 1 (the fund's raising and
use are published periodically) and Art. 943 (the manager discloses the fund's use). Each use is published
as a notice of the estate with a PDF — the repair, what authorised it, the amount, each bearing unit's share
by unit key and no names — through the same machinery as the public income statement."""

import datetime
import logging
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role
from property_services.models import Notice, NoticeKind, NoticeStatus
from property_services.services.fund import fund_use_publish, fund_use_record
from tests.billing.test_receipt_pdf import needs_poppler, pdf_fonts, pdf_text
from tests.property_services.conftest import make_committee, passed_resolution
from tests.property_services.owners_records import funded_estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _text(notice) -> str:
    return "".join(page.extract_text() for page in PdfReader(notice.pdf.open("rb")).pages)


def test_staff_publish_a_use_as_the_estates_notice_with_a_pdf_of_each_units_share(client, make_user, media):
    estate, units, owners = funded_estate(make_user, units=3, code="FD1", prefix="1380011")
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="屋面防水")
    use = fund_use_record(
        estate=estate, title="2栋屋面防水", amount=Decimal("1000.00"), used_on=datetime.date(2026, 11, 1), resolution=resolution
    )
    staff = make_user("13900005101", Role.ESTATE_STAFF, estate=estate)
    publish = reverse("property_services_maintenancefunduse:publish", args=[use.pk])

    client.force_login(staff)
    index = reverse("property_services_maintenancefunduse:index")
    assert "w-text-positive-100" not in client.get(index).content.decode()  # not published yet
    page = client.get(reverse("property_services_maintenancefunduse:inspect", args=[use.pk])).content.decode()
    assert f'data-testid="publish-fund-use-{use.pk}"' in page
    assert client.get(publish).status_code == 200
    response = client.post(publish)

    assert response.status_code == 302
    notice = Notice.objects.get(kind=NoticeKind.MAINTENANCE_FUND_USE)
    assert notice.estate == estate and notice.status == NoticeStatus.PUBLISHED and notice.source == use
    assert (notice.display_until - notice.display_from).days == 30
    assert "2栋屋面防水" in notice.title and "¥1000.00" in notice.body and "业主大会决定" in notice.body
    text = _text(notice)
    assert "维修资金" in text and "2栋屋面防水" in text and "第二百八十一条" in text
    assert resolution.assembly.title in text  # what authorised it
    for share in use.shares.select_related("unit__building"):
        assert share.unit.key in text and f"¥{share.amount:,.2f}" in text
    assert not any(owner.name in text for owner in owners)  # unit keys, no personal data
    assert "w-text-positive-100" in client.get(index).content.decode()  # marked published on the list

    # Publishing again refreshes the one notice, never adds a second.
    client.post(publish)
    assert Notice.objects.filter(kind=NoticeKind.MAINTENANCE_FUND_USE).count() == 1


def test_an_emergency_use_names_the_application_and_the_committee_may_publish_it(make_user, media):
    estate, _units, owners = funded_estate(make_user, units=2, code="FD2", prefix="1380012")
    member = make_committee(estate, owners).members.first().owner.user
    use = fund_use_record(
        estate=estate,
        title="电梯抢修",
        amount=Decimal("300.00"),
        used_on=timezone.localdate(),
        emergency_reason="电梯困人，需立即维修",
        by=member,
    )

    notice = fund_use_publish(use=use, by=member)

    text = _text(notice)
    assert "紧急" in text and "电梯困人" in text and "第二百八十一条第二款" in notice.body


def test_the_wrong_people_cannot_publish_a_use(client, make_user, media):
    estate, _units, owners = funded_estate(make_user, units=2, code="FD3", prefix="1380013")
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="外墙")
    use = fund_use_record(
        estate=estate, title="外墙修缮", amount=Decimal("200.00"), used_on=datetime.date(2026, 11, 1), resolution=resolution
    )
    other_estate, _units, _owners = funded_estate(make_user, units=1, code="FD4", prefix="1380014")
    other = make_user("13900005201", Role.ESTATE_STAFF, estate=other_estate)
    publish = reverse("property_services_maintenancefunduse:publish", args=[use.pk])

    client.force_login(other)
    assert client.post(publish).status_code == 404
    with pytest.raises(ValidationError) as refused:
        fund_use_publish(use=use, by=other)
    assert refused.value.code == "not_publisher"
    client.force_login(owners[0].user)
    assert client.post(publish).status_code in (302, 403)
    client.logout()
    assert client.post(publish).status_code == 302
    assert not Notice.objects.filter(kind=NoticeKind.MAINTENANCE_FUND_USE).exists()


@needs_poppler
def test_the_pdf_text_is_real_chinese_with_an_embedded_cjk_font(make_user, media, tmp_path, caplog):
    """pdftotext reads Chinese even from boxes: the font must be embedded with its ToUnicode map, no .notdef."""
    estate, units, _owners = funded_estate(make_user, units=2, code="FD7", prefix="1380017")
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="屋面防水")
    use = fund_use_record(
        estate=estate, title="屋面防水维修", amount=Decimal("321.50"), used_on=datetime.date(2026, 11, 1), resolution=resolution
    )
    caplog.set_level(logging.WARNING, logger="weasyprint")

    content = fund_use_publish(use=use).pdf.read()

    text = re.sub(r"\s+", "", pdf_text(content, tmp_path))
    assert "住宅专项维修资金" in text and "屋面防水维修" in text and "321.50" in text and units[0].key in text
    cjk = [f for f in pdf_fonts(content, tmp_path) if re.search(r"Noto.?Sans.?CJK", f["name"])]
    assert cjk and all(f["emb"] == "yes" and f["uni"] == "yes" for f in cjk)
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]
