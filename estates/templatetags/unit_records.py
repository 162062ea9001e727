"""``{{ unit|unit_record_link }}``: the unit as building-entrance-number, linking to its back-office record."""

from django import template

from estates.unit_record import unit_record_link as _link

register = template.Library()


@register.filter
def unit_record_link(unit, text=None):
    return _link(unit, text)
