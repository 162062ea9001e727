"""Receipt PDFs: real Chinese text with an embedded CJK font, masked payer, amount in capitals."""

import logging
import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import PaymentMethod, Receipt
from billing.online_tasks import RECEIPTS_SWEEP_AFTER, receipt_render, receipts_render_pending, receipts_render_sweep
from billing.pdf import mask_name, receipt_pdf, receipt_pdfs, receipts_pdf
from billing.services import payment_record
from tests.billing.fake_stripe import owner_with_bills

pytestmark = pytest.mark.django_db

POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdffonts) is not installed")


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_fonts(content: bytes, tmp_path) -> list[dict]:
    """pdffonts' table as dicts (name, type, encoding, emb, sub, uni), cut by its dashed header line."""
    path = tmp_path / "f.pdf"
    path.write_bytes(content)
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    header, dashes = lines[0], lines[1]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
    names = [header[a:b].strip() or header[a:].split()[0] for a, b in spans]
    return [{n: line[a : b + 1].strip() for n, (a, b) in zip(names, spans, strict=True)} for line in lines[2:] if line.strip()]


_mobiles = iter(range(13800000100, 13800000999))


def paid_receipt(*, amounts=("1000.00", "234.50"), name="张小三", method=PaymentMethod.WECHAT_PAY, reference="cs_test_r1"):
    user, owner, unit, bills = owner_with_bills(mobile=str(next(_mobiles)), name=name, amounts=amounts)
    estate = unit.building.estate
    estate.name = "渝中区解放碑滨江花园"
    estate.save(update_fields=["name"])
    payment = payment_record(
        estate=estate,
        invoices=bills,
        amount=sum((b.total for b in bills), Decimal("0.00")),
        method=method,
        received_at=timezone.now(),
        reference=reference,
        payer_name=owner.name,
        payer_user=user,
    )
    return Receipt.objects.get(payment=payment), unit


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("张小三", "张*三"), ("欧阳小三", "欧**三"), ("张", "张"), ("", "")]
)
def test_names_are_masked_like_on_a_bank_slip(name, masked):
    assert mask_name(name) == masked


@needs_poppler
def test_the_receipt_pdf_has_real_chinese_text_and_an_embedded_cjk_font(tmp_path, caplog):
    receipt, unit = paid_receipt()
    caplog.set_level(logging.WARNING, logger="weasyprint")

    content = receipt_pdf(receipt)

    assert content.startswith(b"%PDF")
    text = pdf_text(content, tmp_path)
    squashed = re.sub(r"\s+", "", text)
    assert "渝中区解放碑滨江花园" in squashed
    assert "壹仟贰佰叁拾肆元伍角整" in squashed  # ¥1,234.50 in capitals
    assert "1,234.50" in text
    assert receipt.number in text
    assert "张*三" in text and "张小三" not in text  # the payer, masked
    assert unit.key in text
    assert "WeChat Pay" in text or "微信支付" in text
    fonts = pdf_fonts(content, tmp_path)
    cjk = [f for f in fonts if re.search(r"Noto.?Sans.?CJK", f["name"])]
    assert cjk, f"no Noto CJK font in the PDF: {fonts}"
    assert all(f["emb"] == "yes" and f["uni"] == "yes" for f in cjk), f"the CJK font is not embedded with a ToUnicode map: {cjk}"
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]


@needs_poppler
def test_an_organisation_payer_is_printed_in_full(tmp_path):
    from estates.models import OwnerKind

    receipt, unit = paid_receipt(name="重庆某某商贸有限公司")
    owner = receipt.payment.allocations.first().invoice.payer_owner
    owner.kind, owner.id_number_encrypted, owner.id_number_digest, owner.id_number_masked = OwnerKind.ORGANISATION, "", "", ""
    owner.credit_code = "91500103MA5U8XXX1X"
    owner.save()

    text = pdf_text(receipt_pdf(receipt), tmp_path)

    assert "重庆某某商贸有限公司" in re.sub(r"\s+", "", text)


@needs_poppler
def test_many_receipts_render_in_one_pass_one_page_each(tmp_path):
    first, _ = paid_receipt(reference="cs_test_a")
    second, _ = paid_receipt(amounts=("88.00",), name="李四", reference="cs_test_b")

    combined = receipts_pdf([first, second])
    text = pdf_text(combined, tmp_path)
    assert text.count("\f") == 2  # two pages
    assert first.number in text and second.number in text
    assert "捌拾捌元整" in re.sub(r"\s+", "", text)

    separate = receipt_pdfs([first, second])
    assert set(separate) == {first, second}
    assert second.number in pdf_text(separate[second], tmp_path)
    assert first.number not in pdf_text(separate[second], tmp_path)


def test_rendering_stores_the_pdf_once_even_when_the_task_runs_twice():
    receipt, _ = paid_receipt()

    receipt_render(receipt.pk)
    receipt.refresh_from_db()
    name = receipt.pdf.name
    receipt_render(receipt.pk)  # at-least-once delivery: a second run changes nothing
    receipt.refresh_from_db()

    assert name.endswith(f"{receipt.number}.pdf")
    assert receipt.pdf.name == name
    assert receipt.rendered_at is not None
    with receipt.pdf.open("rb") as f:
        assert f.read(4) == b"%PDF"


def test_pending_receipts_are_caught_up_in_one_batch():
    first, _ = paid_receipt(reference="cs_test_c")
    second, _ = paid_receipt(amounts=("10.00",), name="王五", reference="cs_test_d")

    assert receipts_render_pending() == 2

    assert not Receipt.objects.filter(pdf="").exists()
    assert receipts_render_pending() == 0


def test_the_scheduled_sweep_renders_receipts_whose_task_was_lost_and_leaves_fresh_ones_to_their_own(caplog):
    # A worker killed after its payments committed but before it queued their render task: the receipt has no
    # PDF and nothing will render it but the sweep (the payments here never ran their after-commit hooks).
    lost, _ = paid_receipt(reference="cs_test_e")
    Receipt.objects.filter(pk=lost.pk).update(created_at=timezone.now() - RECEIPTS_SWEEP_AFTER - timedelta(seconds=1))
    fresh, _ = paid_receipt(amounts=("10.00",), name="王五", reference="cs_test_f")

    with caplog.at_level(logging.WARNING, logger="billing.online_tasks"):
        assert receipts_render_sweep() == 1

    lost.refresh_from_db()
    fresh.refresh_from_db()
    with lost.pdf.open("rb") as f:
        assert f.read(4) == b"%PDF"
    assert not fresh.pdf  # issued just now: its own task has not had its chance yet
    assert "receipt PDFs rendered after a lost task: 1" in caplog.text
    assert receipts_render_sweep() == 0


def test_the_receipts_sweep_is_scheduled_every_five_minutes():
    from django_q.models import Schedule

    from billing.tasks import RECEIPTS_SWEEP_SCHEDULE, schedules_ensure

    schedules_ensure()
    schedules_ensure()  # idempotent
    schedule = Schedule.objects.get(name=RECEIPTS_SWEEP_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "billing.online_tasks.receipts_render_sweep",
        Schedule.MINUTES,
        5,
    )
