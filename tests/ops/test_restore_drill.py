"""The restore drill (docs/deploy.md, "Backups"): pg_dump → a fresh database → the app starts on the copy, the money and
the receipt numbering match, and the next receipt issued on the copy continues the sequence. Real PostgreSQL, real
pg_dump/pg_restore, the app in its own processes."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Receipt
from billing.services import payment_record

from ..billing.factories import bill, billed_estate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _manage(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def test_a_backup_restores_to_a_fresh_database_with_the_same_money_and_the_receipt_sequence_continues():
    estate, units = billed_estate(units=4, code="RESTORE1")
    invoices = [bill(unit, Decimal("123.45") + i) for i, unit in enumerate(units)]
    for invoice in invoices[:3]:
        payment_record(
            estate=estate,
            invoices=[invoice],
            amount=invoice.total if invoice is not invoices[2] else Decimal("50.00"),
            method="cash",
            received_at=timezone.now(),
            payer_name=invoice.payer_name,
        )
    source, target = connection.settings_dict["NAME"], connection.settings_dict["NAME"] + "_restored"
    connection.close()  # pg_dump sees what is committed (transactional test): nothing is held open

    drill = subprocess.run(
        ["bash", "scripts/restore-drill.sh", _url(source), target], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    try:
        assert drill.returncode == 0, drill.stdout + drill.stderr
        assert "restore-drill: OK" in drill.stdout
        summary = json.loads(_manage(_url(target), "money_summary").stdout)
        ours = summary["estates"]["RESTORE1"]
        assert ours["bills"] == [4, "499.80", "297.90"]  # 123.45 + 124.45 + 125.45 + 126.45; 123.45 + 124.45 + 50.00 paid
        assert ours["payments"] == [3, "297.90"]
        assert summary["ledger_balances"] is True
        year = str(timezone.localtime().year)
        assert ours["receipt_counters"] == {year: 3}
        assert ours["receipts"] == [3, f"RESTORE1-{year}-000003"]

        # The next receipt on the restored copy continues the sequence (no gap, no repeat).
        script = (
            "from decimal import Decimal\n"
            "from django.utils import timezone\n"
            "from billing.models import Invoice\n"
            "from billing.services import payment_record\n"
            f"i = Invoice.objects.get(pk={invoices[3].pk})\n"
            "p = payment_record(estate=i.estate, invoices=[i], amount=i.total, method='cash',"
            " received_at=timezone.now(), payer_name=i.payer_name)\n"
            "print('RECEIPT', p.receipt.number)\n"
        )
        shell = _manage(_url(target), "shell", "-c", script)
        assert f"RECEIPT RESTORE1-{year}-000004" in shell.stdout, shell.stdout + shell.stderr
        # The source is untouched by what happened on the copy.
        assert Receipt.objects.filter(estate=estate).count() == 3
    finally:
        subprocess.run(["dropdb", "--if-exists", "--maintenance-db", _url("postgres"), target], capture_output=True)


def test_the_drill_fails_when_the_backup_is_not_the_live_money(tmp_path):
    """A backup that no longer matches the database is reported, not passed: restoring last night's dump after a
    payment was taken today differs from the live money."""
    estate, units = billed_estate(units=1, code="RESTORE2")
    invoice = bill(units[0], Decimal("10.00"))
    source, target = connection.settings_dict["NAME"], connection.settings_dict["NAME"] + "_r2"
    connection.close()
    dump = tmp_path / "nightly.dump"
    drill = ["bash", "scripts/restore-drill.sh", _url(source), target, str(dump)]
    try:
        first = subprocess.run(drill, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert first.returncode == 0 and dump.stat().st_size > 0, first.stdout + first.stderr

        payment_record(
            estate=estate, invoices=[invoice], amount=Decimal("10.00"), method="cash", received_at=timezone.now(), payer_name="x"
        )
        connection.close()
        stale = subprocess.run(drill, cwd=ROOT, capture_output=True, text=True, timeout=600)

        assert stale.returncode == 1
        assert "restoring the existing backup" in stale.stdout
        assert "FAILED: the restored money differs" in stale.stderr
    finally:
        subprocess.run(["dropdb", "--if-exists", "--maintenance-db", _url("postgres"), target], capture_output=True)
