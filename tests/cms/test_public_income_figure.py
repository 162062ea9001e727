"""The public site's figure for public income comes from published statements (issue 13; Civil Code Art. 282:
the income of common parts is the owners', and its disclosure is public): publishing a statement adds its
income to the home page's figure; a draft or an approved statement not yet published does not."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from property_services.selectors.public_income import public_income_disclosed
from property_services.services.public_income import statement_approve, statement_draft, statement_publish
from tests.billing.factories import bill, billed_estate
from tests.cms.test_figures import shown_figures

pytestmark = pytest.mark.django_db

LABEL = "公共收益已公示（已发布公示的收入合计）"


def test_publishing_a_statement_changes_the_home_page_figure_and_a_draft_does_not(client, site_tree, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    first, _units = billed_estate(units=1, code="PF1")
    second, _units = billed_estate(units=1, code="PF2")
    bill(first.buildings.first().units.first(), Decimal("150.00"), kind="parking_permit", period=today)
    bill(second.buildings.first().units.first(), Decimal("2000.50"), kind="shop_rent", period=today)
    period = {"starts_on": today.replace(day=1), "ends_on": today}

    draft = statement_draft(estate=first, **period)
    assert LABEL not in [label for _, label in shown_figures(client)]
    approved = statement_approve(statement=draft, by=None)
    assert public_income_disclosed() is None
    statement_publish(statement=approved)
    assert ("¥150.00", LABEL) in shown_figures(client)

    other = statement_approve(statement=statement_draft(estate=second, **period), by=None)
    assert ("¥150.00", LABEL) in shown_figures(client)  # approved, not yet published
    statement_publish(statement=other)
    assert ("¥2,150.50", LABEL) in shown_figures(client)
    with CaptureQueriesContext(connection) as ctx:
        assert public_income_disclosed() == Decimal("2150.50")
    assert len(ctx.captured_queries) == 1
