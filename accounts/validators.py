import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")


def normalise_mobile(value: str) -> str:
    """Strip spaces, dashes and a +86 prefix that people type or paste."""
    value = re.sub(r"[\s-]", "", str(value or ""))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def validate_mainland_mobile(value: str) -> None:
    if not MOBILE_RE.match(normalise_mobile(value)):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits starting with 13–19."),
            code="mobile",
        )


def axes_username(request, credentials) -> str:
    """The login name django-axes counts failures against: the normalised mobile number.

    Login forms post it as "username" (Wagtail's and ours), whatever USERNAME_FIELD says, and
    people type it with spaces or +86; all spellings of one number share one counter.
    """
    value = (credentials or {}).get("username") or getattr(request, "POST", {}).get("username", "")
    return normalise_mobile(value)
