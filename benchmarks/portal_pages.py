#!/usr/bin/env python
"""The owners' portal pages (and the search) uncached, in process, over many distinct owners (issue 16 item 2).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/portal_pages.py
    ... benchmarks/portal_pages.py --units 600 --owners 50 --no-write           # a quick run
    ... benchmarks/portal_pages.py --reuse --keep --profile portal              # profile one page again

PostgreSQL only. The script creates its own database ``anju_bench_portal`` next to DATABASE_URL's
(dropped first, dropped at the end unless --keep; ``--reuse`` keeps a database an earlier --keep run left)
and seeds it as ``benchmarks/load.py`` does (its ``seed()``): ``seed_demo --units N``, a login for every
owner, property-fee billing runs for this month and the two before (the older ones overdue), counter
payments with receipts for ``--receipts`` owners and ``--pages`` more case studies and news; with
``--paid-history Q``, Q quarters of paid property-fee bills before those months (years of history: the
platform's bills grow tenfold and more, each owner's bills page lists them).

Then, in this process on the **production settings** (DEBUG off, cached template loader, manifest static
files collected into a throw-away folder; no ``REDIS_URL``, so the person-page cache is off and the public
page cache is bypassed by the session cookie or turned off for the search), through Django's test client:
each of ``--owners`` owners with three bills gets a session in the session store (as a browser's cookie
would carry) and each page is requested once per owner, after ``--warm`` requests for other owners. The
search (anonymous) is requested ``--owners`` times with the public-page cache off.

Reported per page: the median, p95 and max ms per request, the median ms spent in SQL (the statements'
round trips, timed by an execute wrapper) and the median CPU ms of this process (Python: middleware, ORM,
templates; steadier than wall time on a shared machine), and the queries per request (one number when it is
the same for every owner), with the machine's load average; ``/healthz`` alongside as the floor. Written
into the "portal-pages" section of docs/benchmarks.md (``--no-write`` to skip).

``--profile PAGE`` prints cProfile's top functions and the statements by time for that page (portal, bills
or search; ``ANJU_PROFILE_DUMP=file`` also saves the profile); ``--sections`` times each section of the
portal home.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import throwaway_database  # noqa: E402

BENCH_DB = "anju_bench_portal"
SEARCH_QUERY = "电梯"
PAGES = {"healthz": "/healthz", "portal": "/portal/", "bills": "/portal/bills/", "search": f"/search/?q={quote(SEARCH_QUERY)}"}


def log(message: str) -> None:
    print(message, flush=True)


def bench_database(url: str, *, drop_only: bool = False) -> str:
    """(Re)create the benchmark database ``{BENCH_DB}`` next to DATABASE_URL's and return its URL."""
    return throwaway_database(url, BENCH_DB, script="portal_pages.py", drop_only=drop_only)


