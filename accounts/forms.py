from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

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


class BackOfficeLoginForm(WagtailLoginForm):
    """Wagtail's sign-in form with a translated password label (Wagtail's field has none, so Django
    made "Password" from the field name, in English on the Chinese page)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Password")
