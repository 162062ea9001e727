"""The one way an app declares a recurring django-q task: ``schedule_ensure`` (idempotent, run after migrate).

Re-running it updates what the task does and how often, but keeps the next run the worker already
planned, so a deploy never makes a monthly billing run fire twice or skips a day.
"""

from __future__ import annotations

import datetime


def schedule_ensure(*, name: str, func: str, schedule_type: str, first_run: datetime.datetime | None = None, **every) -> None:
    """Create or update the schedule ``name`` running ``func`` (a dotted path) with ``schedule_type``
    (``Schedule.DAILY``, ``MONTHLY``, ``MINUTES`` with ``minutes=…``); ``first_run`` only when created."""
    from django_q.models import Schedule

    settings = {"func": func, "schedule_type": schedule_type, "repeats": -1, **every}
    create = {**settings, "next_run": first_run} if first_run is not None else settings
    Schedule.objects.update_or_create(name=name, defaults=settings, create_defaults=create)
