"""Public income (Civil Code Art. 282) as the public site shows it."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from ..models import PublicIncomeStatement, StatementStatus


def public_income_disclosed() -> Decimal | None:
    """The income (before costs) of every published public income statement, all estates together: what the
    owners were shown they earned from their common parts. A draft or an approved statement not yet
    published does not count. None while nothing is published (the home page then leaves the figure out).
    One query."""
    total = PublicIncomeStatement.objects.filter(status=StatementStatus.PUBLISHED).aggregate(total=Sum("income_total"))["total"]
    return None if total is None else Decimal(total).quantize(Decimal("0.01"))
