"""`manage.py dunning_run`: mark overdue bills and send the reminders that have become due.

The daily schedule does the same (billing.tasks.billing_daily); this is for a run by hand.
Reminders end at a formal demand letter, never at a service cut (Civil Code Art. 944).
"""

from django.core.management.base import BaseCommand

from billing.dunning import dunning_ladder, dunning_run
from billing.services.invoices import invoices_mark_overdue


class Command(BaseCommand):
    help = "Mark overdue bills and send due reminders (portal, e-mail, SMS; a demand letter PDF at the last step)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="At most this many notices per step.")

    def handle(self, *args, limit=None, **options):
        overdue = invoices_mark_overdue()
        ladder = ", ".join(f"{days}d {level}" for days, level in dunning_ladder())
        sent = dunning_run(limit=limit)
        self.stdout.write(
            self.style.SUCCESS(
                f"逾期账单 {overdue} 张，发出提醒 {sent} 条 / {overdue} bills marked overdue, {sent} notices sent ({ladder})."
            )
        )
