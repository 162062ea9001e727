"""django-q tasks of leases: take no rows, load fresh ones, call services. Safe to run twice."""

LEASES_SETTLE_SCHEDULE = "rentals.leases_settle_daily"


def leases_settle_daily() -> dict:
    """Daily: terminate the leases whose notice date has passed and end those whose term is over. Safe to run
    twice. Nothing in the flat is touched (住房租赁条例 Art. 12: no utilities cut, no lock changed)."""
    from .services.leases import leases_settle

    return leases_settle()


def schedules_ensure(**kwargs) -> None:
    """Create or update the leases' schedules (post_migrate; idempotent)."""
    import datetime

    from django.utils import timezone
    from django_q.models import Schedule

    from accounts.schedules import schedule_ensure

    first_run = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=0, minute=20, second=0, microsecond=0)
    schedule_ensure(
        name=LEASES_SETTLE_SCHEDULE,
        func="rentals.lease_tasks.leases_settle_daily",
        schedule_type=Schedule.DAILY,
        first_run=first_run,
    )
