from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .validators import normalise_mobile


class MobileLoginForm(AuthenticationForm):
    """Log in with a mainland mobile number and a password."""

    username = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "username"}),
    )

    def clean_username(self):
        return normalise_mobile(self.cleaned_data["username"])
