"""Read queries for billing pages, already joined: each page runs a fixed number of queries."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from estates.models import Estate
from estates.selectors import estates_visible_to, scope_queryset, user_sees_everything

from .ledger import ledger_balances
from .models import (
    ACCOUNT_BELONGS_TO,
    AccountKind,
    AttemptStatus,
    BillingRun,
    BillingRunStatus,
    ChargeKind,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    MoneyAudit,
    MoneyOwner,
    Payment,
    PaymentAttempt,
)
from .money import quantize
from .statuses import UNPAID

# The provider's page closes after checkout.SESSION_LIFETIME (31 minutes); an open attempt blocks
# its bills a little longer, so that a page still open at the provider always blocks a second one.
ATTEMPT_BLOCKS_FOR = datetime.timedelta(minutes=35)
OUTSTANDING = ExpressionWrapper(F("total") - F("paid_amount"), output_field=DecimalField(max_digits=14, decimal_places=2))


def invoice_ids_of_user(*, user: Any) -> QuerySet[Invoice, Any]:
    """The ids of the bills the person pays, for ``pk__in``: a UNION of the two ways a bill is theirs.

    Not ``Q(payer_owner__user=user) | Q(payer_user=user)``: an OR across the join to the owner makes
    PostgreSQL read every bill of the platform (a sequential scan, 9 ms at 9,000 bills, growing with
    every month billed); each half of the UNION is an index lookup (issue 16)."""
    by_owner = Invoice.objects.filter(payer_owner__user=user).order_by().values("pk")
    by_user = Invoice.objects.filter(payer_user=user).order_by().values("pk")
    return by_owner.union(by_user)


def invoices_of_user(*, user: Any) -> QuerySet[Invoice]:
    """Bills the person pays: they are the payer on the bill, or the bill's owner is linked to them."""
    if not getattr(user, "is_authenticated", False):
        return Invoice.objects.none()
    return Invoice.objects.filter(pk__in=invoice_ids_of_user(user=user))


def attempts_blocking(*, invoice_ids: Iterable[int], now: datetime.datetime | None = None) -> QuerySet[PaymentAttempt]:
    """Open attempts that still hold any of these bills."""
    now = now or timezone.now()
    return PaymentAttempt.objects.filter(
        status=AttemptStatus.OPEN, created_at__gt=now - ATTEMPT_BLOCKS_FOR, attemptinvoice__invoice_id__in=list(invoice_ids)
    ).distinct()


def invoices_for_staff(*, user) -> QuerySet[Invoice]:
    return scope_queryset(Invoice.objects.all(), user=user).select_related("estate", "unit__building__estate", "payer_owner")


def invoice_detail(*, user, pk: int) -> Invoice | None:
    """One bill with everything its page shows (lines, payments, history, reminders), or None out of scope."""
    return (
        invoices_for_staff(user=user)
        .select_related("billing_run", "payee")
        .prefetch_related(
            "lines",
            "allocations__payment__receipt",
            "status_changes__by",
            "dunning_notices",
        )
        .filter(pk=pk)
        .first()
    )


def payments_for_staff(*, user) -> QuerySet[Payment]:
    return scope_queryset(Payment.objects.all(), user=user).select_related("estate", "recorded_by", "receipt")


def payment_detail(*, user, pk: int) -> Payment | None:
    return (
        payments_for_staff(user=user)
        .prefetch_related(
            "allocations__invoice__unit__building__estate",
            "allocations__invoice__payee",
            "refunds__created_by",
            "ledger_entries__debit",
            "ledger_entries__credit",
            "transfers__payee",
        )
        .filter(pk=pk)
        .first()
    )


def unpaid_invoices_like(*, user, invoice: Invoice) -> QuerySet[Invoice]:
    """The unpaid bills of the same payer (or unit) in the same estate: what one payment may settle."""
    same_payer = (
        Q(payer_owner_id=invoice.payer_owner_id)
        if invoice.payer_owner_id
        else Q(unit_id=invoice.unit_id, payer_name=invoice.payer_name)
    )
    return (
        invoices_for_staff(user=user)
        .filter(estate_id=invoice.estate_id, status__in=UNPAID)
        .filter(same_payer | Q(pk=invoice.pk))
        .order_by("period", "due_on", "pk")
    )


def billing_runs_scope(queryset: QuerySet[BillingRun], *, user) -> QuerySet[BillingRun]:
    """Scope rule (estates.selectors.register_scope): runs of the user's estates; those who see
    everything also see the runs over all estates, which have no estate."""
    if user_sees_everything(user):
        return queryset
    return queryset.filter(estate__in=estates_visible_to(user=user).values("pk"))


