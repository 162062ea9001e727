"""Several hosts on one machine (issue 16): two web processes and two task clusters share one PostgreSQL database,
a billing run and a burst of signed payment notifications, and one cluster is killed (SIGKILL, its whole process
group) in the middle of each. Afterwards every unit is billed exactly once, every paid Checkout Session became
exactly one payment with one receipt, every notification was handled, the ledger balances and no task failed.

Only the outside interfaces are used while it runs: `manage.py billing_run --queue`, the webhook URL over HTTP to
gunicorn, `manage.py qcluster` and `manage.py money_summary` processes, and the database's state (what PostgreSQL
says each process is doing, and the rows). Set-up (owners, bills, open Checkout Sessions) is made in this process.

Small in CI; the full scale of the issue with environment variables (docs/benchmarks.md, "Several hosts"):

    ANJU_HOSTS_UNITS=100000 ANJU_HOSTS_EVENTS=5000 DATABASE_URL=postgres://… ANJU_TEST_PASS=postgresql \
        .venv/bin/pytest -q -s -p no:cacheprovider tests/ops/test_several_hosts.py
"""

from __future__ import annotations

import datetime
import http.client
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Count, F, Sum
from django.utils import timezone

from accounts.models import User
from billing.models import (
    BillingRun,
    BillingRunChunk,
    BillingRunStatus,
    ChargeKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAttempt,
    ProviderEvent,
    Receipt,
    Transfer,
)
from billing.services import attempt_create, invoice_create_for_source, tariff_schedule_set
from estates.models import Building, Owner, Ownership, Unit
from tests.billing.factories import estate_payees
from tests.billing.fake_stripe import API_KEY, PUBLISHABLE_KEY, FakeStripe, FakeStripeServer, configure_stripe
from tests.estates.factories import EstateFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK = "/billing/stripe/webhook/"

