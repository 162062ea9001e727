from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RentalsConfig(AppConfig):
    name = "rentals"
    verbose_name = _("Rentals")

    def ready(self):
        # Rent of a pooled flat is the lessor's money until paid out: a payable, never the manager's income.
        from billing.charges import register_charge_kind

        register_charge_kind("flat_rent", label=_("Flat rent"), account="rent_payable", number_prefix="FR")
        # The deposit is the lessor's to hold and return (its payee is the lease's, like the rent).
        register_charge_kind("flat_deposit", label=_("Rental deposit"), account="rent_payable", number_prefix="FD")
        # Agency: the owner's commission and renovation instalment, owed to the operator.
        register_charge_kind(
            "rental_service", label=_("Letting commission and renovation instalment"), account="fee_income", number_prefix="RS"
        )

        from .statement_tasks import schedules_ensure

        # The owners' statements of the month just ended, on the 1st (rentals/statement_tasks.py).
        post_migrate.connect(schedules_ensure, sender=self, dispatch_uid="rentals.statement_schedules_ensure")

        from . import roles

        roles.register()

        from accounts.portal import register_section

        from .portal import tenant_section
        from .portal_views import owner_section

        register_section("rentals.tenant", tenant_section, order=50)
        register_section("rentals.owner", owner_section, order=55)

        from .lease_tasks import schedules_ensure as lease_schedules_ensure

        post_migrate.connect(lease_schedules_ensure, sender=self, dispatch_uid="rentals.lease_schedules_ensure")

        from estates.demo import register_demo_step

        from .demo import seed_rentals_demo

        # After the work orders (the demo's owners and their flats are in place), before the public site.
        register_demo_step("rentals", seed_rentals_demo, after=("work_orders",), before=("cms",))

        # The daily rent bills and overdue-rent reminders (rentals/rent_tasks.py).
        from .rent_tasks import schedules_ensure as rent_schedules_ensure

        post_migrate.connect(rent_schedules_ensure, sender=self, dispatch_uid="rentals.rent_schedules_ensure")

        from . import roles_rent

        roles_rent.register()
