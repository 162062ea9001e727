"""The per-estate ledger: append-only pair entries, balances derived from them.

Each LedgerEntry moves a positive amount from its credit account to its debit account, so its two
legs (+amount, −amount) sum to zero by construction; the database refuses a non-positive amount
or a row whose two accounts are the same. Nothing is edited or deleted: a correction is a new row.

Each charge's money goes to the account of whoever it belongs to (``charge_account``, from the kind
each app registers in billing.charges): property fees and other charges are the manager's fee
income; parking, shop and advertising income from common parts is the owners' public income (Civil
Code Art. 282); maintenance-fund contributions (专项维修资金) are the owners' maintenance fund of the
estate (Art. 281), never the manager's income; rent of a pooled flat is a payable to its lessor
until the rentals app pays it out.

Postings (what each business event writes):

    bills issued      receivable         ← charge account (fee_income / public_income / maintenance_fund / rent_payable)
    payment           cash | clearing    ← receivable          (one row per bill paid)
    refund            receivable         ← cash | clearing     (one row per bill refunded)
    void              charge account     ← receivable
    write-off         write_off          ← receivable          (the manager's own charges)
                      charge account     ← receivable          (owners' or lessors' money: their loss)

so the receivable balance of an estate always equals what its open bills still owe.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from .charges import charge_kind
from .models import ACCOUNT_BELONGS_TO, AccountKind, LedgerAccount, LedgerEntry, MoneyOwner, PaymentMethod

ONLINE_METHODS = frozenset({PaymentMethod.CARD, PaymentMethod.ALIPAY, PaymentMethod.WECHAT_PAY})


def money_account_for(method: str) -> str:
    """Where received money sits: the provider's clearing account for online payments, else cash and bank."""
    return AccountKind.PROVIDER_CLEARING if method in ONLINE_METHODS else AccountKind.CASH


def charge_account(code: str) -> str:
    """The account a charge's money belongs to, as its kind was registered (billing.charges).

    Civil Code Arts. 281, 282: the owners' maintenance fund and public income are not the manager's.
    """
    return charge_kind(code).account


def write_off_account_for(code: str) -> str:
    """Who bears a write-off: the manager for its own fees, else the owners or lessors whose money it was."""
    account = charge_account(code)
    return AccountKind.WRITE_OFF if ACCOUNT_BELONGS_TO[account] == MoneyOwner.MANAGER else account


@dataclass(frozen=True)
class Posting:
    debit: str
    credit: str
    amount: Decimal
    memo: str
    invoice_id: int | None = None
    payment_id: int | None = None
    refund_id: int | None = None


def accounts_for(estate_ids, kinds) -> dict[tuple[int, str], int]:
    """Account ids by (estate id, kind), creating the missing accounts (2 queries at most)."""
    estate_ids, kinds = set(estate_ids), set(kinds)
    found = {
        (e, k): pk
        for pk, e, k in LedgerAccount.objects.filter(estate_id__in=estate_ids, kind__in=kinds).values_list(
            "pk", "estate_id", "kind"
        )
    }
    missing = [(e, k) for e in estate_ids for k in kinds if (e, k) not in found]
    if missing:
        LedgerAccount.objects.bulk_create([LedgerAccount(estate_id=e, kind=k) for e, k in missing], ignore_conflicts=True)
        found = {
            (e, k): pk
            for pk, e, k in LedgerAccount.objects.filter(estate_id__in=estate_ids, kind__in=kinds).values_list(
                "pk", "estate_id", "kind"
            )
        }
    return found


def ledger_post(*, estate_id: int, postings: list[Posting], by=None) -> list[LedgerEntry]:
    """Write the entries of one business event. Call inside the event's transaction."""
    return ledger_post_many([(estate_id, p) for p in postings], by=by)


def ledger_post_many(postings: list[tuple[int, Posting]], *, by=None) -> list[LedgerEntry]:
    """Write the entries of several business events, each posting with its estate (a batch of payments):
    two queries for all of them, three when an account is new. Call inside the events' transaction."""
    postings = [(estate_id, p) for estate_id, p in postings if p.amount]
    if not postings:
        return []
    accounts = accounts_for({e for e, _ in postings}, {p.debit for _, p in postings} | {p.credit for _, p in postings})
    user = by if getattr(by, "pk", None) else None
    return LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                estate_id=estate_id,
                debit_id=accounts[(estate_id, p.debit)],
                credit_id=accounts[(estate_id, p.credit)],
                amount=p.amount,
                memo=p.memo[:200],
                invoice_id=p.invoice_id,
                payment_id=p.payment_id,
                refund_id=p.refund_id,
                created_by=user,
            )
            for estate_id, p in postings
        ]
    )


def ledger_balances(*, estate_id: int) -> dict[str, Decimal]:
    """Balance of every account of the estate (debits − credits), derived from the entries. Two queries."""
    balances: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for kind, total in (
        LedgerEntry.objects.filter(estate_id=estate_id).values_list("debit__kind").annotate(t=Sum("amount")).order_by()
    ):
        balances[kind] += total
    for kind, total in (
        LedgerEntry.objects.filter(estate_id=estate_id).values_list("credit__kind").annotate(t=Sum("amount")).order_by()
    ):
        balances[kind] -= total
    return {kind: balances[kind] for kind in AccountKind.values if kind in balances}
