"""Money in templates: ``{{ amount|rmb }}`` → ¥14,514.13, ``{{ amount|rmb_digits }}`` → 14,514.13, ``{{ amount|rmb_upper }}`` → 壹万肆仟….

All three go through billing.money, so a page, a PDF and an export write the same amount the same way.
"""

from django import template

from billing import money

register = template.Library()


@register.filter
def rmb(amount):
    return money.format_rmb(amount)


@register.filter
def rmb_digits(amount):
    """Without the ¥, for translated sentences whose text already writes it (``¥{{ amount }}``)."""
    return money.format_rmb(amount, symbol=False)


@register.filter
def rmb_upper(amount):
    return "—" if amount is None or amount == "" else money.rmb_upper(amount)
