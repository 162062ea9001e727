"""What the payment provider tells us: notifications stored once, handled in a task, paid sessions applied.

The provider notifies the webhook → ``event_store`` keeps the verified notification once by its id
and queues ``online_tasks.provider_event_process`` after commit → the task handles it, with other
waiting events, in a batch (``event_batches``) → paid sessions through ``sessions_paid_apply``, any
other notification through ``event_handle``, which dispatches by kind.

Exactly one payment per paid session, whatever the order and number of notifications: the attempt
row is locked while a paid session is applied, ``payment_record`` is idempotent per attempt and per
(method, reference = session id), and the database's unique constraints are the last line of
defence. Money that cannot be applied (the bills were paid meanwhile, e.g. in cash or in another
tab) is refunded through the provider automatically; an amount or currency that does not match
the attempt is flagged for staff and not applied.

Provider calls are slow network I/O: they always happen outside database transactions.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.status import StatusChangedError, transition

from ..audit import money_audit
from ..models import AttemptInvoice, AttemptStatus, Invoice, InvoiceStatus, MoneyAudit, Payment, PaymentAttempt, ProviderEvent
from ..money import format_rmb, quantize
from ..providers import CheckoutSession, Notification, NotificationKind, PaymentDetails, PaymentProvider, get_provider
from .common import ZERO, provider_calls
from .payees import payee_status_apply
from .payment_batches import sessions_record_together
from .payments import payment_record
from .refunds import refund_record
from .transfers import reversals_seen, reversals_send, transfer_seen, transfers_plan, transfers_send

logger = logging.getLogger(__name__)

# Stripe accepts expires_at from 30 minutes on; the page closes after SESSION_LIFETIME (the
# selectors let an open attempt block its bills a little longer, ATTEMPT_BLOCKS_FOR).
SESSION_LIFETIME = datetime.timedelta(minutes=31)
PROCESS_TASK = "billing.online_tasks.provider_event_process"
EXCESS_DECIDED = "online_excess"
EXCESS_REFUNDED = "online_excess_refunded"


class EventDeferredError(Exception):
    """The notification cannot be handled yet (e.g. a refund of a payment not recorded yet)."""


class EventRefusedError(Exception):
    """A notification about something Anju does not know (e.g. an unknown connected account): nothing is
    written, the reason is kept on the stored event, and it is not tried again."""


def event_store(*, provider: str, notification: Notification) -> tuple[ProviderEvent | None, bool]:
    """Keep a verified notification once by its id and queue its handling after commit.

    Returns (event, created); a duplicate returns (None, False) and changes nothing.
    """
    if ProviderEvent.objects.filter(provider=provider, event_id=notification.id).exists():
        return None, False
    try:
        with transaction.atomic():
            event = ProviderEvent.objects.create(
                provider=provider, event_id=notification.id, type=notification.type[:100], payload=notification.payload
            )
            if _queue_is_this_database():
                # The task row commits with the event row, or neither does (one commit, not two); a
                # worker cannot see the task before the event, which is what "after commit" is for.
                queue_event(event.pk)
            else:
                # Another broker (Redis): queued after the commit; a task lost on the way is queued
                # again by event_batches.events_sweep.
                transaction.on_commit(lambda: queue_event(event.pk), robust=True)
    except IntegrityError:  # the same event, delivered twice at the same moment
        return None, False
    return event, True


def _queue_is_this_database() -> bool:
    """django-q's ORM broker on our own database, and tasks not run inline (sync mode in tests)."""
    from django_q.conf import Conf

    return Conf.ORM == DEFAULT_DB_ALIAS and not Conf.SYNC


def queue_event(event_pk: int) -> None:
    """Queue the handling of a stored event (online_tasks.provider_event_process)."""
    from django_q.tasks import async_task

    async_task(PROCESS_TASK, event_pk, task_name=f"provider-event-{event_pk}")


def event_handle(*, event: ProviderEvent, provider: PaymentProvider | None = None) -> None:
    """Do what a stored notification asks; safe to run any number of times, in any order."""
    provider = provider or get_provider(event.provider)
    notification = provider.notification_parse(event.payload)
    handler = HANDLERS.get(notification.kind)
    if handler is not None:
        handler(notification=notification, provider=provider)


