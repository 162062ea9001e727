"""Stripe Checkout behind billing's PaymentProvider interface.

The client is ``stripe.StripeClient(api_key, http_client=…, base_addresses={"api": STRIPE_API_BASE})``
so that tests and staging point it at a local fake (no stripe-mock is installable here). The
library pins API version 2026-10-28.endive: Checkout Sessions take ``allowed_payment_method_types``
(there is no ``payment_method_types`` parameter any more) and WeChat Pay needs
``payment_method_options[wechat_pay][client]`` ("web" for browsers).
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
from stripe.params import RefundCreateParams
from stripe.params.checkout import SessionCreateParams

from billing.models import PaymentMethod
from billing.money import from_fen, to_fen

from .base import (
    CheckoutRequest,
    CheckoutSession,
    InvalidNotificationError,
    Notification,
    NotificationKind,
    PaymentDetails,
    PaymentProvider,
    ProviderError,
    ProviderRefund,
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


def _as_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self, *, api_key: str, api_base: str, webhook_secret: str, http_client: stripe.HTTPClient | None = None):
        self.api_key = api_key
        self.api_base = api_base
        self.webhook_secret = webhook_secret
        self.http_client = http_client

    @classmethod
    def from_settings(cls) -> StripeProvider:
        return cls(
            api_key=settings.STRIPE_SECRET_KEY,
            api_base=settings.STRIPE_API_BASE,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
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
        charge = charge if isinstance(charge, Mapping) else {}
        kind = (charge.get("payment_method_details") or {}).get("type") or ""
        if not kind and len(intent.get("payment_method_types") or []) == 1:
            kind = intent["payment_method_types"][0]
        try:
            method = METHOD_FROM_STRIPE[kind]
        except KeyError:
            raise ProviderError(f"Session {session.id} was paid with an unexpected method {kind!r}.") from None
        received_at = _dt(charge.get("created")) or _dt(intent.get("created")) or timezone.now()
        return PaymentDetails(method=method, received_at=received_at, provider_payment_id=session.provider_payment_id)

    # -- notifications ---------------------------------------------------------------------------

    def notification_verify(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        if not self.webhook_secret:
            logger.error("STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook is refused.")
            raise InvalidNotificationError("webhook secret not configured")
        try:
            stripe.WebhookSignature.verify_header(
                body, headers.get("Stripe-Signature"), self.webhook_secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
            )
            payload = json.loads(body)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
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
