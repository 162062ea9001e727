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
