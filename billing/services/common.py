"""Helpers every billing service uses: amounts as people type them, and who did it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts.errors import refuse

from ..money import quantize

ZERO = Decimal("0.00")


def money_amount(value: Any, *, field: str = "amount") -> Decimal:
    """A Decimal amount with at most two decimals; floats and fractions of a fen are refused."""
    try:
        rounded = quantize(value)
    except TypeError as exc:
        raise refuse("金额必须是十进制数", f"The {field} must be a decimal number, not {type(value).__name__}.") from exc
    except ValueError as exc:
        raise refuse("金额格式不正确", f"The {field} is not a valid amount.") from exc
    if rounded != Decimal(value):
        raise refuse("金额最多两位小数（分）", f"The {field} {value} has more than two decimal places.")
    return rounded


def actor(user: Any) -> Any:
    """The user who acts, or None for the system (a task, the provider, an anonymous caller)."""
    return user if getattr(user, "pk", None) else None
