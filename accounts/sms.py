"""Sending text messages: a pluggable backend (``ANJU_SMS_BACKEND``, a dotted path to a class with
``send(*, phone, message)``). The default writes to the log: no SMS contract is configured in this repository;
production names the provider's backend in the settings."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ConsoleSmsBackend:
    """Writes the message to the log (with the number masked) instead of sending it."""

    sent: list[tuple[str, str]] = []

    def send(self, *, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "?", message)
        ConsoleSmsBackend.sent.append((phone, message))


def sms_backend():
    return import_string(getattr(settings, "ANJU_SMS_BACKEND", "accounts.sms.ConsoleSmsBackend"))()