def seed_main(args) -> None:
    """In a child process on the dev settings (demo data is refused in production): migrate and seed."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks import load

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    seed_args = argparse.Namespace(
        units=args.units,
        sessions=max(args.owners + args.warm, args.receipts),
        webhooks=0,
        pay=0,
        receipts=args.receipts,
        pages=args.pages,
    )
    world = load.seed(seed_args, fake=None)
    if args.paid_history:
        log(f"  {paid_history(args.paid_history):,} paid property-fee bills of earlier quarters")
    log(f"seeded in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in world.counts.items()))


def paid_history(quarters: int) -> int:
    """Years of paid bills behind the three billed months: each property-fee bill again, paid, 3, 6, … months
    earlier (what an owner's history holds after a few years; the platform's bills grow with it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO billing_invoice (source_id, charge_kind, period, payer_name, number, issued_on, due_on, total,
                paid_amount, status, created_at, billing_run_id, estate_id, payer_owner_id, payer_user_id, source_type_id,
                unit_id, payee_id)
            SELECT source_id, charge_kind, (period - make_interval(months => 3 * k))::date, payer_name, number || '-H' || k,
                (issued_on - make_interval(months => 3 * k))::date, (due_on - make_interval(months => 3 * k))::date, total,
                total, 'paid', created_at, billing_run_id, estate_id, payer_owner_id, payer_user_id, source_type_id, unit_id,
                payee_id
            FROM billing_invoice, generate_series(1, %s) k
            WHERE charge_kind = 'property_fee'
            ON CONFLICT DO NOTHING
            """,
            [quarters],
        )
        added = cursor.rowcount
        cursor.execute("VACUUM ANALYZE billing_invoice")
    return added


# --- measuring -----------------------------------------------------------------------------------------


def owners_with_bills(n: int) -> list:
    """``n`` owners with a login and a property-fee bill in each of the three billed months (spread over estates)."""
    from django.db.models import Count

    from accounts.models import User
    from billing.models import Invoice

    rows = (
        Invoice.objects.filter(payer_owner__user__isnull=False)
        .values("payer_owner__user_id")
        .annotate(periods=Count("period", distinct=True))
        .filter(periods__gte=3)
        .order_by("payer_owner__user_id")
        .values_list("payer_owner__user_id", flat=True)
    )
    ids = list(rows)
    step = max(1, len(ids) // n)
    chosen = ids[::step][:n]
    users = User.objects.in_bulk(chosen)
    return [users[pk] for pk in chosen]


def session_for(user) -> str:
    """A logged-in session in the session store, as a browser's cookie names it (login() without a request)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


class Counter:
    """Counts the statements a request runs (connection.execute_wrapper)."""

    def __init__(self):
        self.count = 0
        self.ms = 0.0
        self.sql: list[tuple[float, str]] = []
        self.keep = False

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = (time.perf_counter() - started) * 1000
            self.ms += ms
            if self.keep:
                self.sql.append((ms, sql))


def measure(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("collectstatic", "--noinput", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    log(f"settings {settings.SETTINGS_MODULE}: DEBUG {settings.DEBUG}, cache {settings.CACHES['default']['BACKEND']}")
    users = owners_with_bills(args.owners + args.warm)
    if len(users) < args.owners + args.warm:
        sys.exit(f"only {len(users)} owners with three bills: lower --owners or raise --units")
    cookies = {user.pk: session_for(user) for user in users}
    headers = {"Accept-Language": "zh-CN,zh;q=0.9"}  # and secure=True: as through the TLS proxy
    csrf = secrets.token_hex(16)

    shared = Client()  # one handler (a new Client loads the middleware again on its first request)

    def client_for(user) -> Client:
        client = shared
        client.cookies.clear()
        if user is not None:
            client.cookies[settings.SESSION_COOKIE_NAME] = cookies[user.pk]
            client.cookies[settings.CSRF_COOKIE_NAME] = csrf
        return client

    counter = Counter()
    results: dict[str, dict] = {}
    warm, timed = users[: args.warm], users[args.warm :]
    settings.ANJU_PUBLIC_PAGE_CACHE_SECONDS = 0  # the search uncached (the portal pages are never in it)
    for name in args.page:
        path = PAGES[name]
        anonymous = name in ("healthz", "search")
        for user in warm:
            response = client_for(None if anonymous else user).get(path, secure=True, headers=headers)
            assert response.status_code == 200, (name, response.status_code, response.get("Location"))
        times, counts, sql_ms, cpu_ms = [], [], [], []
        with connection.execute_wrapper(counter):
            for user in timed:
                client = client_for(None if anonymous else user)
                counter.count, counter.ms = 0, 0.0
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(path, secure=True, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                cpu_ms.append((time.process_time() - cpu) * 1000)
                counts.append(counter.count)
                sql_ms.append(counter.ms)
                assert response.status_code == 200, (name, response.status_code)
        times.sort()
        results[name] = {
            "p50": statistics.median(times),
            "p95": times[min(len(times) - 1, int(len(times) * 0.95))],
            "max": times[-1],
            "sql": statistics.median(sql_ms),
            "cpu": statistics.median(cpu_ms),
            "queries": sorted(set(counts)),
        }
        r = results[name]
        log(
            f"  {name:<8} {path:<28} p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  max {r['max']:6.1f} ms  in SQL {r['sql']:5.1f}  CPU here {r['cpu']:5.1f} ms  "
            f"queries {'/'.join(map(str, r['queries']))}"
        )
    if args.profile:
        profile(args.profile, timed, client_for, headers, counter)
    if args.sections:
        sections(timed, client_for, headers, counter)
    if not args.no_write and not args.profile:
        write(args, results, len(timed))


def profile(name: str, users, client_for, headers, counter) -> None:
    import cProfile
    import pstats

    from django.db import connection

    path = PAGES[name]
    anonymous = name in ("healthz", "search")
    profiler = cProfile.Profile()
    counter.keep = True
    counter.sql.clear()
    with connection.execute_wrapper(counter):
        for user in users:
            client = client_for(None if anonymous else user)
            profiler.enable()
            client.get(path, secure=True, headers=headers)
            profiler.disable()
    if os.environ.get("ANJU_PROFILE_DUMP"):
        profiler.dump_stats(os.environ["ANJU_PROFILE_DUMP"])
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(60)
    stats.sort_stats("tottime").print_stats(30)
    if os.environ.get("ANJU_PROFILE_CALLERS"):
        stats.print_callers(os.environ["ANJU_PROFILE_CALLERS"])
        stats.print_callees(os.environ["ANJU_PROFILE_CALLERS"])
    by_sql: dict[str, list[float]] = {}
    for ms, sql in counter.sql:
        by_sql.setdefault(sql, []).append(ms)
    log(f"SQL per request ({len(counter.sql) / len(users):.1f} statements), slowest first:")
    for sql, ms in sorted(by_sql.items(), key=lambda item: -sum(item[1]))[:25]:
        log(f"  {sum(ms) / len(users):7.2f} ms/req  x{len(ms) / len(users):.1f}  {sql[:400]}")


def sections(users, client_for, headers, counter) -> None:
    """The portal home's time per section (each provider timed alone, its queries counted)."""
    from django.db import connection

    from accounts import portal

    spent: dict[str, list[float]] = {}
    queries: dict[str, set[int]] = {}

    def timed(name, provider):
        def run(request):
            before, started = counter.count, time.perf_counter()
            try:
                return provider(request)
            finally:
                spent.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                queries.setdefault(name, set()).add(counter.count - before)

        return run

    original = list(portal._providers)
    portal._providers[:] = [(order, name, timed(name, provider), places) for order, name, provider, places in original]
    try:
        with connection.execute_wrapper(counter):
            for user in users:
                client_for(user).get(PAGES["portal"], secure=True, headers=headers)
    finally:
        portal._providers[:] = original
    for name, times in spent.items():
        log(f"  {name:<36} {statistics.mean(times):6.2f} ms  queries {'/'.join(map(str, sorted(queries[name])))}")
    log(f"  {'all sections':<36} {sum(statistics.mean(t) for t in spent.values()):6.2f} ms")


def write(args, results: dict, owners: int) -> None:
    from django.db import connection

    from benchmarks.docs_section import section_write
    from billing.models import Invoice
    from estates.models import Unit

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    load = os.getloadavg()
    data = f"{Unit.objects.count():,} units (`seed_demo`), {Invoice.objects.count():,} bills"
    rows = [
        "| page | p50 ms | p95 ms | max ms | in SQL, p50 ms | CPU of this process, p50 ms | queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        rows.append(
            f"| {name} `{unquote(PAGES[name])}` | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['sql']:.1f} | {r['cpu']:.1f} | {'/'.join(map(str, r['queries']))} |"
        )
    section_write(
        "portal-pages",
        [
            "## Owners' pages uncached (`benchmarks/portal_pages.py`, issue 16 item 2)",
            "",
            f"Measured {datetime.date.today():%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} CPUs, PostgreSQL {pg}; "
            f"load average {' / '.join(f'{x:.2f}' for x in load)} at the end. In process (Django test client), production "
            f"settings, no cache for these pages; {data}; each request a different owner ({owners} owners, their session from the session store), the search anonymous.",
            "",
            *rows,
            "",
            "Command: `DATABASE_URL=postgres://… .venv/bin/python benchmarks/portal_pages.py " + " ".join(sys.argv[1:]) + "`",
        ],
    )
    log("written to docs/benchmarks.md")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=3000, help="units seeded by seed_demo (3000)")
    parser.add_argument("--owners", type=int, default=200, help="distinct owners timed per page (200)")
    parser.add_argument("--warm", type=int, default=10, help="requests per page before timing, other owners (10)")
    parser.add_argument("--receipts", type=int, default=40, help="owners with a counter payment and receipt (40)")
    parser.add_argument("--paid-history", type=int, default=0, help="quarters of paid bills before the three billed months (0)")
    parser.add_argument("--pages", type=int, default=100, help="case studies and news added to the demo site (100)")
    parser.add_argument("--page", action="append", choices=list(PAGES), help="pages to time (default: all)")
    parser.add_argument("--profile", choices=[p for p in PAGES if p != "healthz"], help="print a cProfile of this page")
    parser.add_argument("--sections", action="store_true", help="print the portal home's time per section")
    parser.add_argument("--reuse", action="store_true", help=f"use the {BENCH_DB} database an earlier --keep run left")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.page = args.page or list(PAGES)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.seed_only:
        seed_main(args)
        return 0
    source_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    bench_url = urlunsplit(urlsplit(source_url)._replace(path=f"/{BENCH_DB}")) if args.reuse else bench_database(source_url)
    static = tempfile.mkdtemp(prefix="anju-portal-static-")
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "portal-pages-benchmark-" + "x" * 40,
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="anju-portal-media-"),
    }
    try:
        if not args.reuse:
            log(f"database {BENCH_DB}: migrating and seeding ({args.units} units) …")
            subprocess.run(
                [sys.executable, __file__, "--seed-only", *(argv if argv is not None else sys.argv[1:])], env=env, check=True
            )
        os.environ.update(env)
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "benchmarks.load_settings",
                "ALLOWED_HOSTS": "testserver",
                "STRIPE_SECRET_KEY": "sk_test_portal_benchmark",
                "STRIPE_PUBLISHABLE_KEY": "pk_test_portal_benchmark",
                "STRIPE_WEBHOOK_SECRET": "whsec_portal_" + secrets.token_hex(8),
                "STRIPE_API_BASE": "https://stripe.invalid",
                "LOAD_FAKE_STRIPE_API_BASE": "http://127.0.0.1:9/",  # never called: no page here talks to Stripe
                "LOAD_STATIC_ROOT": static,
            }
        )
        os.environ.pop("REDIS_URL", None)
        log(f"load average before timing: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
        measure(args)
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            bench_database(source_url, drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
