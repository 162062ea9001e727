#!/usr/bin/env python
"""Webhook throughput: signed Stripe events/s through /billing/stripe/webhook/, 30% duplicates.

    .venv/bin/python benchmarks/webhooks.py                    # SQLite (a temporary file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju .venv/bin/python benchmarks/webhooks.py
    .venv/bin/python benchmarks/webhooks.py --sessions 2000 --http   # through gunicorn on loopback

What is measured, in one run on a throw-away database (Django's test database: ``test_<name>``
on PostgreSQL, a temporary file for SQLite; the real database is never touched):

1. **ingest**: every delivery POSTed to the webhook view (Django's test client in-process, or with
   ``--http`` real HTTP to ``gunicorn`` on 127.0.0.1 from several client threads): signature
   check on the raw body, the event stored once by id, its handling queued on django-q's ORM broker
   (as in production). 70% of the deliveries are distinct events (a completed event for every
   paid session, plus a second event type for some sessions) and 30% are re-deliveries of them.
   Timed in several rounds; the median round is the result, because the machine is shared and
   other work on it moves single rounds a lot. Target ≥ 300 events/s on this 2-core machine.
2. **handle**: the queued tasks drained by two worker processes through the broker (dequeue → run →
   acknowledge, what a qcluster worker does; ``--redis`` for the Redis broker), events handled in batches: each event becomes exactly one payment per session,
   with ledger entries and a gapless receipt number. Receipt PDFs are queued too; they are
   timed separately (3.), not in the event rate.
3. **receipts**: a sample rendered one by one and in one batch, for the cost per receipt.

Then it checks exactly-once: payments == unique paid sessions, one payment per attempt, every
bill paid once, receipt numbers 1..N without gaps. Results are printed and written into the
"webhooks" section of docs/benchmarks.md (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="anju-bench-webhooks-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("MEDIA_ROOT", os.path.join(TMP, "media"))
os.environ.setdefault("LOG_LEVEL", "WARNING")
if "--redis" in sys.argv:  # the broker is chosen when Django starts (config/settings/base.py)
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- webhooks:start -->", "<!-- webhooks:end -->"
WEBHOOK = "/billing/stripe/webhook/"
RECEIPT_TASKS = ("billing.online_tasks.receipt_render", "billing.online_tasks.receipts_render")  # PDFs: timed apart


def log(message: str) -> None:
    print(message, flush=True)


def build_world(sessions: int, fake):
    """One estate, ``sessions`` owners with one bill each, and an open Checkout Session per bill."""
    from accounts.models import User
    from billing.models import ChargeKind
    from billing.services import attempt_create, invoice_create_for_source
    from estates.models import Building, Owner, Ownership, Unit
    from tests.billing.factories import estate_payees
    from tests.estates.factories import EstateFactory

    estate = EstateFactory(code="BENCH-WH", name="基准小区")
    estate_payees(estate)  # each bill's money goes to its payee's connected account (docs/payments.md)
    building = Building.objects.create(estate=estate, number="1", floors=30)
    units = Unit.objects.bulk_create(
        Unit(
            building=building,
            entrance=1 + i // 1000,
            floor=1 + (i % 1000) // 40,
            number=f"{i:05d}",
            exclusive_area=Decimal("60.00") + i % 50,
        )
        for i in range(sessions)
    )
    password = make_password(None)
    users = User.objects.bulk_create(User(mobile=f"139{i:08d}", name=f"业主{i}", password=password) for i in range(sessions))
    owners = Owner.objects.bulk_create(Owner(estate=estate, name=f"业主{i}", user=u) for i, u in enumerate(users))
    Ownership.objects.bulk_create(
        Ownership(unit=unit, owner=owner, share=Decimal("1"), since=datetime.date(2015, 1, 1))
        for unit, owner in zip(units, owners, strict=True)
    )
    period = timezone.localdate().replace(day=1)
    attempts = []
    for unit, owner, user in zip(units, owners, users, strict=True):
        bill = invoice_create_for_source(
            source=unit,
            estate=estate,
            unit=unit,
            charge_kind=ChargeKind.PROPERTY_FEE,
            period=period,
            payer_owner=owner,
            payer_user=user,
            payer_name=owner.name,
            lines=[("物业服务费", unit.exclusive_area, Decimal("1.50"))],
            due_on=period + datetime.timedelta(days=40),
        )
        attempts.append(attempt_create(user=user, invoices=[bill]))
    return attempts


def make_deliveries(attempts, fake, *, duplicates: float, seed: int):
    """Distinct events (completed for each session; async_payment_succeeded for 1 in 10) plus re-deliveries."""
    rng = random.Random(seed)
    unique = []
    for i, attempt in enumerate(attempts):
        session_id = attempt.provider_session_id
        fake.pay(session_id, method=rng.choice(["card", "alipay", "wechat_pay"]))
        unique.append(fake.session_event("checkout.session.completed", session_id))
        if i % 10 == 0:
            unique.append(fake.session_event("checkout.session.async_payment_succeeded", session_id))
    extra = round(len(unique) * duplicates / (1 - duplicates))
    events = unique + [rng.choice(unique) for _ in range(extra)]
    rng.shuffle(events)
    # Stripe signs every delivery (a retry too) with the time it is sent.
    return unique, [fake.signed(event) for event in events]


def _rounds(items, rounds: int):
    size = -(-len(items) // rounds)
    return [items[i : i + size] for i in range(0, len(items), size)]


def ingest_in_process(deliveries, *, rounds: int):
    """Seconds per round (the deliveries split into ``rounds`` consecutive parts)."""
    client = Client(raise_request_exception=True)
    times = []
    for part in _rounds(deliveries, rounds):
        started = time.perf_counter()
        for body, header in part:
            response = client.post(WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
            if response.status_code != 200:
                raise SystemExit(f"webhook answered {response.status_code}: {response.content[:200]!r}")
        times.append((len(part), time.perf_counter() - started))
    return times


def ingest_http(deliveries, *, rounds: int, workers: int, threads: int, clients: int, conn_max_age: int):
    """POST through gunicorn on loopback from ``clients`` threads."""
    import requests

    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}?conn_max_age={conn_max_age}"
    else:
        url = (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
            f"/{db['NAME']}?conn_max_age={conn_max_age}"
        )
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        # Every worker process imports Django on its first request: warm them all before timing.
        with ThreadPoolExecutor(workers * 2) as pool:
            list(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=30), range(workers * 4)))
        local = threading.local()

        def send(item):
            # http.client on a kept-alive connection: the lightest client, so that the client threads
            # (in this process, on the same two cores) take as little CPU from the server as possible.
            body, header = item
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", WEBHOOK, body=body, headers={"Content-Type": "application/json", "Stripe-Signature": header})
            response = conn.getresponse()
            text = response.read()
            if response.status != 200:
                raise RuntimeError(f"webhook answered {response.status}: {text[:200]!r}")

        times = []
        with ThreadPoolExecutor(clients) as pool:
            for part in _rounds(deliveries, rounds):
                started = time.perf_counter()
                list(pool.map(send, part))
                times.append((len(part), time.perf_counter() - started))
        return times
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def drain(workers: int):
    """Run the queued tasks as a qcluster's worker processes do: dequeue, run, store the result as its monitor
    does (``save_task``, per ``Q_CLUSTER["save_limit"]``), acknowledge, in ``workers`` forked processes (the GIL
    makes threads a poor stand-in). Receipt renders are acknowledged and set
    aside (timed apart). Returns (seconds, tasks run, errors)."""
    import multiprocessing

    from django.utils import timezone
    from django_q.brokers import get_broker
    from django_q.monitor import save_task
    from django_q.signing import SignedPackage

    ctx = multiprocessing.get_context("fork")
    ran = ctx.Value("i", 0)
    errors = ctx.Queue()

    def work():
        connections.close_all()  # the parent's connections are not ours to use
        broker = get_broker()
        try:
            while True:
                tasks = broker.dequeue()
                if not tasks:
                    return
                for ack_id, pack in tasks:
                    task = SignedPackage.loads(pack)
                    if task["func"] in RECEIPT_TASKS:
                        broker.acknowledge(ack_id)
                        continue
                    task["started"] = timezone.now()
                    try:
                        task["result"] = import_string(task["func"])(*task["args"], **task.get("kwargs", {}))
                        task["success"] = True
                        with ran.get_lock():
                            ran.value += 1
                    except Exception as exc:  # noqa: BLE001 - counted and reported
                        task["result"], task["success"] = repr(exc), False
                        errors.put(f"{task['func']}{task['args']}: {exc!r}")
                    task["stopped"] = timezone.now()
                    # What the cluster's monitor does with each result (Q_CLUSTER["save_limit"]), then the ack.
                    save_task(task, broker)
                    broker.acknowledge(ack_id)
        finally:
            connections.close_all()

    connections.close_all()
    started = time.perf_counter()
    if workers == 1:
        work()
    else:
        processes = [ctx.Process(target=work) for _ in range(workers)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
    elapsed = time.perf_counter() - started
    found = []
    while not errors.empty():
        found.append(errors.get())
    return elapsed, ran.value, found


def save_limit() -> int:
    from django_q.conf import Conf

    return Conf.SAVE_LIMIT


def broker_name() -> str:
    from django_q.brokers import get_broker

    return "Redis" if type(get_broker()).__name__ == "Redis" else "ORM"


def time_receipts(receipt_ids, sample: int):
    from billing.models import Receipt
    from billing.online_tasks import receipt_render
    from billing.pdf import receipt_pdfs

    singles = receipt_ids[:5]
    started = time.perf_counter()
    for rid in singles:
        receipt_render(rid)
    single = (time.perf_counter() - started) / max(len(singles), 1)
    batch_ids = receipt_ids[5 : 5 + sample]
    started = time.perf_counter()
    receipt_pdfs(list(Receipt.objects.filter(pk__in=batch_ids)))
    batch = (time.perf_counter() - started) / max(len(batch_ids), 1)
    return single, batch, len(batch_ids)


def verify(attempts, unique):
    from billing.models import AttemptStatus, Invoice, InvoiceStatus, Payment, PaymentAttempt, ProviderEvent, Receipt

    sessions = {a.provider_session_id for a in attempts}
    problems = []
    payments = Payment.objects.count()
    if payments != len(sessions):
        problems.append(f"payments {payments} != unique paid sessions {len(sessions)}")
    if Payment.objects.values("attempt").distinct().count() != payments:
        problems.append("an attempt has several payments")
    if set(Payment.objects.values_list("reference", flat=True)) != sessions:
        problems.append("payment references differ from the sessions")
    if PaymentAttempt.objects.filter(status=AttemptStatus.PAID).count() != len(sessions):
        problems.append("not every attempt is paid")
    if ProviderEvent.objects.count() != len(unique):
        problems.append(f"stored events {ProviderEvent.objects.count()} != distinct events {len(unique)}")
    if ProviderEvent.objects.filter(processed_at__isnull=True).exists():
        problems.append("some events were not handled")
    if (
        Invoice.objects.exclude(status=InvoiceStatus.PAID).exists()
        or Invoice.objects.exclude(paid_amount=models_f("total")).exists()
    ):
        problems.append("a bill is not paid exactly once")
    sequences = sorted(Receipt.objects.values_list("sequence", flat=True))
    if sequences != list(range(1, len(sessions) + 1)):
        problems.append("receipt numbers are not 1..N without gaps")
    # Each payment's money reached its payee once (issue 12): one sent transfer per payment (one payee per bill).
    from billing.models import Transfer

    sent = Transfer.objects.filter(provider_transfer_id__isnull=False)
    if sent.count() != payments or sent.values("payment").distinct().count() != payments:
        problems.append(f"transfers sent {sent.count()} != payments {payments}")
    return payments, len(sessions), problems


def models_f(name):
    from django.db.models import F

    return F(name)


HEADER = """## Webhooks (`benchmarks/webhooks.py`)

