"""Who may draft, approve and publish pages; the project chooser's scope; the demo site tree."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import Role
from cms.models import CaseStudyPage, NewsPage, NoticePage, PolicyPage
from cms.selectors import projects_choosable_by
from cms.services import MODERATORS, WORKFLOW_NAME, site_permissions_ensure

pytestmark = pytest.mark.django_db


def test_moderation_workflow_covers_the_site(site_tree):
    site_permissions_ensure()
    workflow = site_tree["case_studies"].get_workflow()
    assert workflow is not None and workflow.name == WORKFLOW_NAME and workflow.active
    task = workflow.tasks.get().specific
    assert set(task.groups.values_list("name", flat=True)) >= {MODERATORS, Role.PLATFORM_ADMIN}


def test_editor_drafts_and_submits_but_cannot_publish(site_tree, make_user):
    site_permissions_ensure()
    editor = make_user("13900000104", Role.CMS_EDITOR)
    perms = site_tree["case_studies"].permissions_for_user(editor)
    assert perms.can_add_subpage()
    assert not perms.can_publish_subpage()
    assert editor.has_perm("wagtailadmin.access_admin")

    page = CaseStudyPage(title="编辑写的案例", slug="by-editor", intro="加装电梯", live=False, owner=editor)
    site_tree["case_studies"].add_child(instance=page)
    page.save_revision(user=editor)
    assert not page.permissions_for_user(editor).can_publish()
    workflow_state = site_tree["case_studies"].get_workflow().start(page, editor)
    assert workflow_state.status == "in_progress"

    moderator = make_user("13900000105")
    moderator.groups.add(Group.objects.get(name=MODERATORS))
    admin = make_user("13900000106", Role.PLATFORM_ADMIN)
    for approver in (moderator, admin):
        actions = [name for name, *_ in workflow_state.current_task_state.task.specific.get_actions(page, approver)]
        assert "approve" in actions, approver
    assert workflow_state.current_task_state.task.specific.get_actions(page, editor) == []

    workflow_state.current_task_state.task.specific.on_action(workflow_state.current_task_state, moderator, "approve")
    page.refresh_from_db()
    assert page.live


def test_editor_may_edit_synced_notice_pages(site_tree, make_user):
    site_permissions_ensure()
    editor = make_user("13900000107", Role.CMS_EDITOR)
    assert site_tree["notices"].permissions_for_user(editor).can_edit()
    assert site_tree["policy"].permissions_for_user(editor).can_edit()


def test_editors_choose_any_project_estate_staff_only_their_own(make_user, make_project):
    own = make_project("C1")
    other = make_project("C2")
    editor = make_user("13900000108", Role.CMS_EDITOR)
    staff = make_user("13900000109", Role.ESTATE_STAFF, estate=own.estate)
    assert set(projects_choosable_by(user=editor)) == {own, other}
    assert set(projects_choosable_by(user=staff)) == {own}


def test_project_chooser_views_are_scoped(client, make_user, make_project):
    own = make_project("C3")
    other = make_project("C4")
    staff = make_user("13900000110", Role.ESTATE_STAFF, estate=own.estate)
    client.force_login(staff)
    listing = client.get("/admin/cms/project-chooser/")
    assert listing.status_code == 200
    body = listing.json()["html"]
    assert own.name in body and other.name not in body
    assert client.get(f"/admin/cms/project-chooser/chosen/{own.pk}/").status_code == 200
    assert client.get(f"/admin/cms/project-chooser/chosen/{other.pk}/").status_code == 404


def test_editor_can_open_the_case_study_form(client, site_tree, make_user, make_project):
    site_permissions_ensure()
    make_project("C5")
    editor = make_user("13900000111", Role.CMS_EDITOR)
    client.force_login(editor)
    response = client.get(f"/admin/pages/add/cms/casestudypage/{site_tree['case_studies'].pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cms/project-chooser" in html  # the scoped chooser widget, not a plain select


def test_seed_cms_demo_builds_the_site_once(client, make_estate, make_project):
    from cms.demo import seed_cms_demo

    project = make_project("D1", name="洋河新村改造提升工程")
    project.estate.name = "洋河新村"
    project.estate.save()
    first = seed_cms_demo()
    assert first["pages"] >= 6
    assert PolicyPage.objects.live().filter(document_number="渝府办发〔2021〕82号").exists()
    case = CaseStudyPage.objects.live().get(project=project)
    assert NewsPage.objects.live().count() == 3
    assert seed_cms_demo() == {"pages": 0, "images": 0}
    html = client.get(case.url).content.decode()
    assert 'data-testid="funding-chart"' in html and "洋河新村改造提升工程" in html
    assert client.get("/").status_code == 200
    assert not NoticePage.objects.exists()  # no notices yet in this database
    policy = PolicyPage.objects.get()
    assert "坚持共谋共建共管共评共享" in client.get(policy.url).content.decode()


def test_seed_cms_demo_on_the_demo_inventory(client, home):
    """What `seed_demo` does: the inventory first, then the site, whose case studies link the
    demo estates' projects."""
    from cms.demo import DEMO_ESTATES, seed_cms_demo
    from estates.demo import demo_seed

    demo_seed(units=600)
    seed_cms_demo()
    cases = CaseStudyPage.objects.live().select_related("project__estate")
    assert sorted(c.project.estate.name for c in cases) == sorted(DEMO_ESTATES)
    for case in cases:
        html = client.get(case.url).content.decode()
        assert case.project.name in html and 'data-testid="funding-chart"' in html
    home_html = client.get("/").content.decode()
    assert all(c.title in home_html for c in cases)
