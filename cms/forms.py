from django import forms
from django.utils.translation import gettext_lazy as _

from .search import MAX_QUERY_LENGTH


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the site"),
        max_length=MAX_QUERY_LENGTH * 2,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. 加装电梯, 公共收益")}),
    )
