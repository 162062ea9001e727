"""Billing runs: a period's property-fee (and maintenance-fund) bills for every unit, in chunks.

A run is planned as chunks of unit ids; any worker takes a chunk and bills it in one transaction
(at-least-once delivery is harmless: a chunk done is not done again). The run's status moves
through ``estates.status.transition``: queued → running → done, or failed and resumed.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.errors import refuse
from estates.models import Estate, Owner, Ownership, Unit
from estates.status import StatusChangedError, transition

from ..ledger import accounts_for, charge_account
from ..models import (
    AccountKind,
    BillingRun,
    BillingRunChunk,
    BillingRunStatus,
    ChargeKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    Tariff,
    TariffBasis,
)
from ..money import quantize
from .common import ZERO, actor
from .invoices import invoice_number_prefix
from .payees import payee_money_of, payees_in_force

CHUNK_UNITS = 2000
DEFAULT_PAYMENT_TERM_DAYS = 30
PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def billing_period_parse(value: Any, *, today: datetime.date | None = None) -> datetime.date:
    """ "2026-11" (or a date) → 2026-11-01. Refuses a malformed period or one more than a month ahead."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        period = value.replace(day=1)
    else:
        match = PERIOD_RE.match(str(value or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise refuse(
                f"账期“{value}”格式不对，应为 YYYY-MM，例如 2026-11",
                f"The period {value!r} is malformed; write it as YYYY-MM, e.g. 2026-11.",
                code="period_malformed",
            )
        period = datetime.date(int(match.group(1)), int(match.group(2)), 1)
    latest = _add_months((today or timezone.localdate()).replace(day=1), 1)
    if period > latest:
        raise refuse(
            f"账期 {period:%Y-%m} 超过下个月（{latest:%Y-%m}），不能提前开账",
            f"The period {period:%Y-%m} is more than a month ahead; the latest that can be billed now is {latest:%Y-%m}.",
            code="period_future",
        )
    return period


UNFINISHED = (BillingRunStatus.QUEUED, BillingRunStatus.RUNNING, BillingRunStatus.FAILED)


@transaction.atomic
def billing_run_start(
    *, period: Any, estate: Estate | None = None, started_by: Any = None, chunk_units: int = CHUNK_UNITS
) -> BillingRun:
    """Plan the property-fee run of a period for one estate (or all estates): a run and its chunks.

    The run also bills the maintenance-fund contribution of the units whose estate has a tariff for
    it (to the owners' maintenance fund, Civil Code Art. 281).

    An unfinished run of the same period and estate is resumed instead of planned again, so a run
    killed half-way and started again completes the chunks it had not done. A finished period can
    be run again: it creates no bill twice.
    """
    period = billing_period_parse(period)
    runs = BillingRun.objects.select_for_update().filter(period=period, estate=estate, status__in=UNFINISHED)
    resumed = runs.order_by("created_at").first()
    if resumed:
        return resumed
    run = BillingRun.objects.create(period=period, estate=estate, started_by=actor(started_by))
    units = Unit.objects.order_by("pk")
    if estate is not None:
        units = units.filter(building__estate=estate)
    chunks: list[BillingRunChunk] = []
    ids: list[int] = []
    total = 0
    for unit_id in units.values_list("pk", flat=True).iterator(chunk_size=20_000):
        ids.append(unit_id)
        if len(ids) == chunk_units:
            chunks.append(
                BillingRunChunk(run=run, index=len(chunks), first_unit_id=ids[0], last_unit_id=ids[-1], unit_count=len(ids))
            )
            total += len(ids)
            ids = []
    if ids:
        chunks.append(
            BillingRunChunk(run=run, index=len(chunks), first_unit_id=ids[0], last_unit_id=ids[-1], unit_count=len(ids))
        )
        total += len(ids)
    BillingRunChunk.objects.bulk_create(chunks, batch_size=1000)
    run.total_units = total
    run.save(update_fields=["total_units"])
    if not chunks:
        transition(run, to=BillingRunStatus.DONE, by=started_by, note="no units", finished_at=timezone.now())
    return run


def billing_run_queue(*, run: BillingRun) -> int:
    """Hand the run's pending chunks to the workers (after commit). Returns how many were queued."""
    from django_q.tasks import async_task

    pending = list(run.chunks.filter(done=False).values_list("pk", flat=True))

    def enqueue() -> None:
        for chunk_id in pending:
            async_task("billing.tasks.billing_chunk_process", chunk_id, task_name=f"billing-run-{run.pk}-chunk-{chunk_id}")

    transaction.on_commit(enqueue)
    return len(pending)


def billing_run_execute(*, run: BillingRun, progress: Callable[[BillingRun], None] | None = None) -> BillingRun:
    """Process the run's pending chunks here, one after another (the foreground command)."""
    for chunk_id in list(run.chunks.filter(done=False).order_by("index").values_list("pk", flat=True)):
        billing_chunk_process(chunk_id=chunk_id)
        run.refresh_from_db()
        if progress:
            progress(run)
    run.refresh_from_db()
    return run


def _payers(unit_ids: list[int] | tuple[int, int], *, by_range: bool) -> dict[int, tuple[int, str, int | None]]:
    """Unit id → (owner id, name, user id) of the current owner with the largest share."""
    ownerships = Ownership.objects.filter(until__isnull=True)
    ownerships = ownerships.filter(unit__pk__range=unit_ids) if by_range else ownerships.filter(unit_id__in=unit_ids)
    best: dict[int, tuple[Decimal, datetime.date, int]] = {}
    for unit_id, share, since, owner_id in ownerships.values_list("unit_id", "share", "since", "owner_id").order_by():
        rank = (-share, since, owner_id)
        if unit_id not in best or rank < best[unit_id]:
            best[unit_id] = rank
    # Owners in a second query: joined in the first, PostgreSQL scans the whole owner table. Owner
    # ids mostly follow unit ids (registers are entered estate by estate), so a dense id range is
    # cheaper to send than a list of thousands of ids.
    ids = sorted({rank[2] for rank in best.values()})
    if not ids:
        return {}
    owners_qs = (
        Owner.objects.filter(pk__range=(ids[0], ids[-1])) if ids[-1] - ids[0] < 4 * len(ids) else Owner.objects.filter(pk__in=ids)
    )
    owners = {pk: (name, user_id) for pk, name, user_id in owners_qs.values_list("pk", "name", "user_id")}
    return {unit_id: (rank[2], *owners[rank[2]]) for unit_id, rank in best.items()}


def _tariffs(estate_ids: Iterable[int], charge_kind: str, period: datetime.date) -> dict[tuple[int, str], tuple[Decimal, str]]:
    """(estate id, unit use or "") → (rate, basis) of the tariffs in force on the period's first day."""
    found: dict[tuple[int, str], tuple[Decimal, str]] = {}
    for estate_id, use, rate, basis in (
        Tariff.objects.filter(estate_id__in=set(estate_ids), charge_kind=charge_kind, valid_from__lte=period)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period))
        .order_by("valid_from")
        .values_list("estate_id", "unit_use", "rate", "basis")
    ):
        found[(estate_id, use)] = (rate, basis)
    return found


