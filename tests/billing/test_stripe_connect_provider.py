"""StripeProvider's Connect side against the fake Stripe, through the real ``stripe`` library.

Payees are connected accounts (created, onboarded through an Account Link, retrieved); the owner
pays the platform once and one Transfer per payee is made from that charge ("separate charges and
transfers"); a refund reverses a transfer. Every request is checked against ``stripe.params`` by
the fake (the fixture fails the test if one would be refused). No database is needed.
"""

import datetime
import html
import http.server
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from stripe.params.checkout import SessionCreateParams

from billing.providers import (
    CheckoutLine,
    CheckoutRequest,
    NotificationKind,
    PayeeAccount,
    ProviderError,
    ProviderReversal,
    ProviderTransfer,
    get_provider,
)
from billing.providers.stripe import StripeProvider
from tests.billing.fake_stripe import API_KEY, FakeStripe, FakeStripeServer, fake_fixture, validate_params  # noqa: F401

ACCOUNT_ID_RE = re.compile(r"^acct_[A-Za-z0-9]+$")
T0 = 1_790_000_000  # a fixed "now" for the fake, in seconds


@pytest.fixture
def provider(fake) -> StripeProvider:
    stripe_provider = get_provider()
    assert isinstance(stripe_provider, StripeProvider)
    return stripe_provider


def checkout_request(*, attempt_id: int = 7, amounts=("120.50", "88.00"), transfer_group: str = "attempt-7") -> CheckoutRequest:
    lines = [CheckoutLine(name=f"物业费 2026-0{i + 1}", amount=Decimal(a)) for i, a in enumerate(amounts)]
    return CheckoutRequest(
        attempt_id=attempt_id,
        amount=sum((line.amount for line in lines), Decimal("0.00")),
        currency="CNY",
        lines=lines,
        success_url=f"https://anju.test/portal/payments/{attempt_id}/",
        cancel_url=f"https://anju.test/portal/payments/{attempt_id}/?cancelled=1",
        expires_at=datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=31),
        transfer_group=transfer_group,
    )


def paid_charge(fake, provider: StripeProvider, **kwargs) -> str:
    """Open a Checkout Session through the provider, let the owner pay it; returns the charge id."""
    session = provider.checkout_create(checkout_request(**kwargs), idempotency_key=f"checkout-{kwargs}")
    fake.pay(session.id, method="alipay")
    return fake.charge_of(session.id)["id"]


def onboarded_account(fake) -> str:
    return fake.account_add()["id"]


def last_request(fake, method: str, path: str) -> dict:
    return next(params for m, p, params in reversed(fake.requests) if (m, p) == (method, path))


# -- connected accounts -------------------------------------------------------------------------


def test_a_payee_account_is_created_onboarded_through_a_link_and_then_enabled(fake, provider):
    account = provider.payee_account_create(name="安居物业管理有限公司", idempotency_key="anju-payee-1")

    assert ACCOUNT_ID_RE.match(account.id)
    assert account == PayeeAccount(
        id=account.id,
        charges_enabled=False,
        payouts_enabled=False,
        details_submitted=False,
        disabled_reason="requirements.past_due",
    )
    params = last_request(fake, "POST", "/v1/accounts")
    assert params == {
        "controller": {
            "stripe_dashboard": {"type": "express"},
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
        },
        "capabilities": {"transfers": {"requested": "true"}},
        "business_profile": {"name": "安居物业管理有限公司"},
        "metadata": {"anju": "payee"},
    }
    assert "country" not in params and "type" not in params

    url = provider.payee_onboarding_link(
        account_id=account.id, refresh_url="https://anju.test/payees/1/refresh/", return_url="https://anju.test/payees/1/"
    )
    parts = urllib.parse.urlsplit(url)
    assert url.startswith(f"{fake.checkout_base}/connect/onboard/{account.id}?")
    assert urllib.parse.parse_qs(parts.query) == {
        "return_url": ["https://anju.test/payees/1/"],
        "refresh_url": ["https://anju.test/payees/1/refresh/"],
    }
    assert last_request(fake, "POST", "/v1/account_links")["type"] == "account_onboarding"
    assert provider.payee_account_retrieve(account.id).charges_enabled is False

    fake.account_complete_onboarding(account.id)

    assert provider.payee_account_retrieve(account.id) == PayeeAccount(
        id=account.id, charges_enabled=True, payouts_enabled=True, details_submitted=True, disabled_reason=""
    )


