"""django-q2's ORM broker, taking the oldest task first.

The library's ORM broker takes "any" task whose lock has expired (no ORDER BY), which PostgreSQL answers in heap
order. Taking a task rewrites its row, so a task whose worker was killed comes back at the end of the heap: it
waited behind the whole backlog. Measured (tests/ops/test_several_hosts.py, docs/benchmarks.md "Several hosts"):
after a worker was killed mid-burst, its seven payment notifications were handled only after some 4,500 receipt
renders queued later, minutes after Q_RETRY. Taken in id order, a re-delivered task is the next one taken.
"""

from __future__ import annotations

import time

from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf


class OldestFirstORM(ORM):
    def dequeue(self):
        # The library's dequeue with an order: take up to BULK tasks, oldest first, each claimed by moving its lock
        # forward only if no other cluster moved it meanwhile.
        tasks = list(self.get_connection().filter(key=self.list_key, lock__lt=timezone.now()).order_by("id")[: Conf.BULK])
        claimed = []
        for task in tasks:
            if self.get_connection().filter(id=task.id, lock=task.lock).update(lock=self.timeout(task)):
                claimed.append((task.pk, task.payload))
        if claimed:
            return claimed
        if not tasks:
            time.sleep(Conf.POLL)  # an empty queue: spare the CPU, as the library does
        return None
