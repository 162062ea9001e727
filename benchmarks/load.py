#!/usr/bin/env python
"""Month-end load (issue 16): gunicorn on production settings and PostgreSQL, driven by wrk, per endpoint.

    make bench-deps                                      # wrk (Debian package), once
    .venv/bin/python benchmarks/load.py                  # 20,000 units, 10 s per endpoint, 8 connections
    .venv/bin/python benchmarks/load.py --units 600 --sessions 300 --webhooks 200 --pay 200 \
        --receipts 20 --pages 30 --duration 3 --no-write     # a quick check (about two minutes)

PostgreSQL only (``DATABASE_URL`` names the server, default postgres://postgres@127.0.0.1:5432/postgres).
The script creates a dedicated database ``anju_load`` (dropped first, dropped at the end unless --keep):

1. **data**: migrate, ``seed_demo --units N`` (all demo steps: payees, tariffs, the public site), a login
   for every owner, property-fee billing runs for this month and the two before (the older ones
   overdue), counter payments with rendered receipt PDFs for ``--receipts`` owners, ``--pages`` more
   case studies and news (indexed, so that search has content), a logged-in session for ``--sessions``
   paying owners, and ``--webhooks`` open Checkout Sessions paid at the fake Stripe.
2. **servers**: ``gunicorn config.wsgi`` (``--workers``, sync workers) and ``manage.py qcluster`` on
   ``benchmarks/load_settings.py`` = the production settings with Stripe pointed at the local fake
   Stripe (``billing/fake_stripe.py``, started in this process on 127.0.0.1), static files collected.
3. **alone**: each endpoint in turn, ``--connections`` (8) connections for ``--duration`` seconds, with wrk
   from loopback; the queue is left to drain (up to ``--drain-timeout``) before each endpoint, so
   webhook handling and receipt rendering do not spill into the next one.
4. **mix** (month-end): one wrk per endpoint at the same time, one connection each (8 in all), for
   ``--mix-duration`` seconds: owners viewing bills and receipts and paying, webhooks arriving (handled
   and receipts rendered by the qcluster meanwhile), public pages and search; ``/healthz`` alongside.

Every request goes to the same gunicorn as a browser's would through the TLS proxy (``X-Forwarded-Proto:
https``, the owners' session cookie, CSRF token and Origin on POSTs). Owners' requests rotate over many
owners' sessions; each payment POST (``/portal/bills/checkout/``, which creates a Checkout Session at
the fake Stripe and redirects to it) is for a different unpaid bill; each webhook is a distinct
``checkout.session.completed`` event, signed just before its phase. Errors = responses other than
2xx/3xx plus socket errors and timeouts; before timing, a sample of each endpoint's requests is sent
once and must get the expected status (200, or the redirect to Checkout), so that a 302 to the login
page cannot pass for success. Reported per endpoint: requests/s, p50/p95/p99, errors, the share of
``/healthz`` measured alone by the same gunicorn in the same run, and the targets of issue 16 (0 errors;
home and case study ≥ 50 % of /healthz; bills, portal and search ≥ 25 %; p99 < 250 ms). Written into the
"load" section of docs/benchmarks.md (``--no-write`` to skip). Exit status 1 if any request errored.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import throwaway_database  # noqa: E402

LOAD_DB = "anju_load"
LUA = ROOT / "benchmarks" / "load.lua"
HEALTHZ = "healthz"
# Targets of issue 16: share of /healthz (alone, same gunicorn, same run) and p99.
SHARE_TARGETS = {"home": 0.50, "case study": 0.50, "search": 0.25, "portal": 0.25, "bills": 0.25}
P99_TARGET_MS = 250.0
SEARCH_QUERY = "电梯"
LINE = re.compile(r"^ANJU-WRK (.*)$", re.M)


def log(message: str) -> None:
    print(message, flush=True)


# --- pure parts (tests/benchmarks/test_load.py) --------------------------------------------------------


@dataclass
class Result:
    """One wrk run's figures (times in ms)."""

    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def wrk_result_parse(output: str) -> Result:
    """The figures of load.lua's ``done()`` line in wrk's output (ValueError when it is missing)."""
    match = LINE.search(output)
    if not match:
        raise ValueError(f"no ANJU-WRK line in wrk's output:\n{output[-2000:]}")
    values = {k: int(v) for k, v in (pair.split("=", 1) for pair in match.group(1).split())}
    return Result(
        requests=values["requests"],
        seconds=values["duration_us"] / 1e6,
        p50=values["p50_us"] / 1000,
        p95=values["p95_us"] / 1000,
        p99=values["p99_us"] / 1000,
        max=values["max_us"] / 1000,
        errors={k: values[k] for k in ("connect", "read", "write", "status", "timeout") if values[k]},
    )


