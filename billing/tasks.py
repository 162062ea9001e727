"""django-q tasks of billing. Each takes ids, loads fresh rows, calls services, and may run twice."""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from accounts.schedules import schedule_ensure

from .models import BillingRun

logger = logging.getLogger(__name__)

MONTHLY_RUN_SCHEDULE = "monthly-billing-run"
DAILY_SCHEDULE = "daily-overdue-and-dunning"
EVENTS_SWEEP_SCHEDULE = "provider-events-sweep"
RECEIPTS_SWEEP_SCHEDULE = "receipts-render-sweep"


def billing_chunk_process(chunk_id: int) -> int:
    """One chunk of a billing run; any worker may take it, any number of times."""
    from .services.runs import billing_chunk_process as process

    return process(chunk_id=chunk_id)


def billing_run_monthly() -> int | None:
    """The scheduled run on the 1st: the current month for all estates, chunks to the workers."""
    from .services.runs import billing_runs_start_for

    period = timezone.localdate().replace(day=1)
    runs: list[BillingRun] = billing_runs_start_for(period=period, estates=None)
    logger.info("monthly billing run %s for %s queued", runs[0].pk, f"{period:%Y-%m}")
    return runs[0].pk


def billing_daily() -> dict[str, int]:
    """Mark overdue bills, then send the reminders that have become due."""
    from .dunning import dunning_run
    from .services.invoices import invoices_mark_overdue

    return {"overdue": invoices_mark_overdue(), "notices": dunning_run()}


def dunning_letter_render(notice_id: int) -> None:
    from .dunning import demand_letter_render

    demand_letter_render(notice_id=notice_id)


def schedules_ensure(**kwargs) -> None:
    """Create or update the billing schedules (post_migrate; idempotent)."""
    from django_q.models import Schedule

    now = timezone.localtime()
    first_next_month = (now.replace(day=1) + datetime.timedelta(days=32)).replace(
        day=1, hour=1, minute=0, second=0, microsecond=0
    )
    schedule_ensure(
        name=MONTHLY_RUN_SCHEDULE,
        func="billing.tasks.billing_run_monthly",
        schedule_type=Schedule.MONTHLY,
        first_run=first_next_month,
    )
    tomorrow = (now + datetime.timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    schedule_ensure(name=DAILY_SCHEDULE, func="billing.tasks.billing_daily", schedule_type=Schedule.DAILY, first_run=tomorrow)
    # Provider events whose task was lost (a killed worker on the Redis broker) are queued again.
    schedule_ensure(
        name=EVENTS_SWEEP_SCHEDULE,
        func="billing.online_tasks.provider_events_sweep",
        schedule_type=Schedule.MINUTES,
        minutes=5,
    )
    # Receipts whose render task was lost (a worker killed between its commit and the queueing) get their PDF.
    schedule_ensure(
        name=RECEIPTS_SWEEP_SCHEDULE,
        func="billing.online_tasks.receipts_render_sweep",
        schedule_type=Schedule.MINUTES,
        minutes=5,
    )