def _on_session_completed(*, notification: Notification, provider: PaymentProvider) -> None:
    session = notification.session
    if session is not None and session.paid:
        session_paid_apply(session=session, provider=provider)
    # else: an async method (e.g. a bank debit) will report success or failure later.


def _on_session_paid(*, notification: Notification, provider: PaymentProvider) -> None:
    if notification.session is not None:
        session_paid_apply(session=notification.session, provider=provider)


Handler = Callable[..., None]


def _on_session_closed(status: str) -> Handler:
    def handler(*, notification: Notification, provider: PaymentProvider) -> None:
        attempt = _attempt_for(notification.session)
        if attempt is not None:
            attempt_close(attempt, to=status, note=notification.type[:200])

    return handler


def attempt_close(attempt: PaymentAttempt, *, to: str, note: str = "", **changes: object) -> None:
    """Close an open attempt (failed, expired). Only an open attempt moves: a paid or flagged one
    stays what it is, whatever comes late, and one that someone else moved meanwhile is left alone."""
    if attempt.status != AttemptStatus.OPEN:
        return
    try:
        transition(attempt, to=to, note=note, updated_at=timezone.now(), **changes)
    except StatusChangedError:
        logger.info("attempt %s moved meanwhile; not marked %s", attempt.pk, to)


def _on_refunded(*, notification: Notification, provider: PaymentProvider) -> None:
    provider_payment_id = notification.provider_payment_id
    if not provider_payment_id:
        return
    payment = Payment.objects.filter(provider_payment_id=provider_payment_id).first()
    refunds = notification.refunds or provider.refunds_list(provider_payment_id=provider_payment_id)
    ours = [r for r in refunds if r.metadata.get("anju_kind") == "excess"]
    others = [r for r in refunds if r.succeeded and r not in ours]
    if not others:
        return
    if payment is None:
        raise EventDeferredError(f"no payment recorded yet for {provider_payment_id}")
    for refund in others:
        try:
            booked = refund_record(
                payment=payment,
                amount=quantize(refund.amount),
                reason=_("Refunded at the payment provider (%(id)s)") % {"id": refund.id},
                provider_refund_id=refund.id,
            )
        except ValidationError as exc:
            _flag(payment.attempt, f"refund {refund.id} could not be recorded: {'; '.join(exc.messages)}")
            continue
        # A refund made at the provider's dashboard is taken back from the payees too.
        reversals_send(refund=booked, provider=provider)


def _on_account_updated(*, notification: Notification, provider: PaymentProvider) -> None:
    account = notification.account
    if account is None:
        return
    if not payee_status_apply(account, provider=provider.name):
        raise EventRefusedError(f"unknown connected account {account.id}: no payee uses it")


def _on_transfer(*, notification: Notification, provider: PaymentProvider) -> None:
    if notification.transfer is not None and transfer_seen(notification.transfer) is None:
        raise EventRefusedError(f"unknown transfer {notification.transfer.id}")


def _on_transfer_reversed(*, notification: Notification, provider: PaymentProvider) -> None:
    if notification.transfer is None:
        return
    if transfer_seen(notification.transfer) is None:
        raise EventRefusedError(f"unknown transfer {notification.transfer.id}")
    reversals_seen(notification.transfer)


HANDLERS: dict[str, Handler] = {
    NotificationKind.SESSION_COMPLETED: _on_session_completed,
    NotificationKind.SESSION_PAID: _on_session_paid,
    NotificationKind.SESSION_FAILED: _on_session_closed(AttemptStatus.FAILED),
    NotificationKind.SESSION_EXPIRED: _on_session_closed(AttemptStatus.EXPIRED),
    NotificationKind.REFUNDED: _on_refunded,
    NotificationKind.ACCOUNT_UPDATED: _on_account_updated,
    NotificationKind.TRANSFER: _on_transfer,
    NotificationKind.TRANSFER_REVERSED: _on_transfer_reversed,
}


# --- applying a paid session -----------------------------------------------------------------


