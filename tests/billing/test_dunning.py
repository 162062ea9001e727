"""Dunning: reminders at the configured days past due, once each, ending at a formal demand letter."""

import datetime
import re
import shutil
import subprocess
import tempfile
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from billing.dunning import ConsoleSmsBackend, dunning_ladder, dunning_run
from billing.models import DunningLevel, DunningNotice, PaymentMethod
from billing.money import rmb_upper
from billing.services import payment_record
from tests.estates.factories import UserFactory

from .factories import bill, billed_estate

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def overdue_bill(unit, days, amount="1234.50", month=1):
    return bill(unit, Decimal(amount), period=datetime.date(2025, month, 1), due_on=TODAY - datetime.timedelta(days=days))


@pytest.fixture
def owned():
    estate, units = billed_estate(units=3)
    user = UserFactory(mobile="13800000701", email="owner@example.com")
    for unit in units:
        owner = unit.ownerships.get().owner
        owner.user = user
        owner.save()
    ConsoleSmsBackend.sent.clear()
    return estate, units, user


def test_default_ladder():
    assert dunning_ladder() == [(15, DunningLevel.REMINDER), (45, DunningLevel.SECOND_REMINDER), (90, DunningLevel.FORMAL_DEMAND)]


def test_first_reminder_by_portal_email_and_sms_once(owned):
    _estate, units, _user = owned
    invoice = overdue_bill(units[0], 20)
    overdue_bill(units[1], 3)  # not yet
    assert dunning_run() == 1
    notice = DunningNotice.objects.get()
    assert (notice.invoice, notice.level) == (invoice, DunningLevel.REMINDER)
    assert notice.channels == "portal,email,sms"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.com"]
    assert "¥1,234.50" in message.body and "壹仟贰佰叁拾肆元伍角整" in message.body
    assert "第九百四十四条" in message.body  # never a service cut
    assert len(ConsoleSmsBackend.sent) == 1 and ConsoleSmsBackend.sent[0][0] == "13812345678"

    assert dunning_run() == 0
    assert DunningNotice.objects.count() == 1 and len(mail.outbox) == 1


def test_a_long_overdue_bill_gets_only_the_step_it_has_reached(owned):
    _estate, units, _user = owned
    overdue_bill(units[0], 50)
    dunning_run()
    assert list(DunningNotice.objects.values_list("level", flat=True)) == [DunningLevel.SECOND_REMINDER]
    dunning_run()
    assert DunningNotice.objects.count() == 1


def test_paid_bills_get_no_reminder(owned):
    estate, units, _user = owned
    invoice = overdue_bill(units[0], 20, amount="10.00")
    payment_record(
        estate=estate,
        invoices=[invoice],
        amount=Decimal("10.00"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="x",
    )
    assert dunning_run() == 0


@override_settings(BILLING_DUNNING_DAYS=[5, 10], BILLING_DUNNING_DEMAND_DAYS=30)
def test_ladder_comes_from_settings(owned):
    _estate, units, _user = owned
    overdue_bill(units[0], 6)
    overdue_bill(units[1], 11, month=2)
    dunning_run()
    assert sorted(DunningNotice.objects.values_list("level", flat=True)) == [DunningLevel.REMINDER, DunningLevel.SECOND_REMINDER]


class RecordingSms:
    sent = []

    def send(self, *, phone, message):
        RecordingSms.sent.append((phone, message))


@override_settings(BILLING_SMS_BACKEND="tests.billing.test_dunning.RecordingSms")
def test_sms_backend_is_pluggable(owned):
    _estate, units, _user = owned
    RecordingSms.sent.clear()
    overdue_bill(units[0], 16)
    dunning_run()
    assert len(RecordingSms.sent) == 1 and "¥1,234.50" in RecordingSms.sent[0][1]
    assert ConsoleSmsBackend.sent == []


def pdf_text(data: bytes) -> tuple[str, str]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", handle.name, "-"], capture_output=True, check=True, text=True).stdout
        fonts = subprocess.run(["pdffonts", handle.name], capture_output=True, check=True, text=True).stdout
    return text, fonts


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
def test_formal_demand_letter_pdf(owned):
    estate, units, _user = owned
    invoice = overdue_bill(units[0], 95)
    assert dunning_run() == 1
    notice = DunningNotice.objects.get()
    assert notice.level == DunningLevel.FORMAL_DEMAND
    assert notice.letter  # rendered by the task (sync in tests)
    assert notice.channels == "portal,email,sms"
    message = mail.outbox[0]
    assert message.attachments and message.attachments[0][2] == "application/pdf"

    with notice.letter.open("rb") as handle:
        text, fonts = pdf_text(handle.read())
    flat = text.replace(" ", "").replace("\n", "")
    assert "催缴通知书" in flat
    assert estate.name in flat
    assert rmb_upper(invoice.outstanding) in flat  # 壹仟贰佰叁拾肆元伍角整
    assert "第九百四十四条" in flat and "不会因本通知而中断" in flat
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?(Serif|Sans)-?CJK", line)]
    assert cjk and all(" yes " in line for line in cjk)  # a CJK font, embedded: real text, not boxes
    assert "Type 3" not in fonts


def test_reminders_show_in_the_owners_portal_and_only_theirs(client, owned):
    _estate, units, user = owned
    overdue_bill(units[0], 20)
    dunning_run()
    client.force_login(user)
    html = client.get("/portal/").content.decode()
    assert 'data-testid="reminder"' in html and "1,234.50" in html

    stranger = UserFactory(mobile="13800000702")
    client.force_login(stranger)
    assert 'data-testid="reminder"' not in client.get("/portal/").content.decode()


def test_demand_letter_download_is_the_owners_only(rf, owned):
    from django.http import Http404

    from billing.dunning import demand_letter_download

    _estate, units, user = owned
    overdue_bill(units[0], 95)
    dunning_run()
    notice = DunningNotice.objects.get()
    request = rf.get("/")
    request.user = user
    response = demand_letter_download(request, notice.pk)
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    request.user = UserFactory(mobile="13800000703")
    with pytest.raises(Http404):
        demand_letter_download(request, notice.pk)


def test_dunning_command(owned):
    from io import StringIO

    from django.core.management import call_command

    _estate, units, _user = owned
    overdue_bill(units[0], 20)
    out = StringIO()
    call_command("dunning_run", stdout=out)
    assert "1 bills marked overdue, 1 notices sent" in out.getvalue()
    out = StringIO()
    call_command("dunning_run", stdout=out)
    assert "0 bills marked overdue, 0 notices sent" in out.getvalue()
