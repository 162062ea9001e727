"""`manage.py billing_run --period 2026-11 [--estate CODE] [--queue] [--chunk-units N]`: the monthly property-fee run.

In the foreground (default) the run goes to completion here with progress output; with --queue its
chunks are handed to the django-q workers and the command returns at once. An unfinished run of the
same period and estate is resumed, and a finished period can be run again without creating a bill
twice.
"""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing.models import BillingRunStatus
from billing.services.runs import CHUNK_UNITS, billing_run_execute, billing_run_queue, billing_run_start
from estates.models import Estate


class Command(BaseCommand):
    help = "Bill the property fee of a month (YYYY-MM) for one estate or all estates."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="The month to bill, YYYY-MM (at most next month).")
        parser.add_argument("--estate", help="Estate code; all estates when left out.")
        parser.add_argument("--queue", action="store_true", help="Hand the run to the workers instead of running it here.")
        parser.add_argument(
            "--chunk-units",
            type=int,
            default=CHUNK_UNITS,
            help=f"Units per chunk, the work one worker takes at a time (default {CHUNK_UNITS}); only for a new run.",
        )

    def handle(self, *args, period: str, estate: str | None, queue: bool, chunk_units: int, **options):
        if chunk_units < 1:
            raise CommandError("每个分片至少 1 户 / --chunk-units must be at least 1.")
        target = None
        if estate:
            target = Estate.objects.filter(code=estate).first()
            if target is None:
                raise CommandError(f"没有编号为 {estate} 的小区 / No estate with code {estate!r}.")
        try:
            run = billing_run_start(period=period, estate=target, chunk_units=chunk_units)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        label = f"{run.period:%Y-%m} {target.code if target else '全部小区 / all estates'}"
        if run.status == BillingRunStatus.DONE and not run.chunks.filter(done=False).exists():
            self._summary(run, label)
            return
        if queue:
            count = billing_run_queue(run=run)
            self.stdout.write(
                f"账单批次 #{run.pk} {label}：{count} 个分片已交给后台任务 / billing run #{run.pk} {label}: "
                f"{count} chunks queued for the workers ({run.total_units} units)."
            )
            return
        self.stdout.write(
            f"账单批次 #{run.pk} {label}：{run.total_units} 户 / billing run #{run.pk} {label}: {run.total_units} units"
        )
        started = time.monotonic()

        def progress(current):
            percent = 100 * current.done_units // current.total_units if current.total_units else 100
            self.stdout.write(
                f"  {current.done_units}/{current.total_units} ({percent}%) · {current.invoices_created} bills",
            )

        try:
            run = billing_run_execute(run=run, progress=progress)
        except Exception as exc:
            raise CommandError(f"账单批次 #{run.pk} 失败 / billing run #{run.pk} failed: {exc}") from exc
        self._summary(run, label, seconds=time.monotonic() - started)

    def _summary(self, run, label, seconds=None):
        took = f" in {seconds:.1f}s" if seconds is not None else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"完成 / done: run #{run.pk} {label}{took}: {run.invoices_created} bills created, "
                f"{run.units_already_billed} units already billed, {run.units_without_tariff} without a tariff, "
                f"{run.units_without_owner} without an owner."
            )
        )
