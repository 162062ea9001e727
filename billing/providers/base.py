"""The small interface billing needs from an online payment provider.

Stripe is the first provider; a mainland operator will add WeChat Pay and Alipay direct (Stripe
does not onboard merchants registered in mainland China). A provider creates a hosted payment page
for an attempt, verifies and parses the notifications it sends, and refunds. Invoices, payments,
the ledger and receipts never see a provider's own objects: only the plain records below, with
Decimal amounts in yuan (conversion to integer fen happens inside the provider).
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class ProviderError(Exception):
    """The provider could not be reached or refused a request; nothing was changed locally."""


class InvalidNotificationError(ProviderError):
    """A notification whose signature, timestamp or body does not check out. Answer 400, store nothing."""


@dataclass(frozen=True)
class CheckoutLine:
    """One line on the hosted payment page (one bill)."""

    name: str
    amount: Decimal


@dataclass(frozen=True)
class CheckoutRequest:
    """What the provider needs to open a hosted payment page for one PaymentAttempt."""

    attempt_id: int
    amount: Decimal
    currency: str
    lines: list[CheckoutLine]
    success_url: str
    cancel_url: str
    expires_at: datetime.datetime
    description: str = ""


class SessionStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted payment page at the provider, as billing sees it."""

    id: str
    url: str
    status: str  # SessionStatus
    paid: bool
    amount: Decimal | None
    currency: str
    attempt_id: int | None
    provider_payment_id: str = ""  # e.g. Stripe's PaymentIntent: what refunds are made against
    created: datetime.datetime | None = None


@dataclass(frozen=True)
class PaymentDetails:
    """How a paid session was paid: the method (billing.models.PaymentMethod) and when."""

    method: str
    received_at: datetime.datetime
    provider_payment_id: str


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    amount: Decimal
    currency: str
    succeeded: bool
    provider_payment_id: str = ""
    # Refunds Anju makes for money it could not apply carry metadata {"anju_kind": "excess"}.
    metadata: dict = field(default_factory=dict)


class NotificationKind(StrEnum):
    SESSION_COMPLETED = "session_completed"  # the customer finished; paid now or later (async methods)
    SESSION_PAID = "session_paid"  # an async payment succeeded
    SESSION_FAILED = "session_failed"  # an async payment failed
    SESSION_EXPIRED = "session_expired"
    REFUNDED = "refunded"  # money went back (from us or from the provider's dashboard)
    OTHER = "other"  # stored and ignored


@dataclass(frozen=True)
class Notification:
    """A verified notification: its id (stored once), type, and what billing needs from it."""

    id: str
    type: str
    kind: NotificationKind
    created: datetime.datetime | None
    payload: dict
    session: CheckoutSession | None = None
    provider_payment_id: str = ""
    refunds: list[ProviderRefund] = field(default_factory=list)


class PaymentProvider(abc.ABC):
    """A payment provider. Methods make network calls: never call them inside a DB transaction."""

    name: str

    @abc.abstractmethod
    def checkout_create(self, request: CheckoutRequest, *, idempotency_key: str) -> CheckoutSession:
        """Open a hosted payment page for an attempt."""

    @abc.abstractmethod
    def checkout_retrieve(self, session_id: str) -> CheckoutSession: ...

    @abc.abstractmethod
    def checkout_cancel(self, session_id: str) -> CheckoutSession:
        """Close an open payment page so it can no longer be paid; returns the session as it is now."""

    @abc.abstractmethod
    def checkout_list(self, *, since: datetime.datetime) -> Iterable[CheckoutSession]:
        """Every session created since ``since`` (for reconciliation)."""

    @abc.abstractmethod
    def payment_details(self, session: CheckoutSession) -> PaymentDetails:
        """The method and time of a paid session's payment."""

    @abc.abstractmethod
    def notification_verify(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Check the signature against the raw body and parse it; raise InvalidNotificationError."""

    @abc.abstractmethod
    def notification_parse(self, payload: dict) -> Notification:
        """Parse a stored (already verified) notification again, e.g. in the task that handles it."""

    @abc.abstractmethod
    def refund_create(
        self, *, provider_payment_id: str, amount: Decimal, reason: str, idempotency_key: str, metadata: dict | None = None
    ) -> ProviderRefund:
        """Give money back; ``reason`` is "duplicate" or "requested_by_customer"."""

    @abc.abstractmethod
    def refunds_list(self, *, provider_payment_id: str) -> list[ProviderRefund]: ...
