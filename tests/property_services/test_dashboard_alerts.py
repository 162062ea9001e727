"""Alerts on the back-office home page (issue 10 item 11), each scoped to the person's estates and
linking to the object: management contracts ending or expired (Civil Code Arts. 947-948), committee
filings due or late (物业管理条例 Art. 16), joint-meeting decisions overdue."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from estates.models import Owner, Subdistrict
from property_services.models import JointMeetingDecision

from .conftest import FIRM2_CODE, make_committee, make_provider, start_arrangement
from .test_backoffice import make_meeting

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HOME = reverse("wagtailadmin_home")


def panel(html: str, testid: str) -> str:
    """The HTML of one dashboard panel ("" when the panel is not on the page)."""
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, flags=re.S)
    return match.group(0) if match else ""


@pytest.fixture
def far_estate(make_estate):
    """An estate in another sub-district: no officer of gov_estate's sub-district sees it."""
    district = Subdistrict.objects.get(code="T500103001").district
    elsewhere = Subdistrict.objects.create(district=district, code="T500103009", name="七星岗街道")
    return make_estate("FAR1", name="远方小区", subdistrict=elsewhere)


@pytest.fixture
def alerts(gov_estate, other_estate, far_estate):
    """Each estate: a contract (gov: ends in 30 days; other: expired 10 days ago; far: expired),
    a committee not filed 40 days after its election, an overdue joint-meeting decision."""
    firm = make_provider()
    other_firm = make_provider(name="重庆山城物业有限公司", code=FIRM2_CODE)
    start = TODAY - datetime.timedelta(days=700)
    ending = start_arrangement(gov_estate, firm, start, contract_until=TODAY + datetime.timedelta(days=30))
    expired = start_arrangement(other_estate, other_firm, start, contract_until=TODAY - datetime.timedelta(days=10))
    far = start_arrangement(far_estate, firm, start, contract_until=TODAY - datetime.timedelta(days=5))
    committees = {}
    for estate in (gov_estate, other_estate, far_estate):
        member = Owner.objects.create(estate=estate, name=f"{estate.name}主任")
        committees[estate.code] = make_committee(estate, [member], elected_days_ago=40, filed_after_days=None)
        make_meeting(estate, title=f"{estate.name}联席会议")
    decisions = {d.meeting.estate.code: d for d in JointMeetingDecision.objects.select_related("meeting__estate")}
    return {"ending": ending, "expired": expired, "far": far, "committees": committees, "decisions": decisions}


def test_staff_of_estate_x_see_xs_alerts_and_not_ys(client, gov_estate, staff_user, alerts):
    client.force_login(staff_user)
    html = client.get(HOME).content.decode()

    contracts = panel(html, "contracts-ending")
    assert reverse("property_services_managementarrangement:inspect", args=[alerts["ending"].pk]) in contracts
    assert (TODAY + datetime.timedelta(days=30)).isoformat() in contracts
    assert reverse("property_services_managementarrangement:inspect", args=[alerts["expired"].pk]) not in contracts
    assert "山城公寓" not in contracts and "远方小区" not in contracts

    filing = panel(html, "committee-filing")
    gov_committee = alerts["committees"]["GOV1"]
    # Staff cannot edit a committee: the alert links to its read-only page.
    assert reverse("property_services_ownerscommittee:inspect", args=[gov_committee.pk]) in filing
    assert "山城公寓" not in filing

    decisions = panel(html, "overdue-decisions")
    assert reverse("property_services_jointmeetingdecision:inspect", args=[alerts["decisions"]["GOV1"].pk]) in decisions
    assert reverse("property_services_jointmeetingdecision:inspect", args=[alerts["decisions"]["OTH1"].pk]) not in decisions


def test_staff_of_estate_y_see_the_expired_contract_as_expired(client, other_staff, alerts):
    client.force_login(other_staff)
    contracts = panel(client.get(HOME).content.decode(), "contracts-ending")
    assert reverse("property_services_managementarrangement:inspect", args=[alerts["expired"].pk]) in contracts
    assert reverse("property_services_managementarrangement:inspect", args=[alerts["ending"].pk]) not in contracts
    assert contracts.count('class="overdue"') == 1  # expired: marked, with the days since


def test_subdistrict_officer_sees_the_subdistricts_estates_only(client, officer, alerts):
    client.force_login(officer)
    html = client.get(HOME).content.decode()
    contracts = panel(html, "contracts-ending")
    for key in ("ending", "expired"):
        assert reverse("property_services_managementarrangement:inspect", args=[alerts[key].pk]) in contracts
    assert reverse("property_services_managementarrangement:inspect", args=[alerts["far"].pk]) not in contracts
    filing = panel(html, "committee-filing")
    # Officers file committees: the alert opens the committee's edit form.
    assert reverse("property_services_ownerscommittee:edit", args=[alerts["committees"]["GOV1"].pk]) in filing
    assert "远方小区" not in filing
    decisions = panel(html, "overdue-decisions")
    assert "和平新村" in decisions and "山城公寓" in decisions and "远方小区" not in decisions


def test_a_contract_ending_beyond_the_warning_window_or_already_replaced_is_no_alert(client, gov_estate, staff_user):
    firm = make_provider()
    start_arrangement(gov_estate, firm, TODAY - datetime.timedelta(days=30), contract_until=TODAY + datetime.timedelta(days=400))
    client.force_login(staff_user)
    contracts = panel(client.get(HOME).content.decode(), "contracts-ending")
    assert contracts and "data-arrangement=" not in contracts


def test_a_cms_editor_gets_no_governance_alerts(client, make_user, alerts):
    """Wrong person: an editor of the public site has no estate data on the home page."""
    client.force_login(make_user("13900007101", Role.CMS_EDITOR))
    html = client.get(HOME).content.decode()
    for testid in ("contracts-ending", "committee-filing", "overdue-decisions"):
        assert not panel(html, testid), testid


def test_the_home_page_runs_a_fixed_number_of_queries(client, gov_estate, staff_user, make_estate, alerts):
    client.force_login(staff_user)
    client.get(HOME)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(HOME).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):  # more alerts of every kind in the staff member's estate
        make_meeting(gov_estate, title=f"第{i}次联席会议")
    assert count() == before
