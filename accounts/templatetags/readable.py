"""``{{ value|readable }}``: a value as a person reads it (— for nothing, 是/否 for a flag, Beijing time for an instant)."""

from django import template
from django.utils.safestring import SafeData

from accounts.admin_display import readable as _readable

register = template.Library()


@register.filter
def readable(value):
    if isinstance(value, SafeData):  # markup a column already built (links, badges)
        return value
    return _readable(value)
