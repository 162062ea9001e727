"""Owners' monthly statements and payouts: the arithmetic to the fen (agency, guaranteed rent, renovation recovery
ending mid-term, early return), the payout never later than the rent that funds it, idempotence, the monthly task,
the PDF, and who may open every page."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from billing.models import Invoice, Payee, PayeeAssignment, PayeeMoney, Refund
from billing.services.invoices import invoice_create_for_source
from billing.services.payments import payment_record
from billing.services.refunds import refund_record
from rentals.cycles import lease_cycles, lease_end
from rentals.models import AgreementMode, AgreementStatus, EntrustmentAgreement, Lease, OwnerPayout, OwnerStatement, PayoutStatus
from rentals.recovery import add_months, equal_schedule
from rentals.services.statements import owner_statement_make, payout_due_on, payout_record_paid
from rentals.statements import RentLine, commission_of, month_figures

from .factories import entrustment_row, owner_of

D = Decimal
START = datetime.date(2026, 1, 1)
TODAY = datetime.date(2026, 12, 1)
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed")


# --- pure arithmetic (no database) --------------------------------------------------------------------------


def terms(mode="agency", **kw):
    base = {
        "mode": mode,
        "start_on": START,
        "end_on": add_months(START, 12),
        "ended_on": None,
        "repaid_on_return": None,
        "rent_free_months": 0,
        "commission_percent": D("8.00") if mode == "agency" else None,
        "guaranteed_rent": D("1500.00") if mode == "sublet" else None,
        "renovation_budget": D("0.00"),
        "recovery_schedule": [],
    }
    return SimpleNamespace(**(base | kw))


def code_of(error: ValidationError) -> str:
    """The refusal's code, on a field or not."""
    if hasattr(error, "error_dict"):
        return next(iter(error.error_dict.values()))[0].code
    return error.code


def line(day, amount, bill="FR1"):
    return RentLine(on=day, amount=D(amount), bill=bill)


def test_commission_is_rounded_half_up_to_the_fen():
    assert commission_of(D("0.10"), D("5")) == D("0.01")  # 0.005: half up, not to even
    assert commission_of(D("1234.50"), D("8.50")) == D("104.93")  # 104.9325
    assert commission_of(D("1006.25"), D("8.00")) == D("80.50")


def test_agency_rent_collected_is_cash_in_the_month_less_refunds_then_commission_and_what_the_owner_keeps():
    figures = month_figures(
        terms(),
        datetime.date(2026, 3, 1),
        [
            line(datetime.date(2026, 3, 5), "2000.00"),
            line(datetime.date(2026, 3, 20), "1333.33"),
            line(datetime.date(2026, 3, 25), "-100.00"),
        ],
    )
    assert figures.rent_collected == D("3233.33")
    assert figures.commission == D("258.67")  # 3233.33 × 8 % = 258.6664
    assert figures.recovery == D("0.00")
    assert figures.payout == D("2974.66")
    assert figures.owed_by_owner == D("0.00") and figures.owner_bill == D("258.67")


def test_renovation_recovery_ends_mid_term_and_a_month_short_of_rent_leaves_the_owner_owing():
    schedule = equal_schedule(budget=D("3000.01"), months=3, first_month=3)  # months 3–5 of a 12-month term
    agreement = terms(rent_free_months=2, renovation_budget=D("3000.01"), recovery_schedule=schedule)
    march = month_figures(agreement, datetime.date(2026, 3, 1), [line(datetime.date(2026, 3, 5), "500.00")])
    assert (march.month_index, march.recovery, march.commission) == (3, D("1000.01"), D("40.00"))
    assert march.payout == D("-540.01") and march.owed_by_owner == D("540.01")  # carried as owed by the owner
    assert march.owner_bill == D("1040.01")
    assert march.unrecovered_after == D("2000.00")
    may = month_figures(agreement, datetime.date(2026, 5, 1), [line(datetime.date(2026, 5, 5), "2000.00")])
    assert may.recovery == D("1000.00") and may.unrecovered_after == D("0.00")
    june = month_figures(agreement, datetime.date(2026, 6, 1), [line(datetime.date(2026, 6, 5), "2000.00")])
    assert june.recovery == D("0.00")  # the schedule has run out; the term goes on
    assert june.payout == D("1840.00") and june.unrecovered_after == D("0.00")


