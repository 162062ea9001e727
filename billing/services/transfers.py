"""Money reaches its payee: transfers after an online payment, reversals before a refund.

The owner pays the platform once for bills of several payees (one Checkout). In the payment's own
transaction ``transfers_plan`` writes one Transfer per payee of the bills paid (the unique
(payment, payee) row is what makes it exactly once, whatever the number of notifications); outside
it ``transfers_send`` asks the provider to move each payee's share to its account, tied to the
charge (``source_payment_id``) and to the attempt (``transfer_group``), with the transfer's own
idempotency key, and ``_transfer_confirm`` books it once (a guarded update: a second confirmation
of the same transfer, from a retry or from the ``transfer.created`` notification, books nothing).

A refund of some bills is taken back from the payees of those bills (``reversals_plan`` in the
refund's transaction, ``reversals_send`` after it): the payee returns what it received first, the
platform returns its fee last, so a full refund of a bill takes back its whole transfer and the
fee, and the amounts always add up to the refund. A refund larger than what the payee received is
refused before anything is asked of the provider.

Ledger (per estate), besides the payment's and the refund's own entries:

    transfer sent      transferred      ← provider_clearing   (the payee's share)
                       platform_fees    ← provider_clearing   (the operator's fee, if any)
    reversal sent      provider_clearing ← transferred
                       provider_clearing ← platform_fees      (fee returned with a refund)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Sum, Value, When
from django.utils import timezone

from accounts.errors import refuse

from ..audit import money_audit, money_audit_row, money_audits
from ..ledger import ONLINE_METHODS, Posting, ledger_post, ledger_post_many
from ..models import AccountKind, Invoice, Payee, Payment, PaymentAllocation, Refund, Transfer, TransferReversal
from ..money import format_rmb
from ..providers import PaymentProvider, ProviderError, ProviderReversal, ProviderTransfer, get_provider
from .common import ZERO, provider_calls

logger = logging.getLogger(__name__)


def platform_fee_rate() -> Decimal:
    """The operator's fee as a share of each payee's money (settings.ANJU_PLATFORM_FEE_RATE; 0 = none)."""
    return Decimal(str(getattr(settings, "ANJU_PLATFORM_FEE_RATE", "0") or "0"))


def platform_fee(gross: Decimal) -> Decimal:
    """The fee on a payee's share, to the fen (half up), never more than the share."""
    rate = platform_fee_rate()
    if rate <= 0:
        return ZERO
    return min(gross, (gross * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def transfer_group(payment: Payment) -> str:
    return f"attempt-{payment.attempt_id}" if payment.attempt_id else f"payment-{payment.pk}"


def transfers_plan(*, payment: Payment, invoices: dict[int, Invoice]) -> list[Transfer]:
    """One Transfer per payee of the bills this online payment settled. Call in the payment's transaction.

    ``invoices``: the bills paid, by id (their payee fixed when they were issued). A bill without a
    payee (paid online before payees existed) leaves its money at the platform: reconciliation lists it.
    """
    return transfers_plan_many([(payment, list(payment.allocations.all()))], invoices=invoices)


def transfers_plan_many(
    payments: list[tuple[Payment, list[PaymentAllocation]]], *, invoices: dict[int, Invoice]
) -> list[Transfer]:
    """``transfers_plan`` for several payments, each with its allocations: two queries for all of them."""
    gross_by_payment: list[tuple[Payment, dict[int, Decimal]]] = []
    for payment, allocations in payments:
        if payment.method not in ONLINE_METHODS:
            continue
        gross: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for allocation in allocations:
            invoice = invoices[allocation.invoice_id]
            if invoice.payee_id is not None:
                gross[invoice.payee_id] += allocation.amount
        gross_by_payment.append((payment, gross))
    payees = Payee.objects.in_bulk({payee_id for _, gross in gross_by_payment for payee_id in gross})
    planned = []
    for payment, gross in gross_by_payment:
        for payee_id in sorted(gross):
            fee = platform_fee(gross[payee_id])
            planned.append(
                Transfer(
                    estate_id=payment.estate_id,
                    payment=payment,
                    payee_id=payee_id,
                    destination=payees[payee_id].account_id,
                    gross=gross[payee_id],
                    platform_fee=fee,
                    amount=gross[payee_id] - fee,
                    currency=payment.currency,
                )
            )
    return Transfer.objects.bulk_create(planned) if planned else []


def _transfer_confirm(transfer: Transfer, provider_transfer: ProviderTransfer) -> bool:
    """Book a transfer the provider made, once. True when this call booked it."""
    return _transfers_confirm([(transfer, provider_transfer)]) == 1


@transaction.atomic
def _transfers_confirm(made: list[tuple[Transfer, ProviderTransfer]]) -> int:
    """Book transfers the provider made, each once (a guarded update per transfer; a second confirmation
    books nothing); the ledger entries and audit rows of all of them written together. Returns how many
    this call booked."""
    # The transfers not booked yet, locked (a second confirmation, here or in transfer_seen, waits and then finds them booked).
    unbooked = set(
        Transfer.objects.select_for_update()
        .filter(pk__in=[t.pk for t, _ in made], provider_transfer_id__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    made = list({t.pk: (t, pt) for t, pt in made if t.pk in unbooked}.values())
    if not made:
        return 0
    Transfer.objects.filter(pk__in=[t.pk for t, _ in made]).update(
        provider_transfer_id=Case(*(When(pk=t.pk, then=Value(pt.id)) for t, pt in made)),
        sent_at=timezone.now(),
        last_error="",
    )
    postings: list[tuple[int, Posting]] = []
    audits = []
    for transfer, provider_transfer in made:
        memo = f"transfer {transfer.pk} of payment {transfer.payment_id} to {transfer.destination}"
        postings += [
            (
                transfer.estate_id,
                Posting(
                    AccountKind.TRANSFERRED, AccountKind.PROVIDER_CLEARING, transfer.amount, memo, payment_id=transfer.payment_id
                ),
            ),
            (
                transfer.estate_id,
                Posting(
                    AccountKind.PLATFORM_FEES,
                    AccountKind.PROVIDER_CLEARING,
                    transfer.platform_fee,
                    f"platform fee on {memo}",
                    payment_id=transfer.payment_id,
                ),
            ),
        ]
        audits.append(
            money_audit_row(
                action="transfer_sent",
                obj=transfer,
                estate_id=transfer.estate_id,
                data={"payee": transfer.payee_id, "amount": transfer.amount, "provider_transfer_id": provider_transfer.id},
            )
        )
    ledger_post_many(postings)
    money_audits(audits)
    return len(audits)


def transfers_send(
    *,
    transfers: list[Transfer] | None = None,
    payment: Payment | None = None,
    payments: list[Payment] | None = None,
    provider: PaymentProvider | None = None,
) -> int:
    """Ask the provider for the planned transfers not sent yet (of a payment, of several, or the given
    ones); returns how many were booked. Safe to repeat: each transfer's idempotency key is its own id.

    The provider is asked first, one transfer after another, outside any transaction; what it made is
    then booked in one transaction (each booking guarded, so a second confirmation books nothing). If
    the process dies in between, a retry gets the same transfers back by their keys, and the
    provider's ``transfer.created`` notifications book them too (``transfer_seen``).
    """
    if transfers is None:
        ids = [payment.pk] if payment is not None else [p.pk for p in payments or []]
        transfers = list(
            Transfer.objects.filter(payment_id__in=ids, provider_transfer_id__isnull=True)
            .select_related("payment", "payment__attempt")
            .order_by("pk")
        )
    # What the calls need, read here: the calls run in other threads, which must not touch the database.
    sendable = [
        (t, t.payment, provider or get_provider(t.payment.attempt.provider if t.payment.attempt is not None else "stripe"))
        for t in transfers
        if not t.provider_transfer_id and t.amount > 0
    ]

    def send(job: tuple[Transfer, Payment, PaymentProvider]) -> ProviderTransfer:
        transfer, paid, to = job
        if not transfer.destination:
            raise ProviderError("the payee has no account at the payment provider")
        return to.transfer_create(
            amount=transfer.amount,
            currency=transfer.currency,
            destination=transfer.destination,
            source_payment_id=paid.provider_charge_id,
            transfer_group=transfer_group(paid),
            metadata={"anju_transfer_id": transfer.pk, "payment_id": paid.pk, "payee_id": transfer.payee_id},
            idempotency_key=f"anju-transfer-{transfer.pk}",
        )

    made: list[tuple[Transfer, ProviderTransfer]] = []
    # Several at once (network); each one's idempotency key makes a repeat safe.
    for (transfer, _, _), outcome in zip(sendable, provider_calls(send, sendable), strict=True):
        if isinstance(outcome, ProviderError):
            logger.error("transfer %s to %s failed: %s", transfer.pk, transfer.destination, outcome)
            Transfer.objects.filter(pk=transfer.pk, provider_transfer_id__isnull=True).update(last_error=str(outcome)[:300])
        elif isinstance(outcome, Exception):
            raise outcome
        else:
            made.append((transfer, outcome))
    if not made:
        return 0
    return _transfers_confirm(made)


def transfer_seen(provider_transfer: ProviderTransfer) -> Transfer | None:
    """A transfer the provider reports (transfer.created / .updated): book it if our request's answer was lost."""
    transfer = Transfer.objects.filter(provider_transfer_id=provider_transfer.id).first()
    if transfer is None:
        raw = str(provider_transfer.metadata.get("anju_transfer_id") or "")
        transfer = Transfer.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if transfer is None:
            return None
        if transfer.provider_transfer_id is None:
            _transfer_confirm(transfer, provider_transfer)
            transfer.refresh_from_db()
    return transfer


# --- reversals -------------------------------------------------------------------------------


def _refunded_before(transfer: Transfer) -> Decimal:
    """How much of the payee's share has been given back so far (its reversals, planned or sent)."""
    totals = TransferReversal.objects.filter(transfer=transfer).aggregate(a=Sum("amount"), f=Sum("fee_returned"))
    return (totals["a"] or ZERO) + (totals["f"] or ZERO)


def reversals_check(*, payment: Payment, parts: list[tuple[Invoice, Decimal]]) -> None:
    """Refuse a refund that would take back from a payee more than it received for this payment."""
    for payee_id, amount in _by_payee(parts).items():
        transfer = Transfer.objects.filter(payment=payment, payee_id=payee_id).select_related("payee").first()
        if transfer is None:
            continue
        left = transfer.gross - _refunded_before(transfer)
        if amount > left:
            raise refuse(
                f"退款金额 {format_rmb(amount)} 超过收款方 {transfer.payee.legal_name} 就这笔付款收到且尚未退回的 {format_rmb(left)}",
                f"The refund {format_rmb(amount)} is more than the {format_rmb(left)} that {transfer.payee.legal_name} "
                "received for this payment and has not given back.",
                code="over_payee",
            )


def _by_payee(parts: list[tuple[Invoice, Decimal]]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice, part in parts:
        if invoice.payee_id is not None:
            totals[invoice.payee_id] += part
    return dict(totals)


def reversals_plan(*, refund: Refund, parts: list[tuple[Invoice, Decimal]]) -> list[TransferReversal]:
    """Take the refunded bills' money back from their payees. Call in the refund's transaction.

    Per payee: of the refunded amount, the payee returns what it still holds of its transfer, the
    platform its fee for the rest (``fee_returned``); the two always add up to the refunded amount.
    """
    planned = []
    for payee_id, part in sorted(_by_payee(parts).items()):
        transfer = Transfer.objects.select_for_update().filter(payment_id=refund.payment_id, payee_id=payee_id).first()
        if transfer is None:
            continue
        before = _refunded_before(transfer)
        if part > transfer.gross - before:
            raise refuse("退款金额超过收款方收到的金额", "The refund is more than the payee received.", code="over_payee")
        after = before + part
        amount = min(after, transfer.amount) - min(before, transfer.amount)
        planned.append(TransferReversal(transfer=transfer, refund=refund, amount=amount, fee_returned=part - amount))
    planned = TransferReversal.objects.bulk_create(planned)
    for reversal in planned:
        if reversal.amount == 0:  # only the platform's fee comes back: nothing to ask the provider
            _reversal_confirm(reversal, None)
    return planned


def _reversal_confirm(reversal: TransferReversal, made: ProviderReversal | None) -> bool:
    """Book a reversal once: the payee's transfer shows it, and the ledger. True when this call booked it."""
    with transaction.atomic():
        booked = TransferReversal.objects.filter(pk=reversal.pk, sent_at__isnull=True).update(
            provider_reversal_id=made.id if made is not None else None, sent_at=timezone.now(), last_error=""
        )
        if not booked:
            return False
        transfer = reversal.transfer
        Transfer.objects.filter(pk=transfer.pk).update(
            reversed_amount=F("reversed_amount") + reversal.amount, fee_returned=F("fee_returned") + reversal.fee_returned
        )
        memo = f"reversal {reversal.pk} of transfer {transfer.pk} from {transfer.destination}"
        ledger_post(
            estate_id=transfer.estate_id,
            postings=[
                Posting(
                    AccountKind.PROVIDER_CLEARING,
                    AccountKind.TRANSFERRED,
                    reversal.amount,
                    memo,
                    payment_id=transfer.payment_id,
                    refund_id=reversal.refund_id,
                ),
                Posting(
                    AccountKind.PROVIDER_CLEARING,
                    AccountKind.PLATFORM_FEES,
                    reversal.fee_returned,
                    f"platform fee returned, {memo}",
                    payment_id=transfer.payment_id,
                    refund_id=reversal.refund_id,
                ),
            ],
        )
        money_audit(
            action="transfer_reversed",
            obj=reversal,
            estate_id=transfer.estate_id,
            data={"transfer": transfer.pk, "amount": reversal.amount, "fee_returned": reversal.fee_returned},
        )
    return True


def reversals_send(
    *, reversals: list[TransferReversal] | None = None, refund: Refund | None = None, provider: PaymentProvider | None = None
) -> int:
    """Ask the provider for the planned reversals not sent yet (of a refund, or the given ones); returns how
    many were booked. A reversal of a transfer that was not sent yet waits for it."""
    if reversals is None:
        reversals = list(TransferReversal.objects.filter(refund=refund, sent_at__isnull=True).select_related("transfer__payment"))
    booked = 0
    for reversal in reversals:
        transfer = reversal.transfer
        if reversal.sent_at is not None or not transfer.provider_transfer_id:
            continue
        provider = provider or get_provider("stripe")
        try:
            made = provider.transfer_reverse(
                transfer_id=transfer.provider_transfer_id,
                amount=reversal.amount,
                metadata={"anju_reversal_id": reversal.pk, "refund_id": reversal.refund_id or ""},
                idempotency_key=f"anju-reversal-{reversal.pk}",
            )
        except ProviderError as exc:
            logger.error("reversal %s of transfer %s failed: %s", reversal.pk, transfer.pk, exc)
            TransferReversal.objects.filter(pk=reversal.pk, sent_at__isnull=True).update(last_error=str(exc)[:300])
            continue
        booked += _reversal_confirm(reversal, made)
    return booked


def reversals_seen(provider_transfer: ProviderTransfer) -> int:
    """The reversals a transfer.reversed notification lists: ours whose answer was lost are booked, and
    one made at the provider's dashboard is recorded (the money is back at the platform). Returns how many
    were booked now."""
    transfer = Transfer.objects.filter(provider_transfer_id=provider_transfer.id).first()
    if transfer is None:
        return 0
    booked = 0
    for made in provider_transfer.reversals:
        if TransferReversal.objects.filter(provider_reversal_id=made.id).exists():
            continue
        raw = str(made.metadata.get("anju_reversal_id") or "")
        ours = TransferReversal.objects.filter(pk=int(raw), transfer=transfer).first() if raw.isdigit() else None
        if ours is None:
            with transaction.atomic():
                locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
                if TransferReversal.objects.filter(provider_reversal_id=made.id).exists():
                    continue
                if made.amount > locked.amount - locked.reversed_amount:
                    logger.error("reversal %s is more than is left of transfer %s", made.id, transfer.pk)
                    continue
                ours = TransferReversal.objects.create(transfer=locked, amount=made.amount)
                booked += _reversal_confirm(ours, made)
            continue
        booked += _reversal_confirm(ours, made)
    return booked


__all__ = [
    "platform_fee",
    "platform_fee_rate",
    "reversals_check",
    "reversals_plan",
    "reversals_seen",
    "reversals_send",
    "transfer_group",
    "transfer_seen",
    "transfers_plan",
    "transfers_send",
]
