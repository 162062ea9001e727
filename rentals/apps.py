from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RentalsConfig(AppConfig):
    name = "rentals"
    verbose_name = _("Rentals")

    def ready(self):
        from accounts.portal import register_section

        from .portal import tenant_section

        register_section("rentals.tenant", tenant_section, order=50)