def test_creating_an_account_again_with_the_same_key_gives_the_same_account(fake, provider):
    first = provider.payee_account_create(name="业主大会" * 40, idempotency_key="anju-payee-2")
    again = provider.payee_account_create(name="业主大会" * 40, idempotency_key="anju-payee-2")

    assert again.id == first.id
    assert list(fake.accounts) == [first.id]
    assert len(fake.accounts[first.id]["business_profile"]["name"]) == 100  # Stripe's limit


def test_an_account_made_outside_anju_exists_unless_the_fake_is_told_otherwise(fake, provider):
    assert provider.payee_account_retrieve("acct_1StaffEntered01").charges_enabled is True

    fake.auto_accounts = False
    with pytest.raises(ProviderError, match="No such account: 'acct_1Unknown0001'"):
        provider.payee_account_retrieve("acct_1Unknown0001")
    with pytest.raises(ProviderError, match="No such account"):
        provider.payee_onboarding_link(
            account_id="acct_1Unknown0001", refresh_url="https://a.test/r", return_url="https://a.test/"
        )


# -- the payment the transfers are made from ----------------------------------------------------


def test_checkout_params_carry_the_transfer_group_and_are_valid_for_the_api(fake, provider):
    request = checkout_request(transfer_group="attempt-7")

    params = provider.checkout_params(request)
    assert params["payment_intent_data"]["transfer_group"] == "attempt-7"
    assert "transfer_group" not in provider.checkout_params(checkout_request(transfer_group=""))["payment_intent_data"]

    session = provider.checkout_create(request, idempotency_key="checkout-7")
    sent = last_request(fake, "POST", "/v1/checkout/sessions")
    assert sent["payment_intent_data"]["transfer_group"] == "attempt-7"
    assert validate_params(sent, SessionCreateParams) == []
    fake.pay(session.id)
    intent = fake.payment_intents[fake.sessions[session.id]["payment_intent"]]
    assert intent["transfer_group"] == "attempt-7"


def test_payment_details_name_the_charge_that_transfers_are_made_from(fake, provider):
    session = provider.checkout_create(checkout_request(), idempotency_key="checkout-details")
    fake.pay(session.id, method="wechat_pay")

    details = provider.payment_details(provider.checkout_retrieve(session.id))

    assert details.provider_charge_id == fake.charge_of(session.id)["id"]
    assert details.provider_charge_id.startswith("ch_")
    assert details.provider_payment_id == fake.sessions[session.id]["payment_intent"]


# -- transfers ----------------------------------------------------------------------------------


def test_a_transfer_from_the_charge_reaches_the_payee_once_per_idempotency_key(fake, provider):
    charge_id = paid_charge(fake, provider)
    destination = onboarded_account(fake)
    kwargs = {
        "amount": Decimal("120.50"),
        "currency": "CNY",
        "destination": destination,
        "source_payment_id": charge_id,
        "transfer_group": "attempt-7",
        "metadata": {"anju_transfer_id": 11, "payment_id": 3, "payee_id": 5},
        "idempotency_key": "anju-transfer-11",
    }

    made = provider.transfer_create(**kwargs)
    again = provider.transfer_create(**kwargs)

    assert again == made
    assert made.id.startswith("tr_") and made.id.removeprefix("tr_").isalnum()
    assert made.amount == Decimal("120.50")
    assert made.currency == "cny"
    assert made.destination == destination
    assert made.source_payment_id == charge_id
    assert made.transfer_group == "attempt-7"
    assert made.amount_reversed == Decimal("0.00") and made.reversals == []
    assert made.metadata == {"anju_transfer_id": "11", "payment_id": "3", "payee_id": "5"}
    assert made.created is not None
    assert [t["id"] for t in fake.transfers_of(transfer_group="attempt-7")] == [made.id]
    sent = last_request(fake, "POST", "/v1/transfers")
    assert sent["amount"] == "12050" and sent["currency"] == "cny" and sent["source_transaction"] == charge_id


