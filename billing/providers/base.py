"""The small interface billing needs from an online payment provider.

Stripe is the first provider; a mainland operator will add WeChat Pay and Alipay direct (Stripe
does not onboard merchants registered in mainland China). A provider creates a hosted payment page
for an attempt, verifies and parses the notifications it sends, and refunds. Invoices, payments,
the ledger and receipts never see a provider's own objects: only the plain records below, with
Decimal amounts in yuan (conversion to integer fen happens inside the provider).

Money reaches its owner (docs/payments.md): each payee (the manager, the owners jointly, a lessor)
has an account at the provider (``PayeeAccount``). The owner pays the platform once; after the
payment, one transfer per payee moves that payee's share to its account, tied to the payment
(``source_payment_id``) and to the attempt (``transfer_group``); a refund reverses the transfer of
the payee whose bill is refunded. Stripe implements this with Connect (connected accounts through
Account Links, separate charges and transfers, transfer reversals). A second provider implements
the same methods; for WeChat Pay or Alipay in partner (service-provider) mode:

* ``payee_account_create`` / ``payee_onboarding_link`` / ``payee_account_retrieve``: the payee's
  sub-merchant (特约商户, ``sub_mchid``) applied for through the partner's onboarding (进件) and
  its state (``charges_enabled`` when the sub-merchant may collect);
* ``checkout_create``: an order placed for the platform with profit sharing (分账) enabled;
* ``transfer_create``: a profit-sharing order (分账请求) to the payee's sub-merchant;
* ``transfer_reverse``: a profit-sharing return (分账回退) before the refund;
* ``transfers_list``: the profit-sharing records (分账查询), for reconciliation;
* notifications: the sub-merchant's state and the profit-sharing results, as ``ACCOUNT_UPDATED``,
  ``TRANSFER`` and ``TRANSFER_REVERSED``.
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
    # Ties the payment to the transfers made from it, one per payee (Stripe: transfer_group).
    transfer_group: str = ""


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
    # The charge the money arrived in: what transfers to payees are made from (Stripe: source_transaction).
    provider_charge_id: str = ""


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    amount: Decimal
    currency: str
    succeeded: bool
    provider_payment_id: str = ""
    # Refunds Anju makes for money it could not apply carry metadata {"anju_kind": "excess"}.
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PayeeAccount:
    """A payee's account at the provider (a Stripe connected account) and whether it can take money."""

    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool = False
    # For a deleted or rejected account (account.application.deauthorized, rejected): not usable.
    disabled_reason: str = ""


@dataclass(frozen=True)
class ProviderReversal:
    id: str
    transfer_id: str
    amount: Decimal
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderTransfer:
    """Money moved from the platform to a payee's account."""

    id: str
    amount: Decimal
    currency: str
    destination: str
    transfer_group: str = ""
    source_payment_id: str = ""  # the charge it was made from
    amount_reversed: Decimal = Decimal("0.00")
    reversals: list[ProviderReversal] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    created: datetime.datetime | None = None


class NotificationKind(StrEnum):
    SESSION_COMPLETED = "session_completed"  # the customer finished; paid now or later (async methods)
    SESSION_PAID = "session_paid"  # an async payment succeeded
    SESSION_FAILED = "session_failed"  # an async payment failed
    SESSION_EXPIRED = "session_expired"
    REFUNDED = "refunded"  # money went back (from us or from the provider's dashboard)
    ACCOUNT_UPDATED = "account_updated"  # a payee's account changed (can it take payments now?)
    TRANSFER = "transfer"  # a transfer to a payee was made or changed
    TRANSFER_REVERSED = "transfer_reversed"  # (part of) a transfer came back from the payee
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
    account: PayeeAccount | None = None
    transfer: ProviderTransfer | None = None


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

    # -- payees and the transfers to them ----------------------------------------------------------

    @abc.abstractmethod
    def payee_account_create(self, *, name: str, idempotency_key: str) -> PayeeAccount:
        """Open an account for a payee that has none yet (it completes it through onboarding)."""

    @abc.abstractmethod
    def payee_onboarding_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        """A one-time URL where the payee's representative completes the account (Stripe: an Account Link)."""

    @abc.abstractmethod
    def payee_account_retrieve(self, account_id: str) -> PayeeAccount: ...

    @abc.abstractmethod
    def transfer_create(
        self,
        *,
        amount: Decimal,
        currency: str,
        destination: str,
        source_payment_id: str,
        transfer_group: str,
        metadata: dict,
        idempotency_key: str,
    ) -> ProviderTransfer:
        """Move a payee's share of a payment to its account."""

    @abc.abstractmethod
    def transfer_reverse(self, *, transfer_id: str, amount: Decimal, metadata: dict, idempotency_key: str) -> ProviderReversal:
        """Take (part of) a transfer back from the payee, e.g. before its bill is refunded."""

    @abc.abstractmethod
    def transfers_list(self, *, since: datetime.datetime) -> Iterable[ProviderTransfer]:
        """Every transfer made since ``since``, with its reversals (for reconciliation)."""
