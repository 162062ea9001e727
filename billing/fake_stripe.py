"""A local stand-in for the parts of Stripe that Anju uses (TEST MODE: no real money ever moves).

No stripe-mock is installable here, and nothing else stands in for Checkout Sessions. This fake is
what `make run` starts when no ``STRIPE_SECRET_KEY`` is configured (``manage.py fake_stripe``), so
that paying a bill works out of the box on a developer's machine; the tests use it too. Production
settings refuse it (``config/settings/production.py``), and the command refuses to start there.

Two ways in, one state (``FakeStripe``):

* ``FakeStripeHTTPClient``: a ``stripe.HTTPClient`` subclass for unit tests; the real ``stripe``
  library builds and encodes every request, the fake answers in-process.
* ``FakeStripeServer``: a tiny HTTP server on 127.0.0.1 (http.server in a thread) for `make run`,
  browser journeys and benchmarks: the same API plus a simulated hosted Checkout page
  (GET /pay/{id}), marked as test mode, whose "Pay" button marks the session paid, POSTs a SIGNED
  ``checkout.session.completed`` event to the app's webhook and redirects to the session's
  success_url; and a simulated Connect onboarding page (GET /connect/onboard/{acct}, the URL of an
  Account Link) whose button completes the connected account, POSTs a signed ``account.updated``
  event and redirects to the link's return_url.

Stripe Connect ("separate charges and transfers"): connected accounts, Account Links, Transfers
from a charge (``source_transaction``) and their reversals. An ``acct_…`` id the fake has never
seen stands for an account made outside Anju and entered by staff: with ``auto_accounts`` (the
default) it exists, fully enabled, from its first use; with ``auto_accounts = False`` it is
"No such account", as at Stripe.

Every request is decoded back from Stripe's form encoding and checked against the parameter
types the library was generated from (``stripe.params``): an unknown or mistyped parameter gets
the same 400 the real API gives ("Received unknown parameter: …") and is kept in ``fake.errors``.
That is the closest offline stand-in for the real API's validation.

Implemented: POST/GET /v1/checkout/sessions, GET /v1/checkout/sessions/{id}, POST /v1/refunds,
GET /v1/refunds, GET /v1/payment_intents/{id} (``expand[]=latest_charge``), POST /v1/accounts,
GET /v1/accounts/{id}, POST /v1/account_links, POST/GET /v1/transfers, GET /v1/transfers/{id},
POST/GET /v1/transfers/{id}/reversals.
"""

from __future__ import annotations

import copy
import html
import itertools
import json
import re
import secrets
import string
import threading
import time
import types
import typing
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NotRequired, Required

import stripe
import stripe._request_options as _request_options
from stripe._stripe_context import StripeContext
from stripe._stripe_object import UntypedStripeObject
from stripe.params import (
    AccountCreateParams,
    AccountLinkCreateParams,
    AccountRetrieveParams,
    PaymentIntentRetrieveParams,
    RefundCreateParams,
    RefundListParams,
    TransferCreateParams,
    TransferListParams,
    TransferRetrieveParams,
    TransferReversalCreateParams,
    TransferReversalListParams,
)
from stripe.params.checkout import SessionCreateParams, SessionExpireParams, SessionListParams, SessionRetrieveParams
from typing_extensions import is_typeddict

WEBHOOK_SECRET = "whsec_anju_test_secret"
API_KEY = "sk_test_anju_fake"
PUBLISHABLE_KEY = "pk_test_anju_fake"
DEFAULT_PORT = 12111  # stripe-mock's port, by habit

# ---------------------------------------------------------------------------------------------
# Parameter checking against stripe.params
# ---------------------------------------------------------------------------------------------

_LOCALNS = {**vars(_request_options), "StripeContext": StripeContext}
# Request options (api_key, idempotency_key, …) travel in headers, never in the body.
_REQUEST_OPTION_KEYS = frozenset(_request_options.RequestOptions.__annotations__)
_hints_cache: dict[type, dict] = {}


def _hints(typed_dict: type) -> dict:
    if typed_dict not in _hints_cache:
        hints = typing.get_type_hints(typed_dict, localns=_LOCALNS, include_extras=True)
        _hints_cache[typed_dict] = {k: v for k, v in hints.items() if k not in _REQUEST_OPTION_KEYS}
    return _hints_cache[typed_dict]


def decode_form(encoded: str) -> dict:
    """Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts and lists."""
    root: dict = {}
    for key, value in urllib.parse.parse_qsl(encoded, keep_blank_values=True):
        parts = re.findall(r"^[^\[]+|(?<=\[)[^\]]*(?=\])", key)
        node = root
        for part, following in zip(parts, parts[1:] + [None], strict=True):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
        if node and all(k == "" for k in node):  # "expand[]=x"
            return [node[""]]
    return node


