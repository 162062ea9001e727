"""Many pages at once, for benchmarks and for tests that need 1,000 pages.

Pages made here have no revisions (they are not edited in the admin) but are otherwise what
publishing makes: live, with paths, url paths and the plain search text. Rows are written with
bulk inserts, a few queries per thousand pages; the search index is filled with the backend's
bulk call when ``index`` is true.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page

from accounts.page_cache import public_pages_changed


@transaction.atomic
def bulk_add_children(parent: Page, model: type[Page], specs: Iterable[dict], *, index: bool = False) -> list[Page]:
    """Add one live ``model`` page under ``parent`` per dict of field values in ``specs``.

    Each dict needs "title" and "slug"; the rest are the specific model's fields.
    """
    parent = Page.objects.get(pk=parent.pk)
    content_type = ContentType.objects.get_for_model(model)
    now = timezone.now()
    base_names = {f.name for f in Page._meta.concrete_fields}
    bases, specifics = [], []
    step = parent.numchild
    for spec in specs:
        step += 1
        page = model(
            path=Page._get_path(parent.path, parent.depth + 1, step),
            depth=parent.depth + 1,
            numchild=0,
            url_path=f"{parent.url_path}{spec['slug']}/",
            content_type=content_type,
            locale_id=parent.locale_id,
            live=True,
            has_unpublished_changes=False,
            first_published_at=spec.pop("first_published_at", now),
            last_published_at=now,
            draft_title=spec["title"],
            **spec,
        )
        page.search_text = page.text_for_search() if hasattr(page, "text_for_search") else ""
        bases.append(Page(**{name: getattr(page, name) for name in base_names if name != "id"}))
        specifics.append(page)
    created = Page.objects.bulk_create(bases, batch_size=500)
    for base, page in zip(created, specifics, strict=True):
        page.pk = page.id = page.page_ptr_id = base.pk
    fields = [f for f in model._meta.local_concrete_fields]
    for start in range(0, len(specifics), 500):
        model._base_manager._insert(specifics[start : start + 500], fields=fields, using=model._base_manager.db)
    Page.objects.filter(pk=parent.pk).update(numchild=step)
    if index:
        index_pages(model, specifics)
    public_pages_changed()  # bulk inserts send no publish signal: the cached pages are stale now
    return specifics


def index_pages(model: type[Page], pages: list[Page]) -> None:
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    for start in range(0, len(pages), 500):
        backend.add_bulk(model, pages[start : start + 500])


def specs(count: int, make: Callable[[int], dict]) -> list[dict]:
    return [make(i) for i in range(count)]
