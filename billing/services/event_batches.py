"""Provider notifications handled in batches: under a burst, one task takes many waiting events.

Every stored event has its own queued task (``provider_events.event_store``), so none is forgotten.
When a task runs it *claims* its own event and up to ``ANJU_PROVIDER_EVENT_BATCH`` − 1 other waiting
ones — a short lease on the rows (``claimed_until``), taking only rows no other worker holds — and
handles them together:

* paid sessions through ``sessions_paid_apply``: the provider asked for each new payment's details
  first, then every payment applied in one transaction (one commit for the batch, a savepoint each),
  then the payees' transfers asked for and booked together;
* any other notification one by one (``event_process``), after the payments, so that a refund
  notified before its payment finds it.

The events are marked handled only when all of that is done: a worker killed half-way leaves them
claimed until the lease runs out (``claim_for``: the task timeout), then any task takes them again and finishes only
what is missing (payments exist once — the attempt row lock and the unique constraints — and
transfers are sent only once by their idempotency keys). A task whose event another worker holds does
nothing: that worker handles it (on the ORM broker, a killed worker's own task comes back after the
retry time, when the lease has run out, and takes its batch again). ``events_sweep`` (scheduled every few minutes) queues again the events
still waiting after a lease: what a broker that loses a killed worker's task (Redis) needs.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import ProviderEvent
from ..providers import CheckoutSession, NotificationKind, PaymentProvider, get_provider
from .provider_events import event_process, queue_event, sessions_paid_apply

logger = logging.getLogger(__name__)


def claim_for() -> datetime.timedelta:
    """How long a claim holds: the task timeout (Q_CLUSTER["timeout"]), after which its worker has been
    stopped; shorter than the broker's retry, so the killed worker's task, delivered again, takes them."""
    return datetime.timedelta(seconds=int(settings.Q_CLUSTER.get("timeout") or 600))


PAID_KINDS = frozenset({NotificationKind.SESSION_COMPLETED, NotificationKind.SESSION_PAID})


def batch_size() -> int:
    """How many waiting events one task takes at most (settings.ANJU_PROVIDER_EVENT_BATCH; 1 = one at a time)."""
    return max(1, int(getattr(settings, "ANJU_PROVIDER_EVENT_BATCH", 50)))


def events_claim(event_pk: int, *, size: int) -> list[int]:
    """Hold this event (if it still waits and nobody holds it) and up to ``size`` − 1 others that wait
    without an error, oldest first; rows another worker is claiming are skipped, not waited for. A task
    whose own event is not free takes nothing: that event is someone's batch, the others have their tasks."""
    now = timezone.now()
    free = ProviderEvent.objects.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), processed_at__isnull=True)
    with transaction.atomic():
        pks = list(free.filter(pk=event_pk).select_for_update(skip_locked=True).values_list("pk", flat=True))
        if pks and size > 1:
            others = free.filter(error="").exclude(pk=event_pk).select_for_update(skip_locked=True).order_by("pk")
            pks += others.values_list("pk", flat=True)[: size - 1]
        if pks:
            ProviderEvent.objects.filter(pk__in=pks).update(claimed_until=now + claim_for())
    return pks


def events_process(event_pk: int, *, provider: PaymentProvider | None = None, size: int | None = None) -> bool:
    """Handle a stored event, with a batch of other waiting ones; True when this event is done.

    An error on this task's own event is raised (the task fails, the event keeps the error, as
    before); an error on another event of the batch is kept on that event and logged.
    """
    own = ProviderEvent.objects.filter(pk=event_pk).values_list("processed_at", "claimed_until").first()
    if own is None or own[0] is not None:
        return own is not None  # handled already (by an earlier batch): one query for the task
    if own[1] is not None and own[1] >= timezone.now():
        return False  # in another worker's batch, which handles it
    pks = events_claim(event_pk, size=batch_size() if size is None else size)
    if pks:
        events = list(ProviderEvent.objects.filter(pk__in=pks).order_by("pk"))
        failures: dict[int, Exception] = {}
        try:
            by_provider: dict[str, list[ProviderEvent]] = {}
            for event in events:
                by_provider.setdefault(event.provider, []).append(event)
            for name, group in by_provider.items():
                _process(group, provider=provider or get_provider(name), failures=failures)
        finally:
            # What is still waiting (failed, or deferred until its payment exists) is free to be taken again.
            ProviderEvent.objects.filter(pk__in=pks, processed_at__isnull=True).update(claimed_until=None)
        if event_pk in failures:
            raise failures[event_pk]
    return ProviderEvent.objects.filter(pk=event_pk, processed_at__isnull=False).exists()


def _process(events: list[ProviderEvent], *, provider: PaymentProvider, failures: dict[int, Exception]) -> None:
    paid: dict[str, tuple[CheckoutSession, list[ProviderEvent]]] = {}
    others: list[ProviderEvent] = []
    for event in events:
        try:
            notification = provider.notification_parse(event.payload)
        except Exception:  # noqa: BLE001 - event_process records the error on the event
            others.append(event)
            continue
        session = notification.session
        if notification.kind in PAID_KINDS and session is not None and session.paid:
            paid.setdefault(session.id, (session, []))[1].append(event)
        else:
            others.append(event)

    if paid:
        try:
            outcomes = sessions_paid_apply(sessions=[s for s, _ in paid.values()], provider=provider)
            # A session that lost a deadlock or a serialization race is tried again once at once (idempotent).
            again = [paid[sid][0] for sid, outcome in outcomes.items() if isinstance(outcome, OperationalError)]
            if again:
                outcomes.update(sessions_paid_apply(sessions=again, provider=provider))
        except Exception as exc:  # e.g. the database went away while sending transfers: every event waits
            outcomes = {session_id: exc for session_id in paid}
        done: list[int] = []
        for session_id, (_, group) in paid.items():
            outcome = outcomes[session_id]
            if isinstance(outcome, Exception):
                _failed(group, outcome, failures)
            else:
                done += [e.pk for e in group]
        ProviderEvent.objects.filter(pk__in=done, processed_at__isnull=True).update(
            processed_at=timezone.now(), error="", claimed_until=None
        )

    for event in others:
        try:
            event_process(event=event, provider=provider)
        except Exception as exc:  # noqa: BLE001 - event_process kept the error on the event
            failures[event.pk] = exc
            logger.exception("provider event %s failed", event.event_id)


def _failed(events: list[ProviderEvent], exc: Exception, failures: dict[int, Exception]) -> None:
    ProviderEvent.objects.filter(pk__in=[e.pk for e in events]).update(error=f"{type(exc).__name__}: {exc}"[:2000])
    for event in events:
        failures[event.pk] = exc
    logger.error("provider events %s failed: %r", [e.event_id for e in events], exc)


def events_sweep(*, older_than: datetime.timedelta | None = None) -> int:
    """Queue again every event still waiting, without an error, received more than ``older_than`` ago and
    not held by a live claim: its task was lost (a broker that drops a killed worker's task) or its
    worker died mid-batch. Returns how many were queued."""
    now = timezone.now()
    older_than = claim_for() if older_than is None else older_than
    lost = ProviderEvent.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        processed_at__isnull=True,
        error="",
        received_at__lt=now - older_than,
    ).values_list("pk", flat=True)
    pks = list(lost[:10_000])
    for pk in pks:
        queue_event(pk)
    if pks:
        logger.warning("provider events queued again after a lost task: %d", len(pks))
    return len(pks)