def request_line(method: str, path: str, headers: dict[str, str], body: str = "") -> str:
    """One line of a load.lua request file."""
    for text in (method, path, body, *headers, *headers.values()):
        if "\t" in text or "\n" in text or "\x1f" in text:
            raise ValueError(f"a tab, newline or \\x1f in a request part: {text[:80]!r}")
    return "\t".join([method, path, "\x1f".join(f"{k}: {v}" for k, v in headers.items()), body])


def verdicts(alone: dict[str, Result], mix: dict[str, Result]) -> list[tuple[str, bool]]:
    """(target, met) for issue 16's targets, from the alone and mix figures."""
    out = []
    errors = sum(r.error_count for r in [*alone.values(), *mix.values()])
    out.append((f"0 errors (counted: {errors})", errors == 0))
    base = alone.get(HEALTHZ)
    for name, share in SHARE_TARGETS.items():
        if name in alone and base and base.rate:
            got = alone[name].rate / base.rate
            out.append((f"{name} ≥ {share:.0%} of /healthz alone ({got:.0%})", got >= share))
    slow = [name for name, r in alone.items() if r.p99 >= P99_TARGET_MS]
    out.append(
        (f"p99 < {P99_TARGET_MS:.0f} ms alone at 8 connections" + (f" (not: {', '.join(slow)})" if slow else ""), not slow)
    )
    slow = [name for name, r in mix.items() if r.p99 >= P99_TARGET_MS]
    if mix:
        out.append(
            (
                f"p99 < {P99_TARGET_MS:.0f} ms in the mix (8 connections in all)"
                + (f" (not: {', '.join(slow)})" if slow else ""),
                not slow,
            )
        )
    return out


# --- database ------------------------------------------------------------------------------------------


def load_database(url: str, *, drop_only: bool = False) -> str:
    """(Re)create the benchmark database ``{LOAD_DB}`` next to DATABASE_URL's and return its URL."""
    return throwaway_database(url, LOAD_DB, script="load.py", drop_only=drop_only)


# --- data ----------------------------------------------------------------------------------------------


@dataclass
class World:
    counts: dict
    users: list  # logged-in paying owners (User), in order
    sessions: dict  # user pk -> session key
    receipts: list  # (user pk, receipt pk) with a rendered PDF
    pay_bills: list  # (user pk, invoice pk): unpaid, no open attempt
    webhook_sessions: list  # Checkout Session ids, paid at the fake Stripe
    case_study: str  # path
    fake: object = None


def _months_back(first: datetime.date, n: int) -> datetime.date:
    for _ in range(n):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


