"""Owners' money is not the manager's income (issue 9 item 2).

Maintenance-fund contributions (专项维修资金) belong to the owners (Civil Code Art. 281) and go to the
estate's maintenance-fund account, with a balance per unit; income from common parts stays the
owners' (Art. 282); rent of a pooled flat is owed to its lessor until paid out. After a mixed
billing run, each account's total is asserted together with whose money it is.
"""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.ledger import accounts_for, ledger_balances
from billing.models import ACCOUNT_BELONGS_TO, AccountKind, ChargeKind, Invoice, LedgerEntry, MoneyOwner, PaymentMethod
from billing.selectors import maintenance_fund_by_unit
from billing.services import (
    billing_run_execute,
    billing_run_start,
    invoice_void,
    invoice_write_off,
    payment_record,
    refund_record,
    tariff_schedule_set,
)
from estates.services import role_grant
from tests.estates.factories import UserFactory

from .factories import bill, billed_estate

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")
THIS_MONTH = timezone.localdate().replace(day=1)


def pay(estate, invoices, amount, *, method=PaymentMethod.CASH, reference=""):
    return payment_record(
        estate=estate,
        invoices=invoices,
        amount=Decimal(amount),
        method=method,
        received_at=timezone.now(),
        reference=reference,
        payer_name="付款人",
    )


@pytest.fixture
def mixed():
    """Three flats (80, 81, 82 m²): property fee 1.50/m², maintenance fund 0.25/m² billed by one run;
    a parking permit and a pooled flat's rent billed by their apps; payments, a refund, a void, a write-off."""
    estate, units = billed_estate(units=3, code="MIX")
    tariff_schedule_set(
        estate=estate,
        charge_kind=ChargeKind.MAINTENANCE_FUND,
        rates={"": Decimal("0.25")},
        valid_from=datetime.date(2020, 1, 1),
        source_label="业主大会决定 (Art. 278(6))",
    )
    run = billing_run_execute(run=billing_run_start(period=THIS_MONTH, estate=estate))
    assert run.invoices_created == 6  # a property fee and a contribution per flat

    def run_bill(unit, kind):
        return Invoice.objects.get(unit=unit, charge_kind=kind, period=THIS_MONTH)

    fee = [run_bill(u, ChargeKind.PROPERTY_FEE) for u in units]
    fund = [run_bill(u, ChargeKind.MAINTENANCE_FUND) for u in units]
    parking = bill(units[0], Decimal("150.00"), kind="parking_permit")
    rent = bill(units[1], Decimal("2000.00"), kind="flat_rent")

    pay(estate, [fee[0], fund[0], parking], "290.00")  # 120.00 + 20.00 + 150.00
    pay(estate, [rent], "2000.00", method=PaymentMethod.WECHAT_PAY, reference="cs_rent_1")
    contribution = pay(estate, [fund[1]], "20.25")
    refund_record(payment=contribution, amount=Decimal("5.00"), reason="多缴")
    invoice_void(invoice=fund[2], reason="开错")
    invoice_write_off(invoice=fee[2], reason="法院判决")
    return {"estate": estate, "units": units, "fee": fee, "fund": fund}


def test_a_mixed_billing_run_books_each_charge_to_whose_money_it_is_arts_281_282(mixed):
    """Sum of every account after the run, with whose money each total is."""
    balances = ledger_balances(estate_id=mixed["estate"].pk)

    # Credit balances are negative (debits − credits).
    assert balances == {
        AccountKind.RECEIVABLE: Decimal("126.50"),  # flat 2's property fee 121.50 + the 5.00 refunded contribution
        AccountKind.FEE_INCOME: Decimal("-364.50"),  # property fees only: 120.00 + 121.50 + 123.00
        AccountKind.CASH: Decimal("305.25"),  # 290.00 + 20.25 − 5.00
        AccountKind.PROVIDER_CLEARING: Decimal("2000.00"),  # the rent, by WeChat Pay
        AccountKind.PUBLIC_INCOME: Decimal("-150.00"),  # parking (Art. 282)
        AccountKind.MAINTENANCE_FUND: Decimal("-40.25"),  # 20.00 + 20.25; flat 3's voided (Art. 281)
        AccountKind.RENT_PAYABLE: Decimal("-2000.00"),  # owed to the pooled flat's lessor
        AccountKind.WRITE_OFF: Decimal("123.00"),  # the manager's own fee, written off
    }
    assert sum(balances.values(), ZERO) == ZERO

    whose = {owner: ZERO for owner in MoneyOwner}
    for kind, balance in balances.items():
        whose[ACCOUNT_BELONGS_TO[kind]] -= balance
    assert whose[MoneyOwner.MANAGER] == Decimal("241.50")  # fees 364.50 less its write-off 123.00
    assert whose[MoneyOwner.OWNERS] == Decimal("190.25")  # maintenance fund 40.25 + public income 150.00
    assert whose[MoneyOwner.LESSORS] == Decimal("2000.00")
    # What is held (cash, clearing, receivables) is exactly what the three parties are owed.
    assert -whose[MoneyOwner.HELD] == whose[MoneyOwner.MANAGER] + whose[MoneyOwner.OWNERS] + whose[MoneyOwner.LESSORS]
    # Not a fen of the owners' contributions is the manager's income.
    fund_ids = [i.pk for i in mixed["fund"]]
    assert not LedgerEntry.objects.filter(invoice_id__in=fund_ids, credit__kind=AccountKind.FEE_INCOME).exists()


