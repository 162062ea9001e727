from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PropertyServicesConfig(AppConfig):
    name = "property_services"
    verbose_name = _("Property services")
