"""The house format for errors people read: Chinese first, then English, in one ValidationError.

Every app raises its refusals through ``refuse`` so that a form, a view or a command shows the same
kind of message; no app keeps its own copy of these helpers.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


def bilingual(zh: str, en: str) -> str:
    """``中文 / English``: staff and owners read the Chinese, an English-speaking admin the rest."""
    return f"{zh} / {en}"


def refuse(zh: str, en: str, *, field: str | None = None, code: str = "invalid") -> ValidationError:
    """A ValidationError to ``raise``; with ``field`` it is attached to that form field."""
    error = ValidationError(bilingual(zh, en), code=code)
    return ValidationError({field: error}) if field else error
