"""Stripe Checkout behind billing's PaymentProvider interface.

The client is ``stripe.StripeClient(api_key, http_client=…, base_addresses={"api": STRIPE_API_BASE})``
so that tests and staging point it at a local fake (no stripe-mock is installable here). The
library pins API version 2026-10-28.endive: Checkout Sessions take ``allowed_payment_method_types``
(there is no ``payment_method_types`` parameter any more) and WeChat Pay needs
``payment_method_options[wechat_pay][client]`` ("web" for browsers).

Payees are Stripe Connect connected accounts, paid with "separate charges and transfers": the owner
pays the platform once through Checkout (the PaymentIntent carries ``transfer_group``
"attempt-N"), then one Transfer per payee is made from the charge (``source_transaction``); a
refund reverses the transfer of the payee whose bill is refunded. Accounts are created with a
``controller`` (Express Dashboard, the platform pays the fees and bears the losses, Stripe collects
the requirements through Account Links) rather than the deprecated ``type``.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal

import stripe
from django.conf import settings
from django.utils import timezone
from stripe.params import (
    AccountCreateParams,
    AccountCreateParamsController,
    AccountLinkCreateParams,
    RefundCreateParams,
    TransferCreateParams,
    TransferListParams,
    TransferReversalCreateParams,
)
from stripe.params.checkout import SessionCreateParams

from billing.models import PaymentMethod
from billing.money import from_fen, to_fen

from .base import (
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

logger = logging.getLogger(__name__)

# The payment methods owners may use, as Stripe names them.
ALLOWED_METHOD_TYPES = ["card", "alipay", "wechat_pay"]
# What a Stripe charge's payment_method_details.type means for our books ("link" pays by card).
METHOD_FROM_STRIPE = {
    "card": PaymentMethod.CARD,
    "link": PaymentMethod.CARD,
    "alipay": PaymentMethod.ALIPAY,
    "wechat_pay": PaymentMethod.WECHAT_PAY,
}
# A signed notification older than this is refused (replay protection), as Stripe recommends.
SIGNATURE_TOLERANCE_SECONDS = 300

SESSION_EVENTS = {
    "checkout.session.completed": NotificationKind.SESSION_COMPLETED,
    "checkout.session.async_payment_succeeded": NotificationKind.SESSION_PAID,
    "checkout.session.async_payment_failed": NotificationKind.SESSION_FAILED,
    "checkout.session.expired": NotificationKind.SESSION_EXPIRED,
}
# Events about transfers to payees (the event's object is the transfer, with its reversals).
TRANSFER_EVENTS = {
    "transfer.created": NotificationKind.TRANSFER,
    "transfer.updated": NotificationKind.TRANSFER,
    "transfer.reversed": NotificationKind.TRANSFER_REVERSED,
}
# How connected accounts are made: the Express Dashboard for the payee, Stripe collects what the law
# asks for (through Account Links), the platform pays Stripe's fees and bears negative balances.
ACCOUNT_CONTROLLER: AccountCreateParamsController = {
    "stripe_dashboard": {"type": "express"},
    "fees": {"payer": "application"},
    "losses": {"payments": "application"},
    "requirement_collection": "stripe",
}

# Tests put a fake stripe.HTTPClient here; None means the library's default (requests).
HTTP_CLIENT: stripe.HTTPClient | None = None

_clients: dict[tuple, stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def _client_for(api_key: str, api_base: str, http_client: stripe.HTTPClient | None) -> stripe.StripeClient:
    """One StripeClient per configuration, shared by threads (it keeps its HTTP connection pool)."""
    key = (api_key, api_base, id(http_client))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = stripe.StripeClient(
                api_key,
                http_client=http_client or stripe.RequestsClient(timeout=30),
                base_addresses={"api": api_base},
                max_network_retries=2,
            )
            _clients[key] = client
        return client


def _dt(timestamp) -> datetime.datetime | None:
    if timestamp in (None, ""):
        return None
    return datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)


def _id_of(value) -> str:
    """An expandable field: either the id or the expanded object."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def _attempt_id(session: Mapping) -> int | None:
    raw = (session.get("metadata") or {}).get("attempt_id") or ""
    if not raw and str(session.get("client_reference_id") or "").startswith("attempt-"):
        raw = session["client_reference_id"].removeprefix("attempt-")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def session_from_stripe(data: Mapping) -> CheckoutSession:
    amount = data.get("amount_total")
    return CheckoutSession(
        id=str(data["id"]),
        url=str(data.get("url") or ""),
        status=str(data.get("status") or ""),
        paid=data.get("payment_status") in ("paid", "no_payment_required"),
        amount=from_fen(int(amount)) if amount is not None else None,
        currency=str(data.get("currency") or "").lower(),
        attempt_id=_attempt_id(data),
        provider_payment_id=_id_of(data.get("payment_intent")),
        created=_dt(data.get("created")),
    )


