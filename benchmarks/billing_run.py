#!/usr/bin/env python
"""Billing run over 100k units against a raw SQL baseline that writes the same rows, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/billing_run.py
    ... benchmarks/billing_run.py --units 20000 --keep --no-write

PostgreSQL only. The script creates a dedicated database ``anju_bench`` on the server of
DATABASE_URL (dropped first if it exists, dropped again at the end unless --keep), migrates it,
seeds ``--units`` units with the demo seeder (``seed_demo --units N``: about 500 estates of
200 units, owners with joint shares, shops) and sets a property-fee tariff for every estate.

Then, on the same data and the same server, one after the other:

1. **baseline**: plain SQL in one transaction — ``INSERT … SELECT`` of the bills (tariff of
   the unit's use valid on the period's first day, payer = current owner with the largest share,
   amount = ROUND(area × rate, 2)), ``INSERT … SELECT`` of their lines, and one ledger entry per
   estate (receivable ← fee income), for last month;
2. **Anju**: ``billing_run_start`` + ``billing_run_execute`` for this month, exactly what
   ``manage.py billing_run --period YYYY-MM`` does in the foreground: chunk planning, then every
   2,000-unit chunk in its own transaction (lock, compute in Python with ``quantize``, bulk
   insert bills and lines, ledger entries, progress).

It checks that both wrote the same rows (per unit: estate, payer, name, total, line), prints both
times and the ratio (target ≤ 2×), and writes them into the "billing run" section of
docs/benchmarks.md (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import throwaway_database  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- billing-run:start -->", "<!-- billing-run:end -->"
BENCH_DB = "anju_bench"


def log(message: str) -> None:
    print(message, flush=True)


def bench_database(url: str, *, drop_only: bool = False) -> str:
    """(Re)create the benchmark database ``{BENCH_DB}`` next to DATABASE_URL's and return its URL."""
    return throwaway_database(url, BENCH_DB, script="billing_run.py", drop_only=drop_only)


BASELINE_SQL = """
CREATE TEMP TABLE bench_src ON COMMIT DROP AS
SELECT u.id AS unit_id, b.estate_id, u.exclusive_area AS area, t.rate, t.basis,
       p.owner_id, p.name, p.user_id,
       ROUND(CASE WHEN t.basis = 'per_m2_month' THEN u.exclusive_area ELSE 1 END * t.rate, 2) AS amount
FROM estates_unit u
JOIN estates_building b ON b.id = u.building_id
JOIN LATERAL (
    SELECT rate, basis FROM billing_tariff t
    WHERE t.estate_id = b.estate_id AND t.charge_kind = 'property_fee' AND t.unit_use IN (u.use, '')
      AND t.valid_from <= %(period)s AND (t.valid_to IS NULL OR t.valid_to >= %(period)s)
    ORDER BY (t.unit_use = '') , t.valid_from DESC LIMIT 1
) t ON t.rate > 0
JOIN (
    SELECT DISTINCT ON (o.unit_id) o.unit_id, o.owner_id, w.name, w.user_id
    FROM estates_ownership o JOIN estates_owner w ON w.id = o.owner_id
    WHERE o.until IS NULL
    ORDER BY o.unit_id, o.share DESC, o.since, o.owner_id
) p ON p.unit_id = u.id;

INSERT INTO billing_invoice (estate_id, unit_id, source_type_id, source_id, charge_kind, period, payer_owner_id,
                             payer_user_id, payer_name, number, issued_on, due_on, total, paid_amount, status,
                             billing_run_id, created_at)
SELECT s.estate_id, s.unit_id, %(ct)s, s.unit_id, 'property_fee', %(period)s, s.owner_id, s.user_id, LEFT(s.name, 100),
       'PF' || to_char(%(period)s::date, 'YYYYMM') || '-' || %(ct)s || '-' || s.unit_id, %(issued)s, %(due)s, s.amount, 0,
       'open', %(run)s, now()
FROM bench_src s
ON CONFLICT DO NOTHING;

INSERT INTO billing_invoiceline (invoice_id, description, quantity, unit_price, amount)
SELECT i.id, %(description)s, CASE WHEN s.basis = 'per_m2_month' THEN s.area ELSE 1 END, s.rate, s.amount
FROM billing_invoice i JOIN bench_src s ON s.unit_id = i.source_id
WHERE i.billing_run_id = %(run)s;

INSERT INTO billing_ledgeraccount (estate_id, kind)
SELECT DISTINCT estate_id, k FROM bench_src, (VALUES ('receivable'), ('fee_income')) AS kinds(k)
ON CONFLICT DO NOTHING;

INSERT INTO billing_ledgerentry (estate_id, debit_id, credit_id, amount, memo, created_at)
SELECT s.estate_id, r.id, f.id, SUM(s.amount), 'baseline', now()
FROM bench_src s
JOIN billing_ledgeraccount r ON r.estate_id = s.estate_id AND r.kind = 'receivable'
JOIN billing_ledgeraccount f ON f.estate_id = s.estate_id AND f.kind = 'fee_income'
GROUP BY s.estate_id, r.id, f.id HAVING SUM(s.amount) > 0;
"""