def test_a_transfer_without_a_source_charge_or_group_sends_neither(fake, provider):
    destination = onboarded_account(fake)

    made = provider.transfer_create(
        amount=Decimal("1.00"),
        currency="cny",
        destination=destination,
        source_payment_id="",
        transfer_group="",
        metadata={},
        idempotency_key="anju-transfer-free",
    )

    sent = last_request(fake, "POST", "/v1/transfers")
    assert "source_transaction" not in sent and "transfer_group" not in sent and "metadata" not in sent
    assert made.source_payment_id == "" and made.transfer_group == ""


def test_transfers_beyond_the_charge_amount_are_refused(fake, provider):
    charge_id = paid_charge(fake, provider)  # ¥208.50
    first, second = onboarded_account(fake), onboarded_account(fake)

    provider.transfer_create(
        amount=Decimal("120.50"),
        currency="cny",
        destination=first,
        source_payment_id=charge_id,
        transfer_group="attempt-7",
        metadata={},
        idempotency_key="t-1",
    )
    with pytest.raises(ProviderError, match="Transfer amount exceeds"):
        provider.transfer_create(
            amount=Decimal("88.01"),
            currency="cny",
            destination=second,
            source_payment_id=charge_id,
            transfer_group="attempt-7",
            metadata={},
            idempotency_key="t-2",
        )

    assert len(fake.transfers_of(transfer_group="attempt-7")) == 1
    assert fake.transfers_of(destination=second) == []


def test_a_transfer_to_an_account_not_onboarded_or_unknown_is_refused(fake, provider):
    charge_id = paid_charge(fake, provider)
    pending = provider.payee_account_create(name="出租人 王五", idempotency_key="anju-payee-3")

    def send(destination: str, key: str):
        return provider.transfer_create(
            amount=Decimal("10.00"),
            currency="cny",
            destination=destination,
            source_payment_id=charge_id,
            transfer_group="attempt-7",
            metadata={},
            idempotency_key=key,
        )

    with pytest.raises(ProviderError, match="capabilities enabled: transfers"):
        send(pending.id, "t-pending")
    fake.auto_accounts = False
    with pytest.raises(ProviderError, match="No such destination: 'acct_1Nobody000001'"):
        send("acct_1Nobody000001", "t-nobody")
    assert fake.transfers == {}

    fake.account_complete_onboarding(pending.id)
    assert send(pending.id, "t-onboarded").destination == pending.id


def test_a_transfer_is_reversed_in_part_and_never_beyond_what_is_left(fake, provider):
    charge_id = paid_charge(fake, provider)
    made = provider.transfer_create(
        amount=Decimal("120.50"),
        currency="cny",
        destination=onboarded_account(fake),
        source_payment_id=charge_id,
        transfer_group="attempt-7",
        metadata={},
        idempotency_key="t-rev",
    )

    reversal = provider.transfer_reverse(
        transfer_id=made.id, amount=Decimal("20.50"), metadata={"anju_reversal_id": 4, "refund_id": 9}, idempotency_key="r-1"
    )
    again = provider.transfer_reverse(
        transfer_id=made.id, amount=Decimal("20.50"), metadata={"anju_reversal_id": 4, "refund_id": 9}, idempotency_key="r-1"
    )

    assert again == reversal
    assert reversal == ProviderReversal(
        id=reversal.id, transfer_id=made.id, amount=Decimal("20.50"), metadata={"anju_reversal_id": "4", "refund_id": "9"}
    )
    assert reversal.id.startswith("trr_")
    assert fake.transfers[made.id]["amount_reversed"] == 2050
    with pytest.raises(ProviderError, match="greater than the amount remaining"):
        provider.transfer_reverse(transfer_id=made.id, amount=Decimal("100.01"), metadata={}, idempotency_key="r-2")
    with pytest.raises(ProviderError, match="No such transfer"):
        provider.transfer_reverse(transfer_id="tr_1Missing", amount=Decimal("1.00"), metadata={}, idempotency_key="r-3")

    provider.transfer_reverse(transfer_id=made.id, amount=Decimal("100.00"), metadata={}, idempotency_key="r-4")
    assert fake.transfers[made.id]["reversed"] is True


