"""When the public site's cached pages go stale (accounts.page_cache; docs/caching.md).

The pages are cached whole for anonymous visitors. They show the site's own pages (and their photos
and PDFs), the home page's figures, and the facts of the renovation projects behind the case
studies (items, funding, the estate and where it is). A save or delete of any of these, and any
publish, unpublish, move or deletion of a page, drops every cached page at once. Figures name the
models they are computed from when they are registered (``register_public_figure(changes_with=…)``),
so a figure added by another app is covered too.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site, get_page_models
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from accounts.page_cache import public_pages_changed
from estates.models import Community, ContentItem, District, Estate, FundingLine, RenovationProject, Subdistrict
from estates.status import StatusChange

from .figures import registered_figures

#: Shown by the case studies (``selectors.project_facts``) and the notices (their estate).
PAGE_FACTS_MODELS = (RenovationProject, ContentItem, FundingLine, Estate, Community, Subdistrict, District)


def shown_models() -> set[type]:
    """Every model whose rows the public pages show, besides the pages themselves."""
    from .models import SiteSettings

    models = {*PAGE_FACTS_MODELS, SiteSettings, Site, get_image_model(), get_document_model()}
    for figure in registered_figures():
        models.update(figure.changes_with)
    return models


def _site_settings_saved(sender, instance, created, **kwargs) -> None:
    # The first page rendered for a site creates its empty settings row: nothing shown changes.
    if not created:
        public_pages_changed()


def public_pages_invalidation_connect() -> None:
    from .models import SiteSettings

    for signal in (page_published, page_unpublished, post_page_move, page_slug_changed):
        signal.connect(public_pages_changed, dispatch_uid=f"cms.public_pages_changed.{signal!r}")
    for model in {Page, *get_page_models()}:
        post_delete.connect(
            public_pages_changed, sender=model, dispatch_uid=f"cms.public_pages_changed.delete.{model._meta.label}"
        )
    post_save.connect(_site_settings_saved, sender=SiteSettings, dispatch_uid="cms.public_pages_changed.save.settings")
    for model in shown_models():
        label = model._meta.label
        post_delete.connect(public_pages_changed, sender=model, dispatch_uid=f"cms.public_pages_changed.delete.{label}")
        if model is SiteSettings:
            continue
        post_save.connect(public_pages_changed, sender=model, dispatch_uid=f"cms.public_pages_changed.save.{label}")
        # A status moves by a guarded update (estates.status.transition: no post_save of the row itself) and
        # writes a history row: a published public-income statement changes the home page's figure.
        for related in model._meta.related_objects:
            history = related.related_model
            if isinstance(history, type) and issubclass(history, StatusChange):
                post_save.connect(
                    public_pages_changed,
                    sender=history,
                    dispatch_uid=f"cms.public_pages_changed.status.{history._meta.label}",
                )
