"""Rent and deposit money of a lease (issue 15): bills per cycle and the deposit through billing to the lessor's payee,
the 3-month and supervised-account rules, overdue reminders with a cure period, the hand-back checklist, the deposit's
settlement with itemised deductions (only the lease's cases, never above the deposit paid) and its PDF, the back
office's money page, and a tenant paying rent online through the fake Stripe to the lease's payee."""

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Role
from accounts.sms import ConsoleSmsBackend
from billing.models import Invoice, InvoiceStatus, Payee, PaymentAttempt, Transfer
from billing.services.payments import payment_record
from rentals import rent_tasks
from rentals.models import (
    AgreementMode,
    DepositCase,
    DepositDeduction,
    DepositSettlement,
    HandBack,
    LeaseStatus,
    RentReminder,
)
from rentals.services.rent import (
    HAND_BACK_ITEMS,
    arrears_curable_until,
    arrears_may_terminate,
    deposit_return_record,
    deposit_settle,
    hand_back_record,
    rent_bills_issue,
    rent_bills_issue_due,
    rent_reminders_send,
    unpaid_rent,
)
from tests.billing.fake_stripe import deliver_fixture, fake_fixture  # noqa: F401

from .factories import START, make_lease

pytestmark = pytest.mark.django_db

D = datetime.date
TENANT_MOBILE = "13700000009"


@pytest.fixture(autouse=True)
def outbox():
    ConsoleSmsBackend.sent.clear()
    return ConsoleSmsBackend.sent


@pytest.fixture
def owner_payee(estate):
    return Payee.objects.create(estate=estate, legal_name="张业主", account_id="acct_1OwnerZhang0001", charges_enabled=True)


@pytest.fixture
def supervised_payee(estate):
    return Payee.objects.create(
        estate=estate,
        legal_name="重庆安居住房租赁有限公司（监管账户）",
        account_id="acct_1OperatorSup0001",
        charges_enabled=True,
        supervised=True,
        supervising_bank="重庆银行",
    )


@pytest.fixture
def tenant(make_user):
    return make_user(TENANT_MOBILE, Role.TENANT, name="李租客")


@pytest.fixture
def agency_lease(flat, owner_payee, tenant):
    """Agency: rent 2,000 a month, paid monthly by the 25th for the next month; deposit one month's rent."""
    return make_lease(flat, payee=owner_payee, mode=AgreementMode.AGENCY, tenant_user=tenant, rent_day=25)


def units(estate):
    return list(estate.buildings.get().units.order_by("number"))


def kinds(lease):
    return sorted(
        Invoice.objects.filter(source_id=lease.pk, charge_kind__in=["flat_rent", "flat_deposit"]).values_list(
            "charge_kind", "period"
        )
    )


def refused(code, fn, **kwargs):
    with pytest.raises(ValidationError) as caught:
        fn(**kwargs)
    codes = (
        {e.code for e in caught.value.error_list}
        if not hasattr(caught.value, "error_dict")
        else {e.code for errors in caught.value.error_dict.values() for e in errors}
    )
    assert code in codes, (codes, caught.value.messages)
    return caught.value


# --- Bills ---------------------------------------------------------------------------------------------------


def test_agency_the_deposit_and_the_first_months_rent_are_billed_at_once_to_the_owners_payee(agency_lease, tenant, owner_payee):
    """Agency: the owner is the lessor; rent and deposit go to the owner's payee, never held by the operator
    (住房租赁条例 Arts. 25, 36)."""
    written = rent_bills_issue(lease=agency_lease, today=START)

    deposit, rent = sorted(written, key=lambda b: b.charge_kind)
    assert (deposit.charge_kind, deposit.period, deposit.due_on, deposit.total) == (
        "flat_deposit",
        START,
        START,
        Decimal("2000.00"),
    )
    assert (rent.charge_kind, rent.period, rent.due_on, rent.total) == ("flat_rent", START, START, Decimal("2000.00"))
    for bill in written:
        assert bill.payee == owner_payee and bill.payer_user == tenant and bill.payer_name == "李租客"
        assert bill.unit_id == agency_lease.unit_id and bill.estate_id == agency_lease.estate_id
    assert [line.description for line in rent.lines.all()] == [f"租金 {agency_lease.number} 2026-01-01至2026-01-31"]