def test_guaranteed_rent_every_month_after_the_rent_free_months_let_or_not():
    agreement = terms(
        "sublet",
        rent_free_months=2,
        renovation_budget=D("1200.00"),
        recovery_schedule=equal_schedule(budget=D("1200.00"), months=12 - 2, first_month=3),
    )
    january = month_figures(agreement, datetime.date(2026, 1, 1))
    assert january.guaranteed_rent == D("0.00") and january.payout == D("0.00")
    march = month_figures(agreement, datetime.date(2026, 3, 1), [line(datetime.date(2026, 3, 5), "9999.00")])
    assert march.guaranteed_rent == D("1500.00") and march.payout == D("1500.00")  # tenants' rent does not enter it
    assert march.rent_collected == D("0.00")
    assert march.recovery == D("120.00") and march.unrecovered_after == D("1080.00")  # for information


def test_early_return_pro_rates_the_guaranteed_rent_and_shows_the_repayment():
    schedule = equal_schedule(budget=D("1200.00"), months=10, first_month=3)
    agreement = terms(
        "sublet",
        rent_free_months=2,
        renovation_budget=D("1200.00"),
        recovery_schedule=schedule,
        ended_on=datetime.date(2026, 7, 11),
        repaid_on_return=D("720.00"),  # months 3–6 recovered (480.00)
    )
    june = month_figures(agreement, datetime.date(2026, 6, 1))
    assert june.guaranteed_rent == D("1500.00") and june.repayment_due is None and june.unrecovered_after == D("720.00")
    july = month_figures(agreement, datetime.date(2026, 7, 1))
    assert (july.days_held, july.days_in_month) == (10, 31)
    assert july.guaranteed_rent == D("483.87")  # 1500 × 10 / 31 = 483.870…
    assert july.recovery == D("0.00")  # July's instalment is in the repayment, not recovered from rent
    assert july.repayment_due == D("720.00") and july.unrecovered_after == D("0.00")


def test_early_return_in_agency_stops_the_instalments():
    schedule = equal_schedule(budget=D("1200.00"), months=12)
    agreement = terms(
        renovation_budget=D("1200.00"),
        recovery_schedule=schedule,
        ended_on=datetime.date(2026, 4, 16),
        repaid_on_return=D("900.00"),
    )
    march = month_figures(agreement, datetime.date(2026, 3, 1), [line(datetime.date(2026, 3, 1), "1000.00")])
    assert march.recovery == D("100.00") and march.payout == D("820.00")
    april = month_figures(agreement, datetime.date(2026, 4, 1), [line(datetime.date(2026, 4, 1), "1000.00")])
    assert april.recovery == D("0.00") and april.repayment_due == D("900.00") and april.payout == D("920.00")


# --- with the database ----------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def agreement_of(flat, owner, *, mode="agency", payee=None, operator_payee=None, **kw) -> EntrustmentAgreement:
    entrustment = entrustment_row(flat, "accepted", owner=owner)
    values = {
        "estate_id": entrustment.estate_id,
        "entrustment": entrustment,
        "unit": flat,
        "owner": owner,
        "number": f"CFS{entrustment.pk:07d}",
        "mode": mode,
        "start_on": START,
        "term_years": 1,
        "end_on": add_months(START, 12),
        "commission_percent": D("8.00") if mode == "agency" else None,
        "guaranteed_rent": D("1500.00") if mode == "sublet" else None,
        "owner_payee": payee,
        "operator_payee": operator_payee,
        "status": AgreementStatus.ACTIVE,
        "offered_by": entrustment.applied_by,
    }
    return EntrustmentAgreement.objects.create(**(values | kw))