def test_each_unit_has_its_maintenance_fund_balance_art_281(mixed):
    units = mixed["units"]
    rows = {row["invoice__unit_id"]: row for row in maintenance_fund_by_unit(estate=mixed["estate"])}

    assert {u: (r["billed"], r["contributed"], r["owed"]) for u, r in rows.items()} == {
        units[0].pk: (Decimal("20.00"), Decimal("20.00"), ZERO),
        units[1].pk: (Decimal("20.25"), Decimal("15.25"), Decimal("5.00")),  # 5.00 refunded: owed again
        units[2].pk: (ZERO, ZERO, ZERO),  # voided
    }
    # The units' shares add up to the estate's maintenance-fund account.
    fund_account = ledger_balances(estate_id=mixed["estate"].pk)[AccountKind.MAINTENANCE_FUND]
    assert sum((r["billed"] for r in rows.values()), ZERO) == -fund_account


def test_writing_off_owners_money_is_their_loss_not_the_managers_write_off_arts_281_282():
    estate, units = billed_estate(units=1)
    contribution = bill(units[0], Decimal("30.00"), kind=ChargeKind.MAINTENANCE_FUND)
    parking = bill(units[0], Decimal("150.00"), kind="parking_permit", period=datetime.date(2026, 9, 1))

    invoice_write_off(invoice=contribution, reason="无法收回")
    invoice_write_off(invoice=parking, reason="无法收回")

    balances = ledger_balances(estate_id=estate.pk)
    assert balances[AccountKind.MAINTENANCE_FUND] == ZERO
    assert balances[AccountKind.PUBLIC_INCOME] == ZERO
    assert AccountKind.WRITE_OFF not in balances


def test_the_ledger_page_says_whose_money_each_account_is_and_shows_the_fund_per_unit(client, sync_groups, mixed):
    estate, units = mixed["estate"], mixed["units"]
    staff = UserFactory(mobile="13900000801")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=estate)
    client.force_login(staff)

    html = client.get(reverse("billing_ledger:index"), {"estate": estate.pk}).content.decode()

    for kind, owner in (
        ("fee_income", "manager"),
        ("write_off", "manager"),
        ("maintenance_fund", "owners"),
        ("public_income", "owners"),
        ("rent_payable", "lessors"),
        ("cash", "held"),
    ):
        assert f'data-testid="account-{kind}" data-belongs-to="{owner}"' in html, kind
    assert 'data-testid="balance-maintenance_fund">-¥40.25' in html
    assert 'data-testid="balance-sum">¥0.00' in html
    row = html.split(f'data-testid="fund-unit-{units[1].pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<td data-testid="fund-balance">¥15.25</td>' in row


def test_staff_of_another_estate_do_not_see_the_fund_or_the_ledger(client, sync_groups, mixed):
    other, _units = billed_estate(units=1, code="OTH")
    staff = UserFactory(mobile="13900000802")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=other)
    client.force_login(staff)

    response = client.get(reverse("billing_ledger:index"), {"estate": mixed["estate"].pk})

    assert response.status_code == 404
    assert b"fund-unit" not in response.content


def test_the_data_migration_moves_contributions_and_rent_booked_as_fee_income_to_their_owners():
    """Rows booked before this change (contributions and rent credited to fee income; a contribution
    written off as the manager's loss) are corrected by appended entries, per bill (Arts. 281, 282)."""
    estate, units = billed_estate(units=1)
    contribution = bill(units[0], Decimal("30.00"), kind=ChargeKind.MAINTENANCE_FUND)
    rent = bill(units[0], Decimal("1800.00"), kind="flat_rent")
    lost = bill(units[0], Decimal("25.00"), kind=ChargeKind.MAINTENANCE_FUND, period=datetime.date(2026, 8, 1))
    invoice_write_off(invoice=lost, reason="无法收回")
    # Make the books look as the old code wrote them.
    acc = accounts_for(
        [estate.pk], {AccountKind.FEE_INCOME, AccountKind.MAINTENANCE_FUND, AccountKind.RENT_PAYABLE, AccountKind.WRITE_OFF}
    )
    LedgerEntry.objects.filter(
        invoice__in=[contribution, rent, lost], credit__kind__in=["maintenance_fund", "rent_payable"]
    ).update(credit_id=acc[(estate.pk, AccountKind.FEE_INCOME)])
    LedgerEntry.objects.filter(invoice=lost, debit__kind="maintenance_fund").update(
        debit_id=acc[(estate.pk, AccountKind.WRITE_OFF)]
    )
    before = ledger_balances(estate_id=estate.pk)
    assert before[AccountKind.FEE_INCOME] == Decimal("-1855.00") and before[AccountKind.WRITE_OFF] == Decimal("25.00")

    migration = importlib.import_module("billing.migrations.0005_reclassify_owners_money")
    migration.forward(apps, None)

    after = ledger_balances(estate_id=estate.pk)
    assert after[AccountKind.FEE_INCOME] == ZERO
    assert after[AccountKind.MAINTENANCE_FUND] == Decimal("-30.00")  # 30 + 25 contributed, 25 written off
    assert after[AccountKind.RENT_PAYABLE] == Decimal("-1800.00")
    assert after[AccountKind.WRITE_OFF] == ZERO
    assert after[AccountKind.RECEIVABLE] == before[AccountKind.RECEIVABLE]
    assert LedgerEntry.objects.filter(memo__startswith="reclassify: ", invoice=contribution).count() == 1
    migration.forward(apps, None)  # run again (e.g. on a restored copy): nothing left to move
    assert ledger_balances(estate_id=estate.pk) == after