def test_each_later_cycle_is_billed_seven_days_before_it_is_due(agency_lease, settings):
    rent_bills_issue(lease=agency_lease, today=START)
    # February's rent is due on 25 January (the rent day of the month before): issued from 18 January.
    assert rent_bills_issue(lease=agency_lease, today=D(2026, 1, 17)) == []
    [february] = rent_bills_issue(lease=agency_lease, today=D(2026, 1, 18))
    assert (february.period, february.due_on) == (D(2026, 2, 1), D(2026, 1, 25))
    settings.ANJU_RENTAL_BILL_DAYS_AHEAD = 3
    assert rent_bills_issue(lease=agency_lease, today=D(2026, 2, 21)) == []  # March's due 25 Feb: from 22 Feb
    assert len(rent_bills_issue(lease=agency_lease, today=D(2026, 2, 22))) == 1


def test_sublet_quarterly_rent_three_months_a_bill_one_line_a_month_to_the_supervised_account(flat, supervised_payee, tenant):
    """Sublet: the operator is the lessor; all its rental money goes to a supervised account (住房租赁条例 Art. 19);
    at most three months at a time (建房规〔2021〕2号). A deposit of two months' rent is allowed to a supervised
    account."""
    lease = make_lease(flat, payee=supervised_payee, tenant_user=tenant, cycle_months=3, rent_day=25, deposit="4000.00")

    written = rent_bills_issue(lease=lease, today=D(2026, 12, 31))

    rents = sorted((b for b in written if b.charge_kind == "flat_rent"), key=lambda b: b.period)
    assert [(b.period, b.due_on, b.total) for b in rents] == [
        (D(2026, 1, 1), D(2026, 1, 1), Decimal("6000.00")),
        (D(2026, 4, 1), D(2026, 3, 25), Decimal("6000.00")),
        (D(2026, 7, 1), D(2026, 6, 25), Decimal("6000.00")),
        (D(2026, 10, 1), D(2026, 9, 25), Decimal("6000.00")),
    ]
    assert [line.description[-21:] for line in rents[1].lines.order_by("pk")] == [
        "2026-04-01至2026-04-30",
        "2026-05-01至2026-05-31",
        "2026-06-01至2026-06-30",
    ]
    assert {b.payee_id for b in written} == {supervised_payee.pk}
    assert next(b for b in written if b.charge_kind == "flat_deposit").total == Decimal("4000.00")


def test_more_than_three_months_rent_on_one_bill_is_refused_even_for_a_lease_made_otherwise(agency_lease):
    """建房规〔2021〕2号: rent is collected at most three months at a time (the DB holds it too; this is the service's
    own refusal for a lease row changed behind its back)."""
    agency_lease.cycle_months = 6

    refused("over_three_months", rent_bills_issue, lease=agency_lease, today=START)
    assert Invoice.objects.count() == 0  # not even the deposit


def test_sublet_rent_to_an_unsupervised_payee_is_refused_and_nothing_is_billed(flat, owner_payee):
    """住房租赁条例 Art. 19: in the sublet mode rent goes only to a supervised account."""
    lease = make_lease(flat, payee=owner_payee, mode=AgreementMode.SUBLET)

    refused("not_supervised", rent_bills_issue, lease=lease, today=START)
    assert Invoice.objects.count() == 0


