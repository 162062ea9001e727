#!/usr/bin/env python
"""/rentals/ with filters at 10,000 published listings, against /healthz in the same run (issue 15).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju .venv/bin/python benchmarks/listings.py
    .venv/bin/python benchmarks/listings.py --listings 1000          # SQLite (a temporary file)

On a throw-away database (Django's test database: ``test_<name>`` on PostgreSQL, a temporary file for SQLite;
the real database is never touched): ``--estates`` estates (10) share ``--listings`` published listings (10,000),
each its own flat under an agreement in force, with rents, bedrooms, areas, floors and lifts spread out. Each
search below is requested ``--runs`` times (200) through Django's test client in process; the baseline in the same
run is ``/healthz`` through the same client and middleware. Reported: p50 / p95 / p99 in ms and the queries of a
request. Target: p95 under 100 ms with a fixed number of queries. Written into the "listings" section of
docs/benchmarks.md (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="anju-bench-listings-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("MEDIA_ROOT", os.path.join(TMP, "media"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from benchmarks.docs_section import section_write  # noqa: E402


def log(message: str) -> None:
    print(message, flush=True)


def build_world(*, estates: int, listings: int) -> dict:
    """Estates in two districts, each with its share of listings; rents, bedrooms, areas and lifts varied."""
    from estates.models import Building, District
    from rentals.models import Listing
    from tests.billing.factories import billed_estate
    from tests.rentals.factories import bulk_listings

    made = []
    for i in range(estates):
        estate, _units = billed_estate(units=1, code=f"BENCH-L{i:03d}")
        share = listings // estates + (1 if i < listings % estates else 0)
        bulk_listings(estate, share)
        if i % 2:
            Building.objects.filter(estate=estate).update(lift_added_year=2022)
        made.append(estate)
    listing_ids = list(Listing.objects.order_by("pk").values_list("pk", flat=True))
    # Spread the rents (800–3,799) and bedrooms (1–3) over the whole set, not per estate.
    for n, pk in enumerate(listing_ids):
        if n % 7 == 0:
            Listing.objects.filter(pk=pk).update(rent=Decimal(800 + (n * 37) % 3000), bedrooms=1 + n % 3)
    district = District.objects.filter(subdistricts__communities__estates=made[0]).first()
    return {"estates": made, "district": district.pk if district else ""}


def timed(client: Client, url: str, runs: int) -> tuple[list[float], int, set[int]]:
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    times, statuses = [], set()
    client.get(url)  # warm
    with connection.execute_wrapper(counter):
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            statuses.add(response.status_code)
    return times, count[0] // runs, statuses


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--estates", type=int, default=10)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    settings.ALLOWED_HOSTS = ["*"]
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = os.path.join(TMP, "bench.sqlite3")
    log(f"creating a throw-away {connection.vendor} database and migrating it …")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        world = build_world(estates=args.estates, listings=args.listings)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        log(f"seeded {args.listings} listings in {args.estates} estates in {time.perf_counter() - started:.1f} s")
        client = Client()
        searches = [
            ("/healthz (baseline)", "/healthz"),
            ("all listings, first page", "/rentals/"),
            ("rent 1,000–2,000", "/rentals/?rent_min=1000&rent_max=2000"),
            ("2 bedrooms with a lift", "/rentals/?bedrooms=2&lift=1"),
            ("one district, 60 m² or more", f"/rentals/?district={world['district']}&area_min=60"),
            (
                "every filter",
                f"/rentals/?district={world['district']}&rent_min=900&rent_max=3000&bedrooms=1&area_min=50&area_max=80&lift=0",
            ),
            ("page 20 of all", "/rentals/?page=20"),
        ]
        rows, ok = [], True
        for label, url in searches:
            times, queries, statuses = timed(client, url, args.runs)
            rows.append((label, url, statistics.median(times), pct(times, 95), pct(times, 99), queries))
            ok &= statuses == {200}
            log(f"{label}: p50 {rows[-1][2]:.1f} ms, p95 {rows[-1][3]:.1f} ms, p99 {rows[-1][4]:.1f} ms, {queries} queries")
        pages = [r for r in rows if r[1] != "/healthz"]
        fixed = len({r[5] for r in pages}) == 1
        met = ok and fixed and all(r[3] < 100 for r in pages)
        verdict = "met" if met else "NOT met"
        log(f"target p95 < 100 ms with a fixed number of queries: {verdict}")
        if not args.no_write:
            load = os.getloadavg()
            section_write(
                "listings",
                [
                    "## Rental listings (`benchmarks/listings.py`, issue 15)",
                    "",
                    f"{connection.vendor}, Django's test client in process, {args.listings:,} published listings in "
                    f"{args.estates} estates, {args.runs} requests per search; measured {datetime.date.today():%Y-%m-%d} "
                    f"on this 2-core machine (load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}).",
                    "",
                    "| search | p50 ms | p95 ms | p99 ms | queries |",
                    "|---|---:|---:|---:|---:|",
                    *(
                        f"| {label} (`{url}`) | {p50:.1f} | {p95:.1f} | {p99:.1f} | {q} |"
                        for label, url, p50, p95, p99, q in rows
                    ),
                    "",
                    f"Target p95 < 100 ms with a fixed number of queries (every search the same count): **{verdict}**.",
                ],
            )
        if not met:
            sys.exit(1)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
