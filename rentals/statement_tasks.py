"""django-q tasks of the owners' statements. Each takes plain values, loads fresh rows, calls the service, and may run
twice (a statement is made once per agreement and month)."""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

logger = logging.getLogger(__name__)

STATEMENTS_SCHEDULE = "rentals.owner_statements_monthly"
#: Agreements per queued batch: a worker killed mid-batch loses little, and any worker may take a batch.
BATCH = 200


def owner_statements_batch(period: str, agreement_ids: list[int]) -> dict[str, int]:
    from .services.statements import owner_statements_make

    return owner_statements_make(period=datetime.date.fromisoformat(period), agreement_ids=agreement_ids)


def owner_statements_monthly(today: str | None = None) -> int:
    """On the 1st: the sublet payouts of the month that starts (so that each is due on time, never later than the
    rent that funds it), then the statements of the month just ended, for every agreement in force then (and those
    that ended in it), queued in batches. Returns the number of batches."""
    from django_q.tasks import async_task

    from .recovery import add_months
    from .services.statements import agreements_for_month, sublet_payouts_make
    from .statements import month_start

    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    payouts = sublet_payouts_make(period=month_start(day))
    logger.info("sublet payouts of %s: %d made", f"{month_start(day):%Y-%m}", payouts)
    period = add_months(month_start(day), -1)
    ids = list(agreements_for_month(period).values_list("pk", flat=True))
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    for batch in batches:
        async_task("rentals.statement_tasks.owner_statements_batch", period.isoformat(), batch)
    logger.info("owner statements of %s: %d agreements in %d batches", f"{period:%Y-%m}", len(ids), len(batches))
    return len(batches)


def schedules_ensure(**kwargs) -> None:
    """Create or update the statements' schedule (post_migrate; idempotent): the 1st of each month, 02:00."""
    from django_q.models import Schedule

    from accounts.schedules import schedule_ensure

    now = timezone.localtime()
    first_next_month = (now.replace(day=1) + datetime.timedelta(days=32)).replace(
        day=1, hour=2, minute=0, second=0, microsecond=0
    )
    schedule_ensure(
        name=STATEMENTS_SCHEDULE,
        func="rentals.statement_tasks.owner_statements_monthly",
        schedule_type=Schedule.MONTHLY,
        first_run=first_next_month,
    )
