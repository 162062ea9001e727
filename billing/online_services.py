"""Online payments: payment attempts, provider notifications and what they do to the books.

The flow: an owner picks bills → ``attempt_create`` locks them, records a PaymentAttempt and opens a
hosted payment page at the provider (outside the transaction) → the provider notifies the webhook
→ ``event_store`` keeps the verified notification once by its id and queues
``online_tasks.provider_event_process`` after commit → ``event_handle`` dispatches by kind.

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
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .ledger import ONLINE_METHODS
from .models import (
    AttemptInvoice,
    AttemptStatus,
    Invoice,
    InvoiceStatus,
    MoneyAudit,
    Payment,
    PaymentAttempt,
    ProviderEvent,
    Receipt,
    Refund,
)
from .money import format_rmb, quantize
from .providers import (
    CheckoutLine,
    CheckoutRequest,
    CheckoutSession,
    Notification,
    NotificationKind,
    PaymentProvider,
    ProviderError,
    get_provider,
)
from .services import bilingual, money_audit, payment_record, refund_check, refund_record

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)
# Stripe accepts expires_at from 30 minutes on; the page closes after SESSION_LIFETIME. Locally an
# open attempt blocks its bills a little longer, so that a page still open at the provider always
# blocks a second attempt for the same bills.
SESSION_LIFETIME = datetime.timedelta(minutes=31)
ATTEMPT_BLOCKS_FOR = datetime.timedelta(minutes=35)
PROCESS_TASK = "billing.online_tasks.provider_event_process"
EXCESS_DECIDED = "online_excess"
EXCESS_REFUNDED = "online_excess_refunded"


class PaymentInProgressError(ValidationError):
    """Some of the bills are already in an open payment attempt (e.g. another browser tab)."""

    def __init__(self, message: str, *, attempt: PaymentAttempt):
        super().__init__(message, code="in_progress")
        self.attempt = attempt


class EventDeferredError(Exception):
    """The notification cannot be handled yet (e.g. a refund of a payment not recorded yet)."""


# --- selectors used by the services and the portal ---------------------------------------------


def invoices_of_user(*, user):
    """Bills the person pays: they are the payer on the bill, or the bill's owner is linked to them."""
    if not getattr(user, "is_authenticated", False):
        return Invoice.objects.none()
    return Invoice.objects.filter(Q(payer_owner__user=user) | Q(payer_user=user))


def attempts_blocking(*, invoice_ids, now: datetime.datetime | None = None):
    """Open attempts that still hold any of these bills."""
    now = now or timezone.now()
    return PaymentAttempt.objects.filter(
        status=AttemptStatus.OPEN, created_at__gt=now - ATTEMPT_BLOCKS_FOR, attemptinvoice__invoice_id__in=list(invoice_ids)
    ).distinct()


# --- creating and cancelling an attempt ------------------------------------------------------


