"""Compare Stripe with the books: sessions paid at Stripe but missing here, and the reverse; then,
per payee, the transfers and reversals to its connected account (billing.services.reconcile).

    python manage.py stripe_reconcile --since 2026-11-01           # report only
    python manage.py stripe_reconcile --since 2026-11-01 --apply   # also apply what is missing
    python manage.py stripe_reconcile --since 2026-11-01 --estate DEMO01   # one estate's payees

Applying goes through the same service as the webhook (services.provider_events.session_paid_apply), so it
is idempotent: running it again, or a late webhook afterwards, adds nothing. Stored notifications
that were never handled (e.g. the worker was down) are handled too with --apply.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.models import AttemptStatus, Payment, PaymentAttempt, ProviderEvent
from billing.money import format_rmb
from billing.providers import ProviderError, get_provider
from billing.services.provider_events import event_process, excess_decision, session_paid_apply
from billing.services.reconcile import payees_reconcile
from estates.models import Estate


class Command(BaseCommand):
    help = "List Checkout Sessions paid at Stripe but missing locally and the reverse; --apply fixes the first kind."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="First day to check, YYYY-MM-DD (local time).")
        parser.add_argument(
            "--apply", action="store_true", help="Apply the paid sessions missing locally; send missing transfers and reversals."
        )
        parser.add_argument("--estate", default="", help="Only this estate's payees (its code).")

    def handle(self, *args, since: str, apply: bool, estate: str = "", **options):
        try:
            day = datetime.date.fromisoformat(since)
        except ValueError:
            raise CommandError(f"--since must be a date like 2026-11-01, not {since!r}.") from None
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        provider = get_provider("stripe")
        try:
            sessions = list(provider.checkout_list(since=start))
        except ProviderError as exc:
            raise CommandError(f"Stripe could not be asked: {exc}") from exc
        paid = {s.id: s for s in sessions if s.paid}
        attempts = {a.provider_session_id: a for a in PaymentAttempt.objects.filter(provider_session_id__in=list(paid))}
        recorded = set(
            Payment.objects.filter(attempt__provider_session_id__in=list(paid)).values_list(
                "attempt__provider_session_id", flat=True
            )
        )

        missing, flagged, unknown, applied = [], [], [], 0
        for session_id, session in sorted(paid.items()):
            attempt = attempts.get(session_id)
            if session_id in recorded:
                continue
            if attempt is None:
                unknown.append(session)
            elif attempt.status == AttemptStatus.FLAGGED:
                flagged.append((session, attempt))
            elif excess_decision(attempt) is None:
                missing.append((session, attempt))
        self.stdout.write(f"Stripe: {len(sessions)} sessions since {day}, {len(paid)} paid.")
        for session, attempt in missing:
            self.stdout.write(f"PAID AT STRIPE, MISSING HERE: {session.id} ¥{session.amount} attempt {attempt.pk}")
            if apply:
                payment = session_paid_apply(session=session, provider=provider)
                if payment is not None:
                    applied += 1
                    self.stdout.write(f"  applied: payment {payment.pk}, receipt {payment.receipt.number}")
                else:
                    self.stdout.write("  not applied: see the attempt (flagged or refunded)")
        for session, attempt in flagged:
            self.stdout.write(f"PAID AT STRIPE, FLAGGED FOR STAFF: {session.id} attempt {attempt.pk}: {attempt.flag_reason}")
        for session in unknown:
            self.stdout.write(
                f"PAID AT STRIPE, NO ATTEMPT HERE: {session.id} ¥{session.amount} (attempt id {session.attempt_id})"
            )

        # The reverse: online payments here whose session Stripe does not report as paid.
        local = Payment.objects.filter(attempt__provider="stripe", attempt__created_at__gte=start).select_related("attempt")
        not_at_stripe = 0
        for payment in local:
            local_id = payment.attempt.provider_session_id if payment.attempt is not None else None
            if local_id in paid:
                continue
            try:
                if local_id is None:
                    raise ProviderError("no Checkout Session recorded")
                session = provider.checkout_retrieve(local_id)
            except ProviderError as exc:
                self.stdout.write(f"RECORDED HERE, UNKNOWN AT STRIPE: {local_id} payment {payment.pk} ({exc})")
                not_at_stripe += 1
                continue
            if not session.paid:
                self.stdout.write(f"RECORDED HERE, NOT PAID AT STRIPE: {local_id} payment {payment.pk} ¥{payment.amount}")
                not_at_stripe += 1

        waiting = list(ProviderEvent.objects.filter(provider="stripe", processed_at__isnull=True, received_at__gte=start))
        handled = 0
        for event in waiting:
            self.stdout.write(f"NOTIFICATION NOT HANDLED: {event.event_id} {event.type} {event.error[:100]}")
            if apply:
                try:
                    handled += bool(event_process(event=event, provider=provider))
                except Exception as exc:  # noqa: BLE001 - report and go on with the others
                    self.stdout.write(f"  failed again: {exc}")

        payees_clean = self._payees(start=start, estate_code=estate, provider=provider, apply=apply)

        summary = (
            f"missing here: {len(missing)}, flagged: {len(flagged)}, unknown sessions: {len(unknown)}, "
            f"recorded here but not paid at Stripe: {not_at_stripe}, notifications not handled: {len(waiting)}"
        )
        if apply:
            summary += f"; applied {applied}, notifications handled {handled}"
        summary += "; payees: " + ("all match" if payees_clean else "DIFFERENCES (see above)")
        clean = not (missing or flagged or unknown or not_at_stripe or waiting) and payees_clean
        self.stdout.write(self.style.SUCCESS(summary) if clean else self.style.WARNING(summary))

    def _payees(self, *, start, estate_code: str, provider, apply: bool) -> bool:
        """Per payee: charges, transfers and reversals in the books and at Stripe, and every difference."""
        estate_ids = None
        if estate_code:
            found = Estate.objects.filter(code=estate_code).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"小区 {estate_code} 不存在 / No estate with the code {estate_code!r}.")
            estate_ids = [found]
        report = payees_reconcile(estate_ids=estate_ids, since=start, provider=provider, apply=apply)
        if report.error:
            self.stdout.write(f"TRANSFERS COULD NOT BE LISTED AT STRIPE: {report.error}")
        for line in report.payees:
            payee = line.payee
            self.stdout.write(
                f"PAYEE {payee.estate.code} {payee.legal_name} ({payee.account_id or 'no account'}): "
                f"charged {format_rmb(line.charged)}, platform fees {format_rmb(line.platform_fees)}, "
                f"transferred {format_rmb(line.transferred_books)} in the books / {format_rmb(line.transferred_provider)} at Stripe, "
                f"reversed {format_rmb(line.reversed_books)} / {format_rmb(line.reversed_provider)}, "
                f"refunded {format_rmb(line.refunded)}"
            )
            for difference in line.differences:
                self.stdout.write(f"  {difference}")
        for unknown in report.unknown:
            self.stdout.write(f"TRANSFER AT STRIPE, UNKNOWN HERE: {unknown}")
        for done in report.applied:
            self.stdout.write(f"  applied: {done}")
        return report.clean