def test_transfers_are_listed_since_a_time_with_their_reversals(fake, provider):
    charge_id = paid_charge(fake, provider)
    destination = onboarded_account(fake)

    def send(amount: str, key: str) -> ProviderTransfer:
        return provider.transfer_create(
            amount=Decimal(amount),
            currency="cny",
            destination=destination,
            source_payment_id=charge_id,
            transfer_group="attempt-7",
            metadata={"k": key},
            idempotency_key=key,
        )

    fake.now = lambda: T0
    old = send("10.00", "t-old")
    fake.now = lambda: T0 + 3600
    new = send("20.00", "t-new")
    fake.now = lambda: T0 + 7200
    newer = send("30.00", "t-newer")
    fake.reverse_in_dashboard(new.id, 500)

    listed = list(provider.transfers_list(since=datetime.datetime.fromtimestamp(T0 + 3600, tz=datetime.UTC)))

    assert [t.id for t in listed] == [newer.id, new.id]  # newest first; the old one is left out
    assert old.id in fake.transfers  # still at Stripe, only older than `since`
    assert listed[1].amount_reversed == Decimal("5.00")
    assert [(r.transfer_id, r.amount) for r in listed[1].reversals] == [(new.id, Decimal("5.00"))]
    assert last_request(fake, "GET", "/v1/transfers")["created"] == {"gte": str(T0 + 3600)}


def test_a_transfer_with_more_reversals_than_stripe_embeds_is_listed_with_all_of_them(fake, provider):
    made = provider.transfer_create(
        amount=Decimal("12.00"),
        currency="cny",
        destination=onboarded_account(fake),
        source_payment_id=paid_charge(fake, provider),
        transfer_group="attempt-7",
        metadata={},
        idempotency_key="t-many",
    )
    for n in range(12):
        provider.transfer_reverse(transfer_id=made.id, amount=Decimal("1.00"), metadata={"n": n}, idempotency_key=f"r-{n}")

    [listed] = provider.transfers_list(since=datetime.datetime.fromtimestamp(0, tz=datetime.UTC))

    assert listed.amount_reversed == Decimal("12.00")
    assert sorted(int(r.metadata["n"]) for r in listed.reversals) == list(range(12))
    assert last_request(fake, "GET", f"/v1/transfers/{made.id}/reversals") == {"limit": "100"}
    # An event embeds only the 10 most recent reversals, as Stripe's does.
    event = provider.notification_parse(fake.transfer_event("transfer.reversed", made.id))
    assert event.transfer is not None and len(event.transfer.reversals) == 10


def test_empty_metadata_values_are_not_sent(fake, provider):
    made = provider.transfer_create(
        amount=Decimal("1.00"),
        currency="cny",
        destination=onboarded_account(fake),
        source_payment_id="",
        transfer_group="",
        metadata={"anju_transfer_id": 1, "note": "", "none": None},
        idempotency_key="t-meta",
    )
    assert made.metadata == {"anju_transfer_id": "1"}
    provider.transfer_reverse(transfer_id=made.id, amount=Decimal("0.50"), metadata={"refund_id": ""}, idempotency_key="r-meta")
    assert "metadata" not in last_request(fake, "POST", f"/v1/transfers/{made.id}/reversals")


def test_errors_of_stripe_become_provider_errors_with_stripe_s_message(fake, provider):
    fake.fail_next("GET", "/v1/accounts/", 400)
    with pytest.raises(ProviderError, match="Simulated failure"):
        provider.payee_account_retrieve("acct_1Anything")
    fake.fail_next("GET", "/v1/transfers", 400)
    with pytest.raises(ProviderError, match="Simulated failure"):
        list(provider.transfers_list(since=datetime.datetime.now(tz=datetime.UTC)))


