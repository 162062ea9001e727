"""An owner reads the published public income statement in the portal (issue 13; Civil Code Art. 282:
the income of common parts is the owners', and they see how it was earned and spent)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cms import services as cms_services
from property_services.services.public_income import statement_approve, statement_draft, statement_publish
from tests.billing.factories import bill, billed_estate
from tests.property_services.conftest import make_owners

pytestmark = pytest.mark.django_db


def test_an_owner_reads_the_published_statement_among_the_estates_notices(client, site_tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    estate, _units = billed_estate(units=2, owners=False, code="PIN1")
    owners = make_owners(estate, make_user, prefix="1380002")
    other_estate, _units = billed_estate(units=2, owners=False, code="PIN2")
    stranger = make_owners(other_estate, make_user, prefix="1380003")[0]
    today = timezone.localdate()
    bill(estate.buildings.first().units.first(), Decimal("150.00"), kind="parking_permit", period=today)
    statement = statement_draft(estate=estate, starts_on=today.replace(day=1), ends_on=today)
    statement_publish(statement=statement_approve(statement=statement, by=None))
    cms_services.notice_pages_sync(on=today + datetime.timedelta(days=0))

    client.force_login(owners[0].user)
    mine = client.get("/portal/notices/").content.decode()
    client.force_login(stranger.user)
    theirs = client.get("/portal/notices/").content.decode()

    assert f"{estate.name}公共收益公示" in mine
    assert f"{estate.name}公共收益公示" not in theirs
