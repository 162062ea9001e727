"""Helpers every billing service uses: amounts as people type them, and who did it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings

from accounts.errors import refuse

from ..money import quantize

ZERO = Decimal("0.00")
T = TypeVar("T")
R = TypeVar("R")


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


def provider_calls(fn: Callable[[T], R], items: Sequence[T]) -> list[R | Exception]:
    """``fn`` for each item — a call to the payment provider, which touches no database — up to
    ``settings.ANJU_PROVIDER_CONCURRENCY`` (8) at once, so that a batch waits for the network about as
    long as for its slowest calls, not for the sum of them. Each result, or the exception its call
    raised, in the items' order."""

    def one(item: T) -> R | Exception:
        try:
            return fn(item)
        except Exception as exc:  # noqa: BLE001 - the caller decides per item
            return exc

    limit = max(1, int(getattr(settings, "ANJU_PROVIDER_CONCURRENCY", 8)))
    if limit == 1 or len(items) < 2:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(limit, len(items)), thread_name_prefix="provider") as pool:
        return list(pool.map(one, items))