def property_fee_terms(*, period: datetime.date, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """Issue and due dates of a run's bills: issued on the run day (or the period start, if later), due 30 days on."""
    issued = max(today or timezone.localdate(), period)
    return issued, issued + datetime.timedelta(days=getattr(settings, "BILLING_PAYMENT_TERM_DAYS", DEFAULT_PAYMENT_TERM_DAYS))


def property_fee_description(period: datetime.date) -> str:
    with override(settings.LANGUAGE_CODE):
        return _("Property service fee %(period)s") % {"period": f"{period:%Y-%m}"}


def billing_chunk_process(*, chunk_id: int) -> int:
    """Bill the units of one chunk; returns the number of bills created.

    One transaction per chunk, started by locking the chunk row: a worker that receives the same
    chunk again (at-least-once delivery) waits, then finds it done and does nothing; a worker
    killed half-way leaves nothing behind, and the next one does the whole chunk.
    """
    try:
        return _billing_chunk_process(chunk_id)
    except Exception as exc:
        run_id = BillingRunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
        if run_id:
            _run_fail(run_id, error=f"chunk {chunk_id}: {exc}"[:2000])
        raise


def _run_fail(run_id: int, *, error: str) -> None:
    """Mark the run failed with the chunk's error (a done run stays done; a failed one keeps the latest error)."""
    for _attempt in range(3):  # another chunk may move the run meanwhile: look again
        run = BillingRun.objects.filter(pk=run_id).first()
        if run is None or run.status == BillingRunStatus.DONE:
            return
        if run.status == BillingRunStatus.FAILED:
            BillingRun.objects.filter(pk=run_id).update(error=error)
            return
        try:
            transition(run, to=BillingRunStatus.FAILED, note=error[:200], error=error)
            return
        except StatusChangedError:
            continue


@transaction.atomic
def _billing_chunk_process(chunk_id: int) -> int:
    chunk = BillingRunChunk.objects.select_for_update().select_related("run").filter(pk=chunk_id).first()
    if chunk is None or chunk.done:
        return 0
    run = chunk.run
    period, kind = run.period, ChargeKind.PROPERTY_FEE
    unit_type = ContentType.objects.get_for_model(Unit)

    units = Unit.objects.filter(pk__range=(chunk.first_unit_id, chunk.last_unit_id))
    if run.estate_id:
        units = units.filter(building__estate_id=run.estate_id)
    rows = all_rows = list(units.order_by("pk").values_list("pk", "building__estate_id", "exclusive_area", "use"))
    billed = set(
        Invoice.objects.filter(
            source_type=unit_type,
            source_id__range=(chunk.first_unit_id, chunk.last_unit_id),
            period=period,
            charge_kind=kind,
        ).values_list("source_id", flat=True)
    )
    rows = [row for row in rows if row[0] not in billed]
    tariffs = _tariffs({row[1] for row in rows}, kind, period)
    # A run over all estates bills every unit of its id range; an estate's units may be scattered.
    if run.estate_id:
        payers = _payers([row[0] for row in rows], by_range=False)
    else:
        payers = _payers((chunk.first_unit_id, chunk.last_unit_id), by_range=True)
    issued_on, due_on = property_fee_terms(period=period)
    description = property_fee_description(period)

    now = timezone.now()
    bills, no_tariff, no_owner = _bill_rows(
        rows, tariffs, payers, kind=kind, run=run, unit_type_id=unit_type.pk, issued_on=issued_on, due_on=due_on, now=now
    )

    created = 0
    if bills:
        ours = _bills_write(bills, description=description)
        _payees_set(bills, ours, kind=kind, issued_on=issued_on)
        totals_by_estate: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for bill in bills:
            if bill[3] in ours:
                totals_by_estate[bill[0]] += bill[12]
        created = len(ours)
        _post_issuance(run, chunk, totals_by_estate, kind)
    created += _maintenance_fund_bills(run=run, chunk=chunk, rows=all_rows, issued_on=issued_on, due_on=due_on, now=now)

    if not BillingRunChunk.objects.filter(pk=chunk.pk, done=False).update(done=True, done_at=now):
        transaction.set_rollback(True)
        return 0
    BillingRun.objects.filter(pk=run.pk).update(
        error="",
        done_units=F("done_units") + chunk.unit_count,
        invoices_created=F("invoices_created") + created,
        units_already_billed=F("units_already_billed") + len(billed),
        units_without_tariff=F("units_without_tariff") + no_tariff,
        units_without_owner=F("units_without_owner") + no_owner,
    )
    # The update above locked the run row, so a chunk finishing at the same moment waits here
    # and then sees this chunk done (and the run's status as the other left it): exactly one of
    # them closes the run.
    run.refresh_from_db(fields=["status"])
    if run.status != BillingRunStatus.RUNNING:  # the first chunk, or one after a failure
        transition(run, to=BillingRunStatus.RUNNING)
    if not BillingRunChunk.objects.filter(run_id=run.pk, done=False).exists():
        transition(run, to=BillingRunStatus.DONE, finished_at=now)
    return created


# One bill as the bulk writers take it: the values of BILL_COLUMNS, then the line's quantity and unit price.
BillRow = tuple[Any, ...]


def _bill_rows(
    rows: list[tuple[int, int, Decimal, str]],
    tariffs: dict[tuple[int, str], tuple[Decimal, str]],
    payers: dict[int, tuple[int, str, int | None]],
    *,
    kind: str,
    run: BillingRun,
    unit_type_id: int,
    issued_on: datetime.date,
    due_on: datetime.date,
    now: datetime.datetime,
) -> tuple[list[BillRow], int, int]:
    """The bills of these units for one charge: (bills, units without a tariff, units without an owner)."""
    bills: list[BillRow] = []
    no_tariff = no_owner = 0
    prefix = invoice_number_prefix(charge_kind=kind, period=run.period, source_type_id=unit_type_id)
    one, status = Decimal("1.00"), InvoiceStatus.OPEN.value
    for unit_id, estate_id, area, use in rows:
        tariff = tariffs.get((estate_id, use)) or tariffs.get((estate_id, ""))
        if tariff is None or not tariff[0]:
            no_tariff += 1
            continue
        payer = payers.get(unit_id)
        if payer is None:
            no_owner += 1
            continue
        rate, basis = tariff
        quantity = area if basis == TariffBasis.PER_M2_MONTH else one
        bills.append(
            (
                estate_id,
                unit_id,
                unit_type_id,
                unit_id,
                kind,
                run.period,
                payer[0],
                payer[2],
                payer[1][:100],
                f"{prefix}{unit_id}",
                issued_on,
                due_on,
                quantize(quantity * rate),
                ZERO,
                status,
                run.pk,
                now,
                quantity,
                rate,
            )
        )
    return bills, no_tariff, no_owner


def _maintenance_fund_bills(
    *,
    run: BillingRun,
    chunk: BillingRunChunk,
    rows: list[tuple[int, int, Decimal, str]],
    issued_on: datetime.date,
    due_on: datetime.date,
    now: datetime.datetime,
) -> int:
    """Bill the maintenance-fund contribution of the chunk's units whose estate has a tariff for it.

    The contributions are the owners' money (Civil Code Art. 281): they go to the estate's
    maintenance-fund account, one entry per bill so that each unit's balance can be derived. An
    estate without a maintenance-fund tariff costs one query here and gets no bill.
    """
    kind, period = ChargeKind.MAINTENANCE_FUND, run.period
    tariffs = _tariffs({row[1] for row in rows}, kind, period)
    if not tariffs:
        return 0
    unit_type_id = ContentType.objects.get_for_model(Unit).pk
    billed = set(
        Invoice.objects.filter(
            source_type_id=unit_type_id,
            source_id__range=(chunk.first_unit_id, chunk.last_unit_id),
            period=period,
            charge_kind=kind,
        ).values_list("source_id", flat=True)
    )
    with_tariff = {estate_id for estate_id, _use in tariffs}
    rows = [row for row in rows if row[0] not in billed and row[1] in with_tariff]
    payers = _payers([row[0] for row in rows], by_range=False) if rows else {}
    bills, _no_tariff, _no_owner = _bill_rows(
        rows, tariffs, payers, kind=kind, run=run, unit_type_id=unit_type_id, issued_on=issued_on, due_on=due_on, now=now
    )
    if not bills:
        return 0
    with override(settings.LANGUAGE_CODE):
        description = _("Maintenance fund contribution %(period)s") % {"period": f"{period:%Y-%m}"}
    ours = _bills_write(bills, description=description)
    _payees_set(bills, ours, kind=kind, issued_on=issued_on)
    fund = charge_account(kind)
    accounts = accounts_for({bill[0] for bill in bills}, {AccountKind.RECEIVABLE, fund})
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                estate_id=bill[0],
                debit_id=accounts[(bill[0], AccountKind.RECEIVABLE)],
                credit_id=accounts[(bill[0], fund)],
                amount=bill[12],
                memo=f"bill {bill[9]} (run {run.pk})",
                invoice_id=ours[bill[3]],
            )
            for bill in bills
            if bill[3] in ours and bill[12] > 0
        ],
        batch_size=1000,
    )
    return len(ours)


