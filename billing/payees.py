"""Whom an owner's money goes to, in words, for the confirmation before Checkout.

billing knows whose money each charge is (``ledger.charge_account``: the manager's fees, the owners'
maintenance fund and public income, the lessor's rent) but not who manages an estate: the app that
records management arrangements registers ``register_manager_name`` (estate -> the manager's name,
or None when nobody is in charge), and the estate's own name stands in until it does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from estates.models import Estate

from .ledger import charge_account
from .models import ACCOUNT_BELONGS_TO, Invoice, MoneyOwner

ManagerName = Callable[[Estate], str | None]
_manager_name: ManagerName | None = None


def register_manager_name(function: ManagerName) -> None:
    global _manager_name
    _manager_name = function


def manager_name(estate: Estate) -> str:
    """The estate's manager (property firm, service centre, self-governance group), else the estate's name."""
    name = _manager_name(estate) if _manager_name is not None else None
    return name or estate.name


def payees_for(invoices: Iterable[Invoice]) -> list[str]:
    """Who receives the money of these bills (one estate's), each named once, in a stable order."""
    invoices = list(invoices)
    if not invoices:
        return []
    estate = invoices[0].estate
    owners = {ACCOUNT_BELONGS_TO.get(charge_account(i.charge_kind), MoneyOwner.MANAGER) for i in invoices}
    names = []
    if MoneyOwner.MANAGER in owners or MoneyOwner.HELD in owners:
        names.append(manager_name(estate))
    if MoneyOwner.OWNERS in owners:
        names.append(
            _("The owners of %(estate)s jointly (maintenance fund / public income), collected by %(manager)s")
            % {"estate": estate.name, "manager": manager_name(estate)}
        )
    if MoneyOwner.LESSORS in owners:
        names.append(_("The lessor of the flat"))
    return names