def validate_params(value, annotation, path: str = "") -> list[str]:
    """Problems with a decoded (all-strings) request value against a stripe.params annotation."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (NotRequired, Required, typing.NotRequired, typing.Required):
        return validate_params(value, args[0], path)
    if is_typeddict(annotation):
        if not isinstance(value, dict):
            return [f"{path or 'body'}: expected an object"]
        hints = _hints(annotation)
        problems = []
        for key, sub in value.items():
            where = f"{path}[{key}]" if path else key
            if key not in hints:
                problems.append(f"Received unknown parameter: {where}")
            else:
                problems.extend(validate_params(sub, hints[key], where))
        for key in sorted(frozenset(getattr(annotation, "__required_keys__", ())) - _REQUEST_OPTION_KEYS - set(value)):
            problems.append(f"Missing required param: {path}[{key}]" if path else f"Missing required param: {key}")
        return problems
    if origin in (typing.Union, types.UnionType):
        literals = [a for a in args if typing.get_origin(a) is typing.Literal]
        others = [a for a in args if typing.get_origin(a) is not typing.Literal]
        # "Literal['a', 'b']|str": the str arm only keeps old clients compiling when Stripe adds a
        # value; a value outside the literals is what the real API refuses, so be strict.
        literal_values = [v for lit in literals for v in typing.get_args(lit)]
        if literals and others == [str] and any(v != "" for v in literal_values):
            if value in literal_values:
                return []
            return [f"Invalid {path}: must be one of {', '.join(map(str, literal_values))}"]
        attempts = [validate_params(value, arm, path) for arm in args]
        return [] if any(not a for a in attempts) else attempts[0]
    if origin is typing.Literal:
        return [] if value in args else [f"Invalid {path}: must be one of {', '.join(map(str, args))}"]
    if origin in (list, typing.List):  # noqa: UP006 - the params use typing.List
        if not isinstance(value, list):
            return [f"Invalid array: {path}"]
        return [p for i, item in enumerate(value) for p in validate_params(item, args[0], f"{path}[{i}]")]
    if origin in (dict, typing.Dict) or annotation is UntypedStripeObject or origin is UntypedStripeObject:  # noqa: UP006
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return [f"Invalid object: {path}"]
        return []
    if annotation is str:
        return [] if isinstance(value, str) else [f"Invalid string: {path}"]
    if annotation is bool:
        return [] if value in ("true", "false") else [f"Invalid boolean: {path}"]
    if annotation is int:
        return [] if isinstance(value, str) and re.fullmatch(r"-?\d+", value) else [f"Invalid integer: {path}"]
    if annotation in (float, Decimal):
        try:
            Decimal(value)
            return []
        except (InvalidOperation, TypeError):
            return [f"Invalid decimal: {path}"]
    if annotation is typing.Any:
        return []
    return [f"{path}: cannot check {annotation!r}"]


ENDPOINTS = [
    ("POST", re.compile(r"^/v1/checkout/sessions$"), SessionCreateParams, "session_create"),
    ("GET", re.compile(r"^/v1/checkout/sessions$"), SessionListParams, "session_list"),
    ("GET", re.compile(r"^/v1/checkout/sessions/(?P<id>[^/]+)$"), SessionRetrieveParams, "session_retrieve"),
    ("POST", re.compile(r"^/v1/checkout/sessions/(?P<id>[^/]+)/expire$"), SessionExpireParams, "session_expire"),
    ("POST", re.compile(r"^/v1/refunds$"), RefundCreateParams, "refund_create"),
    ("GET", re.compile(r"^/v1/refunds$"), RefundListParams, "refund_list"),
    ("GET", re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)$"), PaymentIntentRetrieveParams, "payment_intent_retrieve"),
    ("POST", re.compile(r"^/v1/accounts$"), AccountCreateParams, "account_create"),
    ("GET", re.compile(r"^/v1/accounts/(?P<id>[^/]+)$"), AccountRetrieveParams, "account_retrieve"),
    ("POST", re.compile(r"^/v1/account_links$"), AccountLinkCreateParams, "account_link_create"),
    ("POST", re.compile(r"^/v1/transfers$"), TransferCreateParams, "transfer_create"),
    ("GET", re.compile(r"^/v1/transfers$"), TransferListParams, "transfer_list"),
    ("GET", re.compile(r"^/v1/transfers/(?P<id>[^/]+)$"), TransferRetrieveParams, "transfer_retrieve"),
    ("POST", re.compile(r"^/v1/transfers/(?P<id>[^/]+)/reversals$"), TransferReversalCreateParams, "transfer_reversal_create"),
    ("GET", re.compile(r"^/v1/transfers/(?P<id>[^/]+)/reversals$"), TransferReversalListParams, "transfer_reversal_list"),
]

# The platform's country: an account created without ``country`` gets it (Stripe does not onboard
# businesses registered in mainland China).
PLATFORM_COUNTRY = "HK"
# What Stripe's connected-account ids look like: "acct_" and letters and digits.
ACCOUNT_ID_RE = re.compile(r"^acct_[A-Za-z0-9]+$")
# What a new (not yet onboarded) connected account still has to provide.
ONBOARDING_REQUIREMENTS = [
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
# How many reversals a transfer object embeds (the rest: GET /v1/transfers/{id}/reversals).
EMBEDDED_REVERSALS = 10
_ALNUM = string.ascii_letters + string.digits


class _StripeAPIError(Exception):
    def __init__(self, status: int, message: str, param: str = "", code: str = ""):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code

    def body(self) -> dict:
        error = {"type": "invalid_request_error", "message": self.message}
        if self.param:
            error["param"] = self.param
        if self.code:
            error["code"] = self.code
        return {"error": error}


# ---------------------------------------------------------------------------------------------
# The fake's state and behaviour
# ---------------------------------------------------------------------------------------------


class FakeStripe:
    """In-memory Stripe: Checkout Sessions, PaymentIntents, charges, refunds, connected accounts,
    transfers and their reversals, and signed events."""

    def __init__(self, *, webhook_secret: str = WEBHOOK_SECRET, checkout_base: str = "https://checkout.fake-stripe.test"):
        self.webhook_secret = webhook_secret
        self.checkout_base = checkout_base
        self.sessions: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        # An acct_… id never seen before is an account made outside Anju (entered by staff): it exists,
        # fully enabled, from its first use. False: it is "No such account", as at Stripe.
        self.auto_accounts = True
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, decoded params), in order
        self.errors: list[str] = []  # parameter problems found in Anju's requests
        self.failures: list[tuple[str, str, int]] = []  # queued failures: (method, path prefix, status)
        self._idempotent: dict[str, tuple[int, dict]] = {}
        self._counter = itertools.count(1)
        self._lock = threading.RLock()
        self.now = time.time

    def _id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._counter):06d}{secrets.token_hex(4)}"

    def _alnum_id(self, prefix: str) -> str:
        """An id in the style of Stripe's newer objects: letters and digits only after the prefix."""
        return f"{prefix}_1Test{''.join(secrets.choice(_ALNUM) for _ in range(12))}"

    def fail_next(self, method: str, path_prefix: str, status: int = 500) -> None:
        """Make the next matching API call fail (to test that nothing changes locally)."""
        self.failures.append((method, path_prefix, status))

    # -- API -----------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, body: str | bytes, headers: dict) -> tuple[int, dict]:
        if isinstance(body, bytes):
            body = body.decode()
        params = decode_form(body if method == "POST" else query)
        with self._lock:
            self.requests.append((method, path, params))
            auth = {k.lower(): v for k, v in (headers or {}).items()}.get("authorization", "")
            if not auth.startswith("Bearer sk_"):
                return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
            for i, (fail_method, prefix, status) in enumerate(self.failures):
                if fail_method == method and path.startswith(prefix):
                    del self.failures[i]
                    return status, {"error": {"type": "api_error", "message": "Simulated failure"}}
            key = {k.lower(): v for k, v in (headers or {}).items()}.get("idempotency-key")
            if method == "POST" and key and key in self._idempotent:
                return self._idempotent[key]
            for endpoint_method, pattern, params_type, name in ENDPOINTS:
                match = pattern.match(path)
                if endpoint_method == method and match:
                    problems = validate_params(params, params_type)
                    if problems:
                        self.errors.extend(f"{method} {path}: {p}" for p in problems)
                        return 400, _StripeAPIError(400, problems[0]).body()
                    try:
                        result = 200, getattr(self, name)(params, **match.groupdict())
                    except _StripeAPIError as exc:
                        result = exc.status, exc.body()
                    if method == "POST" and key:
                        self._idempotent[key] = result
                    return result
            return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})"}}

    def session_create(self, params: dict) -> dict:
        session_id = self._id("cs")
        currency = params.get("currency", "")
        total = 0
        for item in params.get("line_items", []):
            price = item.get("price_data") or {}
            if price.get("currency", currency) != currency:
                raise _StripeAPIError(400, "All line items must share the session currency.", "line_items")
            total += int(price.get("unit_amount", 0)) * int(item.get("quantity", 1))
        now = int(self.now())
        session = {
            "id": session_id,
            "object": "checkout.session",
            "allowed_payment_method_types": params.get("allowed_payment_method_types"),
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "expires_at": int(params.get("expires_at") or now + 86400),
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "mode": params.get("mode", "payment"),
            "payment_intent": None,
            "payment_method_options": params.get("payment_method_options") or {},
            "payment_method_types": params.get("allowed_payment_method_types") or ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "url": f"{self.checkout_base}/pay/{session_id}",
            "_line_items": params.get("line_items", []),
            "_pi_metadata": (params.get("payment_intent_data") or {}).get("metadata") or {},
            "_pi_transfer_group": (params.get("payment_intent_data") or {}).get("transfer_group"),
        }
        self.sessions[session_id] = session
        return self._public(session)

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    def session_retrieve(self, params: dict, id: str) -> dict:  # noqa: A002 - the URL's name
        if id not in self.sessions:
            raise _StripeAPIError(404, f"No such checkout.session: '{id}'", "session", "resource_missing")
        return self._public(self.sessions[id])

    def session_expire(self, params: dict, id: str) -> dict:  # noqa: A002
        session = self.sessions.get(id)
        if session is None:
            raise _StripeAPIError(404, f"No such checkout.session: '{id}'", "session", "resource_missing")
        if session["status"] != "open":
            raise _StripeAPIError(
                400,
                f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "{session["status"]}".',
                code="checkout_session_not_open",
            )
        session["status"] = "expired"
        return self._public(session)

    def session_list(self, params: dict) -> dict:
        limit = int(params.get("limit", 10))
        created = params.get("created") or {}
        items = sorted(self.sessions.values(), key=lambda s: (s["created"], s["id"]), reverse=True)
        if isinstance(created, dict) and "gte" in created:
            items = [s for s in items if s["created"] >= int(created["gte"])]
        if params.get("status"):
            items = [s for s in items if s["status"] == params["status"]]
        if params.get("starting_after"):
            ids = [s["id"] for s in items]
            items = items[ids.index(params["starting_after"]) + 1 :]
        page = items[:limit]
        return {
            "object": "list",
            "url": "/v1/checkout/sessions",
            "has_more": len(items) > limit,
            "data": [self._public(s) for s in page],
        }

    def payment_intent_retrieve(self, params: dict, id: str) -> dict:  # noqa: A002
        if id not in self.payment_intents:
            raise _StripeAPIError(404, f"No such payment_intent: '{id}'", "intent", "resource_missing")
        intent = self._public(self.payment_intents[id])
        if "latest_charge" in (params.get("expand") or []) and intent.get("latest_charge"):
            intent["latest_charge"] = self._public(self.charges[intent["latest_charge"]])
        return intent

    def refund_create(self, params: dict) -> dict:
        intent_id = params.get("payment_intent")
        if intent_id not in self.payment_intents:
            raise _StripeAPIError(404, f"No such payment_intent: '{intent_id}'", "payment_intent", "resource_missing")
        charge = self.charges[self.payment_intents[intent_id]["latest_charge"]]
        amount = int(params.get("amount", charge["amount"] - charge["amount_refunded"]))
        if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
            raise _StripeAPIError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({charge['amount'] - charge['amount_refunded']})",
                "amount",
                "amount_too_large",
            )
        return self._refund(charge, amount, params.get("reason"), params.get("metadata") or {})

    def _refund(self, charge: dict, amount: int, reason: str | None, metadata: dict | None = None) -> dict:
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(self.now()),
            "currency": charge["currency"],
            "payment_intent": charge["payment_intent"],
            "metadata": dict(metadata or {}),
            "reason": reason,
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return self._public(refund)

    def refund_list(self, params: dict) -> dict:
        items = [r for r in self.refunds.values() if r["payment_intent"] == params.get("payment_intent")]
        items.sort(key=lambda r: r["created"], reverse=True)
        return {"object": "list", "url": "/v1/refunds", "has_more": False, "data": [self._public(r) for r in items]}

    # -- Connect: connected accounts and Account Links -------------------------------------------

    def _new_account(self, account_id: str, *, business_profile: dict | None = None, controller: dict | None = None) -> dict:
        account = {
            "id": account_id,
            "object": "account",
            "business_profile": {"name": None, "mcc": None, "url": None, **(business_profile or {})},
            "business_type": None,
            "capabilities": {"transfers": "inactive"},
            "charges_enabled": False,
            "controller": {
                "fees": {"payer": "application"},
                "is_controller": True,
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
                "stripe_dashboard": {"type": "express"},
                "type": "application",
                **(controller or {}),
            },
            "country": PLATFORM_COUNTRY,
            "created": int(self.now()),
            "default_currency": "cny",
            "details_submitted": False,
            "email": None,
            "livemode": False,
            "metadata": {},
            "payouts_enabled": False,
            "requirements": {
                "currently_due": list(ONBOARDING_REQUIREMENTS),
                "disabled_reason": "requirements.past_due",
                "eventually_due": list(ONBOARDING_REQUIREMENTS),
                "past_due": list(ONBOARDING_REQUIREMENTS),
            },
            "type": "express",
        }
        self.accounts[account_id] = account
        return account

    @staticmethod
    def _account_state(account: dict, *, charges_enabled: bool, payouts_enabled: bool, details_submitted: bool) -> None:
        """Set what Stripe decides after onboarding: enabled flags, the transfers capability, requirements."""
        account["charges_enabled"] = charges_enabled
        account["payouts_enabled"] = payouts_enabled
        account["details_submitted"] = details_submitted
        account["capabilities"] = {"transfers": "active" if charges_enabled else "inactive"}
        due = [] if details_submitted else list(ONBOARDING_REQUIREMENTS)
        account["requirements"] = {
            "currently_due": due,
            "disabled_reason": None if charges_enabled else "requirements.past_due",
            "eventually_due": list(due),
            "past_due": list(due),
        }

    def _account(self, account_id: str | None) -> dict | None:
        """The account with this id; an unseen well-formed id is an existing account when ``auto_accounts``."""
        account = self.accounts.get(account_id or "")
        if account is None and self.auto_accounts and ACCOUNT_ID_RE.match(account_id or ""):
            # Made outside Anju (e.g. a Standard account connected by its owner): the platform does not control it.
            account = self._new_account(
                str(account_id),
                controller={"is_controller": False, "stripe_dashboard": {"type": "full"}, "type": "account"},
            )
            account["type"] = "standard"
            self._account_state(account, charges_enabled=True, payouts_enabled=True, details_submitted=True)
        return account

    def account_create(self, params: dict) -> dict:
        account = self._new_account(
            self._alnum_id("acct"),
            business_profile=params.get("business_profile") or {},
            controller=params.get("controller") or {},
        )
        account["metadata"] = dict(params.get("metadata") or {})
        if params.get("country"):
            account["country"] = params["country"]
        return self._public(account)

    def account_retrieve(self, params: dict, id: str) -> dict:  # noqa: A002 - the URL's name
        account = self._account(id)
        if account is None:
            raise _StripeAPIError(404, f"No such account: '{id}'", "account", "resource_missing")
        return self._public(account)

    def account_link_create(self, params: dict) -> dict:
        account_id = params.get("account")
        if self._account(account_id) is None:
            raise _StripeAPIError(404, f"No such account: '{account_id}'", "account", "resource_missing")
        for name in ("refresh_url", "return_url"):
            if params.get("type") == "account_onboarding" and not params.get(name):
                raise _StripeAPIError(400, f"Missing required param: {name}.", name, "parameter_missing")
        query = urllib.parse.urlencode({"return_url": params.get("return_url", ""), "refresh_url": params.get("refresh_url", "")})
        now = int(self.now())
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"{self.checkout_base}/connect/onboard/{account_id}?{query}",
        }

    # -- Connect: transfers and their reversals ----------------------------------------------------

    def transfer_create(self, params: dict) -> dict:
        destination = params.get("destination")
        account = self._account(destination)
        if account is None:
            raise _StripeAPIError(400, f"No such destination: '{destination}'", "destination", "resource_missing")
        if account["capabilities"].get("transfers") != "active":
            raise _StripeAPIError(
                400,
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                "destination",
                "insufficient_capabilities_for_transfer",
            )
        if "amount" not in params:
            raise _StripeAPIError(400, "Missing required param: amount.", "amount", "parameter_missing")
        amount, currency = int(params["amount"]), params["currency"].lower()
        if amount <= 0:
            raise _StripeAPIError(400, "Invalid positive integer", "amount", "parameter_invalid_integer")
        source = params.get("source_transaction")
        if source:
            charge = self.charges.get(source)
            if charge is None:
                raise _StripeAPIError(400, f"No such charge: '{source}'", "source_transaction", "resource_missing")
            if charge["currency"] != currency:
                raise _StripeAPIError(
                    400,
                    f"The currency of source_transaction's balance transaction ({charge['currency']}) must be "
                    f"the same as the transfer currency ({currency})",
                    "currency",
                )
            # Every transfer made from the charge counts, reversed or not.
            already = sum(t["amount"] for t in self.transfers.values() if t["source_transaction"] == source)
            if already + amount > charge["amount"]:
                raise _StripeAPIError(
                    400,
                    f"Transfer amount exceeds the amount of the source transaction: {amount} requested, "
                    f"{charge['amount'] - already} of {charge['amount']} left on charge {source}",
                    "amount",
                    "transfer_source_balance_parameters_mismatch",
                )
        transfer_id = self._alnum_id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": self._alnum_id("txn"),
            "created": int(self.now()),
            "currency": currency,
            "description": params.get("description"),
            "destination": account["id"],
            "destination_payment": self._alnum_id("py"),
            "livemode": False,
            "metadata": dict(params.get("metadata") or {}),
            "reversals": {"object": "list", "data": [], "has_more": False, "url": f"/v1/transfers/{transfer_id}/reversals"},
            "reversed": False,
            "source_transaction": source or None,
            "source_type": "card",
            "transfer_group": params.get("transfer_group"),
            "_seq": next(self._counter),
        }
        self.transfers[transfer_id] = transfer
        return self._transfer_public(transfer)

    def _transfer_public(self, transfer: dict) -> dict:
        """A transfer as the API shows it: like Stripe, it embeds only its 10 most recent reversals."""
        public = self._public(transfer)
        reversals = public["reversals"]
        reversals["has_more"] = len(reversals["data"]) > EMBEDDED_REVERSALS
        reversals["data"] = reversals["data"][:EMBEDDED_REVERSALS]
        return public

    def _transfer(self, transfer_id: str) -> dict:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise _StripeAPIError(404, f"No such transfer: '{transfer_id}'", "id", "resource_missing")
        return transfer

    def transfer_retrieve(self, params: dict, id: str) -> dict:  # noqa: A002
        return self._transfer_public(self._transfer(id))

    def transfer_list(self, params: dict) -> dict:
        limit = int(params.get("limit", 10))
        items = sorted(self.transfers.values(), key=lambda t: (t["created"], t["_seq"]), reverse=True)
        created = params.get("created")
        if isinstance(created, dict):
            bounds = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
            for op, test in bounds.items():
                if op in created:
                    items = [t for t in items if test(t["created"], int(created[op]))]
        elif created:
            items = [t for t in items if t["created"] == int(created)]
        for name in ("transfer_group", "destination"):
            if params.get(name):
                items = [t for t in items if t[name] == params[name]]
        if params.get("starting_after"):
            ids = [t["id"] for t in items]
            items = items[ids.index(params["starting_after"]) + 1 :]
        page = items[:limit]
        return {
            "object": "list",
            "url": "/v1/transfers",
            "has_more": len(items) > limit,
            "data": [self._transfer_public(t) for t in page],
        }

    def transfer_reversal_create(self, params: dict, id: str) -> dict:  # noqa: A002
        transfer = self._transfer(id)
        return self._reverse(transfer, int(params["amount"]) if "amount" in params else None, params.get("metadata") or {})

    def _reverse(self, transfer: dict, amount: int | None, metadata: dict) -> dict:
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise _StripeAPIError(
                400,
                f"Transfer reversal amount ({amount}) is greater than the amount remaining on the transfer ({left}).",
                "amount",
                "amount_too_large" if amount > 0 else "parameter_invalid_integer",
            )
        reversal = {
            "id": self._alnum_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": self._alnum_id("txn"),
            "created": int(self.now()),
            "currency": transfer["currency"],
            "destination_payment_refund": self._alnum_id("pyr"),
            "metadata": dict(metadata or {}),
            "source_refund": None,
            "transfer": transfer["id"],
        }
        transfer["reversals"]["data"].insert(0, reversal)  # newest first, as Stripe lists them
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        return copy.deepcopy(reversal)

    def transfer_reversal_list(self, params: dict, id: str) -> dict:  # noqa: A002
        items = self._transfer(id)["reversals"]["data"]
        if params.get("starting_after"):
            ids = [r["id"] for r in items]
            items = items[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit", 10))
        return {
            "object": "list",
            "url": f"/v1/transfers/{id}/reversals",
            "has_more": len(items) > limit,
            "data": copy.deepcopy(items[:limit]),
        }

    # -- what the customer and Stripe do ---------------------------------------------------------

    def pay(
        self,
        session_id: str,
        *,
        method: str = "alipay",
        later: bool = False,
        amount: int | None = None,
        currency: str | None = None,
    ) -> dict:
        """The customer pays the session. ``later``: an async method, paid only after a later event.

        ``amount``/``currency`` let a test make Stripe report something other than what was asked.
        """
        with self._lock:
            session = self.sessions[session_id]
            if session["payment_intent"] is None:
                intent_id, charge_id = self._id("pi"), self._id("ch")
                now = int(self.now())
                paid_amount = session["amount_total"] if amount is None else amount
                paid_currency = currency or session["currency"]
                self.charges[charge_id] = {
                    "id": charge_id,
                    "object": "charge",
                    "amount": paid_amount,
                    "amount_captured": paid_amount,
                    "amount_refunded": 0,
                    "created": now,
                    "currency": paid_currency,
                    "paid": True,
                    "payment_intent": intent_id,
                    "payment_method_details": {"type": method, method: {}},
                    "refunded": False,
                    "status": "succeeded",
                    "transfer_group": session.get("_pi_transfer_group"),
                }
                self.payment_intents[intent_id] = {
                    "id": intent_id,
                    "object": "payment_intent",
                    "amount": paid_amount,
                    "amount_received": 0 if later else paid_amount,
                    "created": now,
                    "currency": paid_currency,
                    "latest_charge": charge_id,
                    "metadata": dict(session["_pi_metadata"]),
                    "payment_method_types": [method],
                    "status": "processing" if later else "succeeded",
                    "transfer_group": session.get("_pi_transfer_group"),
                }
                session["payment_intent"] = intent_id
                session["amount_total"] = paid_amount
                session["currency"] = paid_currency
            session["status"] = "complete"
            session["payment_status"] = "unpaid" if later else "paid"
            return self._public(session)

    def settle(self, session_id: str, *, succeeded: bool = True) -> dict:
        """An async payment (``pay(later=True)``) succeeds or fails."""
        with self._lock:
            session = self.sessions[session_id]
            intent = self.payment_intents[session["payment_intent"]]
            intent["status"] = "succeeded" if succeeded else "requires_payment_method"
            intent["amount_received"] = intent["amount"] if succeeded else 0
            session["payment_status"] = "paid" if succeeded else "unpaid"
            return self._public(session)

    def expire(self, session_id: str) -> dict:
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] == "open":
                session["status"] = "expired"
            return self._public(session)

    def refund_in_dashboard(self, session_id: str, amount: int | None = None) -> dict:
        """Someone refunds at Stripe directly; returns the charge (the charge.refunded object)."""
        with self._lock:
            charge = self.charges[self.payment_intents[self.sessions[session_id]["payment_intent"]]["latest_charge"]]
            self._refund(charge, amount or charge["amount"] - charge["amount_refunded"], "requested_by_customer")
            return self._public(charge)

    def charge_of(self, session_id: str) -> dict:
        return self._public(self.charges[self.payment_intents[self.sessions[session_id]["payment_intent"]]["latest_charge"]])

    def account_add(
        self,
        account_id: str | None = None,
        *,
        charges_enabled: bool = True,
        payouts_enabled: bool = True,
        details_submitted: bool = True,
    ) -> dict:
        """Create (or update) a connected account directly, as if its payee had been through onboarding."""
        with self._lock:
            account = self.accounts.get(account_id or "") or self._new_account(account_id or self._alnum_id("acct"))
            self._account_state(
                account, charges_enabled=charges_enabled, payouts_enabled=payouts_enabled, details_submitted=details_submitted
            )
            return self._public(account)

    def account_complete_onboarding(self, account_id: str) -> dict:
        """The payee finished onboarding and Stripe verified it: charges, payouts and transfers are enabled."""
        with self._lock:
            account = self._account(account_id)
            if account is None:
                raise KeyError(account_id)
            self._account_state(account, charges_enabled=True, payouts_enabled=True, details_submitted=True)
            return self._public(account)

    def reverse_in_dashboard(self, transfer_id: str, amount: int | None = None) -> dict:
        """Someone reverses (part of) a transfer at Stripe directly; returns the transfer after it."""
        with self._lock:
            transfer = self.transfers[transfer_id]
            self._reverse(transfer, amount, {})
            return self._transfer_public(transfer)

    def transfers_of(self, *, transfer_group: str | None = None, destination: str | None = None) -> list[dict]:
        """The transfers made (oldest first), optionally only those of a transfer group or to an account."""
        with self._lock:
            items = sorted(self.transfers.values(), key=lambda t: (t["created"], t["_seq"]))
            return [
                self._transfer_public(t)
                for t in items
                if (transfer_group is None or t["transfer_group"] == transfer_group)
                and (destination is None or t["destination"] == destination)
            ]

    def forget_transfer(self, transfer_id: str) -> None:
        """Drop a transfer, to simulate one that Stripe does not know (e.g. made under another key)."""
        with self._lock:
            del self.transfers[transfer_id]

    # -- events ----------------------------------------------------------------------------------

    def event(self, event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
        return {
            "id": event_id or self._id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(self.now()),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }

    def session_event(self, event_type: str, session_id: str) -> dict:
        return self.event(event_type, self._public(self.sessions[session_id]))

    def account_event(self, account_id: str) -> dict:
        """``account.updated`` for the account as it is now."""
        with self._lock:
            account = self._account(account_id)
            if account is None:
                raise KeyError(account_id)
            return self.event("account.updated", self._public(account))

    def transfer_event(self, event_type: str, transfer_id: str) -> dict:
        """``transfer.created``, ``transfer.updated`` or ``transfer.reversed`` for the transfer as it is now."""
        return self.event(event_type, self._transfer_public(self.transfers[transfer_id]))

    def sign(self, body: bytes | str, *, timestamp: int | None = None, secret: str | None = None) -> str:
        payload = body.decode() if isinstance(body, bytes) else body
        return stripe.WebhookSignature.generate_signature_header(payload, secret or self.webhook_secret, timestamp=timestamp)

    def signed(self, event: dict, **kwargs) -> tuple[bytes, str]:
        """The body as Stripe sends it and its Stripe-Signature header."""
        body = json.dumps(event, ensure_ascii=False, indent=2).encode()
        return body, self.sign(body, **kwargs)


class FakeStripeHTTPClient(stripe.HTTPClient):
    """Answers the stripe library's requests from a FakeStripe in the same process."""

    name = "anju-fake-stripe"

    def __init__(self, fake: FakeStripe):
        super().__init__()
        self.fake = fake

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urllib.parse.urlsplit(url)
        status, body = self.fake.handle(method.upper(), parts.path, parts.query, post_data or "", dict(headers or {}))
        return json.dumps(body), status, {"Request-Id": "req_fake", "Content-Type": "application/json"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError

    def close(self):
        pass


# ---------------------------------------------------------------------------------------------
# The HTTP server: API + simulated hosted Checkout page
# ---------------------------------------------------------------------------------------------

_PAY_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>测试模式 · Fake Stripe Checkout (TEST MODE)</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 0 auto; padding: 1rem; }}
#test-mode {{ background: #ffd54f; color: #3e2723; border: 2px dashed #e65100; padding: .75rem; font-weight: bold; }}
#pay {{ font-size: 1.1rem; padding: .5rem 1.5rem; }}
</style></head>
<body>
<p id="test-mode" role="alert">测试模式：这是本地模拟的 Stripe 支付页面，不会产生任何真实扣款。<br>
TEST MODE: a local fake of Stripe Checkout for development. No real payment is made.</p>
<h1>Fake Stripe Checkout</h1>
<p id="amount">{currency} {amount}</p>
<ul>{lines}</ul>
<form method="post" action="/pay/{session_id}">
  <fieldset><legend>Payment method</legend>{methods}</fieldset>
  <button type="submit" id="pay">Pay</button>