def _attempt_for(session: CheckoutSession | None) -> PaymentAttempt | None:
    if session is None:
        return None
    attempt = PaymentAttempt.objects.filter(provider_session_id=session.id).first()
    if attempt is None and session.attempt_id:
        # The notification came before the session id was saved on the attempt (a narrow race).
        attempt = PaymentAttempt.objects.filter(pk=session.attempt_id, provider_session_id__isnull=True).first()
    return attempt


def _flag(attempt: PaymentAttempt | None, reason: str) -> None:
    if attempt is None:
        logger.error("online payment problem without an attempt: %s", reason)
        return
    PaymentAttempt.objects.filter(pk=attempt.pk).update(flag_reason=reason[:300])
    logger.error("payment attempt %s flagged: %s", attempt.pk, reason)


def _attempt_audits(attempt: PaymentAttempt, action: str) -> QuerySet[MoneyAudit]:
    return MoneyAudit.objects.filter(
        action=action, object_type=ContentType.objects.get_for_model(PaymentAttempt), object_id=attempt.pk
    )


def excess_decision(attempt: PaymentAttempt) -> MoneyAudit | None:
    return _attempt_audits(attempt, EXCESS_DECIDED).order_by("pk").first()


@dataclass
class _Outcome:
    attempt: PaymentAttempt
    payment: Payment | None
    excess: Decimal


def session_paid_apply(*, session: CheckoutSession, provider: PaymentProvider | None = None) -> Payment | None:
    """Turn a paid session into exactly one payment (and its receipt); idempotent.

    Returns the payment, or None when nothing could be applied (flagged, or all refunded).
    """
    outcome = sessions_paid_apply(sessions=[session], provider=provider)[session.id]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def sessions_paid_apply(
    *, sessions: list[CheckoutSession], provider: PaymentProvider | None = None
) -> dict[str, Payment | None | Exception]:
    """Turn paid sessions into exactly one payment each; idempotent. By session id: the payment, None
    when nothing could be applied (flagged, or all refunded), or the exception that stopped that session.

    In three steps, so that a batch costs one commit rather than one per session and no provider call
    happens inside a transaction: (1) the provider is asked for each new payment's details; (2) every
    session is applied in one transaction, each in its own savepoint (one failure undoes only its own
    session); (3) excess money goes back and each payee's share is sent (again after a duplicate
    notification: only what is not sent yet), then refund notifications that waited for these payments
    are handled.
    """
    provider = provider or get_provider()
    results: dict[str, Payment | None | Exception] = {}
    unique = list({s.id: s for s in sessions}.values())
    attempts = {a.provider_session_id: a for a in PaymentAttempt.objects.filter(provider_session_id__in=[s.id for s in unique])}
    for session in unique:
        if session.id not in attempts:
            attempt = _attempt_for(session)
            if attempt is None:
                results[session.id] = LookupError(
                    f"no payment attempt for session {session.id} (attempt id {session.attempt_id})"
                )
            else:
                attempts[session.id] = attempt
    ids = [a.pk for a in attempts.values()]
    paid_before = set(Payment.objects.filter(attempt_id__in=ids).values_list("attempt_id", flat=True))
    decided = _attempts_with(EXCESS_DECIDED, ids)

    todo: list[tuple[CheckoutSession, PaymentAttempt, PaymentDetails | None]] = []
    known = [(s, attempts[s.id]) for s in unique if s.id in attempts]
    new = [s for s, a in known if a.pk not in paid_before and a.status != AttemptStatus.FLAGGED and a.pk not in decided]
    # Network, before the transaction, several at once; a failed call is that session's outcome, the others go on.
    asked = dict(zip([s.id for s in new], provider_calls(provider.payment_details, new), strict=True))
    for session, attempt in known:
        details = asked.get(session.id)
        if isinstance(details, Exception):
            results[session.id] = details
            continue
        todo.append((session, attempt, details))

    applied: list[tuple[CheckoutSession, PaymentAttempt]] = []
    # One lock order for every batch (estate, then attempt): two workers applying batches that span the same
    # estates take their receipt counters and ledger accounts in the same order and never deadlock.
    todo.sort(key=lambda item: (item[1].estate_id, item[1].pk))
    with transaction.atomic():
        # The plain sessions together (a fixed number of queries for the batch), the rest one by one.
        together = sessions_record_together(todo, excess_action=EXCESS_DECIDED)
        for session, attempt, details in todo:
            if attempt.pk in together:
                applied.append((session, together[attempt.pk].attempt))
                continue
            try:
                if details is not None:
                    outcome = _apply(attempt_pk=attempt.pk, session=session, details=details)  # its own savepoint
                    attempt = outcome.attempt
                    if outcome.excess > 0:
                        decided.add(attempt.pk)
            except Exception as exc:  # noqa: BLE001 - rolled back to its savepoint; the others go on
                results[session.id] = exc
                continue
            applied.append((session, attempt))

    payments = {p.attempt_id: p for p in Payment.objects.filter(attempt_id__in=[a.pk for _, a in applied])}
    for session, attempt in applied:
        if attempt.pk in decided:
            try:
                _excess_refund(attempt=attempt, session=session, provider=provider)
            except Exception as exc:  # noqa: BLE001
                results[session.id] = exc
                continue
        results[session.id] = payments.get(attempt.pk)
    # Each payee's share to its account; then refunds that were notified before their payment existed.
    transfers_send(payments=list(payments.values()), provider=provider)
    _deferred_events_retry(provider_payment_ids=[p.provider_payment_id for p in payments.values()], provider=provider)
    return results


