"""Money booked as the manager's before the ledger said whose money it is, moved to its owners.

Maintenance-fund contributions (专项维修资金) belong to the owners (Civil Code Art. 281) and rent of
a pooled flat to its lessor; both were credited to the manager's fee income. Write-offs of owners'
or lessors' money (maintenance fund, public income under Art. 282, rent) were the manager's
write-offs. The ledger is append-only, so nothing is edited: for each bill one correcting entry
moves the net amount to the account it belongs to (per bill, so per-unit balances stay derivable).
"""

from collections import defaultdict
from decimal import Decimal

from django.db import migrations

MEMO = "reclassify"
# Charge kind → the account its money belongs to (billing.ledger.CHARGE_ACCOUNTS when this was written).
OWNERS_ACCOUNTS = {
    "maintenance_fund": "maintenance_fund",
    "flat_rent": "rent_payable",
    "parking_permit": "public_income",
    "parking_session": "public_income",
    "shop_rent": "public_income",
    "ad_rent": "public_income",
}
WHY = {
    "maintenance_fund": "the owners' maintenance fund (Civil Code Art. 281)",
    "rent_payable": "owed to the lessor",
    "public_income": "the owners' public income (Civil Code Art. 282)",
}


def _net(ledger_entry, *, charge_kinds, account):
    """(estate id, invoice id, charge kind) → what entries of these bills left in ``account`` (credits − debits)."""
    net = defaultdict(lambda: Decimal("0.00"))
    entries = ledger_entry.objects.filter(invoice__charge_kind__in=charge_kinds)
    for estate_id, invoice_id, kind, amount in entries.filter(credit__kind=account).values_list(
        "estate_id", "invoice_id", "invoice__charge_kind", "amount"
    ):
        net[(estate_id, invoice_id, kind)] += amount
    for estate_id, invoice_id, kind, amount in entries.filter(debit__kind=account).values_list(
        "estate_id", "invoice_id", "invoice__charge_kind", "amount"
    ):
        net[(estate_id, invoice_id, kind)] -= amount
    return net


def forward(apps, schema_editor):
    LedgerAccount = apps.get_model("billing", "LedgerAccount")
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    accounts = {}

    def account(estate_id, kind):
        if (estate_id, kind) not in accounts:
            accounts[(estate_id, kind)] = LedgerAccount.objects.get_or_create(estate_id=estate_id, kind=kind)[0].pk
        return accounts[(estate_id, kind)]

    rows = []
    # Income the manager was credited with for owners' or lessors' charges: fee_income → their account.
    for (estate_id, invoice_id, kind), amount in _net(
        LedgerEntry, charge_kinds=["maintenance_fund", "flat_rent"], account="fee_income"
    ).items():
        target = OWNERS_ACCOUNTS[kind]
        if amount:
            source, dest = ("fee_income", target) if amount > 0 else (target, "fee_income")
            rows.append((estate_id, invoice_id, source, dest, abs(amount), f"{MEMO}: {kind} is {WHY[target]}, not fee income"))
    # Write-offs of owners' or lessors' money: the loss is theirs, not the manager's.
    for (estate_id, invoice_id, kind), amount in _net(
        LedgerEntry, charge_kinds=list(OWNERS_ACCOUNTS), account="write_off"
    ).items():
        target = OWNERS_ACCOUNTS[kind]
        if amount:  # write_off holds a debit balance (amount < 0 here)
            source, dest = (target, "write_off") if amount < 0 else ("write_off", target)
            rows.append((estate_id, invoice_id, source, dest, abs(amount), f"{MEMO}: write-off of {WHY[target]}"))
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            estate_id=estate_id,
            debit_id=account(estate_id, debit),
            credit_id=account(estate_id, credit),
            amount=amount,
            memo=memo[:200],
            invoice_id=invoice_id,
        )
        for estate_id, invoice_id, debit, credit, amount, memo in rows
    )


def backward(apps, schema_editor):
    apps.get_model("billing", "LedgerEntry").objects.filter(memo__startswith=f"{MEMO}: ").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_ledger_account_kinds_say_whose_money"),
    ]

    operations = [migrations.RunPython(forward, backward)]