def _line_name(invoice: Invoice) -> str:
    parts = [invoice.get_charge_kind_display(), f"{invoice.period:%Y-%m}"]
    if invoice.unit_id:
        parts.append(invoice.unit.key)
    parts.append(invoice.number)
    return " · ".join(str(p) for p in parts)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def attempt_create(*, user, invoices: list[Invoice], provider: PaymentProvider | None = None) -> PaymentAttempt:
    """Start paying ``invoices`` online; returns the attempt with its provider's checkout URL.

    Refuses (ValidationError with a message for the owner) bills that are not the user's to pay,
    already paid, void, of several estates, or held by another open attempt (PaymentInProgressError).
    """
    provider = provider or get_provider()
    ids = sorted({invoice.pk for invoice in invoices})
    if not ids:
        raise ValidationError(_("Choose at least one bill to pay."), code="no_invoices")
    if invoices_of_user(user=user).filter(pk__in=ids).count() != len(ids):
        raise Invoice.DoesNotExist("not the user's bill")
    with transaction.atomic():
        locked = list(
            Invoice.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("unit__building", "estate")
            .order_by("pk")
        )
        for invoice in locked:
            if invoice.status == InvoiceStatus.VOID:
                raise ValidationError(
                    _("Bill %(number)s has been cancelled and cannot be paid.") % {"number": invoice.number}, code="void"
                )
            if invoice.status not in PAYABLE or invoice.outstanding <= 0:
                raise ValidationError(_("Bill %(number)s is already paid.") % {"number": invoice.number}, code="paid")
        if len({invoice.estate_id for invoice in locked}) > 1:
            raise ValidationError(_("Pay the bills of one estate at a time."), code="several_estates")
        blocking = attempts_blocking(invoice_ids=ids).first()
        if blocking is not None:
            raise PaymentInProgressError(
                _(
                    "A payment for some of these bills is already in progress (perhaps in another window). "
                    "Finish or cancel it first."
                ),
                attempt=blocking,
            )
        amount = sum((invoice.outstanding for invoice in locked), ZERO)
        attempt = PaymentAttempt.objects.create(
            estate_id=locked[0].estate_id, user=user, amount=amount, currency="cny", provider=provider.name
        )
        AttemptInvoice.objects.bulk_create(
            AttemptInvoice(attempt=attempt, invoice=invoice, amount=invoice.outstanding) for invoice in locked
        )

    result_path = reverse("portal_billing:payment_result", args=[attempt.pk])
    request = CheckoutRequest(
        attempt_id=attempt.pk,
        amount=attempt.amount,
        currency=attempt.currency,
        lines=[CheckoutLine(name=_line_name(invoice), amount=invoice.outstanding) for invoice in locked],
        success_url=_absolute(result_path),
        cancel_url=_absolute(result_path + "?cancelled=1"),
        expires_at=timezone.now() + SESSION_LIFETIME,
        description=f"{locked[0].estate.name} {', '.join(invoice.number for invoice in locked)}"[:500],
    )
    try:
        session = provider.checkout_create(request, idempotency_key=f"anju-attempt-{attempt.pk}")
    except ProviderError as exc:
        logger.warning("checkout for attempt %s failed: %s", attempt.pk, exc)
        PaymentAttempt.objects.filter(pk=attempt.pk).update(status=AttemptStatus.FAILED, flag_reason=str(exc)[:300])
        raise ValidationError(
            _("The payment service cannot be reached right now. Nothing was charged; please try again later."),
            code="provider",
        ) from exc
    PaymentAttempt.objects.filter(pk=attempt.pk).update(provider_session_id=session.id, checkout_url=session.url)
    attempt.provider_session_id, attempt.checkout_url = session.id, session.url
    return attempt


def attempt_cancel(*, attempt: PaymentAttempt, provider: PaymentProvider | None = None) -> PaymentAttempt:
    """The owner gives up an open attempt: close the page at the provider, then free the bills.

    If the provider says the page was paid meanwhile, the payment is applied instead.
    """
    if attempt.status != AttemptStatus.OPEN:
        return attempt
    provider = provider or get_provider(attempt.provider)
    if attempt.provider_session_id:
        try:
            session = provider.checkout_cancel(attempt.provider_session_id)
        except ProviderError as exc:
            raise ValidationError(_("The payment could not be cancelled. Please try again."), code="provider") from exc
        if session.paid:
            session_paid_apply(session=session, provider=provider)
            attempt.refresh_from_db()
            return attempt
        if session.status == "open":  # the provider did not close it: keep the bills blocked
            raise ValidationError(_("The payment could not be cancelled. Please try again."), code="provider")
    PaymentAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.OPEN).update(status=AttemptStatus.EXPIRED)
    attempt.refresh_from_db()
    return attempt


def attempt_sync(*, attempt: PaymentAttempt, provider: PaymentProvider | None = None) -> PaymentAttempt:
    """Ask the provider about an open attempt (the owner waits on the result page; the webhook may be late)."""
    if attempt.status != AttemptStatus.OPEN or not attempt.provider_session_id:
        return attempt
    provider = provider or get_provider(attempt.provider)
    try:
        session = provider.checkout_retrieve(attempt.provider_session_id)
    except ProviderError as exc:
        logger.info("could not check attempt %s: %s", attempt.pk, exc)
        return attempt
    if session.paid:
        session_paid_apply(session=session, provider=provider)
    elif session.status == "expired":
        PaymentAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.OPEN).update(status=AttemptStatus.EXPIRED)
    attempt.refresh_from_db()
    return attempt