def _payees_set(bills: list[BillRow], ours: dict[int, int], *, kind: str, issued_on: datetime.date) -> None:
    """Give the bills just written the payee in force for their kind of money on their issue day
    (one query for the payees, one update per estate that has one)."""
    by_estate: dict[int, list[int]] = defaultdict(list)
    for bill in bills:
        if bill[3] in ours:
            by_estate[bill[0]].append(ours[bill[3]])
    if not by_estate:
        return
    money = payee_money_of(kind)
    payees = payees_in_force(estate_ids=by_estate, on=issued_on)
    for estate_id, ids in by_estate.items():
        payee_id = payees.get((estate_id, money))
        if payee_id is not None:
            Invoice.objects.filter(pk__in=ids).update(payee_id=payee_id)


BILL_COLUMNS = (
    "estate_id",
    "unit_id",
    "source_type_id",
    "source_id",
    "charge_kind",
    "period",
    "payer_owner_id",
    "payer_user_id",
    "payer_name",
    "number",
    "issued_on",
    "due_on",
    "total",
    "paid_amount",
    "status",
    "billing_run_id",
    "created_at",
)


def _bills_write(bills: list[BillRow], *, description: str) -> dict[int, int]:
    """Insert the bills (skipping any that exist) and their lines; return {source id: bill id} of
    the bills inserted here. Each tuple holds BILL_COLUMNS, then the line's quantity and unit price.

    On PostgreSQL the rows go through COPY into a temporary table and one INSERT … ON CONFLICT DO
    NOTHING RETURNING, which costs about what a hand-written INSERT … SELECT does; elsewhere through
    the ORM's bulk_create.
    """
    if connection.vendor == "postgresql":
        return _bills_write_copy(bills, description=description)
    width = len(BILL_COLUMNS)
    Invoice.objects.bulk_create(
        [Invoice(**dict(zip(BILL_COLUMNS, bill[:width], strict=True))) for bill in bills], ignore_conflicts=True, batch_size=1000
    )
    # ignore_conflicts leaves the pks unset. The rows of this run among these sources are ours:
    # an earlier attempt at this chunk rolled back, and another run's rows carry its own id.
    first = bills[0]
    source_ids = [bill[3] for bill in bills]
    ours = dict(
        Invoice.objects.filter(
            billing_run_id=first[15],
            source_type_id=first[2],
            source_id__range=(min(source_ids), max(source_ids)),
            period=first[5],
            charge_kind=first[4],
        ).values_list("source_id", "pk")
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice_id=ours[bill[3]],
                description=description,
                quantity=bill[width],
                unit_price=bill[width + 1],
                amount=bill[12],
            )
            for bill in bills
            if bill[3] in ours
        ],
        batch_size=1000,
    )
    return ours


