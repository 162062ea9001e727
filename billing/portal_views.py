"""Owners pay their bills online and download receipts (mounted at /portal/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import AttemptStatus, Payment, PaymentAttempt
from .online_services import (
    PaymentInProgressError,
    attempt_cancel,
    attempt_create,
    attempt_sync,
    excess_decision,
    invoices_of_user,
)
from .online_tasks import receipt_render
from .portal import attempts_open, bills_history, bills_open, payments_of_user, receipts_of_user

HISTORY_PER_PAGE = 50
RECENT_PAYMENTS = 20


def _selected_ids(request) -> list[int]:
    try:
        return sorted({int(value) for value in request.POST.getlist("invoice")})
    except ValueError:
        raise Http404("bad bill id") from None


@login_required
def bills(request):
    """GET: open bills to pick, payments with receipts, history. POST: pay the picked bills."""
    if request.method == "POST":
        ids = _selected_ids(request)
        invoices = list(invoices_of_user(user=request.user).filter(pk__in=ids))
        if len(invoices) != len(ids):
            raise Http404("not your bill")
        try:
            attempt = attempt_create(user=request.user, invoices=invoices)
        except PaymentInProgressError as exc:
            messages.error(request, exc.messages[0])
            return redirect("portal_billing:bills")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("portal_billing:bills")
        return HttpResponseRedirect(attempt.checkout_url)
    history = Paginator(bills_history(user=request.user), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/portal/bills.html",
        {
            "open_bills": list(bills_open(user=request.user)),
            "history": history,
            "payments": list(payments_of_user(user=request.user)[:RECENT_PAYMENTS]),
            "attempts": list(attempts_open(user=request.user)),
        },
    )


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
    shares = attempt.attemptinvoice_set.select_related("invoice__unit__building").order_by("invoice__period", "invoice_id")
    outcome = {
        AttemptStatus.PAID: "paid",
        AttemptStatus.OPEN: "waiting",
        AttemptStatus.FLAGGED: "review",
    }.get(attempt.status, "failed")
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