def _attempts_with(action: str, attempt_ids: list[int]) -> set[int]:
    """The attempts among ``attempt_ids`` with a money-audit row of ``action`` (one query)."""
    return set(
        MoneyAudit.objects.filter(
            action=action, object_type=ContentType.objects.get_for_model(PaymentAttempt), object_id__in=attempt_ids
        ).values_list("object_id", flat=True)
    )


@transaction.atomic
def _apply(*, attempt_pk: int, session: CheckoutSession, details: PaymentDetails) -> _Outcome:
    attempt = PaymentAttempt.objects.select_for_update(of=("self",)).select_related("estate", "user").get(pk=attempt_pk)
    payment = Payment.objects.filter(attempt=attempt).first()
    if payment is not None or attempt.status == AttemptStatus.FLAGGED or excess_decision(attempt) is not None:
        return _Outcome(attempt=attempt, payment=payment, excess=ZERO)  # another handler got here first
    if attempt.provider_session_id is None:
        attempt.provider_session_id = session.id
    elif attempt.provider_session_id != session.id:
        return _flag_mismatch(attempt, f"session {session.id} is not this attempt's session {attempt.provider_session_id}")
    if session.amount is None or quantize(session.amount) != attempt.amount:
        return _flag_mismatch(attempt, f"amount paid {format_rmb(session.amount)} ≠ amount asked {format_rmb(attempt.amount)}")
    if session.currency.lower() != attempt.currency.lower():
        return _flag_mismatch(attempt, f"currency paid {session.currency} ≠ currency asked {attempt.currency}")

    shares = list(AttemptInvoice.objects.filter(attempt=attempt).order_by("invoice_id"))
    invoices = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=[s.invoice_id for s in shares]).order_by("pk")}
    applicable: dict[int, Decimal] = {}
    for share in shares:
        invoice = invoices[share.invoice_id]
        if invoice.status != InvoiceStatus.VOID:
            part = min(share.amount, invoice.outstanding)
            if part > 0:
                applicable[invoice.pk] = part
    applied = sum(applicable.values(), ZERO)
    excess = attempt.amount - applied
    payment = None
    if applied > 0:
        first = invoices[shares[0].invoice_id]
        payment = payment_record(
            estate=attempt.estate,
            invoices=[invoices[pk] for pk in applicable],
            amount=applied,
            method=details.method,
            received_at=details.received_at,
            reference=session.id,
            payer_name=first.payer_name or (attempt.user.name or attempt.user.mobile if attempt.user else ""),
            payer_user=attempt.user,
            attempt=attempt,
            provider_payment_id=details.provider_payment_id,
            provider_charge_id=details.provider_charge_id,
        )
        transfers_plan(payment=payment, invoices=invoices)
    if excess > 0:
        # Say why each bill's money came back: a bill voided meanwhile is not "already paid".
        voided = [invoices[s.invoice_id].number for s in shares if invoices[s.invoice_id].status == InvoiceStatus.VOID]
        already_paid = [
            invoices[s.invoice_id].number
            for s in shares
            if invoices[s.invoice_id].status != InvoiceStatus.VOID
            and (s.invoice_id not in applicable or applicable[s.invoice_id] < s.amount)
        ]
        why = [
            f"{label} {', '.join(numbers)}" for label, numbers in (("voided", voided), ("already paid", already_paid)) if numbers
        ]
        attempt.flag_reason = f"{format_rmb(excess)} refunded automatically: {'; '.join(why)}"[:300]
        money_audit(
            action=EXCESS_DECIDED,
            obj=attempt,
            estate_id=attempt.estate_id,
            user=None,
            data={"session": session.id, "amount": excess, "applied": applied, "already_paid": already_paid, "voided": voided},
        )
    _attempt_settle(attempt, to=AttemptStatus.PAID if payment is not None else AttemptStatus.FAILED, note=f"session {session.id}")
    return _Outcome(attempt=attempt, payment=payment, excess=excess)


