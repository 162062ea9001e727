"""Template helpers of the public site."""

from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.models import Site
from wagtail.rich_text import RichText, expand_db_html

from accounts.sanitize import clean_html
from billing.money import format_rmb

register = template.Library()


@register.simple_tag(takes_context=True)
def site_nav(context):
    """The live sections under the site's home page that are shown in menus (one query)."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        return []
    return list(site.root_page.get_children().live().in_menu().order_by("path"))


@register.filter
def absolute(url: str, request) -> str:
    """An absolute URL for Open Graph tags: crawlers need the scheme and host."""
    if not url or request is None:
        return url or ""
    return request.build_absolute_uri(url)


@register.filter
def yuan(amount) -> str:
    """1234567.5 → 1,234,567.50: billing.money.format_rmb without the ¥ (the page writes it or says 元)."""
    if amount is None or amount == "":
        return ""
    return format_rmb(Decimal(str(amount)), symbol=False)


@register.filter
def quantity(value) -> str:
    """12.00 → 12, 3.50 → 3.5: quantities of work read like a person writes them."""
    if value is None:
        return ""
    value = Decimal(value).normalize()
    return f"{value:f}"


@register.filter
def clean_richtext(value) -> str:
    """Rich text rendered as Wagtail's ``|richtext`` does (links to pages and documents become
    URLs), then reduced to the sanitiser's allow-list: text stored before sanitising existed, or
    by a path that skipped it, is still inert on the page."""
    source = value.source if isinstance(value, RichText) else str(value or "")
    return mark_safe(clean_html(expand_db_html(source)))  # noqa: S308 - nh3 output, allow-listed


# What a visitor calls each kind of page (the site's section names), not the model's name.
_SECTION_LABELS = {
    "CaseStudyPage": _("Case studies"),
    "NoticePage": _("Notices"),
    "NewsPage": _("News"),
    "PolicyPage": _("Policy"),
    "CaseStudyIndexPage": _("Case studies"),
    "NoticeIndexPage": _("Notices"),
    "NewsIndexPage": _("News"),
    "HomePage": _("Home"),
}


@register.filter
def section_label(page) -> str:
    """The section a search hit belongs to, in words a visitor understands (典型案例, 公示公告, 新闻动态, 政策文件)."""
    cls = page.specific_class
    return str(_SECTION_LABELS.get(cls.__name__ if cls else "", cls._meta.verbose_name if cls else ""))