def _bills_write_copy(bills: list[BillRow], *, description: str) -> dict[int, int]:
    invoice_table, line_table = Invoice._meta.db_table, InvoiceLine._meta.db_table
    columns = ", ".join(BILL_COLUMNS)  # identifiers from the model, no input: the f-strings below are safe
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
        raw.execute(
            f"CREATE TEMP TABLE billing_bill_stage ON COMMIT DROP AS SELECT {columns}, "  # noqa: S608
            f"quantity AS line_quantity, unit_price AS line_unit_price FROM {invoice_table}, {line_table} WITH NO DATA"
        )
        with raw.copy(f"COPY billing_bill_stage ({columns}, line_quantity, line_unit_price) FROM STDIN") as copy:
            for bill in bills:
                copy.write_row(bill)
        # One statement: the bills that do not exist yet, their lines, and their ids back.
        raw.execute(
            f"WITH new AS (INSERT INTO {invoice_table} ({columns}) SELECT {columns} FROM billing_bill_stage "  # noqa: S608
            "ON CONFLICT DO NOTHING RETURNING id, source_id), "
            f"lines AS (INSERT INTO {line_table} (invoice_id, description, quantity, unit_price, amount) "
            "SELECT new.id, %s, s.line_quantity, s.line_unit_price, s.total FROM new JOIN billing_bill_stage s USING (source_id)) "
            "SELECT source_id, id FROM new",
            [description],
        )
        ours = dict(raw.fetchall())
        raw.execute("DROP TABLE billing_bill_stage")
    return ours


