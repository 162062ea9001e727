"""Every change the public site makes on its own: notice pages, the site tree's sections, and
who may edit, approve and publish pages."""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import os
from typing import TextIO

from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from accounts.sanitize import clean_html
from property_services.models import Notice

from .models import CaseStudyPage, HomePage, NoticeIndexPage, NoticePage

MODERATORS = "Moderators"
WORKFLOW_NAME = "Moderators approval"

EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page", "lock_page"]
APPROVER_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
ADMIN_PAGE_PERMISSIONS = [*APPROVER_PAGE_PERMISSIONS, "bulk_delete_page"]
EDITOR_COLLECTION_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
]
NOTICE_SYNC_SCHEDULE = "cms.notice_pages_sync"
NOTICE_SYNC_MINUTES = 5


def _write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


# --- notices -----------------------------------------------------------------------------------


def notice_fingerprint(notice: Notice) -> str:
    """What the page copies from a notice, hashed: a changed notice has a different fingerprint."""
    data = [
        notice.kind,
        notice.title,
        notice.body,
        notice.estate_id,
        notice.display_from.isoformat(),
        notice.display_until.isoformat(),
        notice.pdf.name if notice.pdf else "",
        notice.is_published,
    ]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def _body_html(body: str) -> str:
    """Notices carry plain text or simple HTML; plain text becomes paragraphs."""
    body = (body or "").strip()
    if not body:
        return ""
    if body.startswith("<"):
        return clean_html(body, for_storage=True)
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in body.splitlines() if p.strip())


def _pdf_document(notice: Notice):
    """The notice's PDF as a Wagtail document, so that it is served at /documents/ like any other."""
    from wagtail.documents import get_document_model

    if not notice.pdf:
        return None
    document_model = get_document_model()
    with notice.pdf.open("rb") as handle:
        content = handle.read()
    document = document_model(title=notice.title[:255])
    document.file.save(os.path.basename(notice.pdf.name), ContentFile(content), save=False)
    document.file_size = len(content)
    document.save()
    return document


def notice_index_ensure() -> NoticeIndexPage | None:
    """The notices section under the home page, created the first time it is needed."""
    index = NoticeIndexPage.objects.order_by("path").first()
    if index is not None:
        return index
    home = HomePage.objects.order_by("path").first()
    if home is None:
        return None
    index = NoticeIndexPage(
        title="公示公告",
        slug="notices",
        intro="<p>业主大会、共同决定事项、公共收益收支等依法公示的信息。</p>",
        show_in_menus=True,
        live=False,
    )
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


@transaction.atomic
def notice_page_sync(*, notice: Notice, index: NoticeIndexPage | None = None, on: datetime.date | None = None) -> str:
    """Bring the site page of one notice in line with the notice.

    Returns what happened: "created", "updated", "unpublished" or "unchanged". A page an editor
    has changed keeps the editor's text until the notice itself changes (its fingerprint).
    """
    on = on or timezone.localdate()
    should_show = notice.is_published and notice.display_from <= on
    page = NoticePage.objects.filter(notice=notice).first()
    fingerprint = notice_fingerprint(notice)
    if page is None:
        if not should_show:
            return "unchanged"
        index = index or notice_index_ensure()
        if index is None:
            return "unchanged"
        page = NoticePage(notice=notice, slug=f"notice-{notice.pk}", live=False)
        _copy_notice(page, notice, fingerprint)
        index.add_child(instance=page)
        page.save_revision().publish()
        return "created"
    if page.source_fingerprint == fingerprint:
        return "unchanged"
    if not notice.is_published:
        page.source_fingerprint = fingerprint
        page.save(update_fields=["source_fingerprint"])
        if page.live:
            page.unpublish()
            return "unpublished"
        return "unchanged"
    page = page.get_latest_revision_as_object() if page.has_unpublished_changes else page
    _copy_notice(page, notice, fingerprint)
    page.save_revision().publish()
    return "updated"


def _copy_notice(page: NoticePage, notice: Notice, fingerprint: str) -> None:
    page.title = notice.title
    page.draft_title = notice.title
    page.kind = notice.kind
    page.estate_id = notice.estate_id
    page.display_from = notice.display_from
    page.display_until = notice.display_until
    page.body = _body_html(notice.body)
    page.search_description = "" if notice.body.lstrip().startswith("<") else " ".join(notice.body.split())[:150]
    page.source_fingerprint = fingerprint
    pdf_name = notice.pdf.name if notice.pdf else ""
    if pdf_name != page.source_pdf_name or (pdf_name and page.pdf_id is None):
        # Copied only when the notice has a different file: a re-sync does not pile up documents.
        page.pdf = _pdf_document(notice)
        page.source_pdf_name = pdf_name


