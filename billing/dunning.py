"""Dunning: reminders about unpaid bills, ending at a formal demand letter — never a service cut.

The ladder (settings, days past the due date):

    BILLING_DUNNING_DAYS = [15, 45]     first reminder, second reminder
    BILLING_DUNNING_DEMAND_DAYS = 90    formal demand letter (PDF)

Each step is sent once per bill (DunningNotice is unique per bill and level) as a notice in the
owner's portal, an e-mail (when the owner's account has an address) and an SMS through
BILLING_SMS_BACKEND (a dotted path; the default console backend only logs). A bill that is already
far past due gets only the highest step it has reached, not the whole ladder at once.

Civil Code Art. 944: a property manager may not cut water, power, heating or gas to collect fees.
Nothing here or anywhere in Anju can do that; the letter says so.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.portal import PortalSection

from .models import DunningLevel, DunningNotice, Invoice
from .money import format_rmb, rmb_upper
from .selectors import invoice_ids_of_user
from .statuses import UNPAID

logger = logging.getLogger(__name__)

DEFAULT_DAYS = (15, 45)
DEFAULT_DEMAND_DAYS = 90
LEVEL_ORDER = [DunningLevel.REMINDER, DunningLevel.SECOND_REMINDER, DunningLevel.FORMAL_DEMAND]


# --- SMS --------------------------------------------------------------------------------------


class ConsoleSmsBackend:
    """Writes the message to the log instead of sending it (development, tests, no SMS contract yet)."""

    sent: list[tuple[str, str]] = []

    def send(self, *, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "?", message)
        ConsoleSmsBackend.sent.append((phone, message))


def sms_backend():
    return import_string(getattr(settings, "BILLING_SMS_BACKEND", "billing.dunning.ConsoleSmsBackend"))()


# --- the ladder -------------------------------------------------------------------------------


def dunning_ladder() -> list[tuple[int, str]]:
    """[(days past due, level)], lowest first, from the settings."""
    days = list(getattr(settings, "BILLING_DUNNING_DAYS", DEFAULT_DAYS))[:2]
    ladder = list(zip(days, LEVEL_ORDER[: len(days)], strict=True))
    ladder.append((getattr(settings, "BILLING_DUNNING_DEMAND_DAYS", DEFAULT_DEMAND_DAYS), DunningLevel.FORMAL_DEMAND))
    return sorted(ladder)


def dunning_run(*, today: datetime.date | None = None, limit: int | None = None, invoices=None) -> int:
    """Create the notices that have become due and send them. Safe to run any number of times.

    ``limit`` caps the notices per step in this call; ``invoices`` (a queryset) narrows the bills.
    """
    today = today or timezone.localdate()
    ladder = dunning_ladder()
    sent = 0
    for position in range(len(ladder) - 1, -1, -1):  # highest step first: a long-overdue bill gets only that one
        days, level = ladder[position]
        this_or_higher = [lvl for _d, lvl in ladder[position:]]
        due = (
            (invoices if invoices is not None else Invoice.objects.all())
            .filter(status__in=UNPAID, due_on__lte=today - datetime.timedelta(days=days))
            .exclude(Exists(DunningNotice.objects.filter(invoice=OuterRef("pk"), level__in=this_or_higher)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for invoice_id in list(due[:limit] if limit else due):
            notice = _notice_create(invoice_id=invoice_id, level=level)
            if notice is None:
                continue
            sent += 1
            if level == DunningLevel.FORMAL_DEMAND:
                from django_q.tasks import async_task

                async_task("billing.tasks.dunning_letter_render", notice.pk)
            else:
                notice_deliver(notice=notice)
    return sent


def _notice_create(*, invoice_id: int, level: str) -> DunningNotice | None:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(pk=invoice_id, status__in=UNPAID).first()
        if invoice is None or invoice.outstanding <= 0:
            return None
        try:
            with transaction.atomic():
                return DunningNotice.objects.create(invoice=invoice, level=level, channels="portal")
        except IntegrityError:  # another worker sent this step a moment ago
            return None


@dataclass
class Recipient:
    email: str
    phone: str


def _recipient(invoice: Invoice) -> Recipient:
    owner = invoice.payer_owner
    user = invoice.payer_user or (owner.user if owner is not None else None)
    phone = ""
    if owner is not None and owner.phone_encrypted:
        phone = owner.get_phone()
    if not phone and user is not None:
        phone = user.mobile
    return Recipient(email=(user.email if user else "") or "", phone=phone)


def notice_text(notice: DunningNotice) -> tuple[str, str]:
    """(subject, body) of the e-mail and SMS, Chinese first, then English."""
    invoice = notice.invoice
    amount = invoice.outstanding
    place = invoice.unit.key if invoice.unit is not None else ""
    title = {
        DunningLevel.REMINDER: ("缴费提醒", "Payment reminder"),
        DunningLevel.SECOND_REMINDER: ("再次缴费提醒", "Second payment reminder"),
        DunningLevel.FORMAL_DEMAND: ("催缴通知书", "Formal demand for payment"),
    }[DunningLevel(notice.level)]
    subject = f"{invoice.estate.name} {title[0]} / {title[1]} {invoice.number}"
    body = (
        f"{invoice.payer_name}：您好！{invoice.estate.name} {place} {invoice.period:%Y年%m月}{invoice.get_charge_kind_display()}"
        f"账单 {invoice.number} 尚欠 {format_rmb(amount)}（人民币{rmb_upper(amount)}），应缴日期 {invoice.due_on:%Y-%m-%d}。"
        f"请登录业主门户缴纳。依照《民法典》第九百四十四条，我们不会以停水、停电、停气、停暖等方式催缴。\n\n"
        f"Dear {invoice.payer_name}, bill {invoice.number} for {place} in {invoice.estate.name} still owes {format_rmb(amount)}; "
        f"it was due on {invoice.due_on:%Y-%m-%d}. Please pay in the owners' portal. Under Art. 944 of the Civil Code "
        f"no water, power, gas or heating is ever cut to collect fees."
    )
    return subject, body


def notice_deliver(*, notice: DunningNotice) -> DunningNotice:
    """Send a notice by e-mail and SMS (outside any transaction) and record the channels used."""
    notice = DunningNotice.objects.select_related(
        "invoice__estate", "invoice__unit__building", "invoice__payer_owner", "invoice__payer_user"
    ).get(pk=notice.pk)
    recipient = _recipient(notice.invoice)
    subject, body = notice_text(notice)
    channels = ["portal"]
    if recipient.email:
        message = EmailMessage(subject=subject, body=body, to=[recipient.email])
        if notice.letter:
            notice.letter.open("rb")
            message.attach(f"{notice.invoice.number}-demand.pdf", notice.letter.read(), "application/pdf")
            notice.letter.close()
        try:
            message.send()
            channels.append("email")
        except Exception:
            logger.exception("dunning e-mail for notice %s failed", notice.pk)
    if recipient.phone:
        try:
            sms_backend().send(phone=recipient.phone, message=body.split("\n\n")[0])
            channels.append("sms")
        except Exception:
            logger.exception("dunning SMS for notice %s failed", notice.pk)
    DunningNotice.objects.filter(pk=notice.pk).update(channels=",".join(channels))
    notice.channels = ",".join(channels)
    return notice


# --- the formal demand letter -----------------------------------------------------------------


def demand_letter_pdf(*, notice: DunningNotice) -> bytes:
    """The formal demand letter as PDF bytes (WeasyPrint, Noto CJK)."""
    from weasyprint import HTML

    invoice = notice.invoice
    html = render_to_string(
        "billing/dunning/demand_letter.html",
        {
            "notice": notice,
            "invoice": invoice,
            "estate": invoice.estate,
            "outstanding": invoice.outstanding,
            "outstanding_upper": rmb_upper(invoice.outstanding),
            "days_overdue": (timezone.localdate() - invoice.due_on).days,
            "today": timezone.localdate(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def demand_letter_render(*, notice_id: int) -> DunningNotice:
    """Render and store the letter once, then send the notice (a task; no transaction held)."""
    notice = DunningNotice.objects.select_related("invoice__estate", "invoice__unit__building").get(pk=notice_id)
    if not notice.letter:
        pdf = demand_letter_pdf(notice=notice)
        notice.letter.save(f"demand-{notice.invoice.number}.pdf", ContentFile(pdf), save=False)
        DunningNotice.objects.filter(pk=notice.pk, letter="").update(letter=notice.letter.name)
    if "email" not in notice.channels and "sms" not in notice.channels:
        notice = notice_deliver(notice=notice)
    return notice


# --- the owner's portal -----------------------------------------------------------------------


def reminders_for_user(*, user) -> list[DunningNotice]:
    """The latest reminder of each unpaid bill the signed-in owner pays."""
    if not getattr(user, "is_authenticated", False):
        return []
    notices = (
        DunningNotice.objects.filter(invoice__status__in=UNPAID)
        .filter(invoice__in=invoice_ids_of_user(user=user))  # a UNION of index lookups, not an OR across joins
        .select_related("invoice__estate", "invoice__unit__building")
        .order_by("invoice_id", "-sent_at")
    )
    latest: dict[int, DunningNotice] = {}
    for notice in notices:
        latest.setdefault(notice.invoice_id, notice)
    return sorted(latest.values(), key=lambda n: n.sent_at, reverse=True)


def _letter_url(notice: DunningNotice) -> str:
    if not notice.letter:
        return ""
    try:
        return reverse("portal_billing:demand_letter", args=[notice.pk])
    except NoReverseMatch:
        return ""


def reminders_section(request):
    notices = reminders_for_user(user=request.user)
    if not notices:
        return None
    for notice in notices:
        notice.letter_url = _letter_url(notice)
    return PortalSection(template="billing/dunning/portal_reminders.html", context={"title": _("Reminders"), "notices": notices})


def demand_letter_download(request, pk: int):
    """The owner's own demand letter (404 for anyone else). Wire as portal_billing:demand_letter."""
    if not request.user.is_authenticated:
        raise Http404
    notice = (
        DunningNotice.objects.filter(pk=pk)
        .filter(Q(invoice__payer_user=request.user) | Q(invoice__payer_owner__user=request.user))
        .select_related("invoice")
        .first()
    )
    if notice is None or not notice.letter:
        raise Http404
    with notice.letter.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="demand-{notice.invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


__all__ = [
    "ConsoleSmsBackend",
    "demand_letter_download",
    "demand_letter_pdf",
    "demand_letter_render",
    "dunning_ladder",
    "dunning_run",
    "notice_deliver",
    "reminders_for_user",
    "reminders_section",
]
