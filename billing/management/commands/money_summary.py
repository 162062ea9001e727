"""Print the money held in the database as JSON: the restore drill compares it before and after.

For each estate: bills (count, total, paid), payments (count, amount), refunds, the ledger's balance per account
kind, receipts (count and the highest number) and the receipt counters; and for the whole database whether the
ledger's debits equal its credits. Everything is an exact decimal string, so two summaries compare as text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db.models import Count, Max, Sum

from billing.models import Invoice, LedgerEntry, Payment, Receipt, ReceiptCounter, Refund
from estates.models import Estate


def _s(value) -> str:
    return str(value or 0)


def money_summary() -> dict:
    estates: dict[str, dict] = defaultdict(dict)
    codes = dict(Estate.objects.values_list("pk", "code"))
    bills = Invoice.objects.values_list("estate_id").annotate(Count("pk"), Sum("total"), Sum("paid_amount")).order_by()
    for estate_id, n, total, paid in bills:
        estates[codes[estate_id]]["bills"] = [n, _s(total), _s(paid)]
    for estate_id, n, amount in Payment.objects.values_list("estate_id").annotate(Count("pk"), Sum("amount")).order_by():
        estates[codes[estate_id]]["payments"] = [n, _s(amount)]
    refunds = Refund.objects.values_list("payment__estate_id").annotate(Count("pk"), Sum("amount")).order_by()
    for estate_id, n, amount in refunds:
        estates[codes[estate_id]]["refunds"] = [n, _s(amount)]
    balances: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for side, sign in (("debit", 1), ("credit", -1)):
        for estate_id, kind, amount in (
            LedgerEntry.objects.values_list("estate_id", f"{side}__kind").annotate(total=Sum("amount")).order_by()
        ):
            balances[(estate_id, kind)] += sign * amount
    for (estate_id, kind), balance in sorted(balances.items()):
        estates[codes[estate_id]].setdefault("ledger", {})[kind] = _s(balance)
    for estate_id, n, last in Receipt.objects.values_list("estate_id").annotate(Count("pk"), Max("number")).order_by():
        estates[codes[estate_id]]["receipts"] = [n, last]
    for estate_id, year, last in ReceiptCounter.objects.values_list("estate_id", "year", "last"):
        estates[codes[estate_id]].setdefault("receipt_counters", {})[str(year)] = last
    return {
        "estates": {code: estates[code] for code in sorted(estates)},
        # Each entry moves one amount from one account to another, so all balances sum to zero.
        "ledger_balances": sum(balances.values(), Decimal(0)) == 0,
    }


class Command(BaseCommand):
    help = "Print the database's money (bills, payments, refunds, ledger, receipt numbering) as JSON."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(money_summary(), ensure_ascii=False, sort_keys=True, indent=1))