def test_a_deposit_above_one_months_rent_only_to_a_supervised_account(estate, flat, owner_payee):
    """2021 national opinion on rental companies; 住房租赁条例 Art. 19: a deposit above one month's rent goes to a
    supervised account, also in the agency mode."""
    lease = make_lease(flat, payee=owner_payee, mode=AgreementMode.AGENCY, deposit="2000.01", rent_day=25)
    refused("deposit_not_supervised", rent_bills_issue, lease=lease, today=START)
    assert Invoice.objects.count() == 0

    Payee.objects.filter(pk=owner_payee.pk).update(supervised=True)
    lease.rent_payee.refresh_from_db()
    assert len(rent_bills_issue(lease=lease, today=START)) == 2


def test_agency_money_to_anyone_but_the_owners_payee_is_refused(flat, owner_payee, supervised_payee):
    """住房租赁条例 Arts. 25, 36: the operator never collects the owner's rent into its own account."""
    lease = make_lease(flat, payee=owner_payee, mode=AgreementMode.AGENCY)
    lease.rent_payee = supervised_payee

    refused("not_owner_payee", rent_bills_issue, lease=lease, today=START)


def test_no_bill_for_a_cycle_after_the_notices_last_day_and_none_for_a_lease_not_in_force(flat, estate, supervised_payee):
    lease = make_lease(flat, payee=supervised_payee, status=LeaseStatus.NOTICE, terminates_on=D(2026, 3, 31))

    rent_bills_issue(lease=lease, today=D(2026, 12, 31))

    periods = [p for kind, p in kinds(lease) if kind == "flat_rent"]
    assert periods == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    draft = make_lease(units(estate)[1], payee=supervised_payee, status=LeaseStatus.DRAFT)
    refused("not_in_force", rent_bills_issue, lease=draft, today=START)


def test_the_daily_task_issues_each_bill_once_and_skips_a_refused_lease(estate, supervised_payee, owner_payee, monkeypatch):
    from django_q.models import Schedule

    flats = units(estate)
    good = make_lease(flats[0], payee=supervised_payee, rent_day=25)
    bad = make_lease(flats[1], payee=owner_payee, mode=AgreementMode.SUBLET)  # sublet to an unsupervised payee
    assert Schedule.objects.filter(func="rentals.rent_tasks.rent_bills_issue_due").count() == 1
    assert Schedule.objects.filter(func="rentals.rent_tasks.rent_reminders_send").count() == 1

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 2, 20))
    assert rent_tasks.rent_bills_issue_due() == {"bills": 4, "refused": 1}  # deposit, Jan, Feb, Mar (due 25 Feb)
    before = list(Invoice.objects.order_by("pk").values_list("pk", "number", "total"))
    assert rent_tasks.rent_bills_issue_due() == {"bills": 0, "refused": 1}  # safe to run twice
    assert list(Invoice.objects.order_by("pk").values_list("pk", "number", "total")) == before
    assert kinds(bad) == [] and len(kinds(good)) == 4


def test_the_daily_task_costs_a_fixed_number_of_queries_whatever_the_number_of_leases(estate, supervised_payee):
    flats = units(estate)
    make_lease(flats[0], payee=supervised_payee)
    rent_bills_issue_due(today=D(2026, 3, 1))

    def rerun():
        with CaptureQueriesContext(connection) as queries:
            assert rent_bills_issue_due(today=D(2026, 3, 1))["bills"] == 0
        return len(queries)

    one = rerun()
    for flat in flats[1:4]:
        make_lease(flat, payee=supervised_payee)
    assert rent_bills_issue_due(today=D(2026, 3, 1))["bills"] == 3 * 5  # deposit, Jan–Apr (April's due 5 March) each
    assert rerun() == one


# --- Reminders -----------------------------------------------------------------------------------------------


