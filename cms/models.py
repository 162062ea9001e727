"""Public site pages (bakerydemo's page models are the reference).

Home → case studies (典型案例), notices (公示), news, policy pages. Pages that show domain data
(the city figures, a renovation project's facts, notices) read it live through selectors when
they are rendered: nothing the inventory owns is copied into a page.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, MultiFieldPanel
from wagtail.blocks import RichTextBlock
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.rich_text import RichText
from wagtail.search import index

from accounts.sanitize import clean_html
from property_services.models import NoticeKind

from . import selectors
from .blocks import RICH_TEXT_FEATURES, BodyBlock, CaseStudyBodyBlock, plain_text, stream_text
from .figures import public_figures
from .querysets import CaseStudyPageManager, NewsPageManager, NoticePageManager
from .text import rendered_text, segment
from .viewsets import renovation_project_chooser

LISTING_PER_PAGE = 12


class CleanRichTextMixin:
    """Every rich text of the page (rich text fields and the stream's rich text blocks) is reduced
    to the sanitiser's allow-list when the page is validated, i.e. before the editor's revision is
    stored. The editor's own toolbar cannot produce more than that; a crafted request can."""

    def clean(self):
        super().clean()
        for field in self._meta.concrete_fields:
            if isinstance(field, RichTextField):
                setattr(self, field.attname, clean_html(getattr(self, field.attname), for_storage=True))
            elif isinstance(field, StreamField):
                stream = getattr(self, field.attname)
                for position, child in enumerate(stream or []):
                    if isinstance(child.block, RichTextBlock):
                        stream[position] = (child.block_type, RichText(clean_html(child.value.source, for_storage=True)))


class SearchableTextMixin(CleanRichTextMixin, models.Model):
    """A page whose readable text is kept as plain text beside its content.

    The plain copy serves two things the search index cannot: `icontains` for one- and
    two-character Chinese queries, and the highlighted snippet in the results. It is derived
    from the page's own fields whenever the page row is written (publishing writes it), like
    Wagtail's own url_path, so it never disagrees with what the page shows.
    """

    search_text = models.TextField(_("text for search"), blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.search_text = self.text_for_search()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "search_text" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_text"]
        return super().save(*args, **kwargs)

    def text_for_search(self) -> str:
        raise NotImplementedError

    @property
    def search_segmented(self) -> str:
        """jieba's words of the title and text, spaced, so that the index sees Chinese words."""
        return segment(f"{self.title}\n{self.search_text}")


def searchable_fields(*extra):
    return [
        *Page.search_fields,
        index.SearchField("search_segmented"),
        index.AutocompleteField("search_segmented"),
        *extra,
    ]


class HeroImageMixin(models.Model):
    """A lead photo for listings and social-media previews, with its alt text."""

    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead photo"),
    )
    hero_alt = models.CharField(
        _("alternative text of the lead photo"),
        max_length=200,
        blank=True,
        help_text=_("What the photo shows, for people who cannot see it. Required with a photo."),
    )

    class Meta:
        abstract = True

    hero_panels = [MultiFieldPanel([FieldPanel("hero_image"), FieldPanel("hero_alt")], heading=_("Lead photo"))]

    def clean(self):
        super().clean()
        if self.hero_image_id and not self.hero_alt.strip():
            raise ValidationError({"hero_alt": _("Describe the photo for people who cannot see it.")})


class HomePage(SearchableTextMixin, Page):  # noqa: DJ008 - Page.__str__ is the title
    """The public front page of the installation (one per site)."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = searchable_fields()
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.CaseStudyIndexPage", "cms.NoticeIndexPage", "cms.NewsIndexPage", "cms.PolicyPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    def text_for_search(self) -> str:
        return plain_text(self.intro)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["figures"] = public_figures()
        context["case_studies"] = list(CaseStudyPage.objects.listed()[:3])
        context["notices"] = list(NoticePage.objects.listed()[:5])
        context["news"] = list(NewsPage.objects.listed()[:3])
        context["sections"] = self.sections()
        context["today"] = timezone.localdate()
        return context

    def sections(self) -> dict:
        """The live index and policy pages under the home page, by type, for the home page's links."""
        sections: dict = {"policies": []}
        for child in self.get_children().live().public().specific().order_by("path"):
            if isinstance(child, CaseStudyIndexPage):
                sections.setdefault("case_studies", child)
            elif isinstance(child, NoticeIndexPage):
                sections.setdefault("notices", child)
            elif isinstance(child, NewsIndexPage):
                sections.setdefault("news", child)
            elif isinstance(child, PolicyPage):
                sections["policies"].append(child)
        return sections


class IndexPage(SearchableTextMixin, Page):  # noqa: DJ008 - Page.__str__ is the title
    """Common ground of the listing pages: an introduction and a paginated list of children."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = searchable_fields()
    parent_page_types = ["cms.HomePage"]
    max_count = 1

    class Meta:
        abstract = True

    def text_for_search(self) -> str:
        return plain_text(self.intro)

    def children_for_listing(self, request):
        raise NotImplementedError

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        context = super().get_context(request, *args, **kwargs)
        context["listing"] = Paginator(self.children_for_listing(request), LISTING_PER_PAGE).get_page(request.GET.get("page"))
        context["today"] = timezone.localdate()
        return context


class CaseStudyIndexPage(IndexPage):  # noqa: DJ008 - Page.__str__ is the title
    """典型案例: the list of case studies."""

    subpage_types = ["cms.CaseStudyPage"]

    class Meta:
        verbose_name = _("case study index")
        verbose_name_plural = _("case study indexes")

    def children_for_listing(self, request):
        return CaseStudyPage.objects.listed(parent=self)


class CaseStudyPageForm(WagtailAdminPageForm):
    """An editor can link only the renovation projects they may see."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "project" in self.fields:
            self.fields["project"].queryset = selectors.projects_choosable_by(user=self.for_user)


class CaseStudyPage(HeroImageMixin, SearchableTextMixin, Page):  # noqa: DJ008 - Page.__str__ is the title
    """A renovated estate's story: the editor's words and photos, the project's live facts."""

    project = models.ForeignKey(
        "estates.RenovationProject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_studies",
        verbose_name=_("renovation project"),
        help_text=_("Its content items, funding, dates and management model are shown as they are today."),
    )
    date = models.DateField(_("story date"), default=timezone.localdate)
    intro = models.TextField(_("summary"), max_length=500, help_text=_("One or two sentences for listings and previews."))
    body = StreamField(CaseStudyBodyBlock(), verbose_name=_("story"), blank=True)

    objects = CaseStudyPageManager()

    base_form_class = CaseStudyPageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("project", widget=renovation_project_chooser.widget_class),
        HelpPanel(content=_("The facts of the project (what was done, who paid, dates) appear on the page automatically.")),
        FieldPanel("date"),
        FieldPanel("intro"),
        *HeroImageMixin.hero_panels,
        FieldPanel("body"),
    ]
    search_fields = searchable_fields(index.FilterField("date"))
    parent_page_types = ["cms.CaseStudyIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")

    def text_for_search(self) -> str:
        """The story and, as the page shows them now, the project's facts (items, funding, figures).

        The facts are read live when the page is rendered, so their text is refreshed here whenever
        the project, its items or its funding change (`estates.hooks.project_facts_changed`), not
        only when the page is published."""
        return "\n".join(p for p in (self.intro, stream_text(self.body), self.facts_text()) if p)

    def facts_text(self) -> str:
        facts = selectors.project_facts(project_id=self.project_id) if self.project_id else None
        return rendered_text("cms/includes/project_facts.html", {"facts": facts}) if facts else ""

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["facts"] = selectors.project_facts(project_id=self.project_id) if self.project_id else None
        return context


