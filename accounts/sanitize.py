"""Rich text that staff and editors write, reduced to an allow-list of tags and attributes.

The public site, the portal and the back office share one origin, so a script in a notice body
would run with a signed-in owner's or staff member's session. Every rich text is cleaned with
nh3 (the Ammonia sanitiser) before it is stored and again when it is rendered: stored text
written before this existed, or by a path that forgot, is still inert on the page.
"""

import nh3

#: Block and inline elements a notice or page body may use. No media, forms, frames or styles.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "em",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
#: ``linktype`` and ``id`` are Wagtail's stored form of a link to a page or document
#: (``<a linktype="page" id="3">``); they become a plain ``href`` when the text is rendered.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "linktype", "id"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
#: Relative links (to our own pages and documents) pass; of absolute ones only these schemes.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def clean_html(value: str | None, *, for_storage: bool = False) -> str:
    """The allowed part of ``value``: scripts, styles and their content, event handlers (``on…=``),
    ``javascript:`` and ``data:`` links and every tag or attribute not listed above are removed.

    ``for_storage`` leaves links as written (no ``rel`` added), so Wagtail's stored form of a
    rich text stays what its editor expects; rendered links get ``rel="noopener noreferrer"``.
    """
    if not value:
        return ""
    return nh3.clean(
        str(value),
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "template", "iframe", "object", "noscript"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
        link_rel=None if for_storage else "noopener noreferrer",
    )


def clean_text_or_html(value: str | None) -> str:
    """A body that is "plain text or simple HTML": HTML (it starts with a tag) is cleaned for
    storage; plain text stays exactly as written, since it is escaped wherever it is shown."""
    value = value or ""
    if value.lstrip().startswith("<"):
        return clean_html(value, for_storage=True)
    return value
