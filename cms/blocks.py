"""StreamField blocks for the public site's page bodies (bakerydemo's BaseStreamBlock is the model).

Every image block asks for alt text: a screen-reader user must hear what the photo shows.
"""

import html

from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "document-link"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("heading"), max_length=120)
    level = blocks.ChoiceBlock(
        label=_("level"), choices=[("h2", _("Section")), ("h3", _("Subsection"))], default="h2", required=True
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "cms/blocks/heading.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"))
    alt_text = blocks.CharBlock(
        label=_("alternative text"),
        max_length=200,
        help_text=_("What the photo shows, for people who cannot see it."),
    )
    caption = blocks.CharBlock(label=_("caption"), max_length=200, required=False)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "cms/blocks/image.html"


class BeforeAfterBlock(blocks.StructBlock):
    """Two photos of the same place, before and after the renovation."""

    before = ImageChooserBlock(label=_("before"))
    before_alt = blocks.CharBlock(label=_("alternative text (before)"), max_length=200)
    after = ImageChooserBlock(label=_("after"))
    after_alt = blocks.CharBlock(label=_("alternative text (after)"), max_length=200)
    caption = blocks.CharBlock(label=_("caption"), max_length=200, required=False)

    class Meta:
        icon = "image"
        label = _("Before and after")
        template = "cms/blocks/before_after.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("quotation"))
    attribution = blocks.CharBlock(label=_("attribution"), max_length=100, required=False)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "cms/blocks/quote.html"


class TableBlock(blocks.StructBlock):
    """A small table typed by the editor: a header row and rows of cells."""

    caption = blocks.CharBlock(label=_("caption"), max_length=200, required=False)
    header = blocks.ListBlock(blocks.CharBlock(label=_("column"), max_length=100), label=_("header row"))
    rows = blocks.ListBlock(
        blocks.ListBlock(blocks.CharBlock(label=_("cell"), max_length=200, required=False), label=_("row")),
        label=_("rows"),
    )

    class Meta:
        icon = "table"
        label = _("Table")
        template = "cms/blocks/table.html"


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(label=_("Paragraph"), icon="pilcrow", features=RICH_TEXT_FEATURES)
    image = ImageBlock()
    quote = QuoteBlock()
    table = TableBlock()


class CaseStudyBodyBlock(BodyBlock):
    before_after = BeforeAfterBlock()


def stream_text(stream) -> str:
    """The readable text of a StreamField value, for the search index and snippets."""
    parts: list[str] = []
    for block in stream or []:
        parts.extend(_block_text(block.block_type, block.value))
    return "\n".join(p for p in parts if p)


def _block_text(block_type: str, value) -> list[str]:
    if block_type == "paragraph":
        return [_plain(value.source)]
    if block_type == "heading":
        return [value.get("text", "")]
    if block_type == "image":
        return [value.get("caption", "")]
    if block_type == "before_after":
        return [value.get("caption", "")]
    if block_type == "quote":
        return [value.get("text", ""), value.get("attribution", "")]
    if block_type == "table":
        cells = [value.get("caption", ""), " ".join(value.get("header", []))]
        cells += [" ".join(c for c in row if c) for row in value.get("rows", [])]
        return cells
    return []


def _plain(rich_text: str) -> str:
    # Block-level tags end a line, so words of two paragraphs do not run together.
    text = (rich_text or "").replace("</p>", "</p>\n").replace("<br/>", "\n").replace("</li>", "</li>\n")
    return html.unescape(strip_tags(text)).strip()


def plain_text(rich_text: str) -> str:
    return _plain(rich_text)
