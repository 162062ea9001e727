"""estates' status table, walked: a renovation project changes status only through
``estates.status.transition`` (the service ``renovation_project_status_change``), which allows exactly
the listed moves and records each one."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from estates.models import ProjectStatus, RenovationProject, RenovationProjectStatusChange
from estates.services import renovation_project_status_change
from estates.status import IllegalTransitionError, StatusChangedError, flow_for, transition
from estates.statuses import PROJECT_FLOW

from .factories import RenovationProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

STATUSES = [choice.value for choice in ProjectStatus]
ALL_PAIRS = [(a, b) for a in STATUSES for b in STATUSES]
LISTED = {
    (ProjectStatus.PLANNED, ProjectStatus.IN_PROGRESS),
    (ProjectStatus.PLANNED, ProjectStatus.COMPLETED),
    (ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED),
    (ProjectStatus.IN_PROGRESS, ProjectStatus.PLANNED),
    (ProjectStatus.COMPLETED, ProjectStatus.IN_PROGRESS),
}


def project_with(status: str) -> RenovationProject:
    project = RenovationProjectFactory()
    RenovationProject.objects.filter(pk=project.pk).update(status=status)  # the test's set-up, not a change
    project.refresh_from_db()
    return project


def test_the_flow_is_registered_for_renovation_projects():
    assert flow_for(RenovationProject) is PROJECT_FLOW


def test_the_table_lists_exactly_these_moves():
    assert {(a, b) for a, b in ALL_PAIRS if PROJECT_FLOW.allowed(a, b)} == LISTED


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_every_move_of_the_table(from_status, to_status):
    project, user = project_with(from_status), UserFactory()
    if (from_status, to_status) in LISTED:
        renovation_project_status_change(project=project, to=to_status, by=user, note="walk")
        project.refresh_from_db()
        assert project.status == to_status
        change = project.status_changes.get()
        assert (change.from_status, change.to_status, change.by, change.note) == (from_status, to_status, user, "walk")
    else:
        with pytest.raises(IllegalTransitionError) as refused:
            renovation_project_status_change(project=project, to=to_status, by=user)
        assert refused.value.code == "illegal_transition"
        assert " / " in refused.value.messages[0]  # Chinese, then English
        project.refresh_from_db()
        assert project.status == from_status
        assert not RenovationProjectStatusChange.objects.exists()


def test_a_completed_project_never_goes_back_into_the_plan():
    assert not PROJECT_FLOW.allowed(ProjectStatus.COMPLETED, ProjectStatus.PLANNED)


def test_a_stale_project_is_refused_and_nothing_is_written():
    project = project_with(ProjectStatus.IN_PROGRESS)
    other = RenovationProject.objects.get(pk=project.pk)
    transition(other, to=ProjectStatus.COMPLETED)  # someone else got there first
    with pytest.raises(StatusChangedError) as raced:
        renovation_project_status_change(project=project, to=ProjectStatus.PLANNED)
    assert raced.value.code == "status_changed"
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED
    assert list(project.status_changes.values_list("to_status", flat=True)) == [ProjectStatus.COMPLETED]


def test_the_case_studies_are_told_after_the_change(django_capture_on_commit_callbacks):
    from estates import hooks

    heard = []
    hooks.project_facts_listener_register("test.statuses", lambda project_ids: heard.append(project_ids))
    try:
        project = project_with(ProjectStatus.PLANNED)
        with django_capture_on_commit_callbacks(execute=True):
            renovation_project_status_change(project=project, to=ProjectStatus.IN_PROGRESS)
        assert [project.pk] in heard
    finally:
        hooks._project_facts_listeners.pop("test.statuses")


def test_a_refused_move_is_a_validation_error_for_forms():
    project = project_with(ProjectStatus.COMPLETED)
    with pytest.raises(ValidationError):
        renovation_project_status_change(project=project, to=ProjectStatus.PLANNED)


# --- the back-office form: the status field moves through the table -------------------------------


def edit_form_data(client, project) -> dict[str, str]:
    """What the browser would send for the project's edit form as shown."""
    html = client.get(reverse("estates_renovationproject:edit", args=[project.pk])).content.decode()
    form = BeautifulSoup(html, "html.parser").select_one("form[method=post i]")
    data: dict[str, str] = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        if field.name == "textarea":
            data[field["name"]] = field.get_text()
        elif field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            data[field["name"]] = chosen.get("value", "") if chosen else ""
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[field["name"]] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            data[field["name"]] = field.get("value", "")
    return data


def test_the_edit_form_moves_the_status_and_records_who(client, make_user):
    project = project_with(ProjectStatus.PLANNED)
    officer = make_user("13900000401", Role.SUBDISTRICT_OFFICER, subdistrict=project.estate.community.subdistrict)
    client.force_login(officer)
    data = edit_form_data(client, project)
    data.update(status=ProjectStatus.IN_PROGRESS, name="改名后的项目")
    response = client.post(reverse("estates_renovationproject:edit", args=[project.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert (project.status, project.name) == (ProjectStatus.IN_PROGRESS, "改名后的项目")
    change = project.status_changes.get()
    assert (change.from_status, change.to_status, change.by) == (ProjectStatus.PLANNED, ProjectStatus.IN_PROGRESS, officer)


def test_the_edit_form_without_a_status_change_writes_no_history(client, make_user):
    project = project_with(ProjectStatus.COMPLETED)
    client.force_login(make_user("13900000402", Role.PLATFORM_ADMIN))
    data = edit_form_data(client, project)
    data["name"] = "只改名称"
    assert client.post(reverse("estates_renovationproject:edit", args=[project.pk]), data).status_code == 302
    project.refresh_from_db()
    assert (project.status, project.name) == (ProjectStatus.COMPLETED, "只改名称")
    assert not project.status_changes.exists()


def test_the_edit_form_refuses_a_move_the_table_does_not_list_and_saves_nothing(client, make_user):
    project = project_with(ProjectStatus.COMPLETED)
    client.force_login(make_user("13900000403", Role.PLATFORM_ADMIN))
    data = edit_form_data(client, project)
    data.update(status=ProjectStatus.PLANNED, name="不应保存")
    response = client.post(reverse("estates_renovationproject:edit", args=[project.pk]), data)
    assert response.status_code == 200
    assert "不能变为" in response.content.decode()  # the table's refusal, shown on the form
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED and project.name != "不应保存"
    assert not project.status_changes.exists()


ESTATES = Path(__file__).resolve().parents[2] / "estates"
# A status written outside estates.status: an assignment, or an update()/create with a new status.
STATUS_WRITE = re.compile(r"\.status\s*=[^=]|\.update\([^)]*\bstatus=")


def test_estates_writes_no_status_outside_the_status_module():
    offenders = [
        f"{path.relative_to(ESTATES.parent)}:{number}: {line.strip()}"
        for path in ESTATES.rglob("*.py")
        if "migrations" not in path.parts and path.name != "status.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STATUS_WRITE.search(line)
    ]
    assert offenders == []
