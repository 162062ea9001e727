"""``{{ value|instant }}``: an instant in Beijing time, written as accounts.formats.format_instant writes it."""

from django import template

from accounts.formats import format_instant

register = template.Library()


@register.filter
def instant(value, empty="—"):
    return format_instant(value, empty=empty)