# --- notifications ---------------------------------------------------------------------------


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
                _queue(event.pk)
            else:
                transaction.on_commit(lambda: _queue(event.pk), robust=True)
    except IntegrityError:  # the same event, delivered twice at the same moment
        return None, False
    return event, True


def _queue_is_this_database() -> bool:
    """django-q's ORM broker on our own database, and tasks not run inline (sync mode in tests)."""
    from django_q.conf import Conf

    return Conf.ORM == DEFAULT_DB_ALIAS and not Conf.SYNC


def _queue(event_pk: int) -> None:
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
    if session.paid:
        session_paid_apply(session=session, provider=provider)
    # else: an async method (e.g. a bank debit) will report success or failure later.


def _on_session_paid(*, notification: Notification, provider: PaymentProvider) -> None:
    session_paid_apply(session=notification.session, provider=provider)


def _on_session_closed(status: str):
    def handler(*, notification: Notification, provider: PaymentProvider) -> None:
        attempt = _attempt_for(notification.session)
        if attempt is not None:
            # Only an open attempt moves: a paid (or flagged) one stays what it is, whatever comes late.
            PaymentAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.OPEN).update(status=status)

    return handler


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
            refund_record(
                payment=payment,
                amount=quantize(refund.amount),
                reason=_("Refunded at the payment provider (%(id)s)") % {"id": refund.id},
                provider_refund_id=refund.id,
            )
        except ValidationError as exc:
            _flag(payment.attempt, f"refund {refund.id} could not be recorded: {'; '.join(exc.messages)}")


HANDLERS = {
    NotificationKind.SESSION_COMPLETED: _on_session_completed,
    NotificationKind.SESSION_PAID: _on_session_paid,
    NotificationKind.SESSION_FAILED: _on_session_closed(AttemptStatus.FAILED),
    NotificationKind.SESSION_EXPIRED: _on_session_closed(AttemptStatus.EXPIRED),
    NotificationKind.REFUNDED: _on_refunded,
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


def _attempt_audits(attempt: PaymentAttempt, action: str):
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
    provider = provider or get_provider()
    attempt = _attempt_for(session)
    if attempt is None:
        raise LookupError(f"no payment attempt for session {session.id} (attempt id {session.attempt_id})")
    existing = Payment.objects.filter(attempt=attempt).first()
    if existing is None and attempt.status != AttemptStatus.FLAGGED and excess_decision(attempt) is None:
        details = provider.payment_details(session)  # network: before the transaction
        outcome = _apply(attempt_pk=attempt.pk, session=session, details=details)
    else:
        outcome = _Outcome(attempt=attempt, payment=existing, excess=ZERO)
    _excess_refund(attempt=outcome.attempt, session=session, provider=provider)
    if outcome.payment is not None:
        _deferred_events_retry(provider_payment_id=session.provider_payment_id, provider=provider)
    return outcome.payment


@transaction.atomic
def _apply(*, attempt_pk: int, session: CheckoutSession, details) -> _Outcome:
    attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_pk)
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
            payer_name=first.payer_name or attempt.user.name or attempt.user.mobile,
            payer_user=attempt.user,
            attempt=attempt,
            provider_payment_id=details.provider_payment_id,
        )
    attempt.status = AttemptStatus.PAID if payment is not None else AttemptStatus.FAILED
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
    attempt.save(update_fields=["status", "provider_session_id", "flag_reason", "updated_at"])
    return _Outcome(attempt=attempt, payment=payment, excess=excess)


def _flag_mismatch(attempt: PaymentAttempt, reason: str) -> _Outcome:
    attempt.status = AttemptStatus.FLAGGED
    attempt.flag_reason = reason[:300]
    attempt.save(update_fields=["status", "provider_session_id", "flag_reason", "updated_at"])
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