UNITS = int(os.environ.get("ANJU_HOSTS_UNITS", "2000"))
EVENTS = int(os.environ.get("ANJU_HOSTS_EVENTS", "150"))  # distinct notifications; re-deliveries come on top
REDELIVERED = 0.30
SMALL = UNITS <= 20_000
# Enough chunks for both clusters to be busy; at most the production chunk size.
CHUNK_UNITS = int(os.environ.get("ANJU_HOSTS_CHUNK", str(max(50, min(2000, UNITS // 20)))))
# A killed worker's task comes back Q_RETRY seconds after it was taken; Q_TIMEOUT must exceed any one task.
# At small scale a task takes well under a second alone, but CI runs two test passes on a small machine at once:
# 60 s leaves room, so that a task stopped for its time is a finding, not the machine's load.
Q_TIMEOUT = int(os.environ.get("ANJU_HOSTS_Q_TIMEOUT", "60" if SMALL else "120"))
Q_RETRY = int(os.environ.get("ANJU_HOSTS_Q_RETRY", str(Q_TIMEOUT + (5 if SMALL else 30))))
# Wait for every receipt's PDF too (each takes a WeasyPrint render: the longest part at full scale).
RECEIPT_PDFS = os.environ.get("ANJU_HOSTS_RECEIPT_PDFS", "1") not in ("0", "false", "no")
DEADLINE = float(os.environ.get("ANJU_HOSTS_DEADLINE", "300" if SMALL else "3600"))  # seconds for everything to finish
RATES = {"A": Decimal("1.80"), "B": Decimal("2.20")}  # property fee per m² and month, per estate
FUND_RATE = Decimal("0.25")  # maintenance fund, estate A only


def log(message: str) -> None:
    print(f"[several hosts {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Host:
    """One process of the simulated deployment (a gunicorn master, or a qcluster), in its own process group."""

    name: str
    proc: subprocess.Popen
    logfile: Path
    port: int = 0

    def tail(self, lines: int = 30) -> str:
        text = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
        return f"--- {self.name} ({self.logfile}) ---\n" + "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the whole process group: the master and every worker it forked, with no chance to clean up."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)


@dataclass
class Deployment:
    """Two web hosts, the task clusters (started and replaced as the test goes) and the fake Stripe."""

    tmp: Path
    env: dict
    db_name: str
    hosts: list[Host] = field(default_factory=list)

    def _start(self, name: str, args: list[str], port: int = 0) -> Host:
        logfile = self.tmp / f"{name}.log"
        env = {**self.env, "DATABASE_URL": self.env["DATABASE_URL"].replace("APPNAME", f"anju-{name}")}
        out = logfile.open("wb")
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        host = Host(name, proc, logfile, port)
        self.hosts.append(host)
        return host

    def web(self, name: str) -> Host:
        port = _free_port()
        return self._start(
            name, ["-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--log-level", "warning"], port
        )

    def cluster(self, name: str) -> Host:
        return self._start(name, ["manage.py", "qcluster"])

    def manage(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        env = {**self.env, "DATABASE_URL": self.env["DATABASE_URL"].replace("APPNAME", "anju-manage")}
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )

    def tails(self) -> str:
        return "\n".join(host.tail() for host in self.hosts)

    def stop(self) -> None:
        for host in self.hosts:  # nothing is left to finish: SIGKILL is enough
            host.kill()


def _database_url(settings_dict: dict) -> str:
    s = settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (
        f"postgres://{s['USER'] or 'postgres'}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        # Each process names itself (pg_stat_activity shows who is doing what); commits need not wait for the
        # disk, as in the test settings (a thrown-away database; PostgreSQL itself is never killed here).
        "?application_name=APPNAME&conn_max_age=60&options=-c%20synchronous_commit%3Doff"
    )


def _sql(query: str, params: tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _connected(db_name: str, app: str) -> bool:
    return bool(_sql("SELECT 1 FROM pg_stat_activity WHERE datname = %s AND application_name = %s", (db_name, app)))


def _holding_row_lock(db_name: str, app: str, table: str) -> list[tuple]:
    """The backends of process ``app`` inside a transaction that has locked rows of ``table`` (SELECT … FOR UPDATE)."""
    return _sql(
        "SELECT a.pid, a.state, left(a.query, 120) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE a.datname = %s AND a.application_name = %s AND l.relation = %s::regclass AND l.mode = 'RowShareLock' "
        "AND l.granted",
        (db_name, f"anju-{app}", table),
    )


def _wait(what: str, check, deployment: Deployment, *, timeout: float, interval: float = 0.2, progress=None):
    started = last = time.monotonic()
    while True:
        result = check()
        if result:
            return result
        now = time.monotonic()
        if now - started > timeout:
            state = f" ({progress()})" if progress else ""
            pytest.fail(f"gave up after {timeout:.0f}s waiting for {what}{state}\n{deployment.tails()}")
        if progress and now - last >= 10:
            log(f"waiting for {what}: {progress()}")
            last = now
        time.sleep(interval)


def _kill_when_working(
    deployment: Deployment, hosts: list[Host], table: str, *, timeout: float, after=None, latest=None
) -> tuple:
    """SIGKILL the first of ``hosts`` seen at a moment when PostgreSQL shows one of its workers inside a transaction
    holding row locks of ``table`` (a billing chunk, or a paid session being applied), once ``after()`` is true.
    Returns (the host killed, what it was doing). Any of several: under load one cluster may take every chunk.
    Under heavy load the polls can miss every such moment: once ``latest()`` is true (the work half done), or after
    ``timeout`` seconds, the first host is killed anyway, mid-way through the work, and the test says so."""
    started = time.monotonic()
    while after is not None and not after():
        if time.monotonic() - started > timeout:
            pytest.fail(
                f"the moment to kill one of {[h.name for h in hosts]} never came within {timeout:.0f}s\n{deployment.tails()}"
            )
        time.sleep(0.1)
    polls = 0
    while time.monotonic() - started < timeout:
        for host in hosts:
            working = _holding_row_lock(deployment.db_name, host.name, table)
            if working:
                host.kill()
                return host, working[0]
        polls += 1
        if latest is not None and polls % 10 == 0 and latest():
            break
        time.sleep(0.005)
    # What the test proves (each bill once, each session one payment, the ledger balanced) still holds: the killed
    # cluster had tasks taken from the queue and not finished.
    hosts[0].kill()
    waited = time.monotonic() - started
    log(f"no worker of {[h.name for h in hosts]} was seen inside a transaction on {table} in {polls} polls, {waited:.0f}s")
    return hosts[0], f"not seen inside a transaction on {table} in {polls} polls; killed mid-way after {waited:.0f}s"


# --- the data ---------------------------------------------------------------------------------------------------


def _seed(fake: FakeStripe) -> dict:
    """Two estates with UNITS units between them, each unit owned, property-fee tariffs (and a maintenance-fund one
    in estate A), payees with connected accounts; and for the first sessions' owners a bill of last month with an
    open Checkout Session (an owner who clicked "pay")."""
    period = timezone.localdate().replace(day=1)
    last_month = (period - datetime.timedelta(days=1)).replace(day=1)
    sessions = max(1, math.ceil(EVENTS / 1.1))  # each session: a completed event; every 10th also async_payment_succeeded
    assert sessions <= UNITS
    password = make_password(None)
    estates, expected_total, per_estate_units = {}, Decimal("0"), {}
    users_needed = iter(range(sessions))
    session_units = []
    for index, (code, rate) in enumerate(RATES.items()):
        estate = EstateFactory(code=f"HOSTS-{code}", name=f"多主机小区{code}")
        estate_payees(estate)
        tariff_schedule_set(
            estate=estate,
            charge_kind=ChargeKind.PROPERTY_FEE,
            rates={"residential": rate},
            valid_from=datetime.date(2020, 1, 1),
            source_label="several hosts",
        )
        if code == "A":
            tariff_schedule_set(
                estate=estate,
                charge_kind=ChargeKind.MAINTENANCE_FUND,
                rates={"residential": FUND_RATE},
                valid_from=datetime.date(2020, 1, 1),
                source_label="several hosts",
            )
        building = Building.objects.create(estate=estate, number="1", floors=40)
        count = UNITS // 2 + (UNITS % 2 if index == 0 else 0)
        units = Unit.objects.bulk_create(
            (
                Unit(
                    building=building,
                    entrance=1 + i // 1000,
                    floor=1 + (i % 1000) // 25,
                    number=f"{i:06d}",
                    exclusive_area=Decimal("50.00") + i % 70,
                )
                for i in range(count)
            ),
            batch_size=5000,
        )
        # Half of the sessions in each estate: the first units' owners have logins.
        mine = sessions // 2 + (sessions % 2 if index == 0 else 0)
        users = User.objects.bulk_create(
            (User(mobile=f"13{index}{next(users_needed):08d}", name=f"业主{code}{i}", password=password) for i in range(mine)),
            batch_size=5000,
        )
        owners = Owner.objects.bulk_create(
            (Owner(estate=estate, name=f"业主{code}{i}", user=users[i] if i < mine else None) for i in range(count)),
            batch_size=5000,
        )
        Ownership.objects.bulk_create(
            (
                Ownership(unit=unit, owner=owner, share=Decimal("1"), since=datetime.date(2015, 1, 1))
                for unit, owner in zip(units, owners, strict=True)
            ),
            batch_size=5000,
        )
        fund = FUND_RATE if code == "A" else Decimal("0")
        expected_total += sum(((u.exclusive_area * (rate + fund)).quantize(Decimal("0.01")) for u in units), Decimal("0"))
        per_estate_units[estate.pk] = count
        estates[code] = estate
        session_units += [(estate, unit, owner, user) for unit, owner, user in zip(units, owners, users, strict=False)]

    attempts = []
    for estate, unit, owner, user in session_units:
        bill = invoice_create_for_source(
            source=unit,
            estate=estate,
            unit=unit,
            charge_kind=ChargeKind.PROPERTY_FEE,
            period=last_month,
            payer_owner=owner,
            payer_user=user,
            payer_name=owner.name,
            lines=[("物业服务费", unit.exclusive_area, RATES[estate.code[-1]])],
            due_on=period + datetime.timedelta(days=20),
        )
        attempts.append(attempt_create(user=user, invoices=[bill]))
    return {
        "period": period,
        "last_month": last_month,
        "estates": estates,
        "expected_total": expected_total,
        "fund_units": per_estate_units[estates["A"].pk],
        "attempts": attempts,
    }


def _deliveries(fake: FakeStripe, attempts, rng: random.Random) -> tuple[list[dict], list[tuple[bytes, str]]]:
    """The customers pay; Stripe's distinct events, and 30% more deliveries re-sending some of them. Half of the
    re-deliveries follow their original at once (sent to the other web host at the same moment)."""
    unique = []
    for i, attempt in enumerate(attempts):
        fake.pay(attempt.provider_session_id, method=rng.choice(["card", "alipay", "wechat_pay"]))
        unique.append(fake.session_event("checkout.session.completed", attempt.provider_session_id))
        if i % 10 == 0:
            unique.append(fake.session_event("checkout.session.async_payment_succeeded", attempt.provider_session_id))
    rng.shuffle(unique)
    again = set(rng.sample(range(len(unique)), round(len(unique) * REDELIVERED)))
    ordered: list[dict] = []
    later: list[dict] = []
    for i, event in enumerate(unique):
        ordered.append(event)
        if i in again:
            (ordered if i % 2 else later).append(event)
    for event in later:  # the other half come back later, at random points
        ordered.insert(rng.randrange(len(ordered) + 1), event)
    return unique, [fake.signed(event) for event in ordered]  # signed as sent: with the time of sending


def _send_all(deliveries, ports: list[int], *, clients: int = 8) -> dict[int, int]:
    """POST every delivery, alternately to the web hosts, from several client threads; returns {port: count}."""
    sent = {port: 0 for port in ports}
    lock = threading.Lock()

    def send(item):
        index, (body, header) = item
        port = ports[index % len(ports)]
        for attempt in range(3):  # a connection refused while a worker restarts is retried, as Stripe retries
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request("POST", WEBHOOK, body=body, headers={"Content-Type": "application/json", "Stripe-Signature": header})
                response = conn.getresponse()
                text = response.read()
            except OSError:
                if attempt == 2:
                    raise
                time.sleep(0.5)
                continue
            finally:
                conn.close()
            if response.status != 200:
                raise AssertionError(f"web host :{port} answered {response.status}: {text[:300]!r}")
            with lock:
                sent[port] += 1
            return

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, enumerate(deliveries)))
    return sent


def _progress(run_id: int) -> str:
    from django_q.models import OrmQ

    run = BillingRun.objects.get(pk=run_id)
    return (
        f"run {run.status} {run.done_units}/{run.total_units} units; events {ProviderEvent.objects.count()} stored, "
        f"{ProviderEvent.objects.filter(processed_at__isnull=False).count()} handled; payments {Payment.objects.count()}; "
        f"receipt PDFs {Receipt.objects.exclude(pdf='').count()}/{Receipt.objects.count()}; tasks queued {OrmQ.objects.count()}; "
        f"events waiting: {list(ProviderEvent.objects.filter(processed_at__isnull=True).values_list('event_id', 'claimed_until', 'error')[:3])}"
    )


def _all_done(run_id: int, distinct: int, sessions: int) -> bool:
    """The run done, every event stored and handled, and (RECEIPT_PDFS) no task left in the queue."""
    from django_q.models import OrmQ

    run = BillingRun.objects.get(pk=run_id)
    return (
        run.status == BillingRunStatus.DONE
        and ProviderEvent.objects.count() == distinct
        and not ProviderEvent.objects.filter(processed_at__isnull=True).exists()
        and Payment.objects.count() >= sessions
        and (not RECEIPT_PDFS or not OrmQ.objects.exists())
    )


# --- the test ---------------------------------------------------------------------------------------------------


def test_two_web_hosts_and_two_task_clusters_bill_and_take_payments_exactly_once_when_a_worker_is_killed(
    settings, monkeypatch, tmp_path
):
    from django_q.models import Task

    started = time.monotonic()
    fake = FakeStripe()
    configure_stripe(settings, monkeypatch, fake)  # this process opens the sessions in-process, same fake state
    world = _seed(fake)
    rng = random.Random(2026)
    unique, deliveries = _deliveries(fake, world["attempts"], rng)
    seeded = time.monotonic() - started
    log(f"seeded {UNITS} units, {len(world['attempts'])} open Checkout Sessions in {seeded:.1f}s")

    db_name = connection.settings_dict["NAME"]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER")
    }
    if os.environ.get("ANJU_HOSTS_REDIS_URL"):  # to run the same story with Redis configured
        env["REDIS_URL"] = os.environ["ANJU_HOSTS_REDIS_URL"]
    with FakeStripeServer(fake) as stripe_server:
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DATABASE_URL=_database_url(connection.settings_dict),
            MEDIA_ROOT=str(tmp_path / "media"),
            LOG_LEVEL="WARNING",
            Q_WORKERS="2",
            Q_TIMEOUT=str(Q_TIMEOUT),
            Q_RETRY=str(Q_RETRY),
            # Small batches of waiting events per task, so that both clusters take a share of the burst and the
            # one killed is caught applying payments (the default, 50, lets one cluster take most of a small burst).
            ANJU_PROVIDER_EVENT_BATCH=os.environ.get("ANJU_HOSTS_EVENT_BATCH", "5"),
            STRIPE_API_BASE=stripe_server.url,
            STRIPE_SECRET_KEY=API_KEY,
            STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
            STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
            SITE_URL=settings.SITE_URL,
        )
        connection.close()  # every row above is committed; the processes see them
        deployment = Deployment(tmp_path, env, db_name)
        try:
            webs = [deployment.web("web-1"), deployment.web("web-2")]
            cluster_a, cluster_b = deployment.cluster("cluster-a"), deployment.cluster("cluster-b")
            for web in webs:
                _wait(f"{web.name} to answer", lambda w=web: _healthy(w.port), deployment, timeout=90)
            for cluster in (cluster_a, cluster_b):
                _wait(
                    f"{cluster.name} to poll the queue",
                    lambda c=cluster: _connected(db_name, f"anju-{c.name}"),
                    deployment,
                    timeout=90,
                )
            log(f"up: {', '.join(f'{w.name} :{w.port}' for w in webs)}, cluster-a, cluster-b; fake Stripe {stripe_server.url}")

            # 1. The billing run, split into chunks that both clusters take; the first cluster seen inside a chunk is killed.
            # The watcher starts before the run is queued: at small scale the clusters finish the chunks within
            # seconds, while the queueing command is still exiting.
            def run_done_units() -> int:
                return sum(BillingRun.objects.filter(period=world["period"], estate=None).values_list("done_units", flat=True))

            def watch_billing() -> tuple:
                try:
                    host, what = _kill_when_working(
                        deployment,
                        [cluster_a, cluster_b],
                        BillingRunChunk._meta.db_table,
                        timeout=60,
                        latest=lambda: run_done_units() >= UNITS // 2,
                    )
                    return host, what, run_done_units()
                finally:
                    connection.close()  # this thread's own connection

            watcher = ThreadPoolExecutor(1)
            watching = watcher.submit(watch_billing)
            run_started = time.monotonic()
            queued = deployment.manage(
                "billing_run", "--period", f"{world['period']:%Y-%m}", "--queue", "--chunk-units", str(CHUNK_UNITS)
            )
            assert queued.returncode == 0, queued.stdout + queued.stderr
            run = BillingRun.objects.get(period=world["period"], estate=None)
            chunks = run.chunks.count()
            first, first_kill, killed_at = watching.result(timeout=120)
            watcher.shutdown()
            log(
                f"billing run #{run.pk}: {chunks} chunks; SIGKILL {first.name} inside a chunk ({first_kill}) at {killed_at}/{UNITS} units"
            )
            cluster_c = deployment.cluster("cluster-c")  # its replacement (as systemd would restart it)
            other = cluster_b if first is cluster_a else cluster_a

            # 2. The burst, alternately to both web hosts, while the run goes on; the other of the first two clusters is
            # killed while it applies a paid session.
            burst_started = time.monotonic()
            sender = ThreadPoolExecutor(1)
            sending = sender.submit(_send_all, deliveries, [web.port for web in webs])
            # Mid-way: once a tenth of the events are handled.
            _, second_kill = _kill_when_working(
                deployment,
                [other],
                PaymentAttempt._meta.db_table,
                timeout=DEADLINE / 2,
                after=lambda: ProviderEvent.objects.filter(processed_at__isnull=False).count() >= len(unique) // 10,
                latest=lambda: ProviderEvent.objects.filter(processed_at__isnull=False).count() >= len(unique) // 2,
            )
            handled_at_kill = ProviderEvent.objects.filter(processed_at__isnull=False).count()
            log(
                f"SIGKILL {other.name} while applying a paid session ({second_kill}); {handled_at_kill}/{len(unique)} events handled"
            )
            cluster_d = deployment.cluster("cluster-d")
            per_host = sending.result(timeout=DEADLINE)
            sender.shutdown()
            ingest = time.monotonic() - burst_started
            log(
                f"burst: {len(deliveries)} deliveries ({len(deliveries) - len(unique)} re-deliveries) in {ingest:.1f}s, per host {per_host}"
            )

            _wait(
                "the billing run, every event and every queued task to finish",
                lambda: _all_done(run.pk, len(unique), len(world["attempts"])),
                deployment,
                timeout=DEADLINE,
                interval=0.5,
                progress=lambda: _progress(run.pk),
            )
            finished = time.monotonic()
            log(
                f"all done {finished - run_started:.1f}s after the run was queued ({finished - burst_started:.1f}s after the burst began); "
                f"replacements cluster-c, cluster-d alive: {cluster_c.proc.poll() is None and cluster_d.proc.poll() is None}"
            )
        finally:
            deployment.stop()
        # The scheduled receipts sweep, as it runs every few minutes: receipts whose render task a kill lost
        # (their payments committed, the task not yet queued) get their PDF. A render that failed or timed out
        # is not hidden by it: every task must have succeeded (below).
        left_unrendered = Receipt.objects.filter(pdf="").count()
        if RECEIPT_PDFS and left_unrendered:
            sweep = deployment.manage(
                "shell", "-c", "from billing.online_tasks import receipts_render_pending as r; print(r(limit=1_000_000))"
            )
            assert sweep.returncode == 0, sweep.stderr
            log(f"receipts without a PDF after the tasks: {left_unrendered}; the sweep rendered {sweep.stdout.split()[-1]}")
        summary_run = deployment.manage("money_summary")
    assert summary_run.returncode == 0, summary_run.stderr
    summary = json.loads(summary_run.stdout)

    # Every unit billed exactly once for the period, and the run counted each once.
    period = world["period"]
    fees = Invoice.objects.filter(period=period, charge_kind=ChargeKind.PROPERTY_FEE)
    funds = Invoice.objects.filter(period=period, charge_kind=ChargeKind.MAINTENANCE_FUND)
    assert fees.count() == UNITS and fees.values("unit").distinct().count() == UNITS
    assert funds.count() == world["fund_units"] and funds.values("unit").distinct().count() == world["fund_units"]
    assert (fees | funds).aggregate(s=Sum("total"))["s"] == world["expected_total"]
    run.refresh_from_db()
    assert run.status == BillingRunStatus.DONE and run.done_units == run.total_units == UNITS
    assert run.invoices_created == UNITS + world["fund_units"]
    assert not run.chunks.filter(done=False).exists()

    # Every paid session became exactly one payment, each bill paid once, with one receipt and one transfer.
    sessions = {attempt.provider_session_id for attempt in world["attempts"]}
    payments = Payment.objects.all()
    assert payments.count() == len(sessions)
    assert set(payments.values_list("reference", flat=True)) == sessions
    assert not payments.order_by().values("attempt").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert PaymentAttempt.objects.filter(provider_session_id__in=sessions, status="paid").count() == len(sessions)
    paid_bills = Invoice.objects.filter(period=world["last_month"])
    assert paid_bills.count() == len(sessions)
    assert not paid_bills.exclude(status=InvoiceStatus.PAID).exists()
    assert not paid_bills.exclude(paid_amount=F("total")).exists()
    for estate in world["estates"].values():
        numbers = sorted(Receipt.objects.filter(estate=estate).values_list("sequence", flat=True))
        assert numbers == list(range(1, payments.filter(estate=estate).count() + 1)), (
            f"receipt numbers of {estate.code} have gaps"
        )
    assert Receipt.objects.count() == len(sessions)
    if RECEIPT_PDFS:
        assert not Receipt.objects.filter(pdf="").exists()
    sent = Transfer.objects.filter(provider_transfer_id__isnull=False)
    assert sent.count() == len(sessions) and sent.values("payment").distinct().count() == len(sessions)

    assert fake.errors == [], f"the processes sent Stripe requests the API would refuse: {fake.errors[:5]}"

    # Every notification stored once and handled; no task failed.
    assert ProviderEvent.objects.count() == len(unique)
    errors = list(ProviderEvent.objects.exclude(error="").values_list("event_id", "processed_at", "error")[:5])
    assert not errors, errors
    failed = [  # django-q's Failure: a task stored with success=False
        (task.func, task.attempt_count, str(task.result)[:300], task.stopped - task.started)
        for task in Task.objects.filter(success=False)[:5]
    ]
    assert not failed, f"tasks failed (function, attempts, result, time): {failed}"

    # The ledger balances, in total and per estate; what is receivable is what the bills still ask.
    assert summary["ledger_balances"] is True
    for code, estate in world["estates"].items():
        ours = summary["estates"][estate.code]
        assert sum(Decimal(v) for v in ours["ledger"].values()) == 0, f"estate {code}'s ledger does not balance: {ours['ledger']}"
        billed = Invoice.objects.filter(estate=estate).aggregate(t=Sum("total"), p=Sum("paid_amount"))
        assert Decimal(ours["ledger"]["receivable"]) == billed["t"] - billed["p"]
        assert ours["payments"][0] == payments.filter(estate=estate).count()

    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    log(
        f"RESULT units={UNITS} chunks={chunks} chunk_units={CHUNK_UNITS} events={len(unique)} deliveries={len(deliveries)} "
        f"redeliveries={len(deliveries) - len(unique)} sessions={len(sessions)} seed={seeded:.1f}s "
        f"run+burst={finished - run_started:.1f}s ingest={ingest:.1f}s total={time.monotonic() - started:.1f}s "
        f"receipt_pdfs={'all' if RECEIPT_PDFS else 'not awaited'} left_to_sweep={left_unrendered} q_timeout={Q_TIMEOUT} q_retry={Q_RETRY} killed={first.name}(billing chunk at {killed_at} units),"
        f"{other.name}(payment, {handled_at_kill} events handled) exactly_once=yes load={load} cpus={os.cpu_count()}"
    )


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False