def notice_pages_sync(*, on: datetime.date | None = None, stdout: TextIO | None = None) -> dict[str, int]:
    """Create or update the site page of every notice (run on a schedule and by `sync_notices`).

    Each notice is handled in its own transaction, so one bad notice does not hold back the rest;
    running it twice changes nothing the second time.
    """
    counts = {"created": 0, "updated": 0, "unpublished": 0, "unchanged": 0}
    index = notice_index_ensure()
    if index is None:
        _write(stdout, "No home page: notices not synced.")
        return counts
    known = dict(NoticePage.objects.filter(notice__isnull=False).values_list("notice_id", "source_fingerprint"))
    for notice in Notice.objects.select_related("estate").order_by("pk").iterator(chunk_size=500):
        if notice.pk in known and known[notice.pk] == notice_fingerprint(notice):
            counts["unchanged"] += 1
            continue
        counts[notice_page_sync(notice=notice, index=index, on=on)] += 1
    _write(stdout, ", ".join(f"{k}: {v}" for k, v in counts.items()))
    return counts


# --- search ------------------------------------------------------------------------------------


@transaction.atomic
def case_studies_search_refresh(*, project_ids: list[int]) -> int:
    """Re-index the case studies that show these projects' facts, as they show them now.

    Called (through a task queued after commit) when a project, its content items or funding, or
    its estate changed: the page shows those facts live, so its search text must follow without a
    new revision being published. Returns how many pages' text changed; running it twice is harmless.
    """
    from wagtail.search import index as search_index

    changed = 0
    for page in CaseStudyPage.objects.filter(project_id__in=project_ids).order_by("pk"):
        text = page.text_for_search()
        if text != page.search_text:
            CaseStudyPage.objects.filter(pk=page.pk).update(search_text=text)
            changed += 1
        search_index.insert_or_update_object(page)
    return changed


# --- permissions, workflow, schedule -----------------------------------------------------------


def _permissions(pairs) -> list[Permission]:
    wanted = set(pairs)
    return [
        p
        for p in Permission.objects.filter(codename__in=[c for _, c in wanted]).select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]


def site_permissions_ensure() -> bool:
    """Editors draft and submit, moderators and platform admins approve and publish.

    Idempotent; run after every migrate (and by the demo). Returns False when there is no home
    page yet (nothing to attach the permissions to).
    """
    from wagtail.models import (
        Collection,
        GroupApprovalTask,
        GroupCollectionPermission,
        GroupPagePermission,
        Workflow,
        WorkflowPage,
        WorkflowTask,
    )

    home = HomePage.objects.order_by("path").first()
    if home is None:
        return False
    moderators, _created = Group.objects.get_or_create(name=MODERATORS)
    editors, _created = Group.objects.get_or_create(name=Role.CMS_EDITOR)
    admins, _created = Group.objects.get_or_create(name=Role.PLATFORM_ADMIN)
    moderators.permissions.add(*_permissions([("wagtailadmin", "access_admin")]))

    for group, codenames in (
        (editors, EDITOR_PAGE_PERMISSIONS),
        (moderators, APPROVER_PAGE_PERMISSIONS),
        (admins, ADMIN_PAGE_PERMISSIONS),
    ):
        for permission in _permissions([("wagtailcore", c) for c in codenames]):
            GroupPagePermission.objects.get_or_create(group=group, page=home, permission=permission)

    root_collection = Collection.get_first_root_node()
    if root_collection is not None:
        for group in (editors, moderators, admins):
            for permission in _permissions(EDITOR_COLLECTION_PERMISSIONS):
                GroupCollectionPermission.objects.get_or_create(group=group, collection=root_collection, permission=permission)

    task = GroupApprovalTask.objects.filter(name=WORKFLOW_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=WORKFLOW_NAME)
    if not task.active:
        task.active = True
        task.save(update_fields=["active"])
    task.groups.add(moderators, admins)
    workflow, _created = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": workflow})
    return True


def notice_sync_schedule_ensure() -> None:
    """The django-q schedule that copies new and changed notices to the site every few minutes."""
    from django_q.models import Schedule

    from accounts.schedules import schedule_ensure

    schedule_ensure(
        name=NOTICE_SYNC_SCHEDULE, func="cms.tasks.notice_pages_sync", schedule_type=Schedule.MINUTES, minutes=NOTICE_SYNC_MINUTES
    )


def site_setup_after_migrate(sender=None, using="default", **kwargs) -> None:
    """post_migrate: page and collection permissions, the moderation workflow and the sync schedule.

    Wagtail's apps come after cms in INSTALLED_APPS, so their permissions are created here first.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for label in ("wagtailadmin", "wagtailcore", "wagtailimages", "wagtaildocs"):
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using)
    from estates.roles import sync_role_groups

    if not Group.objects.filter(name=Role.CMS_EDITOR).exists():
        sync_role_groups()
    site_permissions_ensure()
    notice_sync_schedule_ensure()
