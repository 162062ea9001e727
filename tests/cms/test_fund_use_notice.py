"""Owners read a use of the maintenance fund, published (公示), among their estate's notices in the portal
(issue 13; Civil Code Art. 281 para. 1: the fund's use is published periodically)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cms import services as cms_services
from property_services.services.fund import fund_use_publish, fund_use_record
from tests.property_services.conftest import passed_resolution
from tests.property_services.owners_records import funded_estate

pytestmark = pytest.mark.django_db


def test_owners_read_the_use_among_their_estates_notices_in_the_portal(client, site_tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    estate, _units, owners = funded_estate(make_user, units=2, code="FD5", prefix="1380015")
    other_estate, _units, strangers = funded_estate(make_user, units=1, code="FD6", prefix="1380016")
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="屋面")
    use = fund_use_record(
        estate=estate, title="屋面防水", amount=Decimal("500.00"), used_on=datetime.date(2026, 11, 1), resolution=resolution
    )
    fund_use_publish(use=use)
    cms_services.notice_pages_sync(on=timezone.localdate())

    client.force_login(owners[0].user)
    mine = client.get("/portal/notices/").content.decode()
    client.force_login(strangers[0].user)
    theirs = client.get("/portal/notices/").content.decode()

    assert f"{estate.name}住宅专项维修资金使用公示" in mine
    assert f"{estate.name}住宅专项维修资金使用公示" not in theirs