def lease_of(agreement, *, start=START, months=12, rent="2000.00", cycle_months=1, rent_day=5, payee=None) -> Lease:
    lease = Lease(
        estate_id=agreement.estate_id,
        agreement=agreement,
        unit=agreement.unit,
        number=f"ZL{agreement.pk:05d}{Lease.objects.count():03d}",
        tenant_name="李租客",
        occupants=1,
        start_on=start,
        end_on=lease_end(start, months),
        monthly_rent=D(rent),
        rent_day=rent_day,
        cycle_months=cycle_months,
        rent_payee=payee or agreement.owner_payee,
        status="active",
        created_by=agreement.offered_by,
    )
    lease.set_tenant_mobile("13700001111")
    lease.set_tenant_id_number("11010519491231002X")
    lease.save()
    return lease


def rent_bills(lease) -> list[Invoice]:
    return [
        invoice_create_for_source(
            source=lease,
            estate=lease.estate,
            unit=lease.unit,
            charge_kind="flat_rent",
            period=cycle.period,
            payer_name=lease.tenant_name,
            lines=[("租金", D(cycle.months), lease.monthly_rent)],
            due_on=cycle.due_on,
            payee=lease.rent_payee,
        )
        for cycle in lease_cycles(lease)
    ]


def pay(bill, amount, day: datetime.date, reference: str):
    from accounts.formats import PEOPLE_TIME_ZONE

    return payment_record(
        estate=bill.estate,
        invoices=[bill],
        amount=D(amount),
        method="bank_transfer",
        received_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=PEOPLE_TIME_ZONE),
        reference=reference,
        payer_name="李租客",
    )


@pytest.fixture
def owner(owner_user):
    return owner_user.owner_records.get()


@pytest.fixture
def operator(estate):
    return Payee.objects.create(estate=estate, legal_name="安居运营公司", supervised=True)


@pytest.fixture
def agency(flat, owner, payee, operator):
    schedule = equal_schedule(budget=D("300.00"), months=3, first_month=2)  # months 2–4
    return agreement_of(
        flat, owner, payee=payee, operator_payee=operator, renovation_budget=D("300.00"), recovery_schedule=schedule
    )


def test_agency_statement_lists_the_rent_paid_to_the_owner_and_bills_the_commission_and_instalment(agency, operator):
    lease = lease_of(agency)
    bills = rent_bills(lease)
    pay(bills[1], "2000.00", datetime.date(2026, 1, 30), "B-FEB")  # February's rent paid in January: counts in January
    pay(bills[2], "1500.00", datetime.date(2026, 2, 20), "B-MAR1")
    payment = pay(bills[2], "500.00", datetime.date(2026, 2, 25), "B-MAR2")
    refund = refund_record(payment=payment, amount=D("200.00"), reason="多付", invoice=bills[2])
    Refund.objects.filter(pk=refund.pk).update(created_at=datetime.datetime(2026, 2, 26, 4, tzinfo=datetime.UTC))

    statement = owner_statement_make(agreement=agency, period=datetime.date(2026, 2, 1), today=TODAY)
    assert statement.rent_collected == D("1800.00")  # 1500 + 500 − 200, cash basis
    assert (statement.commission, statement.recovery) == (D("144.00"), D("100.00"))
    assert statement.payout == D("1556.00")
    bill = statement.owner_invoice
    assert bill.charge_kind == "rental_service" and bill.total == D("244.00")
    assert bill.payer_owner_id == agency.owner_id and bill.payee_id == operator.pk
    # No payout in agency: the rent already went to the owner's payee (住房租赁条例 Arts. 25, 36).
    assert not OwnerPayout.objects.exists()
    january = owner_statement_make(agreement=agency, period=datetime.date(2026, 1, 1), today=TODAY)
    assert january.rent_collected == D("2000.00") and january.recovery == D("0.00")


def test_the_owner_bill_goes_to_the_estates_fee_payee_without_an_operator_payee(flat, owner, payee, estate, staff):
    fees = Payee.objects.create(estate=estate, legal_name="物业服务中心")
    PayeeAssignment.objects.create(estate=estate, money=PayeeMoney.FEES, payee=fees, valid_from=datetime.date(2020, 1, 1))
    agreement = agreement_of(flat, owner, payee=payee)
    pay(rent_bills(lease_of(agreement))[0], "2000.00", datetime.date(2026, 1, 3), "B-1")
    statement = owner_statement_make(agreement=agreement, period=datetime.date(2026, 1, 1), by=staff, today=TODAY)
    assert statement.owner_invoice.payee_id == fees.pk and statement.owner_invoice.total == D("160.00")


