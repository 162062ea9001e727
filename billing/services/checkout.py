"""Paying bills online: an attempt opens a hosted payment page at the provider.

``attempt_create`` locks the bills, records a PaymentAttempt and opens the page (outside the
transaction); ``attempt_cancel`` closes it; ``attempt_sync`` asks the provider while the owner waits.
What the provider reports back is handled in ``provider_events``.

The payer is an owner in the portal, or a guest without a login (``user=None``): a visitor paying a
parking stay's bill from the signed link a gate shows. The app that sends the guest has checked the
guest's right to that bill; billing pays it like any other, with the same refusals.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AttemptInvoice, AttemptStatus, Invoice, InvoiceStatus, Payee, PaymentAttempt
from ..providers import CheckoutLine, CheckoutRequest, PaymentProvider, ProviderError, get_provider
from ..selectors import attempts_blocking, invoices_of_user
from ..statuses import UNPAID
from .common import ZERO
from .payees import online_refusal
from .provider_events import SESSION_LIFETIME, attempt_close, session_paid_apply

logger = logging.getLogger(__name__)


class PaymentInProgressError(ValidationError):
    """Some of the bills are already in an open payment attempt (e.g. another browser tab)."""

    def __init__(self, message: str, *, attempt: PaymentAttempt):
        super().__init__(message, code="in_progress")
        self.attempt = attempt


def _line_name(invoice: Invoice) -> str:
    parts = [invoice.get_charge_kind_display(), f"{invoice.period:%Y-%m}"]
    if invoice.unit is not None:
        parts.append(invoice.unit.key)
    parts.append(invoice.number)
    return " · ".join(str(p) for p in parts)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def attempt_create(
    *, user: Any | None, invoices: list[Invoice], provider: PaymentProvider | None = None, return_path: str = ""
) -> PaymentAttempt:
    """Start paying ``invoices`` online; returns the attempt with its provider's checkout URL.

    Refuses (ValidationError with a message for the payer) bills that are not the user's to pay,
    already paid, void, of several estates, whose payee cannot take online payments, or held by
    another open attempt (PaymentInProgressError).

    ``user=None``: a guest payer. The caller has checked the guest's right to the bill (a signed
    link) and names the page the provider returns to (``return_path``; the owner's result page
    otherwise). A guest pays one bill at a time, and only a bill billed to nobody's account (no
    owner, no user): an owner's bill is paid by the owner, in the portal.
    """
    provider = provider or get_provider()
    ids = sorted({invoice.pk for invoice in invoices})
    if not ids:
        raise ValidationError(_("Choose at least one bill to pay."), code="no_invoices")
    guest = user is None
    if guest:
        if len(ids) != 1 or not return_path:
            raise ValueError("a guest pays one bill, and the caller names the page to return to")
    elif invoices_of_user(user=user).filter(pk__in=ids).count() != len(ids):
        raise Invoice.DoesNotExist("not the user's bill")
    with transaction.atomic():
        locked = list(
            Invoice.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("unit__building", "estate")
            .order_by("pk")
        )
        for invoice in locked:
            if guest and (invoice.payer_owner_id is not None or invoice.payer_user_id is not None):
                raise Invoice.DoesNotExist("an owner's bill is paid in the portal, not by a guest")
            if invoice.status == InvoiceStatus.VOID:
                raise ValidationError(
                    _("Bill %(number)s has been cancelled and cannot be paid.") % {"number": invoice.number}, code="void"
                )
            if invoice.status not in UNPAID or invoice.outstanding <= 0:
                raise ValidationError(_("Bill %(number)s is already paid.") % {"number": invoice.number}, code="paid")
        if len({invoice.estate_id for invoice in locked}) > 1:
            raise ValidationError(_("Pay the bills of one estate at a time."), code="several_estates")
        # Each bill's money goes to its payee's own account: a payee that cannot take payments yet
        # means the bill is paid at the counter, and nothing of this payment is started.
        payees = Payee.objects.in_bulk({invoice.payee_id for invoice in locked if invoice.payee_id})
        for invoice in locked:
            invoice.payee = payees.get(invoice.payee_id)
            reason = online_refusal(invoice)
            if reason:
                raise ValidationError(
                    _("Bill %(number)s cannot be paid online now. %(reason)s") % {"number": invoice.number, "reason": reason},
                    code="payee",
                )
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

    result_path = return_path or reverse("portal_billing:payment_result", args=[attempt.pk])
    request = CheckoutRequest(
        attempt_id=attempt.pk,
        amount=attempt.amount,
        currency=attempt.currency,
        lines=[CheckoutLine(name=_line_name(invoice), amount=invoice.outstanding) for invoice in locked],
        success_url=_absolute(result_path),
        cancel_url=_absolute(result_path + ("&" if "?" in result_path else "?") + "cancelled=1"),
        expires_at=timezone.now() + SESSION_LIFETIME,
        description=f"{locked[0].estate.name} {', '.join(invoice.number for invoice in locked)}"[:500],
        transfer_group=f"attempt-{attempt.pk}",
    )
    try:
        session = provider.checkout_create(request, idempotency_key=f"anju-attempt-{attempt.pk}")
    except ProviderError as exc:
        logger.warning("checkout for attempt %s failed: %s", attempt.pk, exc)
        attempt_close(attempt, to=AttemptStatus.FAILED, note="checkout failed", flag_reason=str(exc)[:300])
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
    attempt_close(attempt, to=AttemptStatus.EXPIRED, note="cancelled by the payer")
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
        attempt_close(attempt, to=AttemptStatus.EXPIRED, note="expired at the provider")
    attempt.refresh_from_db()
    return attempt
