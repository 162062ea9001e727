"""The task queue takes the oldest task first, also one whose worker was killed (config/task_broker.py)."""

import datetime

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ

from config.task_broker import OldestFirstORM

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_task_whose_worker_died_is_the_next_one_taken_not_the_last():
    broker = get_broker()
    assert isinstance(broker, OldestFirstORM)
    first, second, third = (broker.enqueue(f"task {n}") for n in (1, 2, 3))

    [(taken, payload)] = broker.dequeue()
    assert (taken, payload) == (first, "task 1")
    # Its worker is killed: the task is never acknowledged, and Q_RETRY seconds later its lock has expired. Both
    # updates rewrite the row, which PostgreSQL puts after the others: the library's broker then took it last.
    OrmQ.objects.filter(pk=first).update(lock=timezone.now() - datetime.timedelta(seconds=1))
    broker.enqueue("task 4")

    assert [pk for pk, _payload in broker.dequeue()] == [first]
    broker.acknowledge(first)
    assert [pk for pk, _payload in broker.dequeue()] == [second]
    assert [pk for pk, _payload in broker.dequeue()] == [third]