def test_no_bill_when_nothing_is_owed(agency):
    statement = owner_statement_make(agreement=agency, period=datetime.date(2026, 1, 1), today=TODAY)
    assert statement.rent_collected == D("0.00") and statement.owner_invoice is None


def test_a_statement_is_made_once(agency):
    pay(rent_bills(lease_of(agency))[1], "2000.00", datetime.date(2026, 2, 3), "B-2")
    first = owner_statement_make(agreement=agency, period=datetime.date(2026, 2, 1), today=TODAY)
    again = owner_statement_make(agreement=agency, period=datetime.date(2026, 2, 1), today=TODAY)
    assert first.pk == again.pk
    assert OwnerStatement.objects.count() == 1 and Invoice.objects.filter(charge_kind="rental_service").count() == 1


@pytest.mark.parametrize(
    ("period", "code"),
    [
        (datetime.date(2026, 11, 1), "month_not_ended"),  # November ends on 30 Nov; "today" is 15 Nov
        (datetime.date(2025, 12, 1), "outside_term"),
        (datetime.date(2027, 1, 1), "outside_term"),
    ],
)
def test_a_month_not_ended_or_outside_the_term_is_refused(agency, period, code):
    with pytest.raises(ValidationError) as refused:
        owner_statement_make(
            agreement=agency,
            period=period,
            today=datetime.date(2026, 11, 15) if code == "month_not_ended" else datetime.date(2027, 6, 1),
        )
    assert code_of(refused.value) == code and not OwnerStatement.objects.exists()


def test_staff_of_another_estate_cannot_make_a_statement(agency, other_staff):
    with pytest.raises(ValidationError) as refused:
        owner_statement_make(agreement=agency, period=datetime.date(2026, 1, 1), by=other_staff, today=TODAY)
    assert code_of(refused.value) == "forbidden"


@pytest.fixture
def sublet(flat, owner, payee, operator):
    return agreement_of(flat, owner, mode="sublet", payee=payee, operator_payee=operator, rent_free_months=1)


def test_sublet_guaranteed_rent_becomes_a_payout_to_the_owners_payee_let_or_not(sublet, payee):
    statement = owner_statement_make(agreement=sublet, period=datetime.date(2026, 2, 1), today=TODAY)
    assert (statement.guaranteed_rent, statement.payout, statement.owner_invoice) == (D("1500.00"), D("1500.00"), None)
    payout = statement.payout_record
    assert (payout.amount, payout.payee_id, payout.status) == (D("1500.00"), payee.pk, PayoutStatus.DUE)
    assert payout.due_on == datetime.date(2026, 2, 10)  # unlet: the month's payout day
    rent_free = owner_statement_make(agreement=sublet, period=datetime.date(2026, 1, 1), today=TODAY)
    assert rent_free.payout == D("0.00") and not OwnerPayout.objects.filter(statement=rent_free).exists()


def test_the_payout_day_is_a_setting(sublet, settings):
    settings.ANJU_RENTAL_PAYOUT_DAY = 15
    statement = owner_statement_make(agreement=sublet, period=datetime.date(2026, 2, 1), today=TODAY)
    assert statement.payout_record.due_on == datetime.date(2026, 2, 15)


