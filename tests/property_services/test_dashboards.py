"""The operations dashboards of issue 14: the estate dashboard's "Work orders and governance" section and the
officers' area dashboards (sub-district, district) with charts and an Excel export.

A hand-made world: district 渝中区 with sub-districts 解放碑 (estates A and B) and 七星岗 (estate C), and another
district with estate X. The figures are worked out by hand below; every URL refuses the wrong persona; the
pages run a fixed number of queries at two sizes; the export opens in openpyxl and holds no formula.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from billing.models import Invoice
from estates.models import Building, Community, District, Estate, Subdistrict, Unit
from property_services.models import (
    Assembly,
    AssemblyStatus,
    JointMeeting,
    JointMeetingDecision,
    ManagementArrangement,
    OwnersCommittee,
    Provider,
    PublicIncomeStatement,
    WorkOrder,
    WorkOrderCategory,
)
from property_services.selectors.dashboards import Area, area_dashboard, sort_rows, units_by_estate

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TODAY = timezone.localdate()
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)


def place(code, name, sub, *, units=2):
    community, _ = Community.objects.get_or_create(code=f"C-{sub.code}", defaults={"subdistrict": sub, "name": f"{sub.name}社区"})
    estate = Estate.objects.create(community=community, code=code, name=name)
    building = Building.objects.create(estate=estate, number="1")
    Unit.objects.bulk_create(
        Unit(building=building, entrance=1, floor=1, number=f"{101 + i}", exclusive_area=Decimal("80.00")) for i in range(units)
    )
    return estate


_numbers = iter(range(1, 10_000))


def order(estate, category, *, ago, accepted=None, resolved=None, rating=None, status="submitted"):
    """An order reported ``ago`` hours before now, accepted/resolved that many hours after the report."""
    submitted = NOW - ago * H
    return WorkOrder.objects.create(
        estate=estate,
        number=f"WO-{estate.code}-{next(_numbers)}",
        category=category,
        description="漏水",
        place="二单元楼梯间",
        status=status,
        submitted_at=submitted,
        response_due_at=submitted + category.response_hours * H,
        completion_due_at=submitted + category.completion_hours * H,
        accepted_at=None if accepted is None else submitted + accepted * H,
        resolved_at=None if resolved is None else submitted + resolved * H,
        rating=rating,
        rating_reason="拖了很久" if rating and rating <= 2 else "",
    )


def bill(estate, *, total, paid="0.00", due_in_days=-10, kind="property_fee", status=None):
    unit = Unit.objects.filter(building__estate=estate).first()
    paid, total = Decimal(paid), Decimal(total)
    status = status or ("paid" if paid == total else "partially_paid" if paid else "overdue")
    n = next(_numbers)
    return Invoice.objects.create(
        estate=estate,
        unit=unit,
        source_type=ContentType.objects.get_for_model(Unit),
        source_id=n,
        charge_kind=kind,
        period=TODAY.replace(day=1),
        payer_name="业主",
        number=f"PF-{estate.code}-{n}",
        issued_on=TODAY - 40 * D,
        due_on=TODAY + due_in_days * D,
        total=total,
        paid_amount=paid,
        status=status,
    )


def arrangement(estate, model, *, ended_on=None):
    provider = Provider.objects.create(kind="service_centre", name=f"{estate.name}服务方")
    return ManagementArrangement.objects.create(
        estate=estate,
        model=model,
        provider=provider,
        starts_on=TODAY - 400 * D,
        ended_on=ended_on,
        authority_kind="subdistrict_decision",
        authority_reference="解放碑街道〔2025〕3号",
        authority_date=TODAY - 410 * D,
    )


@pytest.fixture
def world(make_user, sync_groups):
    district = District.objects.create(code="T-YZ", name="渝中区")
    jfb = Subdistrict.objects.create(district=district, code="T-YZ-1", name="解放碑街道")
    qxg = Subdistrict.objects.create(district=district, code="T-YZ-2", name="七星岗街道")
    far = Subdistrict.objects.create(
        district=District.objects.create(code="T-JB", name="江北区"), code="T-JB-1", name="观音桥街道"
    )
    a = place("A", "和平小区", jfb, units=3)
    b = place("B", "民生小区", jfb)
    c = place("C", "七星小区", qxg)
    x = place("X", "江北小区", far)

    leak_a = WorkOrderCategory.objects.create(estate=a, name="漏水", response_hours=2, completion_hours=24)
    leak_b = WorkOrderCategory.objects.create(estate=b, name="漏水", response_hours=2, completion_hours=24)
    order(a, leak_a, ago=48, accepted=1, resolved=10, rating=5, status="confirmed")  # in time, in time
    order(a, leak_a, ago=72, accepted=3, resolved=30, rating=1, status="confirmed")  # late, late
    order(a, leak_a, ago=3)  # unaccepted past its 2 hours: overdue, a missed response
    order(a, leak_a, ago=1)  # within its time: open, nothing decided yet
    order(a, leak_a, ago=30, status="closed")  # a duplicate closed unanswered: counts nowhere
    order(a, leak_a, ago=24 * 200, accepted=1, resolved=5, rating=1, status="closed")  # before the window
    order(b, leak_b, ago=50, accepted=1, resolved=20, rating=4, status="confirmed")

    bill(a, total="100.00", paid="100.00")
    bill(a, total="100.00")  # unpaid
    bill(a, total="200.00", paid="50.00", kind="maintenance_fund")
    bill(a, total="999.00", due_in_days=5, status="open")  # not yet due
    bill(a, total="500.00", status="void")  # cancelled
    bill(b, total="100.00", paid="100.00")

    arrangement(a, "professional")
    arrangement(b, "service_centre", ended_on=TODAY - D)  # ended yesterday: none in effect
    arrangement(c, "self_governance")
    arrangement(x, "professional")

    OwnersCommittee.objects.create(estate=a, elected_on=TODAY - 60 * D, term_ends_on=TODAY + 1000 * D)  # filing late
    OwnersCommittee.objects.create(
        estate=c, elected_on=TODAY - 60 * D, term_ends_on=TODAY + 1000 * D, filed_on=TODAY - 50 * D
    )  # filed in time
    PublicIncomeStatement.objects.create(
        estate=a,
        starts_on=TODAY - 200 * D,
        ends_on=TODAY - 110 * D,
        opening=Decimal("0"),
        income_total=Decimal("1000.00"),
        costs_total=Decimal("100.00"),
        closing=Decimal("900.00"),
        status="published",
    )
    PublicIncomeStatement.objects.create(
        estate=b,
        starts_on=TODAY - 200 * D,
        ends_on=TODAY - 110 * D,
        opening=Decimal("0"),
        income_total=Decimal("777.00"),
        costs_total=Decimal("0"),
        closing=Decimal("777.00"),
        status="draft",  # not published: not disclosed
    )
    Assembly.objects.create(
        estate=a,
        title="2027年第一次业主大会",
        meeting_on=TODAY + 20 * D,
        notice_on=TODAY - D,
        voting_opens_at=NOW + 14 * D,
        voting_closes_at=NOW + 20 * D,
        status=AssemblyStatus.CALLED,
    )
    meeting = JointMeeting.objects.create(estate=a, title="联席会议", held_on=TODAY - 30 * D, agenda="加装电梯")
    JointMeetingDecision.objects.create(
        meeting=meeting, text="更换二单元水泵", owner_kind="property_provider", owner_name="渝安物业", due_on=TODAY - 3 * D
    )
    JointMeetingDecision.objects.create(
        meeting=meeting, text="清理楼道", owner_kind="property_provider", owner_name="渝安物业", due_on=TODAY + 3 * D
    )

    return {
        "district": district,
        "jfb": jfb,
        "qxg": qxg,
        "far": far,
        "a": a,
        "b": b,
        "c": c,
        "x": x,
        "sub_officer": make_user("13900004101", Role.SUBDISTRICT_OFFICER, subdistrict=jfb),
        "qxg_officer": make_user("13900004102", Role.SUBDISTRICT_OFFICER, subdistrict=qxg),
        "district_officer": make_user("13900004103", Role.DISTRICT_OFFICER, district=district),
        "far_officer": make_user("13900004104", Role.DISTRICT_OFFICER, district=far.district),
        "staff": make_user("13900004105", Role.ESTATE_STAFF, estate=a),
        "committee": make_user("13900004106", Role.COMMITTEE_MEMBER, estate=a),
        "owner": make_user("13800004107", Role.OWNER),
        "admin": make_user("13900004108", Role.PLATFORM_ADMIN),
    }


def value(html: str, testid: str) -> str:
    """The data-value of the first element inside the row (or element) with this data-testid."""
    match = re.search(rf'data-testid="{testid}".*?data-value="([^"]*)"', html, flags=re.S)
    assert match, f"no value for {testid}"
    return match.group(1)


def area_url(kind, pk):
    return reverse("area_dashboard:area", args=[kind, pk])


# --- the estate dashboard's section ------------------------------------------------------------------


def test_the_estate_dashboard_shows_work_orders_and_governance(client, world):
    client.force_login(world["staff"])
    html = client.get(reverse("estates_estate:dashboard", args=[world["a"].pk])).content.decode()
    assert value(html, "orders-open") == "2"  # the two unanswered reports
    assert value(html, "orders-overdue") == "1"  # the one past its 2 hours
    assert value(html, "response-compliance") == "33.3"  # 1 in time of 3 decided (the overdue one is a miss)
    assert value(html, "completion-compliance") == "50.0"  # 1 of the 2 resolved; the open ones still have time
    assert value(html, "satisfaction") == "3.0"  # 5 and 1 in the window (the old 1 is outside it)
    assert "50.0%" in re.search(r'data-testid="satisfaction".*?</tr>', html, flags=re.S).group(0)
    # Due in the last year, not void: 100 + 100 + 200 billed, 100 + 150 unpaid.
    assert value(html, "arrears-rate") == "62.5"
    assert "2027年第一次业主大会" in html
    assert value(html, "overdue-decisions") == "1" and "更换二单元水泵" in html and "清理楼道" not in html


def test_the_committee_sees_the_section_without_the_arrears(client, world):
    client.force_login(world["committee"])
    html = client.get(reverse("estates_estate:dashboard", args=[world["a"].pk])).content.decode()
    assert 'data-testid="operations"' in html and 'data-testid="arrears-rate"' not in html


def test_the_estate_section_runs_a_fixed_number_of_queries_whatever_the_estates_size(client, world):
    client.force_login(world["admin"])
    client.get(reverse("estates_estate:dashboard", args=[world["x"].pk]))  # caches warmed (site, locale)
    counts = []
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("estates_estate:dashboard", args=[world["a"].pk])).status_code == 200
    counts.append(len(queries))
    big = world["a"]
    category = WorkOrderCategory.objects.get(estate=big)
    for n in range(30):
        order(big, category, ago=5 + n, accepted=1, resolved=3, rating=1 + n % 5, status="confirmed")
        bill(big, total="10.00", paid="10.00" if n % 2 else "0.00")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("estates_estate:dashboard", args=[big.pk])).status_code == 200
    counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- the area dashboards ---------------------------------------------------------------------------------


def test_a_subdistrict_officer_sees_the_figures_of_their_subdistrict(client, world):
    client.force_login(world["sub_officer"])
    index = client.get(reverse("area_dashboard:index"))
    assert index.status_code == 302 and index.url == area_url("subdistrict", world["jfb"].pk)
    html = client.get(index.url).content.decode()
    assert value(html, "coverage") == "50.0"  # A under a firm; B's arrangement ended yesterday
    assert 'data-model="professional" data-count="1"' in html and 'data-model="none" data-count="1"' in html
    assert value(html, "fee-collection") == "66.7"  # property fees: 300 billed and due, 100 unpaid
    assert value(html, "response") == "50.0"  # A: 1 of 3, B: 1 of 1
    assert value(html, "completion") == "66.7"  # A: 1 of 2, B: 1 of 1
    assert value(html, "satisfaction") == "3.3"  # 5, 1, 4
    assert value(html, "filings") == "1" and "和平小区" in html  # A's committee is not filed after 60 days
    assert value(html, "disclosed") == "1000.00"  # B's statement is a draft
    assert 'data-estate="A"' in html and 'data-estate="B"' in html
    assert 'data-estate="C"' not in html and 'data-estate="X"' not in html  # another sub-district, another district
    assert (
        html.count('<svg xmlns="http://www.w3.org/2000/svg" role="img" class="bar-chart"') == 4
        and 'data-testid="chart-coverage"' in html
    )
    assert '<g data-label="和平小区" data-value="50.0">' in html  # A's property fee collection: 100 of 200


def test_a_district_officer_sees_the_district_with_a_chart_per_subdistrict(client, world):
    client.force_login(world["district_officer"])
    index = client.get(reverse("area_dashboard:index"))
    assert index.status_code == 302 and index.url == area_url("district", world["district"].pk)
    html = client.get(index.url).content.decode()
    assert value(html, "coverage") == "66.7"  # A and C of A, B, C
    assert 'data-estate="C"' in html and 'data-estate="X"' not in html
    assert '<g data-label="解放碑街道" data-value="66.7">' in html  # fee collection by sub-district
    assert '<g data-label="七星岗街道" data-value="">' in html  # C billed nothing: no bar
    assert area_url("subdistrict", world["qxg"].pk) in html  # each sub-district's own page is a click away
    # The district officer may also open one of its sub-districts; not another district's.
    assert client.get(area_url("subdistrict", world["qxg"].pk)).status_code == 200
    assert client.get(area_url("subdistrict", world["far"].pk)).status_code == 404
    assert client.get(area_url("district", world["far"].district.pk)).status_code == 404


def test_the_figures_match_the_hand_count(world):
    d = area_dashboard(user=world["admin"], area=Area(kind="district", place=world["district"]), now=NOW)
    rows = {row.code: row for row in d.rows}
    assert set(rows) == {"A", "B", "C"}
    units_by_estate(d.rows)
    assert (rows["A"].units, rows["B"].units, rows["C"].units) == (3, 2, 2)
    a = rows["A"].orders
    assert (a.open, a.overdue, a.response_decided, a.response_in_time, a.completion_decided, a.completion_in_time) == (
        2,
        1,
        3,
        1,
        2,
        1,
    )
    assert (a.rated, a.rating_sum, a.low_rated) == (2, 6, 1)
    assert rows["A"].collection.billed == Decimal("400.00") and rows["A"].collection.unpaid == Decimal("250.00")
    assert rows["A"].collection.fee_collection_rate == Decimal("50.0")
    assert rows["B"].collection.fee_collection_rate == Decimal("100.0")
    assert rows["C"].collection.fee_collection_rate is None
    assert [(code, n) for code, _label, n, _share in d.coverage] == [
        ("professional", 1),
        ("service_centre", 0),
        ("self_governance", 1),
        ("", 1),
    ]
    assert d.orders.compliance == Decimal("57.1")  # (2 + 2) in time of (4 + 3) decided
    assert [c.estate_id for c in d.filings] == [world["a"].pk]
    assert d.income_disclosed == Decimal("1000.00") and d.estates_disclosing == 1
    # The league table: sorted by a figure, estates without it last whichever way.
    assert [r.code for r in sort_rows(d.rows, "-fee_collection")] == ["B", "A", "C"]
    assert [r.code for r in sort_rows(d.rows, "fee_collection")] == ["A", "B", "C"]
    assert [r.code for r in sort_rows(d.rows, "-open")] == ["A", "B", "C"]  # 2, 0, 0: ties by code
    assert [r.code for r in sort_rows(d.rows, "rating")][-1] == "C"


def test_the_league_table_sorts_and_pages(client, world):
    client.force_login(world["district_officer"])
    url = area_url("district", world["district"].pk)
    html = client.get(url + "?sort=-fee_collection").content.decode()
    assert html.index('data-estate="B"') < html.index('data-estate="A"') < html.index('data-estate="C"')
    html = client.get(url + "?sort=nonsense").content.decode()  # an unknown sort falls back to the code
    assert html.index('data-estate="A"') < html.index('data-estate="B"')


def test_a_platform_admin_chooses_among_every_area(client, world):
    client.force_login(world["admin"])
    page = client.get(reverse("area_dashboard:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "渝中区" in html and "江北区" in html and "观音桥街道" in html
    assert client.get(area_url("district", world["far"].district.pk)).status_code == 200


@pytest.mark.parametrize("persona", ["staff", "committee", "owner"])
def test_estate_staff_the_committee_and_owners_get_no_area_dashboard(client, world, persona):
    client.force_login(world[persona])
    for url in (
        reverse("area_dashboard:index"),
        area_url("subdistrict", world["jfb"].pk),
        area_url("district", world["district"].pk),
        reverse("area_dashboard:export", args=["subdistrict", world["jfb"].pk]),
    ):
        assert client.get(url).status_code in (302, 403), url  # owners are sent to the login page


def test_the_wrong_officer_and_anonymous_are_refused(client, world):
    client.force_login(world["qxg_officer"])
    assert client.get(area_url("subdistrict", world["jfb"].pk)).status_code == 404
    assert client.get(area_url("district", world["district"].pk)).status_code == 404
    assert client.get(reverse("area_dashboard:export", args=["subdistrict", world["jfb"].pk])).status_code == 404
    assert client.get(area_url("county", world["jfb"].pk)).status_code == 404
    assert client.get(area_url("subdistrict", world["qxg"].pk)).status_code == 200
    client.force_login(world["far_officer"])
    assert client.get(area_url("district", world["district"].pk)).status_code == 404
    client.logout()
    for url in (reverse("area_dashboard:index"), area_url("district", world["district"].pk)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


def test_the_export_opens_and_holds_text_never_formulas(client, world):
    Estate.objects.filter(pk=world["b"].pk).update(name='=HYPERLINK("http://evil.example/","点")')
    client.force_login(world["sub_officer"])
    response = client.get(reverse("area_dashboard:export", args=["subdistrict", world["jfb"].pk]) + "?sort=-fee_collection")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    table = workbook.worksheets[1]
    rows = list(table.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["B", "A"]  # as sorted on the page
    assert [r[3] for r in rows[1:]] == [2, 3]  # units
    assert rows[2][5] == 50.0 and rows[1][5] == 100.0  # fee collection, a number
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    assert rows[1][1] == '=HYPERLINK("http://evil.example/","点")'  # the text itself, unchanged
    assert table["B2"].data_type == "s"


def test_the_area_dashboard_runs_a_fixed_number_of_queries_whatever_the_number_of_estates(client, world):
    client.force_login(world["district_officer"])
    url = area_url("district", world["district"].pk)

    def count(target):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(target).status_code == 200
        return len(queries)

    small = (count(url), count(reverse("area_dashboard:export", args=["district", world["district"].pk])))
    for n in range(12):
        estate = place(f"N{n}", f"新小区{n}", world["qxg"], units=3)
        category = WorkOrderCategory.objects.create(estate=estate, name="漏水", response_hours=2, completion_hours=24)
        order(estate, category, ago=30, accepted=1, resolved=5, rating=4, status="confirmed")
        bill(estate, total="80.00", paid="40.00")
        arrangement(estate, "service_centre")
        OwnersCommittee.objects.create(estate=estate, elected_on=TODAY - 40 * D, term_ends_on=TODAY + 900 * D)
    large = (count(url), count(reverse("area_dashboard:export", args=["district", world["district"].pk])))
    assert small == large, (small, large)


def test_an_area_without_estates_shows_an_empty_table(client, world):
    empty = Subdistrict.objects.create(district=world["district"], code="T-YZ-9", name="新设街道")
    client.force_login(world["district_officer"])
    html = client.get(area_url("subdistrict", empty.pk)).content.decode()
    assert 'data-testid="league"' in html and "data-estate=" not in html
    assert value(html, "coverage") == "" and value(html, "fee-collection") == ""  # nothing to measure: "—"
