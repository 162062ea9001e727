"""django-q tasks of rent and deposits (daily schedules, registered after migrate). Each is safe to run twice."""

from __future__ import annotations

RENT_BILLS_SCHEDULE = "rentals.rent_bills_issue_due"
RENT_REMINDERS_SCHEDULE = "rentals.rent_reminders_send"


def rent_bills_issue_due() -> dict[str, int]:
    """Daily: the deposit and rent bills of every lease in force or under notice that are due to be issued."""
    from .services.rent import rent_bills_issue_due as issue

    return issue()


def rent_reminders_send() -> int:
    """Daily: remind tenants of rent overdue ``ANJU_RENTAL_REMINDER_AFTER_DAYS`` days, with a cure period."""
    from .services.rent import rent_reminders_send as send

    return send()


def schedules_ensure(**kwargs) -> None:
    """Create or update the rent schedules (post_migrate; idempotent): bills at 05:30, reminders at 09:30 (after
    billing's overdue marking at 06:00, at an hour a text message may be sent)."""
    import datetime

    from django.utils import timezone
    from django_q.models import Schedule

    from accounts.schedules import schedule_ensure

    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    schedule_ensure(
        name=RENT_BILLS_SCHEDULE,
        func="rentals.rent_tasks.rent_bills_issue_due",
        schedule_type=Schedule.DAILY,
        first_run=tomorrow.replace(hour=5, minute=30, second=0, microsecond=0),
    )
    schedule_ensure(
        name=RENT_REMINDERS_SCHEDULE,
        func="rentals.rent_tasks.rent_reminders_send",
        schedule_type=Schedule.DAILY,
        first_run=tomorrow.replace(hour=9, minute=30, second=0, microsecond=0),
    )
