"""The one-page unit record in the back office (issue 10 item 8): owners masked with the logged
reveal, bills, payments with their receipt PDFs, ballots; linked from every list that shows a unit;
another estate's staff get 404; a fixed number of queries however many bills the unit has."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.models import Invoice, PaymentMethod
from billing.services import billing_run_execute, billing_run_start, payment_record
from estates.models import Ownership, PersonalDataAccess
from property_services.models import Assembly, AssemblyMatter, AssemblyStatus, Ballot, VoterDesignation
from tests.billing.factories import bill, billed_estate

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)


def record_url(unit) -> str:
    return reverse("estates_unit:record", args=[unit.pk])


@pytest.fixture
def world(make_user):
    estate_x, units_x = billed_estate(units=2, code="URX")
    estate_y, units_y = billed_estate(units=1, code="URY")
    billing_run_execute(run=billing_run_start(period=THIS_MONTH, estate=estate_x))
    unit = units_x[0]
    invoice = Invoice.objects.get(unit=unit)
    payment = payment_record(
        estate=estate_x,
        invoices=[invoice],
        amount=invoice.total,
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="付款人",
    )
    owner = Ownership.objects.select_related("owner").get(unit=unit).owner
    assembly = Assembly.objects.create(
        estate=estate_x,
        title="加装电梯业主大会",
        meeting_on=timezone.localdate(),
        notice_on=timezone.localdate() - datetime.timedelta(days=20),
        voting_opens_at=timezone.now() - datetime.timedelta(days=2),
        voting_closes_at=timezone.now() + datetime.timedelta(days=2),
        status=AssemblyStatus.CALLED,
    )
    matter = AssemblyMatter.objects.create(assembly=assembly, matter="other_major", title="更换门禁")
    Ballot.objects.create(matter=matter, owner=owner, choice="yes", channel="paper", paper_reference="P-0007")
    other_owner = Ownership.objects.select_related("owner").get(unit=units_x[1]).owner
    Ballot.objects.create(matter=matter, owner=other_owner, choice="no", channel="online")
    return {
        "x": estate_x,
        "y": estate_y,
        "unit": unit,
        "unit_y": units_y[0],
        "invoice": invoice,
        "payment": payment,
        "owner": owner,
        "other_owner": other_owner,
        "staff_x": make_user("13900007001", Role.ESTATE_STAFF, estate=estate_x),
        "staff_y": make_user("13900007002", Role.ESTATE_STAFF, estate=estate_y),
        "officer": make_user("13900007003", Role.SUBDISTRICT_OFFICER, subdistrict=estate_x.community.subdistrict),
    }


def test_staff_see_owners_masked_bills_payments_with_receipt_and_ballots(client, world):
    client.force_login(world["staff_x"])
    response = client.get(record_url(world["unit"]))
    assert response.status_code == 200
    html = response.content.decode()
    owner = world["owner"]
    assert owner.name in html
    assert owner.id_number_masked in html and owner.get_id_number() not in html  # masked
    assert owner.get_phone() not in html
    assert reverse("estates_owner:reveal", args=[owner.pk]) in html  # staff may reveal (logged)
    assert world["invoice"].number in html
    receipt = world["payment"].receipt
    assert receipt.number in html and reverse("billing_receipt_pdf", args=[receipt.pk]) in html
    assert "加装电梯业主大会" in html and "P-0007" in html
    # The unit's own ballot, not the neighbour's: the other owner's name is not in the ballots.
    ballots = html.split('data-testid="unit-ballots"')[1]
    assert owner.name in ballots and world["other_owner"].name not in ballots


def test_reveal_from_the_record_is_logged(client, world):
    client.force_login(world["staff_x"])
    owner = world["owner"]
    url = reverse("estates_owner:reveal", args=[owner.pk])
    response = client.post(url, {"field": "id_number", "reason": "核对产权证"})
    assert owner.get_id_number() in response.content.decode()
    assert PersonalDataAccess.objects.filter(owner=owner, user=world["staff_x"], reason="核对产权证").exists()


def test_officer_sees_the_record_without_the_reveal_button(client, world):
    client.force_login(world["officer"])
    html = client.get(record_url(world["unit"])).content.decode()
    assert world["invoice"].number in html
    assert reverse("estates_owner:reveal", args=[world["owner"].pk]) not in html


def test_staff_of_another_estate_get_404(client, world):
    """Wrong person refused: staff of estate Y cannot open (or learn of) a unit of estate X, nor its receipt."""
    client.force_login(world["staff_y"])
    assert client.get(record_url(world["unit"])).status_code == 404
    receipt = world["payment"].receipt
    assert client.get(reverse("billing_receipt_pdf", args=[receipt.pk])).status_code == 404
    assert client.get(record_url(world["unit_y"])).status_code == 200


def test_an_owner_without_a_back_office_role_is_refused(client, world, make_user):
    client.force_login(make_user("13800007009", Role.OWNER))
    response = client.get(record_url(world["unit"]))
    assert response.status_code in (302, 403, 404)
    assert world["invoice"].number not in response.content.decode()


def test_staff_download_the_receipt_pdf(client, world):
    client.force_login(world["staff_x"])
    receipt = world["payment"].receipt
    response = client.get(reverse("billing_receipt_pdf", args=[receipt.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_every_list_that_shows_a_unit_links_to_its_record(client, world):
    client.force_login(world["staff_x"])
    unit = world["unit"]
    link = f'href="{record_url(unit)}"'
    VoterDesignation.objects.create(unit=unit, owner=world["owner"], agreement_reference="约定-1")
    lists = (
        "estates_unit:index",
        "estates_ownership:index",
        "billing_invoice:index",
        "billing_payment:index",
        "property_services_voterdesignation:index",
    )
    for name in lists:
        html = client.get(reverse(name)).content.decode()
        assert link in html, name
    for url in (
        reverse("billing_invoice:inspect", args=[world["invoice"].pk]),
        reverse("billing_payment:inspect", args=[world["payment"].pk]),
    ):
        assert link in client.get(url).content.decode(), url


def test_the_record_runs_a_fixed_number_of_queries_however_many_bills(client, world):
    client.force_login(world["staff_x"])
    unit = world["unit"]
    client.get(record_url(unit))  # warm caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(record_url(unit)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for month in range(1, 25):
        invoice = bill(unit, Decimal("10.00"), period=datetime.date(2020 + month // 12, 1 + month % 12, 1))
        payment_record(
            estate=world["x"],
            invoices=[invoice],
            amount=Decimal("10.00"),
            method=PaymentMethod.CASH,
            received_at=timezone.now(),
            payer_name="付款人",
        )
    assert Invoice.objects.filter(unit=unit).count() == 25
    assert count() == few