def billing_runs_for_staff(*, user) -> QuerySet[BillingRun]:
    return billing_runs_scope(BillingRun.objects.select_related("estate", "started_by"), user=user)


def billing_run_progress_texts(*, run: BillingRun, percent: int) -> dict[str, str]:
    """The run page's counters in words, saying what each counts (units of the estate, bills issued)."""
    return {
        "progress": gettext("%(done)s of %(total)s units processed (%(percent)s%%)")
        % {"done": run.done_units, "total": run.total_units, "percent": percent},
        "invoices_created": ngettext("%(count)s bill issued", "%(count)s bills issued", run.invoices_created)
        % {"count": run.invoices_created},
        "units_already_billed": ngettext(
            "%(count)s unit already billed for this period",
            "%(count)s units already billed for this period",
            run.units_already_billed,
        )
        % {"count": run.units_already_billed},
        "units_without_tariff": ngettext(
            "%(count)s unit without a tariff (no bill)", "%(count)s units without a tariff (no bill)", run.units_without_tariff
        )
        % {"count": run.units_without_tariff},
        "units_without_owner": ngettext(
            "%(count)s unit without a current owner (no bill)",
            "%(count)s units without a current owner (no bill)",
            run.units_without_owner,
        )
        % {"count": run.units_without_owner},
    }


def billing_run_progress(*, run: BillingRun) -> dict:
    """What the run page shows and polls (billing/static/billing/js/run_progress.js): counts, and the same counts in words."""
    percent = 100 if not run.total_units else int(100 * run.done_units / run.total_units)
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "done_units": run.done_units,
        "total_units": run.total_units,
        "percent": percent,
        "invoices_created": run.invoices_created,
        "units_already_billed": run.units_already_billed,
        "units_without_tariff": run.units_without_tariff,
        "units_without_owner": run.units_without_owner,
        "error": run.error,
        "finished": run.status in (BillingRunStatus.DONE, BillingRunStatus.FAILED),
        "texts": billing_run_progress_texts(run=run, percent=percent),
    }


def arrears_by_building(*, user, estate: Estate | None = None) -> list[dict]:
    """Unpaid bills summed per estate and building (one query)."""
    invoices = scope_queryset(Invoice.objects.filter(status__in=UNPAID), user=user)
    if estate is not None:
        invoices = invoices.filter(estate=estate)
    rows = list(
        invoices.values("estate_id", "estate__code", "estate__name", "unit__building__number")
        .annotate(
            bills=Count("pk"),
            overdue=Count("pk", filter=Q(status=InvoiceStatus.OVERDUE)),
            units=Count("unit_id", distinct=True),
            outstanding=Sum(OUTSTANDING),
            oldest_due=Min("due_on"),
        )
        .order_by("estate__code", "unit__building__number")
    )
    for row in rows:  # SQLite sums decimals as 14514.1300000000: money has two places
        row["outstanding"] = quantize(row["outstanding"] or 0)
    return rows


def arrears_totals(rows: list[dict]) -> dict:
    return {
        "bills": sum(r["bills"] for r in rows),
        "overdue": sum(r["overdue"] for r in rows),
        "outstanding": sum((r["outstanding"] or Decimal("0") for r in rows), Decimal("0.00")),
    }


#: The bills the collection rate looks at: those whose due date fell in the last 90 days (a quarter, the usual
#: period of a 收缴率), so the figure moves with how the estate collects now rather than with old debts.
COLLECTION_WINDOW = datetime.timedelta(days=90)


def collection_by_estate(*, estates: QuerySet[Estate] | Iterable[int], on: datetime.date) -> dict[int, dict]:
    """What was billed and fell due before ``on`` (within ``COLLECTION_WINDOW``) and how much of it is unpaid,
    per estate: ``billed``/``unpaid`` over every charge, ``fee_billed``/``fee_unpaid`` over the property service
    fee. Void bills (cancelled or written off) are not counted; a bill due on ``on`` is not late yet. The
    arrears rate is unpaid ÷ billed; the collection rate is its complement. One query (GROUP BY estate) that
    PostgreSQL answers from the ``invoice_collection`` index alone, whatever the number of estates."""
    fee = Q(charge_kind=ChargeKind.PROPERTY_FEE)
    rows = (
        Invoice.objects.filter(estate__in=estates, due_on__lt=on, due_on__gte=on - COLLECTION_WINDOW)
        .exclude(status=InvoiceStatus.VOID)
        .values("estate_id")
        .annotate(
            billed=Sum("total"),
            paid=Sum("paid_amount"),
            fee_billed=Sum("total", filter=fee),
            fee_paid=Sum("paid_amount", filter=fee),
        )
        .order_by()
    )
    result = {}
    for row in rows:
        billed, paid = quantize(row["billed"] or 0), quantize(row["paid"] or 0)
        fee_billed, fee_paid = quantize(row["fee_billed"] or 0), quantize(row["fee_paid"] or 0)
        result[row["estate_id"]] = {
            "billed": billed,
            "unpaid": billed - paid,
            "fee_billed": fee_billed,
            "fee_unpaid": fee_billed - fee_paid,
        }
    return result


