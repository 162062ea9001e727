"""Billing runs: the right bills, once, however often a run is started, killed or resumed."""

import datetime
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.utils import timezone

from billing.ledger import ledger_balances
from billing.models import BillingRun, BillingRunStatus, ChargeKind, Invoice, InvoiceLine
from billing.services import (
    billing_chunk_process,
    billing_period_parse,
    billing_run_execute,
    billing_run_start,
    tariff_schedule_set,
)
from billing.tasks import MONTHLY_RUN_SCHEDULE, billing_run_monthly
from estates.models import Ownership, Unit
from tests.estates.factories import OwnerFactory, UserFactory

from .factories import billed_estate

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)
LAST_MONTH = (THIS_MONTH - datetime.timedelta(days=1)).replace(day=1)


def run_all(period, estate=None, **kwargs):
    run = billing_run_start(period=period, estate=estate, **kwargs)
    return billing_run_execute(run=run)


def bills(period, estate=None):
    qs = Invoice.objects.filter(period=period, charge_kind=ChargeKind.PROPERTY_FEE)
    return qs.filter(estate=estate) if estate else qs


def test_run_bills_every_owned_unit_with_a_tariff():
    estate, units = billed_estate(units=3, rate=Decimal("1.35"), area=Decimal("80.33"))
    run = run_all(THIS_MONTH, estate)

    assert run.status == BillingRunStatus.DONE
    assert (run.total_units, run.done_units, run.invoices_created) == (3, 3, 3)
    amounts = dict(bills(THIS_MONTH).values_list("unit_id", "total"))
    # 80.33 × 1.35 = 108.4455 → 108.45 (half up); 81.33 × 1.35 = 109.7955 → 109.80; 82.33 × 1.35 = 111.1455 → 111.15
    assert amounts == {units[0].pk: Decimal("108.45"), units[1].pk: Decimal("109.80"), units[2].pk: Decimal("111.15")}
    invoice = bills(THIS_MONTH).get(unit=units[0])
    line = invoice.lines.get()
    assert (line.quantity, line.unit_price, line.amount) == (Decimal("80.33"), Decimal("1.3500"), Decimal("108.45"))
    assert invoice.payer_name == units[0].ownerships.get().owner.name
    assert invoice.due_on > invoice.issued_on
    # Issued bills are receivable; the ledger shows exactly what they total.
    assert ledger_balances(estate_id=estate.pk)["receivable"] == Decimal("329.40")


def test_rerun_creates_nothing_new():
    estate, _units = billed_estate(units=4)
    first = run_all(THIS_MONTH, estate)
    second = run_all(THIS_MONTH, estate)
    assert first.pk != second.pk
    assert second.invoices_created == 0
    assert second.units_already_billed == 4
    assert bills(THIS_MONTH).count() == 4
    assert InvoiceLine.objects.count() == 4
    assert ledger_balances(estate_id=estate.pk)["receivable"] == bills(THIS_MONTH).aggregate(s=Sum("total"))["s"]


def test_units_without_tariff_or_owner_are_skipped_and_counted():
    estate, units = billed_estate(units=3)
    Unit.objects.filter(pk=units[0].pk).update(use="shop")  # no shop tariff
    Ownership.objects.filter(unit=units[1]).update(until=datetime.date(2025, 1, 1), since=datetime.date(2015, 1, 1))
    run = run_all(THIS_MONTH, estate)
    assert (run.invoices_created, run.units_without_tariff, run.units_without_owner) == (1, 1, 1)
    assert run.done_units == 3
    assert list(bills(THIS_MONTH).values_list("unit_id", flat=True)) == [units[2].pk]


def test_a_tariff_for_all_uses_applies_when_no_use_specific_one_exists():
    estate, units = billed_estate(units=1, rate=None)
    Unit.objects.filter(pk=units[0].pk).update(use="shop")
    tariff_schedule_set(
        estate=estate, charge_kind=ChargeKind.PROPERTY_FEE, rates={"": Decimal("2.00")}, valid_from=datetime.date(2024, 1, 1)
    )
    run_all(THIS_MONTH, estate)
    assert bills(THIS_MONTH).get().total == Decimal("160.00")


