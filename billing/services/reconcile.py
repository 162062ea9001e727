"""Reconciliation per payee: the provider's transfers and reversals against the books.

``payees_reconcile`` lists, for each payee of the estates asked about, what its bills received online
since a day (charges), what was transferred to its account and reversed from it according to the
books and according to the provider, the refunds of its bills, and every difference:

* a transfer the books planned that the provider has not made (it failed, or was never sent);
* a transfer the provider made that the books did not record (its answer was lost), or that
  nobody here asked for;
* an amount or a reversed amount that differs;
* a reversal (for a refund) not made at the provider yet.

``apply=True`` sends what is missing (same idempotency keys as the first try, so nothing is made
twice) and books what the provider made but the books lack. The ``stripe_reconcile`` command and
the back office's reconciliation page show the same report.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from ..models import Payee, Transfer, TransferReversal
from ..money import format_rmb
from ..providers import PaymentProvider, ProviderError, ProviderTransfer
from .common import ZERO
from .transfers import reversals_seen, reversals_send, transfer_seen, transfers_send


@dataclass
class PayeeReconciliation:
    payee: Payee
    charged: Decimal = ZERO  # what the payee's bills received in online payments
    platform_fees: Decimal = ZERO
    transferred_books: Decimal = ZERO
    transferred_provider: Decimal = ZERO
    reversed_books: Decimal = ZERO
    reversed_provider: Decimal = ZERO
    refunded: Decimal = ZERO  # refunds of the payee's bills, taken back from it
    differences: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


@dataclass
class Reconciliation:
    since: datetime.date
    payees: list[PayeeReconciliation]
    unknown: list[str] = field(default_factory=list)  # provider transfers nobody here asked for
    applied: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def clean(self) -> bool:
        return not self.error and not self.unknown and all(p.clean for p in self.payees)


def payees_reconcile(
    *, estate_ids: list[int] | None, since: datetime.datetime, provider: PaymentProvider, apply: bool = False
) -> Reconciliation:
    """Compare the payees of these estates (None: every estate) with the provider since ``since``."""
    payees = Payee.objects.select_related("estate").order_by("estate__name", "legal_name")
    transfers = Transfer.objects.filter(created_at__gte=since).select_related("payment", "payee")
    if estate_ids is not None:
        payees = payees.filter(estate_id__in=estate_ids)
        transfers = transfers.filter(estate_id__in=estate_ids)
    report = Reconciliation(since=since.date(), payees=[])
    lines = {payee.pk: PayeeReconciliation(payee=payee) for payee in payees}
    accounts = {line.payee.account_id for line in lines.values() if line.payee.account_id}

    if apply:
        pending = [t for t in transfers if t.provider_transfer_id is None]
        sent = transfers_send(transfers=pending, provider=provider)
        if sent:
            report.applied.append(f"{sent} transfer(s) sent")
        waiting = list(
            TransferReversal.objects.filter(sent_at__isnull=True, transfer__in=transfers).select_related("transfer__payment")
        )
        reversed_now = reversals_send(reversals=waiting, provider=provider)
        if reversed_now:
            report.applied.append(f"{reversed_now} reversal(s) sent")
        transfers = transfers.all()  # read again after sending

    try:
        at_provider = [t for t in provider.transfers_list(since=since) if t.destination in accounts or _ours(t)]
    except ProviderError as exc:
        report.error = str(exc)
        at_provider = []
    by_id: dict[str, ProviderTransfer] = {t.id: t for t in at_provider}
    by_ours: dict[int, ProviderTransfer] = {}
    for listed in at_provider:
        raw = str(listed.metadata.get("anju_transfer_id") or "")
        if raw.isdigit():
            by_ours[int(raw)] = listed

    known_ids = set()
    reversals_pending = defaultdict(lambda: ZERO)
    for row in (
        TransferReversal.objects.filter(sent_at__isnull=True, transfer__in=transfers)
        .values("transfer_id")
        .annotate(total=Sum("amount"))
    ):
        reversals_pending[row["transfer_id"]] = row["total"] or ZERO
    for transfer in transfers:
        line = lines.get(transfer.payee_id)
        if line is None:
            continue
        line.charged += transfer.gross
        line.platform_fees += transfer.platform_fee - transfer.fee_returned
        line.refunded += transfer.reversed_amount + transfer.fee_returned
        payment = transfer.payment
        made: ProviderTransfer | None = by_id.get(transfer.provider_transfer_id or "") or by_ours.get(transfer.pk)
        if made is not None:
            known_ids.add(made.id)
            line.transferred_provider += made.amount
            line.reversed_provider += made.amount_reversed
        if transfer.provider_transfer_id is None:
            if made is not None and apply:
                transfer_seen(made)
                report.applied.append(f"transfer {made.id} booked")
                line.transferred_books += transfer.amount
                continue
            if made is not None:
                line.differences.append(
                    f"transfer {made.id} of {format_rmb(made.amount)} made at the provider but not booked (payment {payment.pk})"
                )
            else:
                why = f": {transfer.last_error}" if transfer.last_error else ""
                line.differences.append(
                    f"MISSING TRANSFER: {format_rmb(transfer.amount)} of payment {payment.pk} not transferred{why}"
                )
            continue
        line.transferred_books += transfer.amount
        line.reversed_books += transfer.reversed_amount
        if made is None:
            if not report.error:
                line.differences.append(
                    f"transfer {transfer.provider_transfer_id} ({format_rmb(transfer.amount)}, payment {payment.pk}) "
                    "is in the books but not at the provider"
                )
            continue
        if made.amount != transfer.amount:
            line.differences.append(
                f"transfer {made.id}: {format_rmb(made.amount)} at the provider, {format_rmb(transfer.amount)} in the books"
            )
        if made.amount_reversed != transfer.reversed_amount:
            if apply and made.amount_reversed > transfer.reversed_amount:
                reversals_seen(made)
                report.applied.append(f"reversals of {made.id} booked")
            else:
                line.differences.append(
                    f"transfer {made.id}: {format_rmb(made.amount_reversed)} reversed at the provider, "
                    f"{format_rmb(transfer.reversed_amount)} in the books"
                )
        if reversals_pending[transfer.pk]:
            line.differences.append(
                f"REVERSAL MISSING: {format_rmb(reversals_pending[transfer.pk])} of transfer {made.id} "
                "for a refund not taken back from the payee yet"
            )
    for listed in at_provider:
        if listed.id not in known_ids and listed.destination in accounts:
            report.unknown.append(
                f"transfer {listed.id} of {format_rmb(listed.amount)} to {listed.destination}: not asked for here"
            )
    report.payees = list(lines.values())
    return report


def _ours(transfer: ProviderTransfer) -> bool:
    return bool(transfer.metadata.get("anju_transfer_id"))


__all__ = ["PayeeReconciliation", "Reconciliation", "payees_reconcile"]
