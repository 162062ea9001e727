"""One money format everywhere (issue 10 item 2): ¥14,514.13 on pages, in exports and PDFs; 大写 on documents;
the money audit reads as labels and values, never a dict, True or None."""

import datetime
import shutil
import subprocess
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.models import MoneyAudit, PaymentMethod, Receipt
from billing.money import format_rmb
from billing.pdf import receipt_pdf
from billing.services import invoice_void, payment_record
from estates.services import role_grant
from tests.billing.factories import bill, billed_estate
from tests.billing.fake_stripe import owner_with_bills
from tests.estates.factories import UserFactory

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed")


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("14514.1300000000"), "¥14,514.13"),
        (Decimal("0.5"), "¥0.50"),
        (Decimal("1234567"), "¥1,234,567.00"),
        (Decimal("-12"), "-¥12.00"),
        (None, "—"),
    ],
)
def test_format_rmb_is_the_one_money_format(amount, text):
    assert format_rmb(amount) == text


@pytest.fixture
def arrears(sync_groups):
    """Two unpaid bills whose sum SQLite returns as 14514.1300000000, and the estate's staff member."""
    estate, units = billed_estate(units=2, code="AM", rate=None)
    bills = [bill(units[0], Decimal("14000.00")), bill(units[1], Decimal("514.13"))]
    staff = UserFactory(mobile="13900000777")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=estate)
    return estate, bills, staff


def test_arrears_page_shows_amounts_as_money(client, arrears):
    estate, _bills, staff = arrears
    client.force_login(staff)
    html = client.get(reverse("billing_arrears:index")).content.decode()
    assert 'data-testid="arrears-total">¥14,514.13<' in html
    assert "14514.13" not in html  # neither ¥14514.1300000000 nor unseparated


def test_arrears_export_keeps_numbers_with_a_money_format(client, arrears):
    from openpyxl import load_workbook

    _estate, bills, staff = arrears
    client.force_login(staff)
    book = load_workbook(BytesIO(client.get(reverse("billing_arrears:export")).content))
    total = book["按楼栋 By building"].cell(row=2, column=7)
    assert total.value == Decimal("14514.13") or total.value == pytest.approx(14514.13)
    assert total.number_format == '"¥"#,##0.00'
    first = next(row for row in book["账单 Bills"].iter_rows(min_row=2) if row[0].value == bills[0].number)
    assert first[7].value == 14000 and first[7].number_format == '"¥"#,##0.00'


def test_staff_of_another_estate_see_none_of_these_arrears(client, arrears):
    other_estate, _ = billed_estate(units=1, code="AO", rate=None)
    other = UserFactory(mobile="13900000778")
    role_grant(user=other, role=Role.ESTATE_STAFF, estate=other_estate)
    client.force_login(other)
    html = client.get(reverse("billing_arrears:index")).content.decode()
    assert "¥14,514.13" not in html


def test_owner_sees_bills_and_the_portal_summary_as_money(client):
    user, _owner, _unit, _bills = owner_with_bills(mobile="13800000731", amounts=("14000.00", "514.13"))
    client.force_login(user)
    bills_page = client.get(reverse("portal_billing:bills")).content.decode()
    assert "¥14,000.00" in bills_page and "¥514.13" in bills_page
    home = client.get(reverse("portal_home")).content.decode()
    assert "14,514.13" in home and "14514.13" not in home


def test_bills_list_in_the_back_office_writes_money(client, arrears):
    _estate, _bills, staff = arrears
    client.force_login(staff)
    html = client.get(reverse("billing_invoice:index")).content.decode()
    assert "¥14,000.00" in html and "¥514.13" in html


def test_money_audit_reads_as_labels_and_values(client, arrears):
    """Staff read what changed: field labels and values, never a dict, a code, True or None."""
    estate, bills, staff = arrears
    payment_record(
        estate=estate,
        invoices=[bills[1]],
        amount=Decimal("514.13"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="付款人",
        reference="",
        recorded_by=staff,
    )
    invoice_void(invoice=bills[0], reason="重复开具", by=staff)
    client.force_login(staff)
    listing = client.get(reverse("billing_moneyaudit:index")).content.decode()
    for raw in ("{'", "{&#x27;", "'amount'", "&#x27;amount&#x27;", "payment_record", "invoice_void", ">None<", "True"):
        assert raw not in listing, raw
    assert "¥514.13" in listing and "¥14,000.00" in listing and "重复开具" in listing
    assert "现金" in listing  # the method's label, not "cash"

    audit = MoneyAudit.objects.get(action="payment_record")
    detail = client.get(reverse("billing_moneyaudit:inspect", args=[audit.pk])).content.decode()
    fields = detail[detail.index("<dl>") : detail.index("</dl>")]
    for raw in ("{", "&#x27;", "None", "True", "payment_record", "cash"):
        assert raw not in fields, raw
    assert f"{bills[1].number} ¥514.13" in fields and "¥514.13" in fields and "现金" in fields


def test_money_audit_of_another_estate_is_404(client, arrears):
    estate, bills, staff = arrears
    invoice_void(invoice=bills[0], reason="重复开具", by=staff)
    audit = MoneyAudit.objects.get(action="invoice_void")
    other_estate, _ = billed_estate(units=1, code="AP", rate=None)
    other = UserFactory(mobile="13900000779")
    role_grant(user=other, role=Role.ESTATE_STAFF, estate=other_estate)
    client.force_login(other)
    assert client.get(reverse("billing_moneyaudit:inspect", args=[audit.pk])).status_code == 404


@needs_poppler
def test_receipt_pdf_writes_the_total_as_money_and_in_capitals(tmp_path):
    user, owner, unit, bills = owner_with_bills(mobile="13800000732", amounts=("14000.00", "514.13"))
    payment = payment_record(
        estate=unit.building.estate,
        invoices=bills,
        amount=Decimal("14514.13"),
        method=PaymentMethod.CASH,
        received_at=timezone.make_aware(datetime.datetime(2026, 11, 3, 9, 5)),
        payer_name=owner.name,
        payer_user=user,
    )
    path = tmp_path / "r.pdf"
    path.write_bytes(receipt_pdf(Receipt.objects.get(payment=payment)))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "¥14,514.13" in text and "¥14,000.00" in text and "¥514.13" in text
    assert "壹万肆仟伍佰壹拾肆元壹角叁分" in text.replace(" ", "")
    assert "2026-11-03 09:05" in text  # Beijing time, as paid


def test_bills_list_export_keeps_amounts_numeric_with_a_money_format(client, arrears):
    from openpyxl import load_workbook

    _estate, bills, staff = arrears
    client.force_login(staff)
    response = client.get(reverse("billing_invoice:index") + "?export=xlsx")
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    total = rows[bills[1].number][6]
    assert total.value == pytest.approx(514.13) and total.number_format == '"¥"#,##0.00'