def test_the_payout_is_never_due_later_than_the_quarterly_rent_that_funds_it(sublet, operator):
    """2021 national opinion on rental companies (建房规〔2021〕2号): the owner's payout may not be due later than the
    tenant's rent that funds it. Rent here is collected a quarter at a time on the 5th (Mar–May due 1 Mar, the
    lease's first day; Jun–Aug due 5 May)."""
    lease = lease_of(sublet, start=datetime.date(2026, 3, 1), months=6, cycle_months=3, rent_day=5, payee=operator)
    assert [c.due_on for c in lease_cycles(lease)] == [datetime.date(2026, 3, 1), datetime.date(2026, 5, 5)]
    due = {m: payout_due_on(agreement=sublet, period=datetime.date(2026, m, 1)) for m in (2, 3, 4, 5, 6, 7, 9)}
    assert due == {
        2: datetime.date(2026, 2, 10),  # not let: the payout day
        3: datetime.date(2026, 3, 1),
        4: datetime.date(2026, 3, 1),  # April's rent was due on 1 March: so is April's payout
        5: datetime.date(2026, 3, 1),
        6: datetime.date(2026, 5, 5),
        7: datetime.date(2026, 5, 5),
        9: datetime.date(2026, 9, 10),  # the lease has ended
    }
    statement = owner_statement_make(agreement=sublet, period=datetime.date(2026, 4, 1), today=TODAY)
    assert statement.payout_record.due_on == datetime.date(2026, 3, 1)


def test_monthly_rent_paid_in_advance_brings_the_payout_forward(sublet, operator):
    """建房规〔2021〕2号: April's rent is due on 3 March (in advance, on the rent day before the month starts), so
    April's payout is due then too, not on 10 April."""
    lease_of(sublet, start=datetime.date(2026, 2, 1), months=6, rent_day=3, payee=operator)
    assert payout_due_on(agreement=sublet, period=datetime.date(2026, 4, 1)) == datetime.date(2026, 3, 3)


def test_a_sublet_without_the_owners_payee_is_refused(flat, owner):
    agreement = agreement_of(flat, owner, mode="sublet")
    with pytest.raises(ValidationError) as refused:
        owner_statement_make(agreement=agreement, period=datetime.date(2026, 2, 1), today=TODAY)
    assert code_of(refused.value) == "owner_payee" and not OwnerStatement.objects.exists()


def test_early_return_month_statement_shows_the_repayment(sublet):
    EntrustmentAgreement.objects.filter(pk=sublet.pk).update(
        status=AgreementStatus.RETURNED_EARLY, ended_on=datetime.date(2026, 7, 11), repaid_on_return=D("0.00")
    )
    sublet.refresh_from_db()
    statement = owner_statement_make(agreement=sublet, period=datetime.date(2026, 7, 1), today=TODAY)
    assert statement.payout_record.amount == D("483.87")
    with pytest.raises(ValidationError) as refused:
        owner_statement_make(agreement=sublet, period=datetime.date(2026, 8, 1), today=TODAY)
    assert code_of(refused.value) == "outside_term"


def test_the_payout_is_made_when_its_month_starts_so_it_is_never_overdue_when_it_appears(sublet, payee, operator):
    """建房规〔2021〕2号: the payout falls due inside its month (or earlier, with the rent that funds it); it is made on the
    month's first day — not with the statement after the month has ended — and the statement then joins it."""
    from rentals.services.statements import sublet_payouts_make
    from rentals.statement_tasks import owner_statements_monthly

    owner_statements_monthly(today="2026-03-01")  # February's statement; March's payout
    march = OwnerPayout.objects.get(agreement=sublet, period=datetime.date(2026, 3, 1))
    assert march.statement is None and march.status == PayoutStatus.DUE
    assert (march.amount, march.payee_id, march.due_on) == (D("1500.00"), payee.pk, datetime.date(2026, 3, 10))
    assert march.due_on >= datetime.date(2026, 3, 1)  # not overdue on the day it is made
    assert sublet_payouts_make(period=datetime.date(2026, 3, 1)) == 0  # once per month
    assert sublet_payouts_make(period=datetime.date(2026, 1, 1)) == 0  # the rent-free month owes nothing

    statement = owner_statement_make(agreement=sublet, period=datetime.date(2026, 3, 1), today=TODAY)

    assert statement.payout_record == march and OwnerPayout.objects.filter(agreement=sublet).count() == 2


