"""Migrations 0013-0015: the notices' published flag becomes their status, and back, with no notice lost."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("property_services", "0013_notice_status")]
AFTER = [("property_services", "0015_notice_published_flag_removed")]
DAY = datetime.date(2026, 3, 1)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.slow  # migrates back and forth and flushes the database afterwards
@pytest.mark.django_db(transaction=True)
def test_the_published_flag_becomes_a_status_and_back():
    try:
        apps = _migrate(BEFORE)
        Notice = apps.get_model("property_services", "Notice")
        shown = Notice.objects.create(kind="other", title="在公示", display_from=DAY, display_until=DAY, is_published=True)
        hidden = Notice.objects.create(kind="other", title="已撤下", display_from=DAY, display_until=DAY, is_published=False)

        apps = _migrate(AFTER)
        Notice = apps.get_model("property_services", "Notice")
        assert dict(Notice.objects.values_list("pk", "status")) == {shown.pk: "published", hidden.pk: "withdrawn"}

        apps = _migrate(BEFORE)
        Notice = apps.get_model("property_services", "Notice")
        assert dict(Notice.objects.values_list("pk", "is_published")) == {shown.pk: True, hidden.pk: False}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
