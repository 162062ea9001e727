"""/parking/: visitors pay the parking fee, without a login.

* ``/parking/stay/<token>/`` — the stay's page. The gate shows it as a QR code when a visitor leaves
  owing a fee, and the estate's pay page leads to it for a car still parked. The token is the stay's
  id signed with the site's key (``services.parking.stay_pay_token``), so nobody reaches another
  stay's bill by changing a number; a forged, altered or expired link is answered 404 with the
  reason. The page shows the estate, the plate (partly masked), entry (and exit) in Beijing time,
  the fee's lines and the amount, and a Pay button that pays that one bill through billing's online
  checkout as a guest payer. After leaving, the bill is the exit's; while parked, a prepayment of
  the fee so far is billed first, and the gate then opens free for the tariff's grace minutes.
* ``/parking/<estate code>/pay/`` — pay before leaving: the visitor types the plate and is taken
  to the page of that car's stay in the estate.

The fee is the owners' public income (Civil Code Arts. 275, 282): every bill's payee is the owners'
own. After paying, the result page says paid and that the gate opens: the gate, sending its exit
record again, is answered ``open: true``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from billing.models import AttemptStatus, Invoice, InvoiceStatus, Receipt
from billing.online_tasks import receipt_render
from billing.selectors import attempts_blocking
from billing.services import attempt_cancel, attempt_sync
from billing.services.payees import online_refusal
from billing.statuses import UNPAID
from estates.models import Estate

from .parking_portal import mask_plate
from .services.parking import (
    PayLinkError,
    StayAccount,
    stay_account,
    stay_attempt_latest,
    stay_bill_ids,
    stay_checkout,
    stay_for_pay_token,
    stay_parked,
    stay_pay_token,
)

private = cache_control(private=True, no_store=True)


def _bad_link(request, exc: PayLinkError):
    message = (
        _("This payment link has expired. Please pay the parking fee at the property service counter.")
        if exc.code == "expired"
        else _("This payment link is not valid. Scan the code at the gate again, or ask the staff at the gate.")
    )
    return render(request, "property_services/parking_pay/invalid.html", {"message": message}, status=404)


def _lines(account: StayAccount) -> list[dict]:
    """The fee's lines as the visitor reads them (the plate, already shown masked, left out)."""
    plate = account.stay.plate
    if account.parked:
        lines = [(line.description, line.amount) for line in account.fee.lines if line.amount > 0] if account.fee else []
    else:
        lines = [(line.description, line.amount) for line in account.bill.lines.all()] if account.bill else []
    return [{"description": description.removeprefix(f"{plate} "), "amount": amount} for description, amount in lines]


def _state(account: StayAccount, blocking) -> str:
    """What the page offers: pay, a payment in progress, paid (the gate opens), or why nothing is to be paid here."""
    bill = account.bill
    if account.parked:
        if blocking is not None:
            return "in_progress"
        if account.leave_by is not None and timezone.now() <= account.leave_by:
            return "prepaid"
        if account.due <= 0:
            return "nothing_now"
        return "counter" if online_refusal(Invoice(payee=account.payee)) else "unpaid"
    if bill is None:
        return "prepaid_left" if account.prepaid > 0 else "nothing_due"
    if bill.status == InvoiceStatus.PAID:
        return "paid"
    if bill.status == InvoiceStatus.VOID:
        return "void"
    if online_refusal(bill):
        return "counter"
    return "in_progress" if blocking is not None else "unpaid"


def _page(request, token: str, stay, *, status: int = 200):
    account = stay_account(stay=stay)
    blocking = None
    if account.bill is not None and account.bill.status in UNPAID:
        blocking = attempts_blocking(invoice_ids=[account.bill.pk]).first()
        if blocking is not None and blocking.user_id is None:
            blocking = attempt_sync(attempt=blocking)  # paid a moment ago and the notification is late?
            if blocking.status != AttemptStatus.OPEN:
                blocking, account = None, stay_account(stay=stay)
    state = _state(account, blocking)
    if account.parked:
        amount = account.due
    elif account.bill is not None:
        amount = account.bill.outstanding if account.bill.status in UNPAID else account.bill.total
    else:
        amount = Decimal("0.00")
    return render(
        request,
        "property_services/parking_pay/stay.html",
        {
            "token": token,
            "stay": stay,
            "estate": stay.estate,
            "plate": mask_plate(stay.plate),
            "account": account,
            "bill": account.bill,
            "lines": _lines(account),
            "amount": amount,
            "state": state,
            "reason": online_refusal(account.bill) if account.bill is not None else online_refusal(Invoice(payee=account.payee)),
            "attempt": blocking,
        },
        status=status,
    )


