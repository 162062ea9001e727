"""/parking/stay/<token>/: a visitor pays the parking fee from the link the gate shows as a QR code.

Public pages, no login: the token is the stay's id signed with the site's key
(``services.parking.stay_pay_token``), so nobody reaches another stay's bill by changing a number;
a forged, altered or expired link is answered 404 with the reason. The page shows the estate, the
plate (partly masked), entry and exit in Beijing time, the fee's lines and the amount, and a Pay
button that starts billing's online checkout for that one bill as a guest payer. The fee is the
owners' public income (Civil Code Arts. 275, 282): the bill's payee is the owners' own payee.
After paying, the result page says paid and that the gate opens: the gate, sending its exit record
again, is answered ``open: true``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from billing.models import AttemptStatus, Invoice, InvoiceStatus, Receipt
from billing.online_tasks import receipt_render
from billing.selectors import attempts_blocking
from billing.services import attempt_cancel, attempt_sync
from billing.services.payees import online_refusal
from billing.statuses import UNPAID

from .models import ParkingStay
from .parking_portal import mask_plate
from .services.parking import PayLinkError, stay_attempt_latest, stay_bill, stay_checkout, stay_for_pay_token

private = cache_control(private=True, no_store=True)


def _bad_link(request, code: str):
    message = (
        _("This payment link has expired. Please pay the parking fee at the property service counter.")
        if code == "expired"
        else _("This payment link is not valid. Scan the code at the gate again, or ask the staff at the gate.")
    )
    return render(request, "property_services/parking_pay/invalid.html", {"message": message}, status=404)


def _stay(token: str) -> tuple[ParkingStay, Invoice]:
    """The stay the link names and its bill; PayLinkError (→ 404 with the reason) when the link does not check out."""
    stay = stay_for_pay_token(token)
    return stay, stay_bill(stay)


def _lines(stay: ParkingStay, invoice: Invoice) -> list[dict]:
    """The bill's lines as the visitor reads them (the plate, already shown masked, left out)."""
    return [
        {"description": line.description.removeprefix(f"{stay.plate} "), "amount": line.amount} for line in invoice.lines.all()
    ]


def _page(request, token: str, stay: ParkingStay, invoice: Invoice, *, status: int = 200):
    blocking = attempts_blocking(invoice_ids=[invoice.pk]).first() if invoice.status in UNPAID else None
    if blocking is not None and blocking.user_id is None:
        blocking = attempt_sync(attempt=blocking)  # paid a moment ago and the notification is late?
        invoice = stay_bill(stay)
        blocking = blocking if blocking.status == AttemptStatus.OPEN else None
    if invoice.status == InvoiceStatus.PAID:
        state = "paid"
    elif invoice.status == InvoiceStatus.VOID:
        state = "void"
    elif online_refusal(invoice):
        state = "counter"
    elif blocking is not None:
        state = "in_progress"
    else:
        state = "unpaid"
    return render(
        request,
        "property_services/parking_pay/stay.html",
        {
            "token": token,
            "stay": stay,
            "estate": stay.estate,
            "plate": mask_plate(stay.plate),
            "bill": invoice,
            "lines": _lines(stay, invoice),
            "state": state,
            "reason": online_refusal(invoice),
            "attempt": blocking,
        },
        status=status,
    )


@private
def stay_page(request, token: str):
    """The stay and its fee, and the Pay button (or: paid, the gate opens)."""
    try:
        stay, invoice = _stay(token)
    except PayLinkError as exc:
        return _bad_link(request, exc.code)
    return _page(request, token, stay, invoice)


@private
@require_POST
def checkout(request, token: str):
    """Pay: billing's checkout for this stay's one bill, as a guest; refused → the page again with the reason."""
    try:
        stay, invoice = _stay(token)
    except PayLinkError as exc:
        return _bad_link(request, exc.code)
    try:
        attempt = stay_checkout(stay=stay)
    except Invoice.DoesNotExist:
        raise Http404("not a bill a guest pays") from None
    except ValidationError as exc:  # paid, void, payee, in progress (PaymentInProgressError), provider down
        messages.error(request, " ".join(exc.messages))
        return _page(request, token, stay, stay_bill(stay), status=400)
    return HttpResponseRedirect(attempt.checkout_url)


@private
def result(request, token: str):
    """Where the payment page returns to: paid (the gate opens), still waiting (the page refreshes), or not paid."""
    try:
        stay, invoice = _stay(token)
    except PayLinkError as exc:
        return _bad_link(request, exc.code)
    attempt = stay_attempt_latest(stay=stay)
    if attempt is not None:
        attempt = attempt_sync(attempt=attempt)
        invoice = stay_bill(stay)
    if invoice.status == InvoiceStatus.PAID:
        outcome = "paid"
    elif attempt is None:
        return redirect("parking_pay:stay", token=token)
    else:
        outcome = {AttemptStatus.OPEN: "waiting", AttemptStatus.FLAGGED: "review"}.get(attempt.status, "failed")
    receipt = Receipt.objects.filter(payment__allocations__invoice_id=invoice.pk).order_by("-pk").first()
    return render(
        request,
        "property_services/parking_pay/result.html",
        {
            "token": token,
            "stay": stay,
            "estate": stay.estate,
            "plate": mask_plate(stay.plate),
            "bill": invoice,
            "attempt": attempt,
            "outcome": outcome,
            "receipt": receipt,
            "cancelled": bool(request.GET.get("cancelled")),
        },
    )


@private
@require_POST
def cancel(request, token: str):
    """Give up the payment in progress (the bill is free to be paid again at once)."""
    try:
        stay, _invoice = _stay(token)
    except PayLinkError as exc:
        return _bad_link(request, exc.code)
    attempt = stay_attempt_latest(stay=stay)
    if attempt is not None and attempt.status == AttemptStatus.OPEN:
        try:
            attempt = attempt_cancel(attempt=attempt)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("parking_pay:result", token=token)
        if attempt.status == AttemptStatus.PAID:
            return redirect("parking_pay:result", token=token)
        messages.info(request, _("The payment was cancelled. Nothing was charged."))
    return redirect("parking_pay:stay", token=token)


@private
def receipt(request, token: str):
    """The receipt of the stay's fee (PDF), rendered now if the background task has not done it yet."""
    try:
        _stay_row, invoice = _stay(token)
    except PayLinkError as exc:
        return _bad_link(request, exc.code)
    found = Receipt.objects.filter(payment__allocations__invoice_id=invoice.pk).order_by("-pk").first()
    if found is None:
        raise Http404("not paid yet")
    if not found.pdf:
        receipt_render(found.pk)
        found.refresh_from_db()
    return FileResponse(found.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=f"{found.number}.pdf")


app_name = "parking_pay"
urlpatterns = [
    path("stay/<str:token>/", stay_page, name="stay"),
    path("stay/<str:token>/checkout/", checkout, name="checkout"),
    path("stay/<str:token>/result/", result, name="result"),
    path("stay/<str:token>/cancel/", cancel, name="cancel"),
    path("stay/<str:token>/receipt.pdf", receipt, name="receipt"),
]
