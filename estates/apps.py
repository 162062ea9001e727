from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EstatesConfig(AppConfig):
    name = "estates"
    verbose_name = _("Estates")

    def ready(self):
        # The renovation project's status table (estates.status).
        from .statuses import register_estates_flows

        register_estates_flows()

        from .roles import sync_role_groups

        post_migrate.connect(sync_role_groups, dispatch_uid="estates.sync_role_groups")

        from accounts.portal import HOME, ME, register_section

        from .portal import my_units_section

        register_section("estates.units", my_units_section, order=10, places=(HOME, ME))