COMPARE_SQL = """
SELECT count(*) FROM (
    SELECT i.source_id, i.estate_id, i.payer_owner_id, i.payer_user_id, i.payer_name, i.total, i.due_on - i.issued_on,
           l.quantity, l.unit_price, l.amount, replace(l.description, to_char(i.period, 'YYYY-MM'), '')
    FROM billing_invoice i JOIN billing_invoiceline l ON l.invoice_id = i.id WHERE i.period = %(a)s
    EXCEPT
    SELECT i.source_id, i.estate_id, i.payer_owner_id, i.payer_user_id, i.payer_name, i.total, i.due_on - i.issued_on,
           l.quantity, l.unit_price, l.amount, replace(l.description, to_char(i.period, 'YYYY-MM'), '')
    FROM billing_invoice i JOIN billing_invoiceline l ON l.invoice_id = i.id WHERE i.period = %(b)s
) d
"""


def seed(units: int) -> dict:
    from decimal import Decimal

    from billing.models import ChargeKind
    from billing.services import tariff_schedule_set
    from estates.demo import demo_seed
    from estates.models import Estate

    started = time.perf_counter()
    counts = demo_seed(units=units)
    for estate in Estate.objects.order_by("pk"):
        tariff_schedule_set(
            estate=estate,
            charge_kind=ChargeKind.PROPERTY_FEE,
            rates={"residential": Decimal("1.20") + Decimal(estate.pk % 7) / 20, "shop": Decimal("2.50"), "": Decimal("0.80")},
            valid_from=datetime.date(2020, 1, 1),
            source_label="benchmark",
        )
    log(
        f"seeded {counts['estates']} estates, {counts['units']} units, {counts['ownerships']} ownerships in {time.perf_counter() - started:.1f} s"
    )
    return counts


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def run_baseline(period: datetime.date) -> tuple[float, int]:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from billing.models import BillingRun, Invoice
    from billing.services import property_fee_description, property_fee_terms
    from estates.models import Unit

    issued, due = property_fee_terms(period=period)
    params = {
        "period": period,
        "ct": ContentType.objects.get_for_model(Unit).pk,
        "issued": issued,
        "due": due,
        "description": property_fee_description(period),
    }
    started = time.perf_counter()
    with transaction.atomic():
        run = BillingRun.objects.create(period=period, status="done")
        params["run"] = run.pk
        with connection.cursor() as cursor:
            for statement in BASELINE_SQL.split(";\n"):
                if statement.strip():
                    cursor.execute(statement, params)
    seconds = time.perf_counter() - started
    return seconds, Invoice.objects.filter(period=period).count()


def run_anju(period: datetime.date) -> tuple[float, object]:
    from billing.services import billing_run_execute, billing_run_start

    started = time.perf_counter()
    run = billing_run_start(period=period)
    run = billing_run_execute(run=run)
    return time.perf_counter() - started, run


