from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        # What each role may do in billing (estates.roles builds the groups).
        from . import roles

        roles.register()

        # Two blocks, one per part of billing (online payments / billing core): keep both when editing.
        from accounts.portal import register_section

        from .portal import my_bills_section

        register_section("billing.my_bills", my_bills_section, order=20)

        # Billing core (runs, dunning): the monthly run and daily overdue/dunning schedules, the owner's reminders.
        from .dunning import reminders_section
        from .tasks import schedules_ensure

        post_migrate.connect(schedules_ensure, sender=self, dispatch_uid="billing.schedules_ensure")
        register_section("billing.reminders", reminders_section, order=40)

        # Demo data after the governance seed (whose arrangements set the demo estates' tariffs).
        from estates.demo import register_demo_step

        from .demo import seed_billing_demo

        register_demo_step("billing", seed_billing_demo, order=20)
