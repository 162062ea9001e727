"""The name of an estate's manager, for the payee of its fees when payees are first recorded (the demo).

billing does not know who manages an estate: the app that records management arrangements
registers ``register_manager_name`` (estate -> the manager's name, or None when nobody is in charge),
and the estate's own name stands in until it does. Who actually receives each kind of money is
recorded as payees (billing.models.Payee, billing.services.payees).
"""

from __future__ import annotations

from collections.abc import Callable

from estates.models import Estate

ManagerName = Callable[[Estate], str | None]
_manager_name: ManagerName | None = None


def register_manager_name(function: ManagerName) -> None:
    global _manager_name
    _manager_name = function


def manager_name(estate: Estate) -> str:
    """The estate's manager (property firm, service centre, self-governance group), else the estate's name."""
    name = _manager_name(estate) if _manager_name is not None else None
    return name or estate.name