Signed Stripe events POSTed to `/billing/stripe/webhook/`, 30% of them re-deliveries of events already
sent. **Ingest** = verify the signature on the raw body, store the event once by its id, queue its
handling on the django-q broker (what the web process does per request). **Handle** = the queued
tasks run by worker processes through the broker (dequeue → run → store the result as the cluster's monitor
does → acknowledge), as qcluster's workers do; a task takes its event and up to 49 other waiting ones (billing/services/event_batches.py): payment,
ledger entries, gapless receipt number, the payee's transfer. Receipt PDFs are rendered by their own
tasks and timed apart. The ORM broker is the default; `--redis` uses the Redis broker (as with `REDIS_URL`).
The ingest is timed in rounds and the median round reported: the machine is shared, and other
work on it moves single rounds a lot (the load average is given with each result).
Each run uses a throw-away database (`test_<name>` on PostgreSQL, a temporary SQLite file).

Reading the numbers: one distinct event costs one commit. A single client on PostgreSQL waits for
each commit's WAL flush in turn (about 6 ms on this disk), so the in-process PostgreSQL figure is
that latency, not the view; the web tier runs several requests at once (gunicorn), where commits
overlap. Applied one at a time, a payment costs about 40 queries (payment, allocations, ledger, receipt
counter, audit, status history, transfer). Since 2026-12-01 a batch's plain sessions are written
together (billing/services/payment_batches.py): every row kind with one bulk statement for the whole
batch, about 60 queries for a batch of 50 instead of about 2,000; what remains per event is its task
(dequeue, claim, acknowledge) and the two provider calls (payment details, the payee's transfer).
Before that, with batches applied one session at a time (2026-12-01), the same runs handled 13 events/s
(ORM) and 11 events/s (Redis) under load 6–7, 23 events/s at load 3. A batch's calls to the provider are
made up to `ANJU_PROVIDER_CONCURRENCY` (8) at once; `--provider-latency-ms` makes each call to the fake
wait like a network round trip (Stripe is some 50–300 ms away): two calls per payment one after another
would cap two workers at 1/latency payments/s (20/s at 50 ms). Blocks before 2026-12-02 did
not store task results as the cluster's monitor does, so they were better than a real qcluster: with django-q's
default `save_limit` (250) each result's save locks the last 250 successes, and a run measured 21 events/s (ORM)
and 43 (Redis) with it against 49 and 109 without (`save_limit: -1`, the setting since; `--save-limit` to compare). The same day with Redis: 4 worker processes
149 events/s, batches of 100 with 2 workers 131 events/s.
Dates are Beijing dates. Blocks dated
2026-11-28 are from before batching (two worker threads in one process, one event per task), kept for
comparison.
"""


def write_docs(key: str, block: str) -> None:
    """Replace this run's block (one per database and client mode) inside the webhooks section."""
    import re

    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    blocks = {}
    if START in current and END in current:
        before, rest = current.split(START, 1)
        inner, after = rest.split(END, 1)
        for m in re.finditer(r"<!-- webhooks/(\S+) -->\n(.*?)<!-- /webhooks/\1 -->", inner, re.S):
            blocks[m.group(1)] = m.group(2)
    else:
        before, after = current.rstrip("\n") + "\n\n", "\n"
    blocks[key] = block.rstrip("\n") + "\n"
    inner = HEADER + "".join(f"\n<!-- webhooks/{k} -->\n{v}<!-- /webhooks/{k} -->\n" for k, v in sorted(blocks.items()))
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(f"{before}{START}\n{inner}{END}{after}", encoding="utf-8")


def _run(args, fn, *a, **kw):
    """fn(*a, **kw), under cProfile with --profile (top functions printed)."""
    if not args.profile:
        return fn(*a, **kw)
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    result = profiler.runcall(fn, *a, **kw)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000, help="paid Checkout Sessions (default 1000)")
    parser.add_argument("--duplicates", type=float, default=0.30, help="share of deliveries that are re-deliveries (0.30)")
    parser.add_argument("--workers", type=int, default=2, help="task worker processes for the handling phase (2)")
    parser.add_argument("--redis", action="store_true", help="tasks through the Redis broker (REDIS_URL, else 127.0.0.1:6379/4)")
    parser.add_argument("--target-handle", type=float, default=200.0, help="distinct events/s handled end to end (200)")
    parser.add_argument("--http", action="store_true", help="POST through gunicorn on loopback instead of the test client")
    parser.add_argument("--http-workers", type=int, default=4, help="gunicorn worker processes with --http (4)")
    parser.add_argument("--http-threads", type=int, default=1, help="threads per gunicorn worker (gthread) with --http (1)")
    parser.add_argument("--http-clients", type=int, default=8, help="client threads with --http (8)")
    parser.add_argument("--receipt-sample", type=int, default=20, help="receipts rendered in the batch timing (20)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="persistent database connections, seconds (60, as production should run; 0 = Django's default, a new connection per request)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="ingest in this many timed rounds; the median is the result (5)")
    parser.add_argument(
        "--provider-latency-ms",
        type=int,
        default=0,
        help="each call to the (fake) provider waits this long, as a real network round trip (0)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--target", type=float, default=300.0, help="events/s the ingest must reach (300)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each phase (implies --no-write)")
    parser.add_argument(
        "--save-limit",
        type=int,
        help="django-q's save_limit for the handling (default: the setting; 250 = the library's default, which "
        "keeps the last 250 successes and locks them on every save; -1 = successes not stored)",
    )
    args = parser.parse_args()
    if args.save_limit is not None:
        from django_q.conf import Conf

        Conf.SAVE_LIMIT = args.save_limit

    from billing.providers import stripe as stripe_provider
    from tests.billing.fake_stripe import API_KEY, FakeStripe, FakeStripeHTTPClient

    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = "https://api.fake-stripe.test"
    settings.SITE_URL = "https://anju.test"
    stripe_provider.HTTP_CLIENT = FakeStripeHTTPClient(fake)
    if args.provider_latency_ms:
        # Stripe is a network away: each API call waits this long, as a real round trip would (the GIL is released).
        latency = args.provider_latency_ms / 1000
        answer = FakeStripeHTTPClient.request

        def slow(self, *a, **kw):
            time.sleep(latency)
            return answer(self, *a, **kw)

        FakeStripeHTTPClient.request = slow  # type: ignore[method-assign]

    db = settings.DATABASES["default"]
    db["CONN_MAX_AGE"] = args.conn_max_age
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = os.path.join(TMP, "bench.sqlite3")
    log(f"creating a throw-away {connection.vendor} database and migrating it …")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        attempts = build_world(args.sessions, fake)
        unique, deliveries = make_deliveries(attempts, fake, duplicates=args.duplicates, seed=args.seed)
        log(
            f"set-up: {len(attempts)} owners, bills and open Checkout Sessions in {time.perf_counter() - started:.1f}s; "
            f"{len(deliveries)} deliveries = {len(unique)} distinct events + {len(deliveries) - len(unique)} re-deliveries"
        )

        if args.http:
            times = _run(
                args,
                ingest_http,
                deliveries,
                rounds=args.rounds,
                workers=args.http_workers,
                threads=args.http_threads,
                clients=args.http_clients,
                conn_max_age=args.conn_max_age,
            )
            threads = f" × {args.http_threads} threads" if args.http_threads > 1 else ""
            via = f"gunicorn on 127.0.0.1 ({args.http_workers} workers{threads}, {args.http_clients} client threads)"
        else:
            times = _run(args, ingest_in_process, deliveries, rounds=args.rounds)
            via = "Django test client, in process"
        ingest = sum(t for _, t in times)
        rates = [n / t for n, t in times]
        rate = sorted(rates)[len(rates) // 2]  # the median round: the machine is shared, rounds vary
        log(
            f"ingest: {len(deliveries)} deliveries in {ingest:.2f}s = {len(deliveries) / ingest:.0f} events/s overall; "
            f"rounds {', '.join(f'{r:.0f}' for r in rates)} events/s, median {rate:.0f} ({via})"
        )

        # Profiling sees only the calling thread: profile one worker.
        from billing.models import ProviderEvent, Receipt

        handle, tasks_run, errors = _run(args, drain, 1 if args.profile else args.workers)
        handled = ProviderEvent.objects.filter(processed_at__isnull=False).count()
        receipt_ids = list(Receipt.objects.values_list("pk", flat=True))
        log(
            f"handle: {handled} distinct events in {handle:.2f}s = {handled / handle:.0f} events/s "
            f"({args.workers} worker processes, {tasks_run} tasks, {broker_name()} broker, batches of {settings.ANJU_PROVIDER_EVENT_BATCH}, save_limit {save_limit()})"
        )
        for error in errors[:10]:
            log(f"  task error: {error}")

        single, batch, batch_n = time_receipts(sorted(receipt_ids), args.receipt_sample)
        log(f"receipts: {single * 1000:.0f} ms each rendered alone, {batch * 1000:.0f} ms each in a batch of {batch_n}")

        payments, sessions, problems = verify(attempts, unique)
        exactly_once = not problems and not errors
        log(f"exactly once: payments {payments} == unique paid sessions {sessions}: {'yes' if exactly_once else 'NO'}")
        for problem in problems:
            log(f"  PROBLEM: {problem}")
        target_met = rate >= args.target
        log(f"target ≥ {args.target:.0f} events/s: {'met' if target_met else 'NOT met'}")

        if not (args.no_write or args.profile):
            cpu = os.cpu_count()
            write_docs(
                f"{connection.vendor}-"
                + (f"http-{args.http_workers}w{args.http_threads}t" if args.http else "client")
                + f"-{broker_name().lower()}"
                + (f"-latency{args.provider_latency_ms}" if args.provider_latency_ms else "")
                + (f"-save{args.save_limit}" if args.save_limit is not None else ""),
                "\n".join(
                    [
                        f"### {connection.vendor}, {via}",
                        "",
                        f"{datetime.date.today():%Y-%m-%d}, {cpu} CPUs, {args.duplicates:.0%} re-deliveries, "
                        f"persistent connections {args.conn_max_age} s; load average at the end "
                        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} (the machine is shared).",
                        "",
                        "| what | count | seconds | rate |",
                        "|---|---:|---:|---:|",
                        f"| ingest (deliveries), median of {len(rates)} rounds | {len(deliveries)} | {ingest:.2f} | "
                        f"**{rate:.0f} events/s** (target ≥ {args.target:.0f}: {'met' if target_met else 'not met'}); "
                        f"rounds {', '.join(f'{r:.0f}' for r in rates)}; overall {len(deliveries) / ingest:.0f} |",
                        f"| handle (distinct events → payments, ledger, receipt numbers, transfers), {args.workers} worker "
                        f"processes, {broker_name()} broker, batches of ≤ {settings.ANJU_PROVIDER_EVENT_BATCH}, "
                        f"django-q save_limit {save_limit()}"
                        + (
                            f", each provider call {args.provider_latency_ms} ms, up to "
                            f"{settings.ANJU_PROVIDER_CONCURRENCY} at once"
                            if args.provider_latency_ms
                            else ""
                        )
                        + f" | {handled} | {handle:.2f} | "
                        f"**{handled / handle:.0f} events/s** (target ≥ {args.target_handle:.0f}: "
                        f"{'met' if handled / handle >= args.target_handle else 'not met'}) |",
                        f"| receipt PDF, alone | 5 | {single * 5:.2f} | {single * 1000:.0f} ms each |",
                        f"| receipt PDF, in one batch | {batch_n} | {batch * batch_n:.2f} | {batch * 1000:.0f} ms each |",
                        "",
                        f"Exactly once: {payments} payments for {sessions} paid sessions "
                        f"({len(unique)} distinct events, {len(deliveries) - len(unique)} duplicates): "
                        f"{'yes' if exactly_once else 'NO'}.",
                        "",
                        f"Command: `{' '.join(['.venv/bin/python', 'benchmarks/webhooks.py', *sys.argv[1:]])}`"
                        + (" with `DATABASE_URL` set to PostgreSQL" if connection.vendor == "postgresql" else ""),
                    ]
                ),
            )
            log(f"written to {DOCS.relative_to(ROOT)}")
        if not exactly_once:
            raise SystemExit(1)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
