"""Payment providers behind one interface (see base.py). ``get_provider("stripe")`` gives the configured one."""

from __future__ import annotations

from collections.abc import Callable

from .base import (
    CheckoutLine,
    CheckoutRequest,
    CheckoutSession,
    InvalidNotificationError,
    Notification,
    NotificationKind,
    PayeeAccount,
    PaymentDetails,
    PaymentProvider,
    ProviderError,
    ProviderRefund,
    ProviderReversal,
    ProviderTransfer,
)

__all__ = [
    "CheckoutLine",
    "CheckoutRequest",
    "CheckoutSession",
    "InvalidNotificationError",
    "Notification",
    "NotificationKind",
    "PayeeAccount",
    "PaymentDetails",
    "PaymentProvider",
    "ProviderError",
    "ProviderRefund",
    "ProviderReversal",
    "ProviderTransfer",
    "get_provider",
    "register_provider",
]

_factories: dict[str, Callable[[], PaymentProvider]] = {}


def register_provider(name: str, factory: Callable[[], PaymentProvider]) -> None:
    _factories[name] = factory


def get_provider(name: str = "stripe") -> PaymentProvider:
    """A provider built from the current settings (cheap: no network until a method is called)."""
    if name == "stripe" and name not in _factories:
        from .stripe import StripeProvider

        register_provider("stripe", StripeProvider.from_settings)
    try:
        factory = _factories[name]
    except KeyError:
        raise ProviderError(f"Unknown payment provider {name!r}.") from None
    return factory()
