from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        # billing's own charge kinds and its status tables (bills, payment attempts, runs).
        from .charges import register_billing_charge_kinds
        from .statuses import register_billing_flows

        register_billing_charge_kinds()
        register_billing_flows()

        # What each role may do in billing (estates.roles builds the groups).
        from . import roles

        roles.register()

        # Back-office scope of runs over all estates (no estate of their own).
        from estates.selectors import register_scope

        from .models import BillingRun
        from .selectors import billing_runs_scope

        register_scope(BillingRun, billing_runs_scope)

        # The owner's portal: bills to pay, and reminders.
        from accounts.portal import register_section

        from .portal import my_bills_section

        register_section("billing.my_bills", my_bills_section, order=20)

        # The monthly run and the daily overdue/dunning schedules.
        from .dunning import reminders_section
        from .tasks import schedules_ensure

        post_migrate.connect(schedules_ensure, sender=self, dispatch_uid="billing.schedules_ensure")
        register_section("billing.reminders", reminders_section, order=40)

        # Demo data (property_services puts its governance seed first: its arrangements set the tariffs).
        from estates.demo import register_demo_step

        from .demo import seed_billing_demo

        register_demo_step("billing", seed_billing_demo)