def test_overdue_rent_gets_one_reminder_with_a_cure_period_by_sms(agency_lease, outbox):
    """Civil Code Art. 722: overdue rent leads to a reminder with a reasonable period to pay before any termination;
    the text says nothing is cut off or locked (住房租赁条例 Art. 12)."""
    rent_bills_issue(lease=agency_lease, today=START)
    january = Invoice.objects.get(charge_kind="flat_rent", period=START)

    assert rent_reminders_send(today=D(2026, 1, 3)) == 0  # due 1 January: 3 days past due only from the 4th
    assert rent_reminders_send(today=D(2026, 1, 4)) == 1
    assert rent_reminders_send(today=D(2026, 1, 5)) == 0  # once per bill

    reminder = RentReminder.objects.get()
    assert (reminder.invoice, reminder.lease, reminder.sent_on, reminder.cure_until) == (
        january,
        agency_lease,
        D(2026, 1, 4),
        D(2026, 1, 19),
    )
    phone, message = outbox[-1]
    assert phone == TENANT_MOBILE and len(outbox) == 1
    assert "2026年01月19日前支付" in message and january.number in message and "¥2,000.00" in message
    assert "不会停水停电" in message and "更换门锁" in message
    # The deposit bill is never "rent overdue".
    assert not RentReminder.objects.filter(invoice__charge_kind="flat_deposit").exists()


def test_the_cure_date_tells_the_lease_when_it_may_end_for_arrears(agency_lease, settings):
    """Civil Code Art. 722: termination for arrears only after the cure period passed with the bill unpaid."""
    settings.ANJU_RENTAL_CURE_DAYS = 10
    rent_bills_issue(lease=agency_lease, today=START)
    assert arrears_curable_until(agency_lease) is None and not arrears_may_terminate(agency_lease, today=D(2026, 6, 1))

    rent_reminders_send(today=D(2026, 1, 10))

    assert arrears_curable_until(agency_lease) == D(2026, 1, 20)
    assert not arrears_may_terminate(agency_lease, today=D(2026, 1, 20))
    assert arrears_may_terminate(agency_lease, today=D(2026, 1, 21))
    january = Invoice.objects.get(charge_kind="flat_rent")
    pay(january)
    assert arrears_curable_until(agency_lease) is None  # cured: paid
    assert not arrears_may_terminate(agency_lease, today=D(2026, 2, 1))


def test_a_paid_bill_is_not_reminded(agency_lease, outbox):
    rent_bills_issue(lease=agency_lease, today=START)
    pay(Invoice.objects.get(charge_kind="flat_rent"))

    assert rent_reminders_send(today=D(2026, 1, 10)) == 0 and outbox == []


def pay(invoice, amount=None):
    return payment_record(
        estate=invoice.estate,
        invoices=[invoice],
        amount=amount or invoice.outstanding,
        method="bank_transfer",
        received_at=timezone.now(),
        reference=f"BANK-{invoice.pk}-{amount}",
        payer_name=invoice.payer_name,
    )


def test_staff_send_a_reminder_from_the_money_page_and_other_estates_staff_get_404(
    client, agency_lease, staff, other_staff, outbox
):
    rent_bills_issue(lease=agency_lease, today=START)
    january = Invoice.objects.get(charge_kind="flat_rent")
    url = reverse("rentals_money:remind", args=[agency_lease.pk, january.pk])

    client.force_login(other_staff)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(staff)
    page = client.get(reverse("rentals_money:lease", args=[agency_lease.pk])).content.decode()
    assert f'data-testid="remind-{january.pk}"' in page
    response = client.post(url)

    assert response.status_code == 302
    reminder = RentReminder.objects.get()
    assert reminder.sent_by == staff and reminder.cure_until == timezone.localdate() + datetime.timedelta(days=15)
    assert outbox[-1][0] == TENANT_MOBILE
    again = client.post(url)
    assert again.status_code == 400 and RentReminder.objects.count() == 1
    page = client.get(reverse("rentals_money:lease", args=[agency_lease.pk])).content.decode()
    assert f'data-testid="remind-{january.pk}"' not in page and f"{reminder.cure_until:%Y-%m-%d}" in page


