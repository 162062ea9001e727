"""One-time codes by SMS: proving that a person holds a mobile number (e.g. a rental applicant without an account).

``code_send(mobile=, purpose=, address=)`` sends a 6-digit code valid ``ANJU_OTP_MINUTES`` (10) minutes, refused
when the number asked less than ``ANJU_OTP_RESEND_SECONDS`` (60) ago, or asked ``ANJU_OTP_PER_NUMBER_HOUR`` (5)
times in the last hour, or the address asked ``ANJU_OTP_PER_ADDRESS_HOUR`` (20) times in the last hour (someone
sending codes to many numbers). ``code_verify(mobile=, purpose=, code=)`` accepts the latest unexpired, unused code
of that number and purpose once; ``ANJU_OTP_TRIES`` (5) wrong tries spend it. Only a keyed hash (HMAC-SHA256 with
the secret key) is stored, compared in constant time. Messages are Chinese first, then English.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .errors import refuse
from .models import OneTimeCode
from .sms import sms_backend
from .validators import normalise_mobile, validate_mainland_mobile


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _hash(*, mobile: str, purpose: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{purpose}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def _mobile(mobile: str) -> str:
    mobile = normalise_mobile(mobile or "")
    validate_mainland_mobile(mobile)
    return mobile


@transaction.atomic
def code_send(*, mobile: str, purpose: str, address: str | None = None, now: datetime.datetime | None = None) -> OneTimeCode:
    """Send a new code to ``mobile`` for ``purpose``; refused (nothing sent) when the limits above are reached."""
    mobile = _mobile(mobile)
    now = now or timezone.now()
    hour_ago = now - datetime.timedelta(hours=1)
    recent = OneTimeCode.objects.filter(mobile=mobile, created_at__gte=hour_ago)
    latest = recent.order_by("-created_at").first()
    if latest is not None and (now - latest.created_at).total_seconds() < _setting("ANJU_OTP_RESEND_SECONDS", 60):
        raise refuse(
            "验证码已发送，请稍候再试", "A code was sent a moment ago; wait a minute before asking again.", code="too_soon"
        )
    if recent.count() >= _setting("ANJU_OTP_PER_NUMBER_HOUR", 5):
        raise refuse(
            "该号码一小时内获取验证码次数过多，请稍后再试",
            "Too many codes for this number this hour; try later.",
            code="number_limit",
        )
    if address and OneTimeCode.objects.filter(address=address, created_at__gte=hour_ago).count() >= _setting(
        "ANJU_OTP_PER_ADDRESS_HOUR", 20
    ):
        raise refuse(
            "请求过于频繁，请稍后再试", "Too many codes were asked from your network this hour; try later.", code="address_limit"
        )
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = _setting("ANJU_OTP_MINUTES", 10)
    row = OneTimeCode.objects.create(
        mobile=mobile,
        purpose=purpose,
        code_hash=_hash(mobile=mobile, purpose=purpose, code=code),
        address=address or None,
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=minutes),
    )
    sms_backend().send(phone=mobile, message=f"【安居】您的验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。")
    return row


def code_verify(*, mobile: str, purpose: str, code: str, now: datetime.datetime | None = None) -> None:
    """Accept the code once, or refuse: no code sent, expired, spent by wrong tries, used, or wrong. A wrong try
    is counted (and kept) before the refusal."""
    mobile = _mobile(mobile)
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(mobile=mobile, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise refuse("请先获取验证码", "Ask for a code first.", field="code", code="no_code")
        if now >= row.expires_at:
            raise refuse("验证码已过期，请重新获取", "The code has expired; ask for a new one.", field="code", code="expired")
        if row.tries >= _setting("ANJU_OTP_TRIES", 5):
            raise refuse(
                "验证码错误次数过多，请重新获取", "Too many wrong tries; ask for a new code.", field="code", code="spent"
            )
        given = "".join(ch for ch in (code or "") if ch.isdigit())
        right = hmac.compare_digest(row.code_hash, _hash(mobile=mobile, purpose=purpose, code=given))
        if right:
            OneTimeCode.objects.filter(pk=row.pk).update(used_at=now)
        else:
            OneTimeCode.objects.filter(pk=row.pk).update(tries=F("tries") + 1)
    if not right:
        raise refuse("验证码不正确", "The code is not right.", field="code", code="wrong")