class NoticeIndexPage(IndexPage):  # noqa: DJ008 - Page.__str__ is the title
    """公示: every notice, current ones first; ended ones stay as an archive."""

    subpage_types = ["cms.NoticePage"]

    class Meta:
        verbose_name = _("notice index")
        verbose_name_plural = _("notice indexes")

    def children_for_listing(self, request):
        return NoticePage.objects.listed(
            parent=self, show=request.GET.get("show", ""), estate_code=request.GET.get("estate", "").strip()
        )

    def get_context(self, request, *args, **kwargs):
        from django.utils.http import urlencode

        context = super().get_context(request, *args, **kwargs)
        show, estate = request.GET.get("show", ""), request.GET.get("estate", "").strip()
        context["show"] = show
        context["estate_code"] = estate
        context["estates"] = list(NoticePage.objects.estates_with_notices(parent=self))
        # The other filter, kept by each filter link and by the pagination.
        context["estate_query"] = urlencode({"estate": estate}) if estate else ""
        context["extra_query"] = urlencode({k: v for k, v in (("show", show), ("estate", estate)) if v})
        return context


class NoticePage(SearchableTextMixin, Page):  # noqa: DJ008 - Page.__str__ is the title
    """A public notice (公示) on the site, with its display period and PDF.

    Pages made from a property-services notice are created and updated by
    `services.notice_pages_sync`; `source_fingerprint` records the notice as last copied, so an
    editor's changes to the page stay until the notice itself changes.
    """

    notice = models.OneToOneField(
        "property_services.Notice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="site_page",
        editable=False,
        verbose_name=_("source notice"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices, default=NoticeKind.OTHER)
    estate = models.ForeignKey(
        "estates.Estate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("estate"),
        help_text=_("Leave empty for a city-wide notice."),
    )
    display_from = models.DateField(_("displayed from"))
    display_until = models.DateField(_("displayed until"))
    body = RichTextField(_("text"), blank=True, features=RICH_TEXT_FEATURES)
    pdf = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("PDF"),
    )
    source_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    source_pdf_name = models.CharField(max_length=255, blank=True, editable=False)

    objects = NoticePageManager()

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("kind"), FieldPanel("estate")]),
        FieldRowPanel([FieldPanel("display_from"), FieldPanel("display_until")], heading=_("Display period")),
        FieldPanel("body"),
        FieldPanel("pdf"),
    ]
    search_fields = searchable_fields(index.FilterField("display_from"), index.FilterField("kind"))
    parent_page_types = ["cms.NoticeIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(display_until__gte=models.F("display_from")), name="cms_notice_display_period_valid"
            )
        ]

    def clean(self):
        super().clean()
        if self.display_from and self.display_until and self.display_until < self.display_from:
            raise ValidationError({"display_until": _("The display period must end on or after the day it starts.")})

    def text_for_search(self) -> str:
        """What the page shows: kind, estate, display period and the text (a synced notice's body)."""
        with translation.override(settings.LANGUAGE_CODE):
            meta = [
                str(self.get_kind_display()),
                self.estate.name if self.estate_id and self.estate else "",
                f"{_('Display period')}: {self.display_from:%Y-%m-%d} – {self.display_until:%Y-%m-%d}"
                if self.display_from and self.display_until
                else "",
            ]
        return "\n".join(p for p in (*meta, plain_text(self.body)) if p)

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.display_from <= on <= self.display_until

    def has_ended(self, on: datetime.date | None = None) -> bool:
        return self.display_until < (on or timezone.localdate())

    @cached_property
    def status(self) -> str:
        """current / ended / upcoming, on today's date."""
        today = timezone.localdate()
        if self.display_until < today:
            return "ended"
        if self.display_from > today:
            return "upcoming"
        return "current"


