#!/usr/bin/env python
"""Gate records per second through /property/gates/<estate>/records/, against a bare view in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju .venv/bin/python benchmarks/gates.py
    .venv/bin/python benchmarks/gates.py --cars 500            # SQLite (a temporary file)

On a throw-away database (Django's test database: ``test_<name>`` on PostgreSQL, a temporary file for
SQLite; the real database is never touched): one estate with a visitor tariff and a gate key; ``cars``
vehicles enter and then leave (a fee for most of them, billed as the owners' public income), each
record signed with the key and POSTed through Django's test client in process, as a gate would; 10 %
of the records are sent twice (a gate catching up after being offline). The baseline in the same run
is a bare view that answers a JSON body without touching the database, through the same client and
middleware. Reported: records/s for entries, exits and replays, the baseline, and the database
queries per record. Written into the "gates" section of docs/benchmarks.md (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="anju-bench-gates-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("MEDIA_ROOT", os.path.join(TMP, "media"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from benchmarks.docs_section import section_write  # noqa: E402

BARE = "/bench/bare/"


@csrf_exempt
def bare_view(request):
    """The baseline: read the body, answer JSON, no database."""
    json.loads(request.body)
    return JsonResponse({"open": True})


def urls_with_bare_view():
    """The project's URLs plus the bare view, as the URLconf of this run."""
    import types

    from django.urls import include

    module = types.ModuleType("bench_gates_urls")
    module.urlpatterns = [path(BARE.lstrip("/"), bare_view), path("", include(settings.ROOT_URLCONF))]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


def log(message: str) -> None:
    print(message, flush=True)


def build_world():
    from property_services.models import ParkingRate
    from property_services.services.parking import gate_key_rotate
    from tests.billing.factories import billed_estate

    estate, _units = billed_estate(units=1, code="BENCH-GATE")
    ParkingRate.objects.create(
        estate=estate,
        valid_from=datetime.date(2020, 1, 1),
        free_minutes=15,
        first_minutes=60,
        first_fee=Decimal("5.00"),
        interval_minutes=30,
        interval_fee=Decimal("2.00"),
        cap=Decimal("30.00"),
    )
    return estate, gate_key_rotate(estate=estate).key


def plates(count: int, rng: random.Random) -> list[str]:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    found: set[str] = set()
    while len(found) < count:
        found.add(f"渝{rng.choice(letters)}{rng.randrange(10000, 99999)}")
    return sorted(found)


def records(cars: list[str], rng: random.Random) -> tuple[list[dict], list[dict]]:
    start = datetime.datetime(2026, 11, 20, 7, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    entries, exits = [], []
    for i, plate in enumerate(cars):
        entered = start + datetime.timedelta(seconds=20 * i)
        stayed = datetime.timedelta(minutes=rng.choice([10, 45, 95, 180, 600]))
        entries.append({"gate": "G1", "serial": f"E{i:07d}", "direction": "enter", "plate": plate, "at": entered.isoformat()})
        exits.append(
            {"gate": "G2", "serial": f"L{i:07d}", "direction": "leave", "plate": plate, "at": (entered + stayed).isoformat()}
        )
    return entries, exits


def post_all(client: Client, url: str, bodies: list[tuple[bytes, str]]) -> tuple[float, int, list[int]]:
    from property_services.services.parking import SIGNATURE_HEADER

    header = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
    statuses = []
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        for body, signature in bodies:
            statuses.append(client.post(url, data=body, content_type="application/json", **{header: signature}).status_code)
        elapsed = time.perf_counter() - started
    return elapsed, count[0], statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cars", type=int, default=1000, help="vehicles that enter and leave (1000)")
    parser.add_argument("--replays", type=float, default=0.10, help="share of records sent again (0.10)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    from property_services.services.parking import gate_signature

    urls_with_bare_view()
    settings.ALLOWED_HOSTS = ["*"]
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = os.path.join(TMP, "bench.sqlite3")
    log(f"creating a throw-away {connection.vendor} database and migrating it …")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        rng = random.Random(args.seed)
        estate, key = build_world()
        url = f"/property/gates/{estate.code}/records/"
        entries, exits = records(plates(args.cars, rng), rng)

        def signed(items):
            out = []
            for item in items:
                body = json.dumps(item, ensure_ascii=False).encode()
                out.append((body, gate_signature(key, body)))
            return out

        client = Client()
        baseline_bodies = signed(entries)
        post_all(client, BARE, baseline_bodies[:20])  # warm up
        bare_time, bare_queries, bare_status = post_all(client, BARE, baseline_bodies)
        enter_time, enter_queries, enter_status = post_all(client, url, signed(entries))
        exit_time, exit_queries, exit_status = post_all(client, url, signed(exits))
        replayed = rng.sample(entries + exits, round((len(entries) + len(exits)) * args.replays))
        replay_time, replay_queries, replay_status = post_all(client, url, signed(replayed))

        from billing.models import Invoice
        from property_services.models import ParkingStay

        stays = ParkingStay.objects.filter(estate=estate)
        ok = (
            set(enter_status + exit_status + replay_status) == {200}
            and set(bare_status) == {200}
            and stays.count() == args.cars
            and not stays.filter(left_at__isnull=True).exists()
            and Invoice.objects.filter(charge_kind="parking_session").count() == stays.filter(amount__gt=0).count()
        )
        n = args.cars
        rows = [
            ("bare view (baseline, no database)", n, bare_time, bare_queries),
            ("entry records", n, enter_time, enter_queries),
            ("exit records (fee computed, billed)", n, exit_time, exit_queries),
            ("replayed records (same answer, nothing written)", len(replayed), replay_time, replay_queries),
        ]
        for label, count, seconds, queries in rows:
            log(f"{label}: {count} in {seconds:.2f}s = {count / seconds:.0f}/s, {queries / count:.1f} queries per record")
        log(f"exactly once (one stay per car, every stay closed, one bill per charged stay): {'yes' if ok else 'NO'}")
        if not args.no_write:
            base = n / bare_time
            section_write(
                "gates",
                [
                    "## Gate records (`benchmarks/gates.py`, issue 13)",
                    "",
                    f"{connection.vendor}, Django's test client in process, {n} cars, one estate; measured "
                    f"{datetime.date.today():%Y-%m-%d} on this 2-core machine.",
                    "",
                    "| records | count | seconds | records/s | share of the bare view | queries per record |",
                    "|---|---:|---:|---:|---:|---:|",
                    *(
                        f"| {label} | {count} | {seconds:.2f} | {count / seconds:.0f} | "
                        f"{(count / seconds) / base:.0%} | {queries / count:.1f} |"
                        for label, count, seconds, queries in rows
                    ),
                    "",
                    f"Exactly once (one stay per car, every stay closed, one bill per charged stay): {'yes' if ok else 'NO'}.",
                ],
            )
        if not ok:
            sys.exit(1)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
