"""Which queue carries the tasks (issue 16): the ORM broker by default, Redis when REDIS_URL is set."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, django
django.setup()
from django_q.brokers import get_broker
from django_q.conf import Conf
broker = get_broker(list_key="anju-broker-probe-" + str(os.getpid()))
out = {"broker": type(broker).__name__, "orm": Conf.ORM}
if out["broker"] == "Redis":
    broker.enqueue("task-payload")           # a real round trip through the Redis server
    out["queued"] = broker.queue_size()
    (ack, payload), = broker.dequeue()
    out["payload"] = payload.decode() if isinstance(payload, bytes) else payload
    broker.delete_queue()
print(json.dumps(out))
"""


def probe(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    # The ORM broker opens a database connection: a throw-away SQLite file, whatever the test pass uses.
    environ.update(DJANGO_SETTINGS_MODULE="config.settings.base", DATABASE_URL=f"sqlite:///{tmp_path}/probe.sqlite3", **env)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tasks_go_through_the_database_by_default(tmp_path):
    assert probe(tmp_path) == {"broker": "OldestFirstORM", "orm": "default"}


def test_tasks_go_through_redis_when_redis_url_is_set(tmp_path):
    """The machine's Redis (127.0.0.1:6379, as in CI): a task queued and taken back."""
    found = probe(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    assert found == {"broker": "Redis", "orm": None, "queued": 1, "payload": "task-payload"}


def _result(success: bool) -> dict:
    from django.utils import timezone
    from django_q.humanhash import uuid

    now = timezone.now()
    task_id, name = uuid()
    return {
        "id": task_id,
        "name": name,
        "func": "billing.online_tasks.provider_events_sweep",
        "args": (),
        "kwargs": {},
        "started": now,
        "stopped": now,
        "result": 0 if success else "ValueError('boom')",
        "success": success,
        "sync": True,  # else save_task closes this test's database connection, and with it the test's transaction
    }


def test_a_cluster_keeps_failed_tasks_but_not_the_results_nobody_reads(db):
    """What the qcluster's monitor stores after each task (Q_CLUSTER["save_limit"] = -1): a failure, to be seen in
    the admin and by the several-hosts test; not a success, whose save would lock the last 250 successes every time."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.models import Failure, Success
    from django_q.monitor import save_task

    assert Conf.SAVE_LIMIT == -1
    broker = get_broker()
    save_task(_result(True), broker)
    save_task(_result(False), broker)
    assert not Success.objects.exists()
    assert list(Failure.objects.values_list("func", "result")) == [
        ("billing.online_tasks.provider_events_sweep", "ValueError('boom')")
    ]