def _attempt_settle(attempt: PaymentAttempt, *, to: str, note: str = "") -> None:
    """Save what applying a session decided about the (locked) attempt, its status through the table."""
    changes = {
        "provider_session_id": attempt.provider_session_id,
        "flag_reason": attempt.flag_reason,
        "updated_at": timezone.now(),
    }
    if attempt.status == to:  # e.g. a failed attempt whose late money is all given back: it stays failed
        PaymentAttempt.objects.filter(pk=attempt.pk).update(**changes)
    else:
        transition(attempt, to=to, note=note, **changes)


def _flag_mismatch(attempt: PaymentAttempt, reason: str) -> _Outcome:
    attempt.flag_reason = reason[:300]
    _attempt_settle(attempt, to=AttemptStatus.FLAGGED, note=reason[:200])
    money_audit(action="online_flagged", obj=attempt, estate_id=attempt.estate_id, data={"reason": reason})
    logger.error("payment attempt %s flagged for staff: %s", attempt.pk, reason)
    return _Outcome(attempt=attempt, payment=None, excess=ZERO)


def _excess_refund(*, attempt: PaymentAttempt, session: CheckoutSession, provider: PaymentProvider) -> None:
    """Give back, through the provider, money decided to be excess (once; the key makes retries safe)."""
    decision = excess_decision(attempt)
    if decision is None or _attempt_audits(attempt, EXCESS_REFUNDED).exists():
        return
    amount = Decimal(decision.data["amount"])
    refund = provider.refund_create(
        provider_payment_id=session.provider_payment_id,
        amount=amount,
        reason="duplicate",
        idempotency_key=f"anju-excess-{attempt.pk}",
        metadata={"anju_kind": "excess", "attempt_id": attempt.pk},
    )
    money_audit(
        action=EXCESS_REFUNDED,
        obj=attempt,
        estate_id=attempt.estate_id,
        data={"session": session.id, "amount": amount, "provider_refund_id": refund.id},
    )


def _deferred_events_retry(*, provider_payment_ids: list[str], provider: PaymentProvider) -> None:
    """Refund notifications that came before their payment: handle them now that it exists."""
    ids = [i for i in provider_payment_ids if i]
    if not ids:
        return
    waiting = ProviderEvent.objects.filter(
        provider=provider.name,
        type="charge.refunded",
        processed_at__isnull=True,
        payload__data__object__payment_intent__in=ids,
    )
    for event in waiting:
        event_process(event=event, provider=provider)


def event_process(*, event: ProviderEvent, provider: PaymentProvider | None = None) -> bool:
    """Handle a stored event and record the outcome on it; True when it is done."""
    if event.processed_at is not None:
        return True
    try:
        event_handle(event=event, provider=provider)
    except EventDeferredError as exc:
        ProviderEvent.objects.filter(pk=event.pk).update(error=f"waiting: {exc}"[:2000])
        return False
    except EventRefusedError as exc:
        logger.warning("provider event %s refused: %s", event.event_id, exc)
        ProviderEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(
            processed_at=timezone.now(), error=f"refused: {exc}"[:2000]
        )
        return True
    except Exception as exc:
        ProviderEvent.objects.filter(pk=event.pk).update(error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    ProviderEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(processed_at=timezone.now(), error="")
    return True
