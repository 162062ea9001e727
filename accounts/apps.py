from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from wagtail.models import ModelLogEntry

        from .audit import log_entry_label_scrub

        pre_save.connect(log_entry_label_scrub, sender=ModelLogEntry, dispatch_uid="accounts.log_entry_label_scrub")
        _register_readable_display()

        from django.db.backends.signals import connection_created

        from .page_cache import write_watcher_install

        connection_created.connect(write_watcher_install, dispatch_uid="accounts.page_cache.write_watcher")


def _register_readable_display():
    """Wagtail's inspect pages write a field with `|localize`, which turns an aware datetime into text
    in UTC before the template's time-zone conversion can happen (assembly deadlines showed 8 hours
    early), and an empty field into "None". Every back-office detail page writes values our way
    (accounts.admin_display); more specific registrations (images, documents) still win."""
    from django.db import models
    from wagtail.admin.ui.fields import register_display_class

    from .admin_display import ReadableDisplay

    register_display_class(models.Field, display_class=ReadableDisplay)
    register_display_class(models.ForeignKey, to=models.Model, display_class=ReadableDisplay)