def arrears_bills(*, user, estate: Estate | None = None) -> QuerySet[Invoice]:
    invoices = invoices_for_staff(user=user).filter(status__in=UNPAID)
    if estate is not None:
        invoices = invoices.filter(estate=estate)
    return invoices.order_by("estate__code", "unit__building__number", "unit__entrance", "unit__number", "period")


def ledger_for_estate(*, estate: Estate) -> dict:
    """Balances per account (derived from the entries), whose money each is, and the check that the books balance.

    ``accounts`` rows are (label, kind, balance, whose money label, whose money code).
    """
    balances = ledger_balances(estate_id=estate.pk)
    totals = LedgerEntry.objects.filter(estate=estate).aggregate(entries=Count("pk"), moved=Sum("amount"))
    accounts = []
    for kind, balance in balances.items():
        owner = MoneyOwner(ACCOUNT_BELONGS_TO[AccountKind(kind)])
        accounts.append((AccountKind(kind).label, kind, balance, owner.label, owner.value))
    return {"balances": balances, "accounts": accounts, "sum_of_balances": sum(balances.values(), Decimal("0.00")), **totals}


def maintenance_fund_by_unit(*, estate: Estate) -> QuerySet:
    """The owners' maintenance fund (专项维修资金, Civil Code Art. 281) of an estate, unit by unit.

    One row per unit that was ever charged a contribution, derived from the ledger entries of its
    maintenance-fund bills: ``billed`` (contributions charged, less voids and write-offs: what the
    fund account holds for the unit), ``contributed`` (money paid in, less refunds: the unit's
    balance in the fund) and ``owed`` (billed − contributed). One query.
    """
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))
    fund = AccountKind.MAINTENANCE_FUND

    def total(condition):
        return Coalesce(Sum("amount", filter=condition), zero)

    return (
        LedgerEntry.objects.filter(estate=estate, invoice__charge_kind=ChargeKind.MAINTENANCE_FUND, invoice__unit__isnull=False)
        .values("invoice__unit_id", "invoice__unit__building__number", "invoice__unit__entrance", "invoice__unit__number")
        .annotate(
            billed=total(Q(credit__kind=fund)) - total(Q(debit__kind=fund)),
            contributed=total(Q(payment__isnull=False, refund__isnull=True)) - total(Q(refund__isnull=False)),
        )
        .annotate(owed=F("billed") - F("contributed"))
        .order_by("invoice__unit__building__number", "invoice__unit__entrance", "invoice__unit__number", "invoice__unit_id")
    )


def maintenance_fund_payments(*, unit_ids: Iterable[int]) -> QuerySet[LedgerEntry]:
    """The money that moved into (payments) or out of (refunds) the maintenance fund for these units, oldest
    first: the entries of their maintenance-fund bills that ``maintenance_fund_by_unit`` counts as
    ``contributed`` (an entry with a refund is a refund). One query, with each entry's bill."""
    return (
        LedgerEntry.objects.filter(invoice__unit_id__in=list(unit_ids), invoice__charge_kind=ChargeKind.MAINTENANCE_FUND)
        .filter(Q(payment__isnull=False) | Q(refund__isnull=False))
        .select_related("invoice")
        .order_by("created_at", "pk")
    )


def ledger_entries(*, estate: Estate) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(estate=estate)
        .select_related("debit", "credit", "invoice", "payment", "refund", "created_by")
        .order_by("-created_at", "-pk")
    )


def money_audits_for_staff(*, user) -> QuerySet[MoneyAudit]:
    return scope_queryset(MoneyAudit.objects.all(), user=user).select_related("estate", "user", "object_type")


# Bill numbers are "PF202611-12-4711": charge code and month (8 characters), the source's type and
# its id, unpadded. Ordered as text, …-10 comes before …-9; ordered by these parts they come naturally.
def invoices_in_number_order(queryset: QuerySet[Invoice], *, descending: bool = False, period_first: bool = False):
    """Bills in the natural order of their numbers (…-9 before …-10); newest month first with ``period_first``."""
    parts: list[Substr | F] = [Substr("number", 1, 8), F("source_type_id"), F("source_id"), F("number")]
    keys = [part.desc() if descending else part.asc() for part in parts]
    if period_first:
        keys.insert(0, F("period").desc())
    return queryset.order_by(*keys)