def refund_from_stripe(data: Mapping) -> ProviderRefund:
    return ProviderRefund(
        id=str(data["id"]),
        amount=from_fen(int(data.get("amount") or 0)),
        currency=str(data.get("currency") or "").lower(),
        succeeded=data.get("status") == "succeeded",
        provider_payment_id=_id_of(data.get("payment_intent")),
        metadata=dict(data.get("metadata") or {}),
    )


def account_from_stripe(data: Mapping) -> PayeeAccount:
    """A Stripe connected account (``account`` object) as billing sees it."""
    requirements = data.get("requirements") or {}
    return PayeeAccount(
        id=str(data["id"]),
        charges_enabled=bool(data.get("charges_enabled")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        details_submitted=bool(data.get("details_submitted")),
        disabled_reason=str(requirements.get("disabled_reason") or ""),
    )


def reversal_from_stripe(data: Mapping, *, transfer_id: str = "") -> ProviderReversal:
    """A ``transfer_reversal`` object; ``transfer_id`` is used when the reversal does not name its transfer."""
    return ProviderReversal(
        id=str(data["id"]),
        transfer_id=_id_of(data.get("transfer")) or transfer_id,
        amount=from_fen(int(data.get("amount") or 0)),
        metadata=dict(data.get("metadata") or {}),
    )


def transfer_from_stripe(data: Mapping) -> ProviderTransfer:
    """A ``transfer`` object with the reversals it embeds (Stripe embeds the 10 most recent ones)."""
    transfer_id = str(data["id"])
    reversals = (data.get("reversals") or {}).get("data") or []
    return ProviderTransfer(
        id=transfer_id,
        amount=from_fen(int(data.get("amount") or 0)),
        currency=str(data.get("currency") or "").lower(),
        destination=_id_of(data.get("destination")),
        transfer_group=str(data.get("transfer_group") or ""),
        source_payment_id=_id_of(data.get("source_transaction")),
        amount_reversed=from_fen(int(data.get("amount_reversed") or 0)),
        reversals=[reversal_from_stripe(r, transfer_id=transfer_id) for r in reversals],
        metadata=dict(data.get("metadata") or {}),
        created=_dt(data.get("created")),
    )


def _metadata(metadata: Mapping | None) -> dict[str, str]:
    """Stripe metadata: string keys and values. Empty values are left out: Stripe reads an empty value
    as "unset this key", so it would not be stored anyway."""
    return {str(k): str(v) for k, v in (metadata or {}).items() if v is not None and str(v) != ""}


def _refused(what: str, exc: stripe.StripeError) -> ProviderError:
    """A ProviderError carrying Stripe's own message (``user_message`` is the API's error message)."""
    return ProviderError(f"Stripe refused {what}: {exc.user_message or exc}")


def _as_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str,
        api_base: str,
        webhook_secret: str,
        http_client: stripe.HTTPClient | None = None,
        connect_webhook_secret: str = "",
    ):
        self.api_key = api_key
        self.api_base = api_base
        self.webhook_secret = webhook_secret
        # Stripe sends events about connected accounts (account.updated, …) to a Connect endpoint,
        # which has its own signing secret; both endpoints may point at the same webhook URL.
        self.connect_webhook_secret = connect_webhook_secret
        self.http_client = http_client

    @classmethod
    def from_settings(cls) -> StripeProvider:
        return cls(
            api_key=settings.STRIPE_SECRET_KEY,
            api_base=settings.STRIPE_API_BASE,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            connect_webhook_secret=getattr(settings, "STRIPE_CONNECT_WEBHOOK_SECRET", ""),
            http_client=HTTP_CLIENT,
        )

    @property
    def client(self) -> stripe.StripeClient:
        if not self.api_key:
            raise ProviderError("STRIPE_SECRET_KEY is not set.")
        return _client_for(self.api_key, self.api_base, self.http_client)

    # -- hosted payment page -------------------------------------------------------------------

    def checkout_params(self, request: CheckoutRequest) -> SessionCreateParams:
        """The Checkout Session request (checked in tests against stripe.params.checkout.SessionCreateParams)."""
        currency = request.currency.lower()
        metadata = {"attempt_id": str(request.attempt_id)}
        return {
            "mode": "payment",
            "currency": currency,
            "allowed_payment_method_types": list(ALLOWED_METHOD_TYPES),
            "payment_method_options": {"wechat_pay": {"client": "web"}},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": to_fen(line.amount),
                        "product_data": {"name": line.name[:250]},
                    },
                }
                for line in request.lines
            ],
            "metadata": metadata,
            "client_reference_id": f"attempt-{request.attempt_id}",
            "payment_intent_data": {
                "metadata": metadata,
                **({"description": request.description} if request.description else {}),
                **({"transfer_group": request.transfer_group} if request.transfer_group else {}),
            },
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(request.expires_at.timestamp()),
        }

    def checkout_create(self, request: CheckoutRequest, *, idempotency_key: str) -> CheckoutSession:
        params = self.checkout_params(request)
        try:
            session = self.client.v1.checkout.sessions.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe refused the Checkout Session: {exc.user_message or exc}") from exc
        result = session_from_stripe(_as_dict(session))
        expected = to_fen(request.amount)
        if result.amount is not None and to_fen(result.amount) != expected:
            raise ProviderError(f"Stripe priced the session at {result.amount}, expected {request.amount}.")
        return result

    def checkout_retrieve(self, session_id: str) -> CheckoutSession:
        try:
            return session_from_stripe(_as_dict(self.client.v1.checkout.sessions.retrieve(session_id)))
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    def checkout_cancel(self, session_id: str) -> CheckoutSession:
        try:
            return session_from_stripe(_as_dict(self.client.v1.checkout.sessions.expire(session_id)))
        except stripe.InvalidRequestError:
            # Only an open session can be expired: it is complete or expired already; say which.
            return self.checkout_retrieve(session_id)
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    def checkout_list(self, *, since: datetime.datetime) -> Iterable[CheckoutSession]:
        try:
            page = self.client.v1.checkout.sessions.list(params={"created": {"gte": int(since.timestamp())}, "limit": 100})
            for session in page.auto_paging_iter():
                yield session_from_stripe(_as_dict(session))
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    def payment_details(self, session: CheckoutSession) -> PaymentDetails:
        if not session.provider_payment_id:
            raise ProviderError(f"Session {session.id} has no payment intent.")
        try:
            intent = _as_dict(
                self.client.v1.payment_intents.retrieve(session.provider_payment_id, params={"expand": ["latest_charge"]})
            )
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        charge = intent.get("latest_charge")
        charge_id = _id_of(charge)
        charge = charge if isinstance(charge, Mapping) else {}
        kind = (charge.get("payment_method_details") or {}).get("type") or ""
        if not kind and len(intent.get("payment_method_types") or []) == 1:
            kind = intent["payment_method_types"][0]
        try:
            method = METHOD_FROM_STRIPE[kind]
        except KeyError:
            raise ProviderError(f"Session {session.id} was paid with an unexpected method {kind!r}.") from None
        received_at = _dt(charge.get("created")) or _dt(intent.get("created")) or timezone.now()
        return PaymentDetails(
            method=method,
            received_at=received_at,
            provider_payment_id=session.provider_payment_id,
            provider_charge_id=charge_id,
        )

    # -- notifications ---------------------------------------------------------------------------

    def notification_verify(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        if not self.webhook_secret:
            logger.error("STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook is refused.")
            raise InvalidNotificationError("webhook secret not configured")
        secrets = [secret for secret in (self.webhook_secret, self.connect_webhook_secret) if secret]
        for number, secret in enumerate(secrets, start=1):
            try:
                stripe.WebhookSignature.verify_header(
                    body, headers.get("Stripe-Signature"), secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
                )
                break
            except stripe.SignatureVerificationError as exc:
                if number == len(secrets):
                    raise InvalidNotificationError(str(exc)) from exc
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidNotificationError(str(exc)) from exc
        if not isinstance(payload, dict) or payload.get("object") != "event" or not payload.get("id") or not payload.get("type"):
            raise InvalidNotificationError("not a Stripe event")
        return self.notification_parse(payload)

    def notification_parse(self, payload: dict) -> Notification:
        event_type = str(payload["type"])
        obj = (payload.get("data") or {}).get("object") or {}
        event_id, created = str(payload["id"]), _dt(payload.get("created"))
        if event_type in SESSION_EVENTS and obj.get("object") == "checkout.session":
            session = session_from_stripe(obj)
            return Notification(
                id=event_id,
                type=event_type,
                created=created,
                payload=payload,
                kind=SESSION_EVENTS[event_type],
                session=session,
                provider_payment_id=session.provider_payment_id,
            )
        if event_type == "charge.refunded" and obj.get("object") == "charge":
            refunds = [refund_from_stripe(r) for r in ((obj.get("refunds") or {}).get("data") or [])]
            return Notification(
                id=event_id,
                type=event_type,
                created=created,
                payload=payload,
                kind=NotificationKind.REFUNDED,
                provider_payment_id=_id_of(obj.get("payment_intent")),
                refunds=refunds,
            )
        if event_type == "account.updated" and obj.get("object") == "account":
            return Notification(
                id=event_id,
                type=event_type,
                created=created,
                payload=payload,
                kind=NotificationKind.ACCOUNT_UPDATED,
                account=account_from_stripe(obj),
            )
        if event_type in TRANSFER_EVENTS and obj.get("object") == "transfer":
            return Notification(
                id=event_id,
                type=event_type,
                created=created,
                payload=payload,
                kind=TRANSFER_EVENTS[event_type],
                transfer=transfer_from_stripe(obj),
            )
        return Notification(id=event_id, type=event_type, created=created, payload=payload, kind=NotificationKind.OTHER)

    # -- refunds ---------------------------------------------------------------------------------

    def refund_create(
        self, *, provider_payment_id: str, amount: Decimal, reason: str, idempotency_key: str, metadata: dict | None = None
    ) -> ProviderRefund:
        params: RefundCreateParams = {
            "payment_intent": provider_payment_id,
            "amount": to_fen(amount),
            "reason": reason if reason in ("duplicate", "fraudulent", "requested_by_customer") else "requested_by_customer",
        }
        if metadata:
            params["metadata"] = {str(k): str(v) for k, v in metadata.items()}
        try:
            refund = self.client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe refused the refund: {exc.user_message or exc}") from exc
        return refund_from_stripe(_as_dict(refund))

    def refunds_list(self, *, provider_payment_id: str) -> list[ProviderRefund]:
        try:
            page = self.client.v1.refunds.list(params={"payment_intent": provider_payment_id, "limit": 100})
            return [refund_from_stripe(_as_dict(r)) for r in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    # -- payees (connected accounts) -------------------------------------------------------------

    def payee_account_create(self, *, name: str, idempotency_key: str) -> PayeeAccount:
        """A connected account in the platform's country, to be completed through onboarding."""
        params: AccountCreateParams = {
            "controller": ACCOUNT_CONTROLLER,
            "capabilities": {"transfers": {"requested": True}},
            "business_profile": {"name": name[:100]},
            "metadata": {"anju": "payee"},
        }
        try:
            account = self.client.v1.accounts.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _refused("the connected account", exc) from exc
        return account_from_stripe(_as_dict(account))

    def payee_onboarding_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        """An Account Link: single use and short-lived, so one is made each time the payee starts."""
        params: AccountLinkCreateParams = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
        try:
            link = self.client.v1.account_links.create(params=params)
        except stripe.StripeError as exc:
            raise _refused("the onboarding link", exc) from exc
        return str(link["url"])

    def payee_account_retrieve(self, account_id: str) -> PayeeAccount:
        try:
            return account_from_stripe(_as_dict(self.client.v1.accounts.retrieve(account_id)))
        except stripe.StripeError as exc:
            raise _refused(f"the connected account {account_id}", exc) from exc

    # -- transfers to payees ---------------------------------------------------------------------

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
        """A Transfer from the charge ``source_payment_id`` (so it waits for that charge's funds)."""
        params: TransferCreateParams = {
            "amount": to_fen(amount),
            "currency": currency.lower(),
            "destination": destination,
        }
        if source_payment_id:
            params["source_transaction"] = source_payment_id
        if transfer_group:
            params["transfer_group"] = transfer_group
        if sent_metadata := _metadata(metadata):
            params["metadata"] = sent_metadata
        try:
            transfer = self.client.v1.transfers.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _refused("the transfer", exc) from exc
        return transfer_from_stripe(_as_dict(transfer))

    def transfer_reverse(self, *, transfer_id: str, amount: Decimal, metadata: dict, idempotency_key: str) -> ProviderReversal:
        params: TransferReversalCreateParams = {"amount": to_fen(amount)}
        if sent_metadata := _metadata(metadata):
            params["metadata"] = sent_metadata
        try:
            reversal = self.client.v1.transfers.reversals.create(
                transfer_id, params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _refused(f"the reversal of transfer {transfer_id}", exc) from exc
        return reversal_from_stripe(_as_dict(reversal), transfer_id=transfer_id)

    def transfers_list(self, *, since: datetime.datetime) -> Iterable[ProviderTransfer]:
        """Every transfer created since ``since``, each with all its reversals (paged when Stripe embeds only some)."""
        params: TransferListParams = {"created": {"gte": int(since.timestamp())}, "limit": 100}
        try:
            page = self.client.v1.transfers.list(params=params)
            for transfer in page.auto_paging_iter():
                data = _as_dict(transfer)
                if (data.get("reversals") or {}).get("has_more"):
                    reversals = self.client.v1.transfers.reversals.list(data["id"], params={"limit": 100})
                    data["reversals"] = {"data": [_as_dict(r) for r in reversals.auto_paging_iter()], "has_more": False}
                yield transfer_from_stripe(data)
        except stripe.StripeError as exc:
            raise _refused("the list of transfers", exc) from exc