def seed(args, fake) -> World:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_q.brokers import get_broker
    from django_q.models import OrmQ

    from accounts.models import User
    from billing.models import ChargeKind, Invoice, InvoiceStatus, PaymentMethod, Receipt
    from billing.pdf import receipt_pdfs
    from billing.services import billing_run_execute, billing_run_start
    from billing.services.checkout import attempt_create
    from billing.services.invoices import invoices_mark_overdue
    from billing.services.payments import payment_record, receipt_pdf_attach
    from estates.models import Owner

    started = time.perf_counter()
    call_command("seed_demo", units=args.units, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    log(f"  seed_demo --units {args.units}: {time.perf_counter() - started:.0f} s")

    # A login for every owner: the billing run makes the owner's login the bill's payer.
    step = time.perf_counter()
    password = make_password(None)
    owners = list(Owner.objects.filter(user__isnull=True).order_by("pk"))
    users = User.objects.bulk_create(
        [User(mobile=f"199{i:08d}", name=o.name[:50], password=password) for i, o in enumerate(owners)], batch_size=2000
    )
    for owner, user in zip(owners, users, strict=True):
        owner.user = user
    Owner.objects.bulk_update(owners, ["user"], batch_size=2000)
    log(f"  {len(users)} owner logins: {time.perf_counter() - step:.0f} s")

    step = time.perf_counter()
    this_month = timezone.localdate().replace(day=1)
    periods = [_months_back(this_month, 2), _months_back(this_month, 1), this_month]
    for period in periods:
        billing_run_execute(run=billing_run_start(period=period))
        if period < this_month:  # issued then, not today (as the demo does)
            Invoice.objects.filter(period=period).update(issued_on=period, due_on=period + datetime.timedelta(days=30))
    invoices_mark_overdue()
    log(f"  billing runs {', '.join(f'{p:%Y-%m}' for p in periods)}: {time.perf_counter() - step:.0f} s")

    # The paying owners: one property-fee bill each in every period, payable online.
    bills: dict[int, dict] = {}
    rows = (
        Invoice.objects.filter(
            charge_kind=ChargeKind.PROPERTY_FEE,
            period__in=periods,
            payer_owner__user__isnull=False,
            status__in=[InvoiceStatus.OPEN, InvoiceStatus.OVERDUE],
            payee__charges_enabled=True,
        )
        .order_by("pk")
        .values_list("payer_owner__user_id", "period", "pk")
    )
    for user_id, period, pk in rows:
        bills.setdefault(user_id, {}).setdefault(period, pk)
    complete = [u for u, by_period in bills.items() if len(by_period) == len(periods)]
    random.Random(2026).shuffle(complete)
    chosen = complete[: args.sessions]
    if len(chosen) < max(args.webhooks, args.pay, args.receipts):
        sys.exit(f"only {len(chosen)} owners with three payable bills: lower --webhooks/--pay/--receipts or raise --units")
    users_by_pk = User.objects.in_bulk(chosen)
    chosen_users = [users_by_pk[u] for u in chosen]

    step = time.perf_counter()
    store = SessionStore()
    expire = timezone.now() + datetime.timedelta(days=14)
    sessions = {}
    rows_s = []
    for user in chosen_users:
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows_s.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        sessions[user.pk] = key
    Session.objects.bulk_create(rows_s, batch_size=2000)
    log(f"  {len(sessions)} logged-in owners (sessions in the session store): {time.perf_counter() - step:.0f} s")

    # Receipts: last month's bill paid at the counter by the first --receipts owners, PDFs rendered.
    step = time.perf_counter()
    receipt_ids = []
    for user_id in chosen[: args.receipts]:
        invoice = Invoice.objects.select_related("estate").get(pk=bills[user_id][periods[1]])
        payment = payment_record(
            estate=invoice.estate,
            invoices=[invoice],
            amount=invoice.total,
            method=PaymentMethod.BANK_TRANSFER,
            received_at=timezone.now() - datetime.timedelta(days=3),
            payer_name=invoice.payer_name,
        )
        receipt_ids.append((user_id, payment.receipt.pk))
    for start in range(0, len(receipt_ids), 50):
        batch = list(Receipt.objects.filter(pk__in=[r for _, r in receipt_ids[start : start + 50]]))
        for receipt, content in receipt_pdfs(batch).items():
            receipt_pdf_attach(receipt=receipt, content=content)
    log(f"  {len(receipt_ids)} counter payments with receipt PDFs: {time.perf_counter() - step:.0f} s")

    step = time.perf_counter()
    pages, case_study = _pages(args.pages)
    log(f"  {pages} more case studies and news, indexed: {time.perf_counter() - step:.0f} s")

    # Open Checkout Sessions (this month's bill), paid at the fake Stripe: their events are the webhooks.
    step = time.perf_counter()
    webhook_sessions = []
    methods = ["card", "alipay", "wechat_pay"]
    for i, user in enumerate(chosen_users[: args.webhooks]):
        invoice = Invoice.objects.get(pk=bills[user.pk][this_month])
        attempt = attempt_create(user=user, invoices=[invoice])
        fake.pay(attempt.provider_session_id, method=methods[i % 3])
        webhook_sessions.append(attempt.provider_session_id)
    log(f"  {len(webhook_sessions)} Checkout Sessions paid at the fake Stripe: {time.perf_counter() - step:.0f} s")
    pay_bills = [(u, bills[u][periods[0]]) for u in chosen[len(chosen) - args.pay :]]

    # Nothing queued by the seeding (receipts already rendered here) is left for the qcluster, whichever the
    # broker (the database, or Redis with REDIS_URL: its backlog once kept the qcluster busy the whole run).
    OrmQ.objects.all().delete()
    get_broker().purge_queue()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    counts = {
        "units": args.units,
        "owners with a login": User.objects.filter(owner_records__isnull=False).distinct().count(),
        "bills": Invoice.objects.count(),
        "receipts": Receipt.objects.count(),
        "pages": _page_count(),
    }
    return World(
        counts=counts,
        users=chosen_users,
        sessions=sessions,
        receipts=receipt_ids,
        pay_bills=pay_bills,
        webhook_sessions=webhook_sessions,
        case_study=case_study,
        fake=fake,
    )


def _page_count() -> int:
    from wagtail.models import Page

    return Page.objects.filter(live=True).count()


def _pages(n: int) -> tuple[int, str]:
    """``n`` more case studies and news (text as in benchmarks/search.py); the path of a demo case study."""
    import logging

    from django.utils import timezone

    from benchmarks.search import page_text
    from cms.bulk import bulk_add_children
    from cms.models import CaseStudyIndexPage, CaseStudyPage, NewsIndexPage, NewsPage

    cases = CaseStudyIndexPage.objects.live().first()
    news = NewsIndexPage.objects.live().first()
    if cases is None or news is None:
        sys.exit("the demo site has no case-study or news index (seed_demo's cms step)")
    demo_case = CaseStudyPage.objects.live().descendant_of(cases).order_by("path").first()
    rng = random.Random(2026)
    today = timezone.localdate()
    case_specs, news_specs = [], []
    for i in range(n):
        estate, text = page_text(rng, i)
        spec = {"slug": f"load-{i}", "date": today, "body": [("paragraph", f"<p>{text}</p>")]}
        if i % 2 == 0:
            case_specs.append({**spec, "title": f"{estate}改造纪实（{i}）", "intro": text[:200]})
        else:
            news_specs.append({**spec, "title": f"{estate}简讯（{i}）", "intro": text[:120]})
    logging.disable(logging.INFO)  # Wagtail logs every page it indexes
    try:
        bulk_add_children(cases, CaseStudyPage, case_specs, index=True)
        bulk_add_children(news, NewsPage, news_specs, index=True)
    finally:
        logging.disable(logging.NOTSET)
    if demo_case is None:
        demo_case = CaseStudyPage.objects.live().descendant_of(cases).order_by("path").first()
    return n, demo_case.get_url()


# --- servers -------------------------------------------------------------------------------------------


def server_env(db_url: str, port: int, stripe_url: str, secrets_: dict, media: str, static: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.load_settings",
        "DATABASE_URL": db_url,
        "SECRET_KEY": secrets_["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"https://127.0.0.1:{port}",
        "STRIPE_SECRET_KEY": secrets_["STRIPE_SECRET_KEY"],
        "STRIPE_PUBLISHABLE_KEY": "pk_test_load_benchmark",
        "STRIPE_WEBHOOK_SECRET": secrets_["STRIPE_WEBHOOK_SECRET"],
        "STRIPE_API_BASE": "https://stripe.invalid",  # production's check; load_settings then uses the fake
        "LOAD_FAKE_STRIPE_API_BASE": stripe_url,
        "MEDIA_ROOT": media,
        "LOAD_STATIC_ROOT": static,
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DEBUG": "0",
    }


def wait_http(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(  # noqa: S310 - loopback
                urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"}), timeout=10
            ) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer 200 within {seconds:.0f} s")
        time.sleep(0.5)


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- requests ------------------------------------------------------------------------------------------

BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9", "X-Forwarded-Proto": "https"}


class Requests:
    """Writes the request file of each endpoint (load.lua's format) and keeps samples for the pre-flight."""

    def __init__(self, world: World, base: str, folder: Path, webhook_secret: str):
        self.world = world
        self.base = base
        self.origin = "https://" + urlsplit(base).netloc
        self.folder = folder
        self.webhook_secret = webhook_secret
        self.webhooks_used = 0
        self.pay_used = 0
        self.csrf = secrets.token_hex(16)  # 32 characters: Django takes the unmasked secret as the token

    def _owner(self, user_pk: int) -> dict:
        return {**BROWSER, "Cookie": f"sessionid={self.world.sessions[user_pk]}; csrftoken={self.csrf}"}

    def _write(self, name: str, lines: list[str]) -> Path:
        path = self.folder / f"{re.sub(r'[^a-z0-9]+', '-', name)}-{time.monotonic_ns()}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def static(self, name: str, path: str) -> tuple[Path, list[tuple[str, str, dict, str]]]:
        lines = [("GET", path, dict(BROWSER), "")]
        return self._write(name, [request_line(*line) for line in lines]), lines

    def owners_get(self, name: str, path: str) -> tuple[Path, list]:
        lines = [("GET", path, self._owner(u.pk), "") for u in self.world.users]
        return self._write(name, [request_line(*line) for line in lines]), lines

    def receipts(self) -> tuple[Path, list]:
        lines = [("GET", f"/portal/receipts/{r}.pdf", self._owner(u), "") for u, r in self.world.receipts]
        return self._write("receipt", [request_line(*line) for line in lines]), lines

    def pay(self, count: int) -> tuple[Path, list]:
        """The next ``count`` unpaid bills (each POSTed once; more requests than bills repeat them: errors)."""
        bills = self.world.pay_bills[self.pay_used : self.pay_used + count]
        self.pay_used += len(bills)
        lines = [
            (
                "POST",
                "/portal/bills/checkout/",
                {
                    **self._owner(u),
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": f"{self.origin}/portal/bills/",
                },
                urlencode({"csrfmiddlewaretoken": self.csrf, "invoice": str(i)}),
            )
            for u, i in bills
        ]
        return self._write("pay", [request_line(*line) for line in lines]), lines

    def webhooks(self, count: int) -> tuple[Path, list]:
        """The next ``count`` sessions' completed events, signed now (Stripe's tolerance is 300 s)."""
        fake = self.world.fake
        ids = self.world.webhook_sessions[self.webhooks_used : self.webhooks_used + count]
        self.webhooks_used += len(ids)
        lines = []
        for session_id in ids:
            event = fake.session_event("checkout.session.completed", session_id)
            body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
            header = fake.sign(body, secret=self.webhook_secret)
            lines.append(
                (
                    "POST",
                    "/billing/stripe/webhook/",
                    {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header, "X-Forwarded-Proto": "https"},
                    body,
                )
            )
        return self._write("webhook", [request_line(*line) for line in lines]), lines


def preflight(base: str, sample: list, expect: str) -> None:
    """Send each sampled request once; ``expect`` "200" (and not the login page) or "checkout" (303/302 to /pay/)."""
    import http.client

    host = urlsplit(base)
    for method, path, headers, body in sample:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
        conn.request(method, path, body=body.encode() if body else None, headers=headers)
        response = conn.getresponse()
        content = response.read()
        location = response.getheader("Location") or ""
        conn.close()
        ok = response.status == 200 if expect == "200" else response.status in (302, 303) and "/pay/" in location
        if not ok:
            raise SystemExit(f"pre-flight {method} {path}: {response.status} {location} {content[:300]!r} (expected {expect})")


def run_wrk(base: str, requests_file: Path, *, connections: int, threads: int, seconds: float) -> subprocess.Popen:
    env = {**os.environ, "ANJU_WRK_REQUESTS": str(requests_file), "ANJU_WRK_THREADS": str(threads)}
    return subprocess.Popen(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            base + "/",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def queue_drain(timeout: float) -> tuple[int, float]:
    """Wait until the qcluster has emptied the queue (at most ``timeout`` s); (tasks left, seconds waited)."""
    from django.db import connection
    from django_q.brokers import get_broker

    broker = get_broker()
    started = time.monotonic()
    while True:
        left = broker.queue_size() or 0
        if left == 0 or time.monotonic() - started > timeout:
            connection.close()
            return left, time.monotonic() - started
        time.sleep(1)


def progress() -> dict:
    from billing.models import Payment, ProviderEvent, Receipt

    return {
        "events": ProviderEvent.objects.count(),
        "handled": ProviderEvent.objects.filter(processed_at__isnull=False).count(),
        "online payments": Payment.objects.filter(attempt__isnull=False).count(),
        "receipt PDFs": Receipt.objects.exclude(pdf="").count(),
    }


# --- report --------------------------------------------------------------------------------------------


def _fmt(r: Result | None, base: Result | None) -> list[str]:
    if r is None:
        return ["", "", "", "", "", ""]
    share = f"{r.rate / base.rate:.0%}" if base and base.rate else ""
    errors = str(r.error_count) + (" (" + ", ".join(f"{k} {v}" for k, v in r.errors.items()) + ")" if r.errors else "")
    rate = f"{r.rate:,.0f}" if r.rate >= 100 else f"{r.rate:.1f}"
    return [rate, f"{r.p50:.0f}", f"{r.p95:.0f}", f"{r.p99:.0f}", errors, share]


def table(endpoints: list[tuple[str, str]], alone: dict, mix: dict) -> list[str]:
    lines = [
        "| endpoint | alone req/s | p50 ms | p95 ms | p99 ms | errors | of /healthz | mix req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, path in endpoints:
        a = _fmt(alone.get(name), alone.get(HEALTHZ))
        m = _fmt(mix.get(name), None)[:5]
        target = f" (≥ {SHARE_TARGETS[name]:.0%})" if name in SHARE_TARGETS else ""
        lines.append(f"| {name} `{path}` | " + " | ".join(a[:5]) + f" | {a[5]}{target} | " + " | ".join(m) + " |")
    return lines


# --- main ----------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=20_000, help="units seeded by seed_demo (20000)")
    parser.add_argument("--sessions", type=int, default=3000, help="logged-in owners the owners' requests rotate over (3000)")
    parser.add_argument("--webhooks", type=int, default=3000, help="paid Checkout Sessions whose events are POSTed (3000)")
    parser.add_argument("--pay", type=int, default=2000, help="unpaid bills for the payment POSTs, one each (2000)")
    parser.add_argument("--receipts", type=int, default=200, help="receipts with a rendered PDF to download (200)")
    parser.add_argument("--pages", type=int, default=400, help="case studies and news added to the demo site (400)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (2)")
    parser.add_argument("--connections", type=int, default=8, help="connections per endpoint alone (8)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads per endpoint alone (1: wrk shares the 2 cores)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per endpoint alone (10)")
    parser.add_argument("--mix-duration", type=float, default=20, help="seconds of the mix (20)")
    parser.add_argument("--drain-timeout", type=float, default=90, help="seconds to let the queue drain between endpoints (90)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--keep", action="store_true", help=f"keep the {LOAD_DB} database afterwards")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    return parser.parse_args(argv)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make bench-deps` (Debian package wrk)")
    load_start = os.getloadavg()
    source_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    db_url = load_database(source_url)
    tmp = Path(tempfile.mkdtemp(prefix="anju-load-"))
    media = tmp / "media"
    static = ROOT / "var" / "load-static"
    secrets_ = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "STRIPE_SECRET_KEY": "sk_test_load_benchmark",
        "STRIPE_WEBHOOK_SECRET": "whsec_load_" + secrets.token_hex(16),
    }
    os.environ.update(
        {
            "DATABASE_URL": db_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",  # the seeding (demo data is refused in production)
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": str(media),
            "SECRET_KEY": secrets_["SECRET_KEY"],  # sessions and encrypted fields as gunicorn reads them
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from billing.fake_stripe import FakeStripe, FakeStripeHTTPClient, FakeStripeServer
    from billing.providers import stripe as stripe_provider

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    fake = FakeStripe(webhook_secret=secrets_["STRIPE_WEBHOOK_SECRET"])
    stripe_server = FakeStripeServer(fake, webhook_url=f"{base}/billing/stripe/webhook/")
    settings.STRIPE_SECRET_KEY = secrets_["STRIPE_SECRET_KEY"]
    settings.STRIPE_WEBHOOK_SECRET = secrets_["STRIPE_WEBHOOK_SECRET"]
    settings.STRIPE_API_BASE = stripe_server.url
    settings.SITE_URL = f"https://127.0.0.1:{port}"
    stripe_provider.HTTP_CLIENT = FakeStripeHTTPClient(fake)  # seeding talks to the same fake, in process

    gunicorn = qcluster = None
    stripe_server.__enter__()  # serves from now on (stopped in the finally below)
    logs = tmp / "logs"
    logs.mkdir()
    try:
        log(f"database {LOAD_DB}: migrating and seeding …")
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        world = seed(args, fake)
        stripe_provider.HTTP_CLIENT = None
        seeded = time.perf_counter() - started
        log(f"data ready in {seeded:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in world.counts.items()))
        # Scheduled jobs (reminders, daily tasks) would fire at the qcluster's start: not part of this benchmark.
        from django_q.models import Schedule

        Schedule.objects.update(next_run=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1))
        connection.close()

        env = server_env(db_url, port, stripe_server.url, secrets_, str(media), str(static))
        log("collectstatic …")
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        gunicorn_log = open(logs / "gunicorn.log", "w")  # noqa: SIM115
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers)]
            + ["--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=gunicorn_log,
            stderr=subprocess.STDOUT,
        )
        qcluster_log = open(logs / "qcluster.log", "w")  # noqa: SIM115
        qcluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=qcluster_log, stderr=subprocess.STDOUT
        )
        wait_http(f"{base}/healthz")
        log(f"gunicorn ({args.workers} workers) on {base}, qcluster, fake Stripe on {stripe_server.url}")

        reqs = Requests(world, base, tmp, secrets_["STRIPE_WEBHOOK_SECRET"])
        endpoints = [
            (HEALTHZ, "/healthz"),
            ("home", "/"),
            ("case study", world.case_study),
            ("search", f"/search/?q={SEARCH_QUERY}"),
            ("portal", "/portal/"),
            ("bills", "/portal/bills/"),
            ("receipt", "/portal/receipts/<id>.pdf"),
            ("pay", "/portal/bills/checkout/"),
            ("webhook", "/billing/stripe/webhook/"),
        ]
        from urllib.parse import quote

        search_path = f"/search/?q={quote(SEARCH_QUERY)}"

        def files_for(name: str, count: int = 0) -> tuple[Path, list]:
            if name == HEALTHZ:
                return reqs.static(name, "/healthz")
            if name == "home":
                return reqs.static(name, "/")
            if name == "case study":
                return reqs.static(name, world.case_study)
            if name == "search":
                return reqs.static(name, search_path)
            if name == "portal":
                return reqs.owners_get(name, "/portal/")
            if name == "bills":
                return reqs.owners_get(name, "/portal/bills/")
            if name == "receipt":
                return reqs.receipts()
            if name == "pay":
                return reqs.pay(count)
            return reqs.webhooks(count)

        # Pre-flight: a sample of every endpoint's requests gets the expected answer (this also warms the workers).
        log("pre-flight …")
        for name, _path in endpoints:
            if name == "pay":
                _f, lines = reqs.pay(2)
                preflight(base, lines, "checkout")
            elif name == "webhook":
                _f, lines = reqs.webhooks(2)
                preflight(base, lines, "200")
            else:
                _f, lines = files_for(name)
                rng = random.Random(7)
                preflight(base, rng.sample(lines, min(len(lines), 5)) * 2, "200")
        queue_drain(args.drain_timeout)

        # Payments and webhooks use each line once: the phase alone gets half of what is left, the mix the rest.
        def once_count(name: str, share: float) -> int:
            if name == "pay":
                return int((len(world.pay_bills) - reqs.pay_used) * share)
            if name == "webhook":
                return int((len(world.webhook_sessions) - reqs.webhooks_used) * share)
            return 0

        alone: dict[str, Result] = {}
        drains: dict[str, tuple[int, float]] = {}
        load_before = os.getloadavg()
        log(f"load average before timing: {' / '.join(f'{x:.2f}' for x in load_before)}")
        for name, _path in endpoints:
            drains[name] = queue_drain(args.drain_timeout)
            count = once_count(name, 0.5)
            requests_file, _lines = files_for(name, count)
            process = run_wrk(base, requests_file, connections=args.connections, threads=args.wrk_threads, seconds=args.duration)
            output, _ = process.communicate()
            result = wrk_result_parse(output)
            alone[name] = result
            waited = f" (queue drained for {drains[name][1]:.0f} s first, {drains[name][0]} left)" if drains[name][1] >= 1 else ""
            log(
                f"  {name:<11} {result.rate:8.1f}/s  p50 {result.p50:6.1f}  p95 {result.p95:6.1f}  p99 {result.p99:6.1f} ms  "
                f"errors {result.error_count}{waited}"
            )
            if name in ("pay", "webhook") and result.requests > count:
                log(
                    f"    note: {result.requests} requests for {count} distinct lines: raise --pay / --webhooks (a repeated payment is refused, a repeated event is a duplicate)"
                )

        queue_drain(args.drain_timeout)
        before = progress()
        log(f"mix: {len(endpoints) - 1} endpoints at once, one connection each, {args.mix_duration:.0f} s, /healthz alongside …")
        processes = {}
        for name, _path in endpoints:
            requests_file, _lines = files_for(name, once_count(name, 1.0))
            processes[name] = run_wrk(base, requests_file, connections=1, threads=1, seconds=args.mix_duration)
        mix: dict[str, Result] = {}
        for name, process in processes.items():
            output, _ = process.communicate()
            mix[name] = wrk_result_parse(output)
        after_mix = progress()
        load_after = os.getloadavg()
        log(f"  the mix served {sum(r.rate for r in mix.values()):,.1f} requests/s in all")
        for name, result in mix.items():
            log(
                f"  {name:<11} {result.rate:8.1f}/s  p50 {result.p50:6.1f}  p95 {result.p95:6.1f}  p99 {result.p99:6.1f} ms  errors {result.error_count}"
            )
        handled = {k: after_mix[k] - before[k] for k in after_mix}
        log(
            f"  during the mix the qcluster handled {handled['handled']} events ({handled['online payments']} online payments) "
            f"and rendered {handled['receipt PDFs']} receipt PDFs"
        )
        left, waited = queue_drain(args.drain_timeout)
        final = progress()
        log(f"queue after the run: {left} tasks left after {waited:.0f} s; totals {final}")
        log(f"load average after: {' / '.join(f'{x:.2f}' for x in load_after)}")

        checks = verdicts(alone, mix)
        for text, met in checks:
            log(f"target {text}: {'met' if met else 'NOT met'}")
        rows = table(endpoints, alone, mix)
        print("\n".join(rows))
        errors = sum(r.error_count for r in [*alone.values(), *mix.values()])
        if errors:
            tail = (logs / "gunicorn.log").read_text(errors="replace")[-3000:]
            log(f"gunicorn's log (end):\n{tail}")

        if not args.no_write:
            from benchmarks.docs_section import section_write

            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                pg = cursor.fetchone()[0]
            command = " ".join(["benchmarks/load.py", *(argv if argv is not None else sys.argv[1:])])
            section_write(
                "load",
                [
                    "## Month-end load (`benchmarks/load.py`, issue 16)",
                    "",
                    f"Measured {datetime.date.today():%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} CPUs, PostgreSQL {pg}; "
                    f"load average {' / '.join(f'{x:.2f}' for x in load_start)} when the script started, "
                    f"{' / '.join(f'{x:.2f}' for x in load_before)} before timing, {' / '.join(f'{x:.2f}' for x in load_after)} "
                    "after the mix (the machine is shared; the benchmark's own load is in the last two).",
                    "",
                    f"gunicorn {args.workers} sync workers on `benchmarks/load_settings.py` (production settings, Stripe = the "
                    "local fake on 127.0.0.1), a qcluster, wrk on loopback. Data: "
                    + ", ".join(f"{k} {v:,}" for k, v in world.counts.items())
                    + f" (seeded in {seeded:.0f} s); owners' requests rotate over {len(world.users):,} logged-in owners, "
                    f"receipts over {len(world.receipts)} rendered PDFs; each payment POST is a different unpaid bill, each "
                    "webhook a distinct signed `checkout.session.completed`.",
                    "",
                    f"**Alone**: each endpoint in turn, {args.connections} connections, {args.duration:.0f} s (the queue drained "
                    f"first). **Mix**: all at once for {args.mix_duration:.0f} s, one connection each (8 + /healthz); meanwhile the "
                    f"qcluster handled {handled['handled']} webhook events ({handled['online payments']} online payments) and "
                    f"rendered {handled['receipt PDFs']} receipt PDFs. Errors = non-2xx/3xx answers + socket errors + timeouts.",
                    "",
                    *rows,
                    "",
                    f"The mix served {sum(r.rate for r in mix.values()):,.0f} requests/s in all. Reading it: gunicorn's sync "
                    "workers serve one request at a time each, so in the mix the 9 connections queue for the "
                    f"{args.workers} workers and each endpoint's latency includes the others' service time (a slow page "
                    "slows /healthz too); the qcluster's webhook handling and receipt rendering share the same cores.",
                    "",
                    "Targets (issue 16):",
                    "",
                    *[f"- {text}: **{'met' if met else 'not met'}**" for text, met in checks],
                    "",
                    f"Command: `DATABASE_URL=postgres://… .venv/bin/python {command}` (wrk from `make bench-deps`).",
                ],
            )
            log("written to docs/benchmarks.md")
        return 1 if errors else 0
    finally:
        stop(gunicorn)
        stop(qcluster)
        stripe_server.__exit__(None, None, None)
        connection.close()
        if not args.keep:
            load_database(source_url, drop_only=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