def test_the_rate_in_force_on_the_first_day_of_the_period_is_used():
    estate, _units = billed_estate(units=1, rate=Decimal("1.00"), area=Decimal("100.00"))
    tariff_schedule_set(
        estate=estate, charge_kind=ChargeKind.PROPERTY_FEE, rates={"residential": Decimal("2.00")}, valid_from=THIS_MONTH
    )
    run_all(LAST_MONTH, estate)
    run_all(THIS_MONTH, estate)
    assert bills(LAST_MONTH).get().total == Decimal("100.00")
    assert bills(THIS_MONTH).get().total == Decimal("200.00")


def test_joint_owners_the_largest_share_pays():
    estate, units = billed_estate(units=1, owners=False)
    small, large = OwnerFactory(estate=estate, name="小份额"), OwnerFactory(estate=estate, name="大份额")
    Ownership.objects.create(unit=units[0], owner=small, share=Decimal("0.3"), since=datetime.date(2015, 1, 1))
    Ownership.objects.create(unit=units[0], owner=large, share=Decimal("0.7"), since=datetime.date(2016, 1, 1))
    run_all(THIS_MONTH, estate)
    invoice = bills(THIS_MONTH).get()
    assert (invoice.payer_name, invoice.payer_owner_id) == ("大份额", large.pk)


def test_a_run_over_all_estates_bills_each_estate():
    estate_a, _ = billed_estate(units=3)
    estate_b, _ = billed_estate(units=2)
    run = run_all(THIS_MONTH, chunk_units=2)
    assert run.chunks.count() == 3
    assert dict(bills(THIS_MONTH).values_list("estate_id").annotate(n=Count("pk"))) == {estate_a.pk: 3, estate_b.pk: 2}
    for estate in (estate_a, estate_b):
        assert ledger_balances(estate_id=estate.pk)["receivable"] == bills(THIS_MONTH, estate).aggregate(s=Sum("total"))["s"]


def snapshot(period):
    qs = bills(period)
    return {
        "bills": qs.count(),
        "lines": InvoiceLine.objects.filter(invoice__in=qs).count(),
        "total": qs.aggregate(s=Sum("total"))["s"],
        "per_unit": qs.values("unit_id").annotate(n=Count("pk")).filter(n__gt=1).count(),
    }


def test_killed_half_way_and_restarted_completes_without_duplicates():
    estate, _units = billed_estate(units=7)
    clean = run_all(LAST_MONTH, estate, chunk_units=2)

    run = billing_run_start(period=THIS_MONTH, estate=estate, chunk_units=2)
    chunk_ids = list(run.chunks.order_by("index").values_list("pk", flat=True))
    assert len(chunk_ids) == 4
    billing_chunk_process(chunk_id=chunk_ids[0])
    # The worker dies in the middle of the second chunk: its bills and lines were written, its
    # ledger entry and progress were not.
    with mock.patch("billing.services.runs._post_issuance", side_effect=RuntimeError("worker killed")):
        with pytest.raises(RuntimeError):
            billing_chunk_process(chunk_id=chunk_ids[1])
    run.refresh_from_db()
    assert run.status == BillingRunStatus.FAILED
    assert run.done_units == 2
    assert bills(THIS_MONTH).count() == 2  # the dead chunk left nothing behind

    # The same chunk delivered again to a worker after it was done changes nothing.
    assert billing_chunk_process(chunk_id=chunk_ids[0]) == 0

    # Starting the period again resumes the unfinished run.
    resumed = billing_run_start(period=THIS_MONTH, estate=estate, chunk_units=2)
    assert resumed.pk == run.pk
    resumed = billing_run_execute(run=resumed)
    assert resumed.status == BillingRunStatus.DONE
    assert (resumed.done_units, resumed.total_units, resumed.invoices_created) == (7, 7, clean.invoices_created)

    again, base = snapshot(THIS_MONTH), snapshot(LAST_MONTH)
    assert again == base
    assert again["per_unit"] == 0
    receivable = ledger_balances(estate_id=estate.pk)["receivable"]
    assert receivable == base["total"] + again["total"]


@pytest.mark.parametrize("period", ["2026-13", "2026/11", "26-11", "", "abcd-ef", "2026-1"])
def test_malformed_period_is_refused(period):
    with pytest.raises(ValidationError) as info:
        billing_period_parse(period)
    assert "YYYY-MM" in str(info.value)


