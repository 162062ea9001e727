"""Sharing an amount among owners by exclusive area, exactly to the fen.

When the owners' assembly decides to share out the net public income (Civil Code Art. 283: by the
proportion of exclusive area unless agreed otherwise), each owner's share is the amount times its
area over the total area, rounded down to the fen; the fen left over go one each to the largest
remainders, ties broken by the key's order, so that the shares always sum exactly to the amount and
the same data always gives the same shares.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import TypeVar

from accounts.errors import refuse

K = TypeVar("K", bound=Hashable)
CENT = Decimal("0.01")


def share_by_weight(amount: Decimal, weights: Mapping[K, Decimal]) -> dict[K, Decimal]:
    """Split ``amount`` (yuan, to the fen) in proportion to ``weights`` (e.g. exclusive areas in m²).

    Art. 283: by exclusive area. The result has one share per key, each to the fen, summing exactly
    to ``amount``; a key with weight 0 gets 0. Refused: a negative or sub-fen amount, a negative
    weight, or weights that are all 0.
    """
    amount = Decimal(amount)
    if amount < 0 or amount != amount.quantize(CENT):
        raise refuse("分配金额必须是不为负、最多两位小数的金额", "The amount to share must be a non-negative amount in fen.")
    if any(Decimal(w) < 0 for w in weights.values()):
        raise refuse("分配依据（面积）不能为负", "A weight (area) cannot be negative.")
    total = sum((Decimal(w) for w in weights.values()), Decimal("0"))
    if total <= 0:
        raise refuse("没有可分配的面积", "There is no area to share by.")
    fen = int(amount / CENT)
    exact = {key: Decimal(fen) * Decimal(weight) / total for key, weight in weights.items()}
    floors = {key: int(value.to_integral_value(rounding=ROUND_DOWN)) for key, value in exact.items()}
    left = fen - sum(floors.values())
    order = sorted(weights, key=lambda key: (-(exact[key] - floors[key]), _sort_key(key)))
    for key in order[:left]:
        floors[key] += 1
    return {key: (Decimal(floors[key]) * CENT).quantize(CENT) for key in weights}


def _sort_key(key) -> tuple:
    return (0, key) if isinstance(key, int | float | Decimal) else (1, str(key))


__all__ = ["share_by_weight"]