</form>
<p><a id="cancel" href="{cancel_url}">Cancel</a></p>
</body></html>"""


_ONBOARD_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>测试模式 · Fake Stripe Connect onboarding (TEST MODE)</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 0 auto; padding: 1rem; }}
#test-mode {{ background: #ffd54f; color: #3e2723; border: 2px dashed #e65100; padding: .75rem; font-weight: bold; }}
#complete-onboarding {{ font-size: 1.1rem; padding: .5rem 1.5rem; }}
</style></head>
<body>
<p id="test-mode" role="alert">测试模式：这是本地模拟的 Stripe 收款账户开通页面，不会提交任何真实资料。<br>
TEST MODE: a local fake of Stripe Connect onboarding for development. No real details are submitted.</p>
<h1>Fake Stripe Connect onboarding</h1>
<p>收款账户 / Connected account: <code id="account">{account_id}</code></p>
<p id="business-name">{name}</p>
<form method="post" action="{action}">
  <button type="submit" id="complete-onboarding">完成开通 · Complete onboarding</button>
</form>
<p><a id="refresh" href="{refresh_url}">链接已过期？· Link expired?</a></p>
</body></html>"""


def _http_url(url: str) -> bool:
    """Only http(s) URLs are followed (a redirect elsewhere, e.g. javascript:, is refused)."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class FakeStripeServer:
    """The fake on 127.0.0.1:<free port>, delivering signed events to ``webhook_url``.

    ``deliveries``: how many times each event is POSTed (Stripe delivers at least once).
    """

    def __init__(self, fake: FakeStripe | None = None, *, webhook_url: str = "", deliveries: int = 1, port: int = 0):
        self.fake = fake or FakeStripe()
        if webhook_url and urllib.parse.urlsplit(webhook_url).scheme not in ("http", "https"):
            raise ValueError(f"webhook_url must be an http(s) URL, not {webhook_url!r}")
        self.webhook_url = webhook_url
        self.deliveries = deliveries
        self.delivered: list[tuple[str, int]] = []  # (event type, HTTP status from the app)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.fake.checkout_base = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)

    def __enter__(self) -> FakeStripeServer:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (``manage.py fake_stripe``)."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def deliver(self, event: dict) -> int:
        """POST ``event`` signed to the app's webhook, as Stripe would; returns the last status."""
        status = 0
        for _ in range(self.deliveries):
            body, header = self.fake.signed(event)
            request = urllib.request.Request(  # noqa: S310 - an http(s) URL, checked in __init__
                self.webhook_url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            self.delivered.append((event["type"], status))
        return status

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _api(self, method: str):
                parts = urllib.parse.urlsplit(self.path)
                status, body = server.fake.handle(method, parts.path, parts.query, self._body(), dict(self.headers))
                self._send(status, json.dumps(body).encode(), "application/json", {"Request-Id": "req_fake"})

            def _onboard_account(self) -> dict | None:
                """The account of a /connect/onboard/{acct} URL (None: not such a URL, or no such account)."""
                match = re.fullmatch(r"/connect/onboard/([^/]+)", urllib.parse.urlsplit(self.path).path)
                if not match:
                    return None
                with server.fake._lock:
                    return server.fake._account(match.group(1))

            def _onboard_page(self, account: dict):
                query = urllib.parse.urlsplit(self.path).query
                link = urllib.parse.parse_qs(query)
                page = _ONBOARD_PAGE.format(
                    account_id=html.escape(account["id"]),
                    name=html.escape(str((account.get("business_profile") or {}).get("name") or "")),
                    action=html.escape(f"/connect/onboard/{account['id']}?{query}"),
                    refresh_url=html.escape((link.get("refresh_url") or ["/"])[0]),
                )
                self._send(200, page.encode(), "text/html; charset=utf-8")

            def _onboard_complete(self, account: dict):
                return_url = (urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("return_url") or [""])[0]
                if not _http_url(return_url):
                    return self._send(400, b"return_url must be an http(s) URL", "text/plain")
                completed = server.fake.account_complete_onboarding(account["id"])
                if server.webhook_url:
                    server.deliver(server.fake.event("account.updated", completed))
                self._send(303, b"", "text/plain", {"Location": return_url})

            def do_GET(self):  # noqa: N802 - http.server's naming
                path = urllib.parse.urlsplit(self.path).path
                if path.startswith("/v1/"):
                    return self._api("GET")
                if path.startswith("/connect/onboard/"):
                    account = self._onboard_account()
                    if account is None:
                        return self._send(404, b"no such account", "text/plain")
                    return self._onboard_page(account)
                match = re.fullmatch(r"/pay/([^/]+)", path)
                session = server.fake.sessions.get(match.group(1)) if match else None
                if session is None:
                    return self._send(404, b"no such session", "text/plain")
                lines = "".join(
                    f"<li>{html.escape(i['price_data']['product_data']['name'])}: {int(i['price_data']['unit_amount']) / 100:.2f}</li>"
                    for i in session["_line_items"]
                )
                methods = "".join(
                    f'<label><input type="radio" name="method" value="{m}"{" checked" if n == 0 else ""}> {m}</label>'
                    for n, m in enumerate(session["allowed_payment_method_types"] or ["card"])
                )
                page = _PAY_PAGE.format(
                    currency=session["currency"].upper(),
                    amount=f"{session['amount_total'] / 100:.2f}",
                    lines=lines,
                    session_id=session["id"],
                    methods=methods,
                    cancel_url=html.escape(session["cancel_url"] or "/"),
                )
                self._send(200, page.encode(), "text/html; charset=utf-8")

            def do_POST(self):  # noqa: N802
                path = urllib.parse.urlsplit(self.path).path
                if path.startswith("/v1/"):
                    return self._api("POST")
                if path.startswith("/connect/onboard/"):
                    self._body()  # the form has no fields; read it so the connection stays usable
                    account = self._onboard_account()
                    if account is None:
                        return self._send(404, b"no such account", "text/plain")
                    return self._onboard_complete(account)
                match = re.fullmatch(r"/pay/([^/]+)", path)
                if not match or match.group(1) not in server.fake.sessions:
                    return self._send(404, b"no such session", "text/plain")
                form = urllib.parse.parse_qs(self._body().decode())
                method = (form.get("method") or ["card"])[0]
                session = server.fake.pay(match.group(1), method=method)
                server.deliver(server.fake.event("checkout.session.completed", session))
                self._send(303, b"", "text/plain", {"Location": session["success_url"]})

        return Handler