def test_recording_a_payout_paid_once(sublet, staff, other_staff):
    payout = owner_statement_make(agreement=sublet, period=datetime.date(2026, 2, 1), today=TODAY).payout_record
    with pytest.raises(ValidationError):
        payout_record_paid(payout=payout, paid_on=datetime.date(2026, 2, 9), reference="T1", by=other_staff)
    with pytest.raises(ValidationError) as refused:
        payout_record_paid(payout=payout, paid_on=datetime.date(2026, 2, 9), reference=" ", by=staff)
    assert code_of(refused.value) == "reference"
    paid = payout_record_paid(payout=payout, paid_on=datetime.date(2026, 2, 9), reference="T1", by=staff)
    assert (paid.status, paid.paid_on, paid.reference, paid.paid_by_id) == (
        PayoutStatus.PAID,
        datetime.date(2026, 2, 9),
        "T1",
        staff.pk,
    )
    with pytest.raises(ValidationError) as refused:
        payout_record_paid(payout=payout, paid_on=datetime.date(2026, 2, 9), reference="T2", by=staff)
    assert code_of(refused.value) == "already_paid"


def test_the_monthly_task_makes_the_month_just_ended_for_every_agreement_once(estate, sublet, make_user):
    from rentals.statement_tasks import owner_statements_monthly, schedules_ensure

    units = list(estate.buildings.get().units.order_by("number"))
    other = agreement_of(units[1], owner_of(units[1], None, name="王业主"), mode="sublet")  # no payee: refused, logged
    offered = agreement_of(
        units[2], owner_of(units[2], None, name="赵业主"), status=AgreementStatus.OFFERED, owner_payee=sublet.owner_payee
    )
    ended = agreement_of(
        units[3],
        owner_of(units[3], None, name="钱业主"),
        status=AgreementStatus.RETURNED_EARLY,
        ended_on=datetime.date(2026, 3, 20),
        repaid_on_return=D("0.00"),
        owner_payee=sublet.owner_payee,
    )
    assert owner_statements_monthly(today="2026-04-02") == 1
    assert owner_statements_monthly(today="2026-04-02") in (0, 1)
    made = set(OwnerStatement.objects.values_list("agreement_id", "period"))
    march = datetime.date(2026, 3, 1)
    assert made == {(sublet.pk, march), (ended.pk, march)}
    assert not OwnerStatement.objects.filter(agreement__in=[other, offered]).exists()
    owner_statements_monthly(today="2026-05-01")  # April: the returned agreement has nothing more
    assert not OwnerStatement.objects.filter(agreement=ended, period=datetime.date(2026, 4, 1)).exists()
    assert OwnerStatement.objects.filter(agreement=sublet, period=datetime.date(2026, 4, 1)).exists()

    from django_q.models import Schedule

    schedules_ensure()
    schedules_ensure()
    assert Schedule.objects.filter(func="rentals.statement_tasks.owner_statements_monthly").count() == 1


# --- pages ----------------------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