def _post_issuance(run: BillingRun, chunk: BillingRunChunk, totals: dict[int, Decimal], kind: str) -> None:
    """One receivable ← income entry per estate for the bills a chunk created (not one per bill)."""
    totals = {estate_id: total for estate_id, total in totals.items() if total > 0}
    if not totals:
        return
    income = charge_account(kind)
    accounts = accounts_for(totals, {AccountKind.RECEIVABLE, income})
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                estate_id=estate_id,
                debit_id=accounts[(estate_id, AccountKind.RECEIVABLE)],
                credit_id=accounts[(estate_id, income)],
                amount=total,
                memo=f"bills of run {run.pk} ({run.period:%Y-%m}) chunk {chunk.index}",
            )
            for estate_id, total in totals.items()
        ]
    )


def billing_runs_start_for(
    *, period: Any, estates: Iterable[Estate] | None, started_by: Any = None, queue: bool = True
) -> list[BillingRun]:
    """Start runs for the back office or the schedule: one per estate given, or one for all (None)."""
    period = billing_period_parse(period)
    targets: list[Estate | None] = [None] if estates is None else list(estates)
    runs = []
    for estate in targets:
        with transaction.atomic():
            run = billing_run_start(period=period, estate=estate, started_by=started_by)
            if queue and run.status != BillingRunStatus.DONE:
                billing_run_queue(run=run)
        runs.append(run)
    return runs