def test_a_bill_of_another_lease_is_404_on_a_leases_reminder_page(client, estate, agency_lease, supervised_payee, staff):
    other = make_lease(units(estate)[1], payee=supervised_payee, tenant_mobile="13700000008")
    rent_bills_issue(lease=other, today=START)
    bill = Invoice.objects.get(source_id=other.pk, charge_kind="flat_rent", period=START)
    client.force_login(staff)

    assert client.post(reverse("rentals_money:remind", args=[agency_lease.pk, bill.pk])).status_code == 404


# --- Hand-back and deposit -----------------------------------------------------------------------------------


ALL_OK = {key: (True, "") for key, _label in HAND_BACK_ITEMS}


LAST_DAY = D(2026, 6, 30)


def ended(lease, on=LAST_DAY):
    type(lease).objects.filter(pk=lease.pk).update(status=LeaseStatus.NOTICE, terminates_on=on)
    lease.refresh_from_db()
    return lease


def test_hand_back_only_when_the_lease_ends_each_item_ok_or_with_a_note(agency_lease, staff):
    refused(
        "lease_running",
        hand_back_record,
        lease=agency_lease,
        handed_back_on=D(2026, 3, 1),
        items=ALL_OK,
        keys_returned=2,
        by=staff,
        today=D(2026, 3, 1),
    )
    ended(agency_lease)
    args = {"lease": agency_lease, "handed_back_on": D(2026, 6, 30), "keys_returned": 2, "by": staff, "today": D(2026, 7, 1)}
    refused("item_note", hand_back_record, items=ALL_OK | {"kitchen": (False, "")}, **args)
    refused("items", hand_back_record, items={"keys": (True, "")}, **args)
    refused("date", hand_back_record, items=ALL_OK, **(args | {"handed_back_on": D(2026, 7, 2)}))
    assert HandBack.objects.count() == 0

    hand_back = hand_back_record(items=ALL_OK | {"kitchen": (False, "灶台烧痕")}, water_reading="123.40", **args)

    assert hand_back.items[3] == {"item": "kitchen", "ok": False, "note": "灶台烧痕"}
    assert len(hand_back.items) == len(HAND_BACK_ITEMS) and hand_back.water_reading == Decimal("123.40")
    refused("already", hand_back_record, items=ALL_OK, **args)


def test_an_active_lease_whose_last_day_has_come_may_be_handed_back(agency_lease, staff):
    hand_back_record(
        lease=agency_lease, handed_back_on=D(2026, 12, 31), items=ALL_OK, keys_returned=1, by=staff, today=D(2026, 12, 31)
    )


def test_staff_record_the_hand_back_in_the_back_office(client, agency_lease, staff, other_staff):
    ended(agency_lease, on=timezone.localdate())
    url = reverse("rentals_money:hand_back", args=[agency_lease.pk])
    client.force_login(other_staff)
    assert client.get(url).status_code == 404
    client.force_login(staff)
    data = {"handed_back_on": str(timezone.localdate()), "keys_returned": "2", "water_reading": "88.5"}
    for key, _label in HAND_BACK_ITEMS:
        data[f"{key}_ok"] = "on"
    data.pop("walls_floors_ok")

    missing_note = client.post(url, data)
    assert missing_note.status_code == 400 and not HandBack.objects.exists()
    response = client.post(url, data | {"walls_floors_note": "客厅墙面污损"})

    assert response.status_code == 302
    hand_back = HandBack.objects.get()
    assert hand_back.recorded_by == staff and hand_back.items[2] == {"item": "walls_floors", "ok": False, "note": "客厅墙面污损"}
    assert "客厅墙面污损" in client.get(reverse("rentals_money:lease", args=[agency_lease.pk])).content.decode()