@needs_poppler
def test_owner_reads_statements_in_the_portal_and_downloads_the_pdf(client, agency, owner_user, tmp_path):
    pay(rent_bills(lease_of(agency))[1], "2000.00", datetime.date(2026, 2, 3), "B-PORTAL")
    statement = owner_statement_make(agreement=agency, period=datetime.date(2026, 2, 1), today=TODAY)
    client.force_login(owner_user)
    entrustment_page = client.get(reverse("rentals_portal:entrustment", args=[agency.entrustment_id])).content.decode()
    assert 'data-testid="statements-link"' in entrustment_page
    page = client.get(reverse("rentals_portal:statements", args=[agency.pk])).content.decode()
    assert f'data-testid="statement-{statement.pk}"' in page and "¥2,000.00" in page and "¥1,740.00" in page
    response = client.get(reverse("rentals_portal:statement_pdf", args=[statement.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    path = tmp_path / "statement.pdf"
    path.write_bytes(response.content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    # Chinese drawn with the embedded CJK font, not boxes (pdftotext reads boxes as text too).
    assert "NotoSansCJK" in fonts.replace(" ", "").replace("-", "")
    for expected in (
        "2026-02",
        agency.number,
        "金汤街小区",
        agency.unit.key,
        "张业主",
        "2,000.00",
        "160.00",
        "100.00",
        "1,740.00",
        "200.00",
        "B-PORTAL",
    ):
        assert expected in text, expected


@needs_poppler
def test_staff_see_statements_and_payouts_record_a_payout_and_download_the_pdf(client, sublet, staff):
    statement = owner_statement_make(agreement=sublet, period=datetime.date(2026, 2, 1), today=TODAY)
    payout = statement.payout_record
    client.force_login(staff)
    assert str(sublet.number) in client.get(reverse("rentals_statement:index")).content.decode()
    detail = client.get(reverse("rentals_statement:inspect", args=[statement.pk])).content.decode()
    assert "¥1,500.00" in detail and 'data-testid="record-paid"' in detail
    assert "2026-02-10" in client.get(reverse("rentals_payout:inspect", args=[payout.pk])).content.decode()
    text = pdf_text(client.get(reverse("rentals_statement:pdf", args=[statement.pk])).content)
    assert "1,500.00" in text and "2026-02-10" in text and "张业主" in text
    response = client.post(
        reverse("rentals_payout:record_paid", args=[payout.pk]), {"paid_on": "2026-02-09", "reference": "YH-778"}
    )
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.reference == "YH-778"
    assert "YH-778" in pdf_text(client.get(reverse("rentals_statement:pdf", args=[statement.pk])).content)
    again = client.post(reverse("rentals_payout:record_paid", args=[payout.pk]), {"paid_on": "2026-02-09", "reference": "X"})
    assert again.status_code == 400 and 'data-testid="action-errors"' in again.content.decode()


def test_every_page_refuses_the_wrong_person(client, sublet, owner_user, make_user, other_staff, estate):
    statement = owner_statement_make(agreement=sublet, period=datetime.date(2026, 2, 1), today=TODAY)
    payout = statement.payout_record
    portal = [
        reverse("rentals_portal:statements", args=[sublet.pk]),
        reverse("rentals_portal:statement_pdf", args=[statement.pk]),
    ]
    admin = [
        reverse("rentals_statement:inspect", args=[statement.pk]),
        reverse("rentals_statement:pdf", args=[statement.pk]),
        reverse("rentals_payout:inspect", args=[payout.pk]),
        reverse("rentals_payout:record_paid", args=[payout.pk]),
    ]
    for url in portal + admin + [reverse("rentals_statement:index"), reverse("rentals_payout:index")]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    another_owner = make_user("13811110009", Role.OWNER)
    other_flat = estate.buildings.get().units.order_by("number")[1]
    owner_of(other_flat, another_owner, name="另一业主")
    client.force_login(another_owner)
    for url in portal:
        assert client.get(url).status_code == 404, url
    client.force_login(other_staff)
    for url in admin:
        assert client.get(url).status_code == 404, url
    assert client.post(admin[-1], {"paid_on": "2026-02-09", "reference": "X"}).status_code == 404
    assert str(sublet.number) not in client.get(reverse("rentals_statement:index")).content.decode()
    committee = make_user("13911110077", Role.COMMITTEE_MEMBER, estate=estate)  # sees the estate, no permission
    client.force_login(committee)
    for url in admin:
        assert client.get(url).status_code in (302, 403), url
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.DUE


def test_the_lists_run_a_fixed_number_of_queries(client, estate, staff, payee):
    client.force_login(staff)
    units = list(estate.buildings.get().units.order_by("number"))

    def count(flats):
        for unit in flats:
            agreement = agreement_of(unit, owner_of(unit, None, name=f"业主{unit.pk}"), mode="sublet", owner_payee=payee)
            for month in (2, 3):
                owner_statement_make(agreement=agreement, period=datetime.date(2026, month, 1), today=TODAY)
        sizes = []
        for name in ("rentals_statement:index", "rentals_payout:index"):
            client.get(reverse(name))
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse(name)).status_code == 200
            sizes.append(len(ctx.captured_queries))
        return sizes

    assert count(units[:1]) == count(units[1:4])
    assert AgreementMode.SUBLET == "sublet"
