"""`manage.py seed_demo [--units N]`: realistic Chongqing demo data and demo logins, never in production."""

from django.core.management.base import BaseCommand, CommandError

from estates.demo import DEFAULT_UNITS, DemoDataNotAllowedError, demo_logins_text, demo_seed, demo_steps, demo_steps_run


class Command(BaseCommand):
    help = (
        "Load realistic Chongqing demo data (estates, buildings, units, owners, projects) and the demo logins into an "
        "empty inventory. Refused where DEMO_DATA_ALLOWED is false."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--units",
            type=int,
            default=DEFAULT_UNITS,
            help=f"Number of units in total, about 200 per estate (default {DEFAULT_UNITS}; 100000 for benchmarks).",
        )
        parser.add_argument(
            "--inventory-only",
            action="store_true",
            help="Only the estate inventory and logins, without the other apps' demo data (for benchmarks).",
        )

    def handle(self, *args, units: int, inventory_only: bool = False, **options):
        if units < 3:
            raise CommandError(
                "--units 至少为 3（每种管理模式一个小区）/ --units must be at least 3 (one estate per management model)."
            )
        if not inventory_only:
            demo_steps()  # a step naming a missing one fails here, before anything is written
        try:
            counts = demo_seed(units=units, stdout=self.stdout)
            if not inventory_only:
                demo_steps_run(stdout=self.stdout)
        except DemoDataNotAllowedError as exc:
            raise CommandError(str(exc)) from exc
        if counts["estates"]:
            self.stdout.write(demo_logins_text())