@pytest.fixture
def handed_back(flat, supervised_payee, tenant, staff):
    """A sublet lease (deposit 4,000 paid, March's rent unpaid), under notice to 30 June, handed back on 30 June."""
    lease = make_lease(
        flat,
        payee=supervised_payee,
        tenant_user=tenant,
        deposit="4000.00",
        deposit_cases=[DepositCase.UNPAID_RENT, DepositCase.DAMAGE],
        rent_day=25,
    )
    rent_bills_issue(lease=lease, today=D(2026, 3, 1))
    pay(Invoice.objects.get(charge_kind="flat_deposit"))
    for bill in Invoice.objects.filter(charge_kind="flat_rent", period__lt=D(2026, 3, 1)):
        pay(bill)
    ended(lease)
    hand_back_record(lease=lease, handed_back_on=D(2026, 6, 30), items=ALL_OK, keys_returned=2, by=staff, today=D(2026, 7, 1))
    return lease


def test_the_deposit_is_settled_with_itemised_deductions_and_returned_by_the_agreed_day(handed_back, staff):
    """住房租赁条例 Art. 10: deductions only in the lease's cases, the rest returned within the agreed days."""
    assert unpaid_rent(handed_back) == Decimal("2000.00")

    settlement = deposit_settle(
        lease=handed_back,
        deductions=[(DepositCase.DAMAGE, "墙面污损修补", "300.00"), (DepositCase.UNPAID_RENT, "2026年3月租金", "2000.00")],
        by=staff,
    )

    assert (settlement.deposit, settlement.deducted, settlement.returned) == (
        Decimal("4000.00"),
        Decimal("2300.00"),
        Decimal("1700.00"),
    )
    assert settlement.return_due_on == D(2026, 7, 15)  # 15 days after the hand-back
    assert [(d.case, d.amount) for d in settlement.deductions.all()] == [
        ("damage", Decimal("300.00")),
        ("unpaid_rent", Decimal("2000.00")),
    ]
    refused("already", deposit_settle, lease=handed_back, deductions=[], by=staff)
    refused("date", deposit_return_record, settlement=settlement, returned_on=D(2026, 6, 29), reference="X", by=staff)
    deposit_return_record(settlement=settlement, returned_on=D(2026, 7, 10), reference="BANK-0710", by=staff)
    settlement.refresh_from_db()
    assert (settlement.returned_on, settlement.return_reference) == (D(2026, 7, 10), "BANK-0710")
    refused("already", deposit_return_record, settlement=settlement, returned_on=D(2026, 7, 10), reference="X", by=staff)


@pytest.mark.parametrize(
    ("deductions", "code"),
    [
        # Art. 10: only the cases the lease names (this lease names unpaid rent and damage, not keys).
        ([(DepositCase.DAMAGE, "墙面", "100.00"), (DepositCase.KEYS, "钥匙未还", "50.00")], "case_not_in_lease"),
        ([("made_up", "别的理由", "50.00")], "case_not_in_lease"),
        # Never above the deposit actually paid.
        ([(DepositCase.DAMAGE, "墙面", "2000.00"), (DepositCase.DAMAGE, "地板", "2000.01")], "over_deposit"),
        # "Unpaid rent" never above the rent unpaid.
        ([(DepositCase.UNPAID_RENT, "欠租", "2000.01")], "over_unpaid_rent"),
        ([(DepositCase.DAMAGE, "墙面", "0")], "amount"),
        ([(DepositCase.DAMAGE, "墙面", "-5.00")], "amount"),
        ([(DepositCase.DAMAGE, "", "5.00")], "description"),
    ],
)
def test_a_settlement_breaking_a_rule_is_refused_and_nothing_is_written(handed_back, staff, deductions, code):
    refused(code, deposit_settle, lease=handed_back, deductions=deductions, by=staff)
    assert not DepositSettlement.objects.exists() and not DepositDeduction.objects.exists()