class NewsIndexPage(IndexPage):  # noqa: DJ008 - Page.__str__ is the title
    """News about the renovation programme and the platform."""

    subpage_types = ["cms.NewsPage"]

    class Meta:
        verbose_name = _("news index")
        verbose_name_plural = _("news indexes")

    def children_for_listing(self, request):
        return NewsPage.objects.listed(parent=self)


class NewsPage(HeroImageMixin, SearchableTextMixin, Page):  # noqa: DJ008 - Page.__str__ is the title
    """A news article."""

    date = models.DateField(_("date"), default=timezone.localdate)
    intro = models.TextField(_("summary"), max_length=500)
    body = StreamField(BodyBlock(), verbose_name=_("text"), blank=True)

    objects = NewsPageManager()

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        *HeroImageMixin.hero_panels,
        FieldPanel("body"),
    ]
    search_fields = searchable_fields(index.FilterField("date"))
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("news article")
        verbose_name_plural = _("news articles")

    def text_for_search(self) -> str:
        return f"{self.intro}\n{stream_text(self.body)}"


class PolicyPage(SearchableTextMixin, Page):  # noqa: DJ008 - Page.__str__ is the title
    """A policy document published in full, e.g. the city's renovation policy (渝府办发〔2021〕82号)."""

    issuer = models.CharField(_("issued by"), max_length=100, blank=True)
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    intro = models.TextField(_("summary"), blank=True, max_length=500)
    body = StreamField(BodyBlock(), verbose_name=_("text"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("issuer"), FieldPanel("document_number"), FieldPanel("issued_on")]),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    search_fields = searchable_fields()
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("policy page")
        verbose_name_plural = _("policy pages")

    def text_for_search(self) -> str:
        return "\n".join(p for p in (self.issuer, self.document_number, self.intro, stream_text(self.body)) if p)


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """Contact details and footer text of the public site."""

    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_address = models.CharField(_("contact address"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    footer_text = models.TextField(_("footer text"), blank=True, max_length=500)
    share_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default image for social-media previews"),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("contact_phone"), FieldPanel("contact_address"), FieldPanel("contact_email")], heading=_("Contact")
        ),
        FieldPanel("footer_text"),
        FieldPanel("share_image"),
    ]

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")
