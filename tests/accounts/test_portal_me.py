"""我的 and the property office contact in the owners' portal (issue 10 items 4 and 7): every portal
page carries the bottom tab bar; the personal page shows one's own flats, whom to call at the
property office of one's own estate (never another estate's), the public site and logging out."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from estates.models import Owner, Ownership, Unit
from property_services.models import ManagementArrangement, ProviderContact
from tests.property_services.conftest import FIRM2_CODE, make_provider

pytestmark = pytest.mark.django_db

TABS = ["/portal/", "/portal/bills/", "/portal/governance/", "/portal/notices/", "/portal/me/"]


def own(estate, user, units=1):
    owner = Owner.objects.create(estate=estate, name=user.name, user=user)
    for unit in Unit.objects.filter(building__estate=estate).order_by("pk")[:units]:
        Ownership.objects.create(unit=unit, owner=owner, share=1, since=datetime.date(2010, 1, 1))
    return owner


def manage(estate, name, phone, code=None):
    firm = make_provider(name=name, **({"code": code} if code else {}))
    firm.service_phone = phone
    firm.save(update_fields=["service_phone"])
    ProviderContact.objects.create(provider=firm, name=f"{name[:2]}经理", position="项目经理", work_phone=phone)
    ManagementArrangement.objects.create(
        estate=estate,
        model="professional",
        provider=firm,
        starts_on=datetime.date(2020, 1, 1),
        authority_kind="assembly_resolution",
        authority_reference="2020-1",
        authority_date=datetime.date(2019, 12, 1),
    )
    return firm


@pytest.fixture
def owners(make_estate, make_user):
    estate_a = make_estate("ME1", name="金汤街小区", area=Decimal("70.00"))
    estate_b = make_estate("ME2", name="通远门小区", area=Decimal("60.00"))
    a = make_user("13800008001", Role.OWNER, name="陈建华")
    b = make_user("13800008002", Role.OWNER, name="刘秀英")
    own(estate_a, a)
    own(estate_b, b)
    return estate_a, a, estate_b, b


def test_me_shows_my_flats_my_property_office_and_the_public_site(client, owners):
    estate_a, a, estate_b, b = owners
    manage(estate_a, "重庆渝安物业服务有限公司", "023-63000001")
    manage(estate_b, "重庆新城物业服务有限公司", "023-63000002", code=FIRM2_CODE)
    client.force_login(a)

    html = client.get("/portal/me/").content.decode()

    office = html.split('data-testid="property-office"', 1)[1].split("</ul>", 1)[0]
    assert "重庆渝安物业服务有限公司" in office and 'href="tel:023-63000001"' in office
    assert "重庆新城物业服务有限公司" not in html and "023-63000002" not in html  # not another estate's office
    assert "金汤街小区" in html.split('data-testid="my-units"', 1)[1] and "通远门小区" not in html
    assert 'data-testid="public-home"' in html and 'action="/accounts/logout/"' in html


def test_without_an_arrangement_the_estate_itself_is_shown(client, owners):
    estate_a, a, *_ = owners
    client.force_login(a)

    office = client.get("/portal/").content.decode().split('data-testid="property-office"', 1)[1].split("</ul>", 1)[0]

    assert "金汤街小区" in office and "tel:" not in office


def test_every_portal_tab_page_has_the_five_tabs_and_marks_its_own(client, owners):
    _estate_a, a, *_ = owners
    client.force_login(a)
    for url in TABS:
        html = client.get(url).content.decode()
        bar = html.split('data-testid="tabbar"', 1)[1].split("</nav>", 1)[0]
        assert [href for href in TABS if f'href="{href}"' in bar] == TABS, url
        assert f'href="{url}" aria-current="page"' in bar, url


def test_me_sends_an_anonymous_visitor_to_log_in(client):
    response = client.get("/portal/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _count(client, url) -> int:
    client.get(url)  # warm up: the session and Wagtail's cached site root paths
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/portal/", "/portal/me/"])
def test_home_and_me_run_the_same_queries_for_1_and_many_flats_and_estates(
    client, make_estate, make_user, url, django_assert_num_queries
):
    user = make_user("13800008009", Role.OWNER, name="多套房业主")
    first = make_estate("MQ0", units_per_building=2)
    own(first, user)
    manage(first, "重庆渝安物业服务有限公司", "023-1")
    client.force_login(user)
    one = _count(client, url)
    for i in range(1, 8):
        estate = make_estate(f"MQ{i}", units_per_building=4)
        own(estate, user, units=3)

    with django_assert_num_queries(one):
        client.get(url)


def test_the_home_asks_once_which_flats_the_owner_holds(client, owners):
    """Several sections of the home show only to someone holding a flat today (my flats, repairs, the fund,
    assemblies, entrusting a flat): the current ownerships are read once for all of them (issue 16)."""
    estate_a, a, *_ = owners
    manage(estate_a, "重庆渝安物业服务有限公司", "023-63000001")
    client.force_login(a)
    client.get("/portal/")  # warm up: the session and Wagtail's cached site root paths

    with CaptureQueriesContext(connection) as queries:
        html = client.get("/portal/").content.decode()

    ownership_lists = [q["sql"] for q in queries if q["sql"].split(" FROM ", 1)[1].startswith('"estates_ownership"')]
    assert len(ownership_lists) == 1, ownership_lists
    assert len(queries) <= 13  # the session, the person and eleven for the sections (16 before issue 16)
    for section in ("my-units", "property-office"):
        assert f'data-testid="{section}"' in html