def test_deductions_never_exceed_the_deposit_actually_paid(flat, supervised_payee, staff):
    """A deposit billed but only partly paid: deductions are capped by what was paid, not what was billed."""
    lease = make_lease(flat, payee=supervised_payee, deposit="3000.00")
    rent_bills_issue(lease=lease, today=START)
    pay(Invoice.objects.get(charge_kind="flat_deposit"), amount=Decimal("1000.00"))
    ended(lease)
    hand_back_record(lease=lease, handed_back_on=D(2026, 6, 30), items=ALL_OK, keys_returned=1, by=staff, today=D(2026, 7, 1))

    refused("over_deposit", deposit_settle, lease=lease, deductions=[(DepositCase.DAMAGE, "墙面", "1000.01")], by=staff)
    settlement = deposit_settle(lease=lease, deductions=[(DepositCase.DAMAGE, "墙面", "1000.00")], by=staff)
    assert (settlement.deposit, settlement.returned) == (Decimal("1000.00"), Decimal("0.00"))
    refused("nothing_to_return", deposit_return_record, settlement=settlement, returned_on=D(2026, 7, 1), reference="X", by=staff)


def test_no_settlement_before_the_hand_back(agency_lease, staff):
    refused("no_hand_back", deposit_settle, lease=agency_lease, deductions=[], by=staff)


def test_staff_settle_in_the_back_office_a_refusal_writes_nothing(client, handed_back, staff):
    url = reverse("rentals_money:settle", args=[handed_back.pk])
    client.force_login(staff)
    form = {"d-TOTAL_FORMS": "5", "d-INITIAL_FORMS": "0", "d-MIN_NUM_FORMS": "0", "d-MAX_NUM_FORMS": "20"}
    page = client.get(url).content.decode()
    assert 'data-testid="deposit-paid">¥4,000.00' in page and 'value="keys"' not in page  # only the lease's cases

    too_much = client.post(url, form | {"d-0-case": "damage", "d-0-description": "墙面", "d-0-amount": "4000.01"})
    assert too_much.status_code == 400 and 'data-testid="action-errors"' in too_much.content.decode()
    assert not DepositSettlement.objects.exists()
    done = client.post(
        url,
        form
        | {"d-0-case": "damage", "d-0-description": "墙面污损修补", "d-0-amount": "300"}
        | {"d-1-case": "unpaid_rent", "d-1-description": "3月租金", "d-1-amount": "2000"},
    )

    assert done.status_code == 302
    assert DepositSettlement.objects.get().returned == Decimal("1700.00")
    page = client.get(reverse("rentals_money:lease", args=[handed_back.pk])).content.decode()
    assert 'data-testid="returned">¥1,700.00' in page and 'data-testid="returned"' in page


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "settlement.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext")
def test_the_settlement_pdf_in_chinese_for_the_tenant_and_the_estates_staff_only(
    client, handed_back, staff, other_staff, tenant, make_user, tmp_path
):
    settlement = deposit_settle(
        lease=handed_back,
        deductions=[(DepositCase.DAMAGE, "墙面污损修补", "300.00"), (DepositCase.UNPAID_RENT, "2026年3月租金", "2000.00")],
        by=staff,
    )
    portal_url = f"/portal/rentals/leases/{handed_back.pk}/deposit.pdf"
    assert reverse("rentals_portal:deposit_pdf", args=[handed_back.pk]) == portal_url
    client.force_login(tenant)

    response = client.get(portal_url)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = re.sub(r"\s+", "", pdf_text(response.content, tmp_path))
    with translation.override("zh-hans"):
        heading, case = gettext("Deposit settlement"), str(DepositCase.DAMAGE.label)
    for expected in (
        heading,
        case,
        "李租客",
        "金汤街小区",
        "墙面污损修补",
        "2026年3月租金",
        "¥300.00",
        "¥2,000.00",
        "¥4,000.00",
        "¥2,300.00",
        "¥1,700.00",
        f"{settlement.return_due_on:%Y-%m-%d}",
        handed_back.number,
    ):
        assert expected.replace(" ", "") in text, expected
    fonts = subprocess.run(["pdffonts", "-"], input=response.content, capture_output=True, check=False).stdout.decode()
    assert "CJK" in fonts

    # Staff of the estate from the back office; everyone else: 404 (or the login page).
    client.force_login(staff)
    staff_pdf = client.get(reverse("rentals_money:deposit_pdf", args=[handed_back.pk]))
    assert staff_pdf.status_code == 200 and staff_pdf.content.startswith(b"%PDF")
    assert client.get(portal_url).status_code == 404  # staff are not the tenant
    client.force_login(other_staff)
    assert client.get(reverse("rentals_money:deposit_pdf", args=[handed_back.pk])).status_code == 404
    client.force_login(make_user("13700000077", Role.TENANT))
    assert client.get(portal_url).status_code == 404
    client.logout()
    assert client.get(portal_url).status_code == 302