def write_docs(text: str) -> None:
    DOCS.parent.mkdir(exist_ok=True)
    current = (
        DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\nMeasured on this machine; each script writes its own section.\n"
    )
    block = f"{START}\n{text.rstrip()}\n{END}"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        _old, tail = rest.split(END, 1)
        current = head + block + tail
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    DOCS.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    source_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    bench_url = bench_database(source_url)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DEBUG"] = "0"  # no query log
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    try:
        log(f"database {BENCH_DB} on {urlsplit(bench_url).hostname}: migrating …")
        call_command("migrate", verbosity=0)
        counts = seed(args.units)
        vacuum()

        this_month = timezone.localdate().replace(day=1)
        last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)

        log(f"baseline (raw SQL INSERT … SELECT) for {last_month:%Y-%m} …")
        base_seconds, base_rows = run_baseline(last_month)
        log(f"  {base_rows} bills in {base_seconds:.2f} s")
        vacuum()
        log(f"Anju billing run (foreground, chunks of 2,000) for {this_month:%Y-%m} …")
        anju_seconds, run = run_anju(this_month)
        log(
            f"  {run.invoices_created} bills in {anju_seconds:.2f} s ({run.units_without_tariff} units without tariff, {run.units_without_owner} without owner)"
        )

        with connection.cursor() as cursor:
            cursor.execute(COMPARE_SQL, {"a": this_month, "b": last_month})
            only_anju = cursor.fetchone()[0]
            cursor.execute(COMPARE_SQL, {"a": last_month, "b": this_month})
            only_base = cursor.fetchone()[0]
            cursor.execute("SELECT version()")
            pg_version = cursor.fetchone()[0].split(",")[0]
        same = only_anju == only_base == 0 and run.invoices_created == base_rows
        ratio = anju_seconds / base_seconds if base_seconds else float("inf")
        load = os.getloadavg()
        verdict = "met" if ratio <= 2 else "NOT met"
        log(f"same rows: {'yes' if same else f'NO ({only_anju} only in Anju, {only_base} only in the baseline)'}")
        log(f"baseline {base_seconds:.2f} s · Anju {anju_seconds:.2f} s · ratio {ratio:.2f}× (target ≤ 2×: {verdict})")

        text = f"""## Billing run (`benchmarks/billing_run.py`)

Measured {timezone.localtime():%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} CPUs, {pg_version}, one process
(load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end: the machine was shared, both timings ran under it).
Data: `seed_demo --units {args.units}` → {counts["estates"]} estates, {counts["units"]} units,
{counts["ownerships"]} ownerships; a property-fee tariff per estate and unit use.

| | bills | lines | time | bills/s |
|---|---:|---:|---:|---:|
| raw SQL baseline (`INSERT … SELECT` bills, lines, ledger) | {base_rows} | {base_rows} | {base_seconds:.2f} s | {base_rows / base_seconds:,.0f} |
| Anju `billing_run` (foreground, 2,000-unit chunks, one transaction each) | {run.invoices_created} | {run.invoices_created} | {anju_seconds:.2f} s | {run.invoices_created / anju_seconds:,.0f} |

Ratio **{ratio:.2f}×** the baseline (target ≤ 2×: {verdict}). Both wrote the same rows
(per unit: estate, payer, name, total, due term, line quantity/price/amount): {"yes" if same else "NO"}.

On PostgreSQL each chunk COPYs its computed rows into a temporary table and writes bills and lines
with one `INSERT … ON CONFLICT DO NOTHING RETURNING` (elsewhere: `bulk_create(ignore_conflicts=True)`).
The run pays for what the baseline skips: chunk planning and progress rows, a row lock per chunk
(so that any number of workers can share a run and a killed one is redone), amounts rounded by
`billing.money.quantize` in Python, and a look-up of the bills that already exist (reruns create
nothing). With `--queue` the chunks spread over the django-q workers.
"""
        if not args.no_write:
            write_docs(text)
            log(f"wrote {DOCS.relative_to(ROOT)}")
        return 0 if same else 1
    finally:
        connection.close()
        if not args.keep:
            bench_database(source_url, drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
