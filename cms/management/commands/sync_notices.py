"""`manage.py sync_notices`: copy new and changed notices to the public site now."""

from django.core.management.base import BaseCommand

from cms.services import notice_pages_sync


class Command(BaseCommand):
    help = "Create or update the public site's notice pages from the notices of the other apps (idempotent)."

    def handle(self, *args, **options):
        notice_pages_sync(stdout=self.stdout)