def test_no_pdf_before_the_settlement(client, agency_lease, tenant, staff):
    client.force_login(tenant)
    assert client.get(f"/portal/rentals/leases/{agency_lease.pk}/deposit.pdf").status_code == 404
    client.force_login(staff)
    assert client.get(reverse("rentals_money:deposit_pdf", args=[agency_lease.pk])).status_code == 404


# --- Back office pages ---------------------------------------------------------------------------------------


def test_the_money_page_of_a_lease_other_estates_staff_404_and_a_fixed_number_of_queries(
    client, estate, flat, supervised_payee, staff, other_staff, django_assert_num_queries
):
    short = make_lease(flat, payee=supervised_payee, months=1)
    rent_bills_issue(lease=short, today=START)
    long = make_lease(units(estate)[1], payee=supervised_payee, months=12, tenant_mobile="13700000008")
    rent_bills_issue(lease=long, today=D(2026, 12, 31))
    rent_reminders_send(today=D(2026, 12, 31))
    assert RentReminder.objects.filter(lease=long).count() == 12
    client.force_login(staff)

    def queries(lease):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("rentals_money:lease", args=[lease.pk]))
        assert page.status_code == 200
        return len(captured), page.content.decode()

    few, _html = queries(short)
    many, html = queries(long)
    assert few == many
    assert html.count('data-testid="bill-') == 13 and html.count('data-testid="cure-until"') == 12
    assert supervised_payee.legal_name in html

    index = client.get(reverse("rentals_money:index")).content.decode()
    assert f'data-testid="lease-{short.pk}"' in index and f'data-testid="lease-{long.pk}"' in index
    client.force_login(other_staff)
    assert client.get(reverse("rentals_money:lease", args=[long.pk])).status_code == 404
    assert f'data-testid="lease-{long.pk}"' not in client.get(reverse("rentals_money:index")).content.decode()


# --- Paying online -------------------------------------------------------------------------------------------


def test_the_tenant_pays_the_rent_online_and_the_money_goes_to_the_leases_payee(
    client, fake, deliver, agency_lease, tenant, owner_payee
):
    """Agency: the owner's rent reaches the owner's own account, never the operator's (住房租赁条例 Arts. 25, 36)."""
    rent_bills_issue(lease=agency_lease, today=timezone.localdate())
    rent = Invoice.objects.get(charge_kind="flat_rent", period=START)
    client.force_login(tenant)

    bills_page = client.get("/portal/bills/").content.decode()
    assert rent.number in bills_page
    confirm = client.post("/portal/bills/", {"invoice": [rent.pk], "action": "selected"})
    assert confirm.status_code == 200 and owner_payee.legal_name in confirm.content.decode()
    response = client.post("/portal/bills/checkout/", {"invoice": [rent.pk]})
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302 and response["Location"] == attempt.checkout_url
    fake.pay(attempt.provider_session_id, method="wechat_pay")
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    rent.refresh_from_db()
    assert rent.status == InvoiceStatus.PAID and rent.paid_amount == Decimal("2000.00")
    transfer = Transfer.objects.get()
    assert transfer.payee == owner_payee and transfer.destination == owner_payee.account_id
    assert transfer.gross == Decimal("2000.00")
    [made] = fake.transfers_of(transfer_group=f"attempt-{attempt.pk}")
    assert made["destination"] == owner_payee.account_id and made["amount"] == 200000