@private
def stay_page(request, token: str):
    """The stay and its fee, and the Pay button (or: paid, the gate opens)."""
    try:
        stay = stay_for_pay_token(token)
    except PayLinkError as exc:
        return _bad_link(request, exc)
    return _page(request, token, stay)


@private
@require_POST
def checkout(request, token: str):
    """Pay: billing's checkout for this stay's bill, as a guest; refused → the page again with the reason."""
    try:
        stay = stay_for_pay_token(token)
    except PayLinkError as exc:
        return _bad_link(request, exc)
    try:
        expected = Decimal(request.POST["amount"]) if request.POST.get("amount") else None
    except InvalidOperation:
        expected = None
    try:
        attempt = stay_checkout(stay=stay, expected=expected)
    except Invoice.DoesNotExist:
        raise Http404("not a bill a guest pays") from None
    except ValidationError as exc:  # paid, void, payee, in progress, the fee changed, the provider down
        messages.error(request, " ".join(exc.messages))
        return _page(request, token, stay, status=400)
    return HttpResponseRedirect(attempt.checkout_url)


@private
def result(request, token: str):
    """Where the payment page returns to: paid (the gate opens), still waiting (the page refreshes), or not paid."""
    try:
        stay = stay_for_pay_token(token)
    except PayLinkError as exc:
        return _bad_link(request, exc)
    attempt = stay_attempt_latest(stay=stay)
    if attempt is None:
        return redirect("parking_pay:stay", token=token)
    attempt = attempt_sync(attempt=attempt)
    paid_bill = attempt.attemptinvoice_set.select_related("invoice").first()
    bill = paid_bill.invoice if paid_bill is not None else None
    if bill is not None and bill.status == InvoiceStatus.PAID:
        outcome = "paid"
    else:
        outcome = {AttemptStatus.OPEN.value: "waiting", AttemptStatus.FLAGGED.value: "review"}.get(attempt.status, "failed")
    account = stay_account(stay=stay)
    receipt = Receipt.objects.filter(payment__allocations__invoice=bill).order_by("-pk").first() if bill else None
    return render(
        request,
        "property_services/parking_pay/result.html",
        {
            "token": token,
            "stay": stay,
            "estate": stay.estate,
            "plate": mask_plate(stay.plate),
            "bill": bill,
            "account": account,
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
        stay = stay_for_pay_token(token)
    except PayLinkError as exc:
        return _bad_link(request, exc)
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
def receipt(request, token: str, number: str):
    """A receipt of the stay's fee (PDF), rendered now if the background task has not done it yet."""
    try:
        stay = stay_for_pay_token(token)
    except PayLinkError as exc:
        return _bad_link(request, exc)
    found = get_object_or_404(
        Receipt.objects.filter(payment__allocations__invoice_id__in=stay_bill_ids(stay)).distinct(), number=number
    )
    if not found.pdf:
        receipt_render(found.pk)
        found.refresh_from_db()
    return FileResponse(found.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=f"{found.number}.pdf")


@private
def estate_page(request, estate_code: str):
    """Pay before leaving: type the plate, go to that car's stay (the fee if leaving now, and Pay)."""
    estate = get_object_or_404(Estate, code=estate_code)
    plate = ""
    if request.method == "POST":
        plate = request.POST.get("plate", "").strip()[:12]
        try:
            stay = stay_parked(estate=estate, plate=plate)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if stay is not None:
                return redirect("parking_pay:stay", token=stay_pay_token(stay))
            messages.error(
                request, _("No visitor's car with this plate is parked here now. A permit holder pays nothing at the gate.")
            )
    return render(
        request,
        "property_services/parking_pay/estate.html",
        {"estate": estate, "plate": plate},
        status=400 if request.method == "POST" else 200,
    )


app_name = "parking_pay"
urlpatterns = [
    path("stay/<str:token>/", stay_page, name="stay"),
    path("stay/<str:token>/checkout/", checkout, name="checkout"),
    path("stay/<str:token>/result/", result, name="result"),
    path("stay/<str:token>/cancel/", cancel, name="cancel"),
    path("stay/<str:token>/receipts/<str:number>.pdf", receipt, name="receipt"),
    path("<str:estate_code>/pay/", estate_page, name="estate"),
]
