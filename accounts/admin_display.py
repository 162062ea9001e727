"""How back-office (Wagtail) inspect pages write a field's value for people.

Wagtail writes ``{{ value|localize }}``: an aware datetime comes out in UTC (the filter runs before
the template's time-zone conversion), and an empty field or a flag comes out as ``None``/``True``.
These display classes are registered for every model field in accounts.apps.
"""

import datetime

from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from .formats import format_instant


def readable(value) -> str:
    """A field value as a person reads it: ``—`` for nothing, 是/否 for a flag, Beijing time for an instant."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return format_instant(value)
    return str(localize(value))


class ReadableDisplay(Component):
    """Wagtail display class: the value through ``readable``."""

    def __init__(self, value):
        self.value = value

    def render_html(self, parent_context=None):
        return format_html("{}", readable(self.value))