# -- notifications ------------------------------------------------------------------------------


def test_account_and_transfer_events_are_parsed(fake, provider):
    charge_id = paid_charge(fake, provider)
    account = provider.payee_account_create(name="业主大会", idempotency_key="anju-payee-4")
    fake.account_complete_onboarding(account.id)

    updated = provider.notification_parse(fake.account_event(account.id))

    assert updated.kind == NotificationKind.ACCOUNT_UPDATED
    assert updated.account == PayeeAccount(id=account.id, charges_enabled=True, payouts_enabled=True, details_submitted=True)

    made = provider.transfer_create(
        amount=Decimal("88.00"),
        currency="cny",
        destination=account.id,
        source_payment_id=charge_id,
        transfer_group="attempt-7",
        metadata={"anju_transfer_id": 12},
        idempotency_key="t-events",
    )
    body, header = fake.signed(fake.transfer_event("transfer.created", made.id))
    created = provider.notification_verify(body, {"Stripe-Signature": header})

    assert created.kind == NotificationKind.TRANSFER
    assert created.transfer == made
    assert provider.notification_parse(fake.transfer_event("transfer.updated", made.id)).kind == NotificationKind.TRANSFER

    fake.reverse_in_dashboard(made.id, 800)
    reversed_event = provider.notification_parse(fake.transfer_event("transfer.reversed", made.id))

    assert reversed_event.kind == NotificationKind.TRANSFER_REVERSED
    assert reversed_event.transfer is not None
    assert reversed_event.transfer.amount_reversed == Decimal("8.00")
    [reversal] = reversed_event.transfer.reversals
    assert (reversal.transfer_id, reversal.amount, reversal.metadata) == (made.id, Decimal("8.00"), {})


def test_an_event_whose_object_is_not_what_its_type_says_is_ignored(fake, provider):
    account = fake.account_add()
    assert provider.notification_parse(fake.event("transfer.created", account)).kind == NotificationKind.OTHER
    assert provider.notification_parse(fake.event("account.application.deauthorized", account)).kind == NotificationKind.OTHER


# -- the simulated onboarding page (FakeStripeServer) -------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def webhook():
    """A tiny local webhook that records the signed events POSTed to it."""
    received: list[tuple[bytes, str]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802 - http.server's naming
            received.append((self.rfile.read(int(self.headers["Content-Length"])), self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/billing/stripe/webhook/", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_onboarding_page_completes_the_account_signals_it_and_returns(webhook):
    hook_url, received = webhook
    fake = FakeStripe()
    with FakeStripeServer(fake, webhook_url=hook_url) as server:
        provider = StripeProvider(api_key=API_KEY, api_base=server.url, webhook_secret=fake.webhook_secret)
        account = provider.payee_account_create(name="安居物业", idempotency_key="anju-payee-5")
        url = provider.payee_onboarding_link(
            account_id=account.id, refresh_url="https://anju.test/payees/5/refresh/", return_url="https://anju.test/payees/5/"
        )

        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            page = response.read().decode()
        assert 'id="test-mode"' in page and "TEST MODE" in page and "测试模式" in page
        assert 'id="complete-onboarding"' in page
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))

        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as answer:
            opener.open(urllib.request.Request(server.url + action, data=b"", method="POST"), timeout=10)
        assert answer.value.code == 303
        assert answer.value.headers["Location"] == "https://anju.test/payees/5/"

        bad = f"{server.url}/connect/onboard/{account.id}?return_url=javascript%3Aalert(1)"
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(urllib.request.Request(bad, data=b"", method="POST"), timeout=10)
        assert refused.value.code == 400

        assert provider.payee_account_retrieve(account.id).charges_enabled is True
    assert fake.errors == []
    [(body, header)] = received
    notification = provider.notification_verify(body, {"Stripe-Signature": header})
    assert notification.kind == NotificationKind.ACCOUNT_UPDATED
    assert notification.account is not None and notification.account.id == account.id and notification.account.charges_enabled
