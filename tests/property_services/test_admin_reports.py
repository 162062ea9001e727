"""Issue 9 item 6: Wagtail's built-in reports are for platform administrators only, and no audit-log
label carries a ballot choice or a person's name.

The site history report lists every object of the platform whatever the reader's scope; staff of
another estate read the owners and ballots of this one there. PIPL Art. 6 (collect and show no more
personal information than the purpose needs) and Art. 51 (access controls).
"""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts.models import Role
from property_services.models import Ballot

pytestmark = pytest.mark.django_db

REPORT_URLS = [
    "wagtailadmin_reports:site_history",
    "wagtailadmin_reports:site_history_results",
    "wagtailadmin_reports:locked_pages",
    "wagtailadmin_reports:locked_pages_results",
    "wagtailadmin_reports:aging_pages",
    "wagtailadmin_reports:aging_pages_results",
    "wagtailadmin_reports:workflow",
    "wagtailadmin_reports:workflow_results",
    "wagtailadmin_reports:workflow_tasks",
    "wagtailadmin_reports:workflow_tasks_results",
    "wagtailadmin_reports:page_types_usage",
    "wagtailadmin_reports:page_types_usage_results",
]


@pytest.fixture
def recorded_ballot(client, called_assembly, gov_owners, staff_user):
    """Staff of gov_estate record a paper ballot in the back office, as they do (this writes the log entry)."""
    owner = gov_owners[2]
    owner.name = "葛秀兰"
    owner.save()
    client.force_login(staff_user)
    matter = called_assembly.matters.first()
    data = {"matter": matter.pk, "owner": owner.pk, "choice": "no", "channel": "paper", "paper_reference": "HP-0031"}
    assert client.post(reverse("property_services_ballot:add"), data).status_code == 302
    client.logout()
    return Ballot.objects.get(owner=owner)


@pytest.mark.parametrize("name", REPORT_URLS)
def test_staff_of_another_estate_get_403_on_every_report(client, recorded_ballot, other_staff, name):
    client.force_login(other_staff)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert "葛秀兰" not in response.content.decode()


def test_staff_of_the_estate_itself_get_403_too_and_see_no_reports_menu(client, recorded_ballot, staff_user):
    """The reports are not scoped by estate, so nobody but a platform administrator reads them."""
    client.force_login(staff_user)
    assert client.get(reverse("wagtailadmin_reports:site_history")).status_code == 403
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("wagtailadmin_reports:site_history") not in dashboard
    assert reverse("wagtailadmin_reports:locked_pages") not in dashboard


def test_a_platform_administrator_reads_the_site_history_without_choices_or_names(client, recorded_ballot, make_user):
    admin = make_user("13900008888", Role.PLATFORM_ADMIN, name="王平")
    client.force_login(admin)
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("wagtailadmin_reports:site_history") in dashboard  # the menu is there for them
    response = client.get(reverse("wagtailadmin_reports:site_history"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"#{recorded_ballot.pk}" in html  # the entry is listed, by kind and number
    assert "葛秀兰" not in html and "反对" not in html


def test_a_ballots_log_label_holds_no_choice_and_no_name(recorded_ballot):
    entry = ModelLogEntry.objects.get(object_id=str(recorded_ballot.pk), content_type__model="ballot")
    assert entry.label == f"选票 #{recorded_ballot.pk}" or entry.label.endswith(f"#{recorded_ballot.pk}")
    assert "葛秀兰" not in entry.label
    for choice_text in ("反对", "No", "no", "同意", "弃权"):
        assert choice_text not in entry.label.split("#")[0]
    # the ballot's own str no longer carries them either (it is what lists and messages show)
    assert "葛秀兰" not in str(recorded_ballot) and "反对" not in str(recorded_ballot)


def test_an_owners_log_label_holds_no_name(client, gov_estate, staff_user, gov_owners):
    """Any object whose str names a person: the owner register's edits are logged by number."""
    from wagtail.log_actions import log

    owner = gov_owners[0]
    entry = log(instance=owner, action="wagtail.edit", user=staff_user)
    assert owner.name not in entry.label and entry.label.endswith(f"#{owner.pk}")


def test_entries_written_before_the_fix_are_relabelled_by_the_migration(recorded_ballot):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("property_services.migrations.0010_audit_log_labels_without_personal_data")
    entry = ModelLogEntry.objects.get(object_id=str(recorded_ballot.pk), content_type__model="ballot")
    ModelLogEntry.objects.filter(pk=entry.pk).update(label="葛秀兰 · 反对")  # as Wagtail wrote it before
    migration.relabel(apps, None)
    entry.refresh_from_db()
    assert "葛秀兰" not in entry.label and entry.label.endswith(f"#{recorded_ballot.pk}")
