"""Logging in by a one-time code sent by SMS (purpose ``login``), for people whose account has no password — a
tenant whose account was made when their lease was signed. Only existing, active accounts get a code; the sending
is rate-limited by ``accounts.one_time_codes``. Every refusal at the second step reads the same whether or not the
number has an account."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .errors import refuse
from .models import User
from .one_time_codes import code_send, code_verify
from .validators import normalise_mobile, validate_mainland_mobile

PURPOSE = "login"


def _mobile(mobile: str) -> str:
    mobile = normalise_mobile(mobile or "")
    try:
        validate_mainland_mobile(mobile)
    except ValidationError as exc:
        raise ValidationError({"mobile": exc.error_list}) from exc
    return mobile


def login_code_send(*, mobile: str, address: str | None = None) -> None:
    """Text a code to ``mobile`` when it belongs to an active account; silently nothing otherwise (the page says
    the same either way). Refused when the one-time-code limits are reached."""
    mobile = _mobile(mobile)
    if not User.objects.filter(mobile=mobile, is_active=True).exists():
        return
    try:
        code_send(mobile=mobile, purpose=PURPOSE, address=address)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"mobile": exc.error_list}) from exc


def login_code_user(*, mobile: str, code: str) -> User:
    """The active account whose code this is (the code is spent), or a refusal that reads the same for a wrong,
    expired or spent code and for a number without an account."""
    mobile = _mobile(mobile)
    user = User.objects.filter(mobile=mobile, is_active=True).first()
    uniform = refuse(
        "验证码不正确或已失效，请重新获取",
        "The code is not right or no longer valid; ask for a new one.",
        field="code",
        code="code",
    )
    if user is None:
        raise uniform
    try:
        code_verify(mobile=mobile, purpose=PURPOSE, code=code)
    except ValidationError:
        raise uniform from None
    return user
