"""Owners pay their bills online and download receipts (mounted at /portal/)."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.page_cache import person_cacheable

from .models import AttemptStatus, InvoiceStatus, Payment, PaymentAttempt
from .money import quantize
from .online_tasks import receipt_render
from .portal import attempts_open, bills_history, bills_open, payments_of_user, receipts_of_user
from .selectors import attempts_blocking, invoices_of_user
from .services.checkout import attempt_cancel, attempt_create, attempt_sync
from .services.payees import online_refusal, payees_named
from .services.provider_events import excess_decision
from .statuses import UNPAID

HISTORY_PER_PAGE = 50
RECENT_PAYMENTS = 20


def _selected_ids(request) -> list[int]:
    try:
        return sorted({int(value) for value in request.POST.getlist("invoice")})
    except ValueError:
        raise Http404("bad bill id") from None


def _bills_page(request, *, selected: frozenset[int] = frozenset(), status: int = 200):
    history = Paginator(bills_history(user=request.user), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    open_bills = list(bills_open(user=request.user))
    for bill in open_bills:  # a bill whose payee cannot take online payments says why, and is paid at the counter
        bill.cannot_pay_online = online_refusal(bill)
    return render(
        request,
        "billing/portal/bills.html",
        {
            "open_bills": open_bills,
            "has_overdue": any(bill.status == InvoiceStatus.OVERDUE for bill in open_bills),
            "selected": selected,
            "history": history,
            "payments": list(payments_of_user(user=request.user)[:RECENT_PAYMENTS]),
            "attempts": list(attempts_open(user=request.user)),
        },
        status=status,
    )


def _picked_bills(request) -> list:
    """The bills a POST names (404 if one is not the person's), or every overdue one for "pay everything overdue"."""
    if request.POST.get("action") == "overdue":
        overdue = [bill for bill in bills_open(user=request.user) if bill.status == InvoiceStatus.OVERDUE]
        payable = [bill for bill in overdue if not online_refusal(bill)]
        if overdue and not payable:
            raise ValidationError(online_refusal(overdue[0]))
        return payable
    ids = _selected_ids(request)
    invoices = list(invoices_of_user(user=request.user).filter(pk__in=ids).select_related("estate", "unit__building", "payee"))
    if len(invoices) != len(ids):
        raise Http404("not your bill")
    for invoice in invoices:  # paid or cancelled meanwhile: say which, as attempt_create would
        if invoice.status == InvoiceStatus.VOID:
            raise ValidationError(_("Bill %(number)s has been cancelled and cannot be paid.") % {"number": invoice.number})
        if invoice.status not in UNPAID or invoice.outstanding <= 0:
            raise ValidationError(_("Bill %(number)s is already paid.") % {"number": invoice.number})
    return sorted(invoices, key=lambda invoice: (invoice.due_on, invoice.period, invoice.pk))


def _payable_check(invoices: list) -> None:
    """What attempt_create would refuse, said before the person confirms (it checks again under lock)."""
    if not invoices:
        raise ValidationError(_("Choose at least one bill to pay."))
    if len({invoice.estate_id for invoice in invoices}) > 1:
        raise ValidationError(_("Pay the bills of one estate at a time."))
    for invoice in invoices:
        reason = online_refusal(invoice)
        if reason:
            raise ValidationError(
                _("Bill %(number)s cannot be paid online now. %(reason)s") % {"number": invoice.number, "reason": reason}
            )
    if attempts_blocking(invoice_ids=[invoice.pk for invoice in invoices]).exists():
        raise ValidationError(
            _("A payment for some of these bills is already in progress (perhaps in another window). Finish or cancel it first.")
        )


@person_cacheable  # GET only: the person's copy, dropped by any write to the portal's tables
@login_required
def bills(request):
    """GET: open bills to pick, payments with receipts, history. POST: review the picked bills (payee and
    total) before Checkout; a refusal shows the page again with the same bills ticked."""
    if request.method != "POST":
        return _bills_page(request)
    selected = frozenset(_selected_ids(request))
    if request.POST.get("action") == "change":
        if invoices_of_user(user=request.user).filter(pk__in=selected).count() != len(selected):
            raise Http404("not your bill")
        return _bills_page(request, selected=selected)
    try:
        invoices = _picked_bills(request)
        _payable_check(invoices)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _bills_page(request, selected=selected, status=400)
    return render(
        request,
        "billing/portal/confirm.html",
        {
            "bills": invoices,
            "total": quantize(sum((invoice.outstanding for invoice in invoices), Decimal("0"))),
            "payees": payees_named(invoices),
            "estate": invoices[0].estate,
        },
    )


@login_required
@require_POST
def checkout(request):
    """The confirmed bills: create the payment and leave for Checkout. Refused: back to the bills, still ticked."""
    ids = _selected_ids(request)
    invoices = list(invoices_of_user(user=request.user).filter(pk__in=ids))
    if len(invoices) != len(ids):
        raise Http404("not your bill")
    try:
        attempt = attempt_create(user=request.user, invoices=invoices)
    except ValidationError as exc:  # PaymentInProgressError included
        messages.error(request, " ".join(exc.messages))
        return _bills_page(request, selected=frozenset(ids), status=400)
    return HttpResponseRedirect(attempt.checkout_url)


def _excess_refunded(attempt: PaymentAttempt) -> dict | None:
    """What was refunded automatically and why: bills voided or paid meanwhile (numbers joined)."""
    decision = excess_decision(attempt) if attempt.flag_reason else None
    if decision is None:
        return None
    data = decision.data
    return {
        "amount": data.get("amount"),
        "voided": ", ".join(data.get("voided") or []),
        "already_paid": ", ".join(data.get("already_paid") or []),
    }


@login_required
def payment_result(request, pk: int):
    """Where the payment page returns to: paid, still waiting (the page refreshes) or failed."""
    attempt = get_object_or_404(PaymentAttempt, pk=pk, user=request.user)
    attempt = attempt_sync(attempt=attempt)
    payment = Payment.objects.filter(attempt=attempt).select_related("receipt").first()
    shares = attempt.attemptinvoice_set.select_related("invoice__unit__building", "invoice__payee").order_by(
        "invoice__period", "invoice_id"
    )
    outcomes: dict[str, str] = {
        AttemptStatus.PAID: "paid",
        AttemptStatus.OPEN: "waiting",
        AttemptStatus.FLAGGED: "review",
    }
    outcome = outcomes.get(attempt.status, "failed")
    return render(
        request,
        "billing/portal/payment_result.html",
        {
            "attempt": attempt,
            "payment": payment,
            "receipt": getattr(payment, "receipt", None) if payment else None,
            "shares": shares,
            "outcome": outcome,
            "excess": _excess_refunded(attempt),
            "cancelled": bool(request.GET.get("cancelled")),
        },
    )


@login_required
@require_POST
def payment_cancel(request, pk: int):
    attempt = get_object_or_404(PaymentAttempt, pk=pk, user=request.user)
    try:
        attempt = attempt_cancel(attempt=attempt)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal_billing:payment_result", pk=attempt.pk)
    if attempt.status == AttemptStatus.PAID:
        messages.success(request, _("This payment had already gone through."))
        return redirect("portal_billing:payment_result", pk=attempt.pk)
    messages.info(request, _("The payment was cancelled. Nothing was charged."))
    return redirect("portal_billing:bills")


@login_required
def receipt_download(request, pk: int):
    """The receipt PDF; rendered now if the background task has not done it yet."""
    receipt = get_object_or_404(receipts_of_user(user=request.user), pk=pk)
    if not receipt.pdf:
        receipt_render(receipt.pk)
        receipt.refresh_from_db()
    return FileResponse(
        receipt.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=f"{receipt.number}.pdf"
    )
