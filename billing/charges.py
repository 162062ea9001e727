"""Charge kinds: what a bill is for, whose money it is, and how its number starts.

billing registers its own kinds (the property service fee, the maintenance-fund contribution, other
charges); an app that bills something of its own (parking permits, shop rent, flat rent) registers
its kinds in its ``AppConfig.ready()``, so billing never names them. Each kind says which ledger
account its money belongs to (Civil Code Arts. 281, 282: the owners' maintenance fund and public
income are not the manager's fee income). A registration naming an account that does not exist
stops the start-up (ImproperlyConfigured); a bill of a kind nobody registered is refused.

The codes are what ``Invoice.charge_kind`` and ``Tariff.charge_kind`` store; their choices come from
this registry (``charge_kind_choices``), so existing rows keep their values.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

from accounts.errors import refuse

# billing.models takes its field choices from here, so this module reads the models' choices late.
PER_M2_MONTH, FIXED_MONTH = "per_m2_month", "fixed_month"  # TariffBasis values


@dataclass(frozen=True)
class ChargeKindSpec:
    """One registered charge kind."""

    code: str
    label: str | Promise
    account: str  # an AccountKind: whose money the charge is
    number_prefix: str  # the first letters of a bill number, e.g. "PF" for PF202611-12-4711
    basis: str = FIXED_MONTH  # the default basis of the kind's tariffs


_KINDS: dict[str, ChargeKindSpec] = {}


def register_charge_kind(
    code: str, *, label: str | Promise, account: str, number_prefix: str, basis: str = FIXED_MONTH
) -> ChargeKindSpec:
    """Declare a charge kind once, from its app's ``ready()``. Registering the same kind again is harmless;
    a different kind under a taken code or prefix, or an unknown account or basis, fails at start-up."""
    from .models import AccountKind, TariffBasis

    code, account, basis = str(code), str(account), str(basis)  # plain values, not the enum members
    if account not in AccountKind.values:
        raise ImproperlyConfigured(f"charge kind {code!r}: no ledger account kind {account!r} (see billing.models.AccountKind)")
    if basis not in TariffBasis.values:
        raise ImproperlyConfigured(f"charge kind {code!r}: no tariff basis {basis!r}")
    if not code or len(code) > 30:
        raise ImproperlyConfigured(f"charge kind {code!r}: a code has 1 to 30 characters")
    if not number_prefix.isalpha() or not number_prefix.isupper() or len(number_prefix) > 4:
        raise ImproperlyConfigured(f"charge kind {code!r}: the number prefix {number_prefix!r} must be 1–4 capital letters")
    spec = ChargeKindSpec(code=code, label=label, account=account, number_prefix=number_prefix, basis=basis)
    known = _KINDS.get(code)
    if known is not None and known != spec:
        raise ImproperlyConfigured(f"charge kind {code!r} is already registered differently")
    clash = next((k.code for k in _KINDS.values() if k.number_prefix == number_prefix and k.code != code), None)
    if clash:
        raise ImproperlyConfigured(f"charge kind {code!r}: number prefix {number_prefix!r} is taken by {clash!r}")
    _KINDS[code] = spec
    return spec


def unregister_charge_kind(code: str) -> None:
    """For tests that register a kind of their own."""
    _KINDS.pop(code, None)


def charge_kinds() -> list[ChargeKindSpec]:
    return list(_KINDS.values())


def charge_kind(code: str) -> ChargeKindSpec:
    """The registered kind, or a ValidationError (Chinese, then English) for a code nobody registered."""
    try:
        return _KINDS[code]
    except KeyError:
        raise refuse("未知的收费项目", f"Unknown charge {code!r}.", code="charge_kind") from None


def charge_kind_choices() -> list[tuple[str, str | Promise]]:
    """The choices of the ``charge_kind`` fields: every registered kind (evaluated when used, not at import)."""
    return [(k.code, k.label) for k in _KINDS.values()]


def charge_kind_label(code: str) -> str:
    spec = _KINDS.get(code)
    return str(spec.label) if spec else code


def is_charge_kind(code: object) -> bool:
    return isinstance(code, str) and code in _KINDS


def register_billing_charge_kinds() -> None:
    """billing's own kinds (called from BillingConfig.ready)."""
    from .models import AccountKind, ChargeKind

    register_charge_kind(
        ChargeKind.PROPERTY_FEE,
        label=ChargeKind.PROPERTY_FEE.label,
        account=AccountKind.FEE_INCOME,
        number_prefix="PF",
        basis=PER_M2_MONTH,
    )
    # 专项维修资金 belongs to the owners (Civil Code Art. 281): the estate's maintenance fund.
    register_charge_kind(
        ChargeKind.MAINTENANCE_FUND,
        label=ChargeKind.MAINTENANCE_FUND.label,
        account=AccountKind.MAINTENANCE_FUND,
        number_prefix="MF",
        basis=PER_M2_MONTH,
    )
    register_charge_kind(ChargeKind.OTHER, label=ChargeKind.OTHER.label, account=AccountKind.FEE_INCOME, number_prefix="OT")
