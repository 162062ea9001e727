"""Issue 10 item 9: the billing run page follows its run without reloading, from a static script
(no inline script: CSP); its counters say what they count; bills sort by number naturally; the
void button is the action 作废, not the status 已作废."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext

from accounts.models import Role
from billing.models import BillingRun, BillingRunStatus, ChargeKind, Invoice, InvoiceStatus
from billing.services import billing_run_execute, billing_run_start, invoice_number
from estates.models import Unit

from .factories import billed_estate

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)


@pytest.fixture
def estate_x(sync_groups):
    estate, _units = billed_estate(units=2, code="RPX")
    return estate


@pytest.fixture
def staff_x(make_user, estate_x):
    return make_user("13900008001", Role.ESTATE_STAFF, estate=estate_x)


def test_progress_json_and_page_say_what_the_counts_count(client, estate_x, staff_x):
    from billing.selectors import billing_run_progress

    run = billing_run_execute(run=billing_run_start(period=THIS_MONTH, estate=estate_x))
    with translation.override("en"):
        texts = billing_run_progress(run=run)["texts"]
    assert texts["progress"] == "2 of 2 units processed (100%)"
    assert texts["invoices_created"] == "2 bills issued"
    client.force_login(staff_x)
    progress = client.get(reverse("billing_billingrun:progress", args=[run.pk])).json()
    assert progress["finished"] is True and progress["invoices_created"] == 2
    html = client.get(reverse("billing_billingrun:inspect", args=[run.pk])).content.decode()
    assert f'data-progress-text="progress">{progress["texts"]["progress"]}<' in html
    assert f'data-progress-text="invoices_created">{progress["texts"]["invoices_created"]}<' in html
    # The runs list says it in the same words.
    assert progress["texts"]["progress"] in client.get(reverse("billing_billingrun:index")).content.decode()


def test_run_page_has_no_inline_script_and_loads_the_static_poller(client, estate_x, staff_x):
    """CSP: the page's own behaviour comes from billing/js/run_progress.js, not an inline <script>."""
    run = billing_run_start(period=THIS_MONTH, estate=estate_x)  # queued: the page polls
    client.force_login(staff_x)
    html = client.get(reverse("billing_billingrun:inspect", args=[run.pk])).content.decode()
    main = html.split('data-run-progress-url="', 1)
    assert len(main) == 2 and main[1].startswith(reverse("billing_billingrun:progress", args=[run.pk]))
    assert "billing/js/run_progress.js" in html
    assert "window.location.reload" not in html
    assert "fetch(" not in html  # the polling code is in the static file only


def test_another_estates_staff_cannot_watch_the_run(client, estate_x, make_user):
    """Wrong person refused: the page and its JSON answer 404 to staff of another estate."""
    estate_y, _ = billed_estate(units=1, code="RPY")
    run = billing_run_start(period=THIS_MONTH, estate=estate_x)
    client.force_login(make_user("13900008002", Role.ESTATE_STAFF, estate=estate_y))
    assert client.get(reverse("billing_billingrun:progress", args=[run.pk])).status_code == 404
    assert client.get(reverse("billing_billingrun:inspect", args=[run.pk])).status_code == 404


def _bill_with_source_id(estate, unit_type, source_id: int) -> Invoice:
    return Invoice.objects.create(
        estate=estate,
        source_type=unit_type,
        source_id=source_id,
        charge_kind=ChargeKind.PROPERTY_FEE,
        period=THIS_MONTH,
        payer_name=f"业主{source_id}",
        number=invoice_number(
            charge_kind=ChargeKind.PROPERTY_FEE, period=THIS_MONTH, source_type_id=unit_type.pk, source_id=source_id
        ),
        issued_on=THIS_MONTH,
        due_on=THIS_MONTH + datetime.timedelta(days=30),
        total=Decimal("10.00"),
    )


def test_bill_numbers_sort_naturally(client, estate_x, staff_x):
    """…-9 comes before …-10 and …-100, in the default list and when sorting by number (both ways)."""
    unit_type = ContentType.objects.get_for_model(Unit)
    bills = [_bill_with_source_id(estate_x, unit_type, n) for n in (100, 10, 9)]
    nine, ten, hundred = bills[2].number, bills[1].number, bills[0].number
    assert ten < nine  # as text, the old order
    client.force_login(staff_x)

    def order(query: str) -> list[str]:
        html = client.get(reverse("billing_invoice:index") + query).content.decode()
        found = re.findall(r"PF\d{6}-\d+-\d+", html)
        return [n for n in dict.fromkeys(found) if n in (nine, ten, hundred)]

    assert order("") == [nine, ten, hundred]
    assert order("?ordering=number") == [nine, ten, hundred]
    assert order("?ordering=-number") == [hundred, ten, nine]


def test_void_button_is_the_action_not_the_status(client, estate_x, staff_x):
    """In Chinese the button must read 作废 (void it), not 已作废 (the status "Void"): its own msgid with a context."""
    run = billing_run_execute(run=billing_run_start(period=THIS_MONTH, estate=estate_x))
    invoice = Invoice.objects.filter(billing_run=run).first()
    client.force_login(staff_x)
    html = client.get(reverse("billing_invoice:inspect", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    button = re.search(r'data-testid="void-bill">([^<]+)</a>', html).group(1)
    with translation.override("zh-hans"):
        assert button == pgettext("action: cancel a bill", "Void")
        assert button != str(InvoiceStatus.VOID.label)


def test_run_counts_status_failed_is_finished(estate_x):
    from billing.selectors import billing_run_progress

    run = BillingRun.objects.create(period=THIS_MONTH, estate=estate_x, status=BillingRunStatus.FAILED, total_units=3)
    assert billing_run_progress(run=run)["finished"] is True