def test_period_more_than_a_month_ahead_is_refused():
    next_month = (THIS_MONTH + datetime.timedelta(days=32)).replace(day=1)
    after = (next_month + datetime.timedelta(days=32)).replace(day=1)
    assert billing_period_parse(f"{next_month:%Y-%m}") == next_month
    with pytest.raises(ValidationError) as info:
        billing_period_parse(f"{after:%Y-%m}")
    assert "more than a month ahead" in str(info.value)
    assert BillingRun.objects.count() == 0


class TestCommand:
    def test_runs_in_the_foreground_with_progress(self):
        estate, _units = billed_estate(units=3, code="JTJ01")
        out = StringIO()
        call_command("billing_run", "--period", f"{THIS_MONTH:%Y-%m}", "--estate", "JTJ01", stdout=out)
        text = out.getvalue()
        assert "3/3 (100%)" in text
        assert "3 bills created" in text
        assert bills(THIS_MONTH, estate).count() == 3

        out = StringIO()
        call_command("billing_run", "--period", f"{THIS_MONTH:%Y-%m}", "--estate", "JTJ01", stdout=out)
        assert "0 bills created" in out.getvalue()
        assert "3 units already billed" in out.getvalue()

    def test_chunk_units_splits_the_run_into_that_many_units_per_chunk(self):
        estate, _units = billed_estate(units=5, code="JTJ02")
        call_command(
            "billing_run", "--period", f"{THIS_MONTH:%Y-%m}", "--estate", "JTJ02", "--chunk-units", "2", stdout=StringIO()
        )
        run = BillingRun.objects.get(estate=estate, period=THIS_MONTH)
        assert sorted(run.chunks.values_list("unit_count", flat=True)) == [1, 2, 2]
        assert bills(THIS_MONTH, estate).count() == 5
        with pytest.raises(CommandError, match="chunk-units"):
            call_command("billing_run", "--period", f"{THIS_MONTH:%Y-%m}", "--chunk-units", "0", stdout=StringIO())

    def test_bad_period_fails_with_a_clear_message(self):
        with pytest.raises(CommandError, match="YYYY-MM"):
            call_command("billing_run", "--period", "2026-13", stdout=StringIO())
        assert BillingRun.objects.count() == 0

    def test_unknown_estate_fails(self):
        with pytest.raises(CommandError, match="NOPE"):
            call_command("billing_run", "--period", f"{THIS_MONTH:%Y-%m}", "--estate", "NOPE", stdout=StringIO())

    def test_exit_code_is_non_zero_on_error(self):
        import subprocess
        import sys

        result = subprocess.run(
            [sys.executable, "manage.py", "billing_run", "--period", "2026-99"],
            capture_output=True,
            text=True,
            env={
                **__import__("os").environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": "sqlite:///:memory:",
            },
        )
        assert result.returncode == 1
        assert "YYYY-MM" in result.stderr

    def test_queue_hands_chunks_to_the_workers(self, django_capture_on_commit_callbacks):
        estate, _units = billed_estate(units=3, code="Q01")
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("billing_run", "--period", f"{THIS_MONTH:%Y-%m}", "--estate", "Q01", "--queue", stdout=out)
        assert "1 chunks queued" in out.getvalue()
        # Tests run django-q in sync mode: the queued chunk ran at once.
        assert BillingRun.objects.get().status == BillingRunStatus.DONE
        assert bills(THIS_MONTH, estate).count() == 3


def test_monthly_schedule_exists_and_runs_all_estates(django_capture_on_commit_callbacks):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name=MONTHLY_RUN_SCHEDULE)
    assert schedule.schedule_type == Schedule.MONTHLY
    assert schedule.func == "billing.tasks.billing_run_monthly"

    estate_a, _ = billed_estate(units=2)
    estate_b, _ = billed_estate(units=1)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = billing_run_monthly()
    run = BillingRun.objects.get(pk=run_id)
    assert (run.estate, run.period, run.status) == (None, THIS_MONTH, BillingRunStatus.DONE)
    assert bills(THIS_MONTH).count() == 3


def test_schedule_setup_is_idempotent():
    from django_q.models import Schedule

    from billing.tasks import schedules_ensure

    schedules_ensure()
    schedules_ensure()
    assert Schedule.objects.filter(name=MONTHLY_RUN_SCHEDULE).count() == 1


def test_started_by_is_recorded():
    estate, _ = billed_estate(units=1)
    user = UserFactory(mobile="13900000401")
    run = billing_run_start(period=THIS_MONTH, estate=estate, started_by=user)
    assert run.started_by == user