def _deferred_events_retry(*, provider_payment_id: str, provider: PaymentProvider) -> None:
    """Refund notifications that came before their payment: handle them now that it exists."""
    if not provider_payment_id:
        return
    waiting = ProviderEvent.objects.filter(
        provider=provider.name,
        type="charge.refunded",
        processed_at__isnull=True,
        payload__data__object__payment_intent=provider_payment_id,
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
    except Exception as exc:
        ProviderEvent.objects.filter(pk=event.pk).update(error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    ProviderEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(processed_at=timezone.now(), error="")
    return True


# --- refunds staff make for online payments --------------------------------------------------


def _refuse_online(zh: str, en: str, code: str) -> ValidationError:
    return ValidationError(bilingual(zh, en), code=code)


def _refund_key(payment: Payment, request_key: str) -> str:
    """The form's key, tied to the payment (a key sent with another payment's form is another refund)."""
    return f"{payment.pk}-{(request_key or '').strip()[:40] or uuid.uuid4().hex}"


def online_refund(
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    by=None,
    request_key: str = "",
    provider: PaymentProvider | None = None,
) -> Refund:
    """Refund (part of) an online payment: at the provider first, then in the books (refund_record).

    The refund is checked first (refund_check), then the provider is asked, outside any database
    transaction, with an idempotency key made from ``request_key`` (the staff member's refund form):
    the same form posted twice makes one refund at the provider and one in the books. The
    provider's refund id is stored on the Refund, so the charge.refunded notification that follows
    finds it already recorded. If the provider fails or refuses, nothing is booked and the
    ValidationError (Chinese, then English) says so.
    """
    request_key = _refund_key(payment, request_key)
    if found := Refund.objects.filter(request_key=request_key).first():
        return found  # the same form, posted again
    if payment.method not in ONLINE_METHODS or not payment.provider_payment_id:
        raise _refuse_online(
            "这笔付款不是在线支付的，请按线下（柜台）退款处理",
            "This payment was not made online; record the refund at the counter instead.",
            "not_online",
        )
    amount = refund_check(payment=payment, amount=amount, reason=reason)
    provider = provider or get_provider(payment.attempt.provider if payment.attempt_id else "stripe")
    try:
        provider_refund = provider.refund_create(
            provider_payment_id=payment.provider_payment_id,
            amount=amount,
            reason="requested_by_customer",
            idempotency_key=f"anju-refund-{request_key}",
            metadata={"anju_kind": "staff", "payment_id": payment.pk},
        )
    except ProviderError as exc:
        logger.warning("refund of payment %s at the provider failed: %s", payment.pk, exc)
        raise _refuse_online(
            f"支付服务没有确认这笔退款（{exc}），本系统没有记录任何退款。请稍后再次提交同一表单重试（不会重复退款），"
            "或在支付服务后台核对。",
            f"The payment provider did not confirm the refund ({exc}). Nothing was booked here. Submit the same form "
            "again later to retry (it will not refund twice), or check the payment at the provider.",
            "provider",
        ) from exc
    return refund_record(
        payment=payment,
        amount=amount,
        reason=reason,
        by=by,
        provider_refund_id=provider_refund.id,
        request_key=request_key,
    )


def payment_refund(*, payment: Payment, amount: Decimal, reason: str, by=None, request_key: str = "") -> Refund:
    """A staff refund from the back office: through the provider for a card, Alipay or WeChat Pay
    payment (online_refund), at the counter (refund_record) for cash or a bank transfer.

    Posting the same refund form twice (the same ``request_key``) refunds once.
    """
    if payment.method in ONLINE_METHODS:
        return online_refund(payment=payment, amount=amount, reason=reason, by=by, request_key=request_key)
    return refund_record(
        payment=payment,
        amount=amount,
        reason=reason,
        by=by,
        request_key=_refund_key(payment, request_key) if request_key else None,
    )


# --- receipts --------------------------------------------------------------------------------


def receipt_pdf_attach(*, receipt: Receipt, content: bytes) -> Receipt:
    """Store a rendered receipt PDF once; a second render (two workers) keeps the first file."""
    if receipt.pdf:
        return receipt
    name = default_storage.save(f"receipts/{receipt.year}/{receipt.number}.pdf", ContentFile(content))
    if Receipt.objects.filter(pk=receipt.pk, pdf="").update(pdf=name, rendered_at=timezone.now()) == 0:
        default_storage.delete(name)
    receipt.refresh_from_db(fields=["pdf", "rendered_at"])
    return receipt
