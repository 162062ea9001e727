"""The fake Stripe for Anju's tests: the fake itself lives in ``billing.fake_stripe`` (it is what
`make run` starts when no Stripe key is configured); here are the pytest fixtures and helpers.

Names are re-exported so that tests and benchmarks import everything from one place.
"""

from __future__ import annotations

import pytest

from billing.fake_stripe import (  # noqa: F401 - re-exported for the tests
    API_KEY,
    ENDPOINTS,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
    FakeStripeHTTPClient,
    FakeStripeServer,
    decode_form,
    validate_params,
)

# ---------------------------------------------------------------------------------------------
# pytest fixtures and helpers for Anju's tests (import the fixtures into a test module by name)
# ---------------------------------------------------------------------------------------------

API_BASE = "https://api.fake-stripe.test"
SITE_URL = "https://anju.test"
WEBHOOK_PATH = "/billing/stripe/webhook/"


def configure_stripe(settings, monkeypatch, fake: FakeStripe, *, api_base: str = API_BASE, site_url: str = SITE_URL):
    """Point Anju at ``fake``: keys, secret, API base and (in-process) the stripe HTTP client."""
    from billing.providers import stripe as stripe_provider

    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = api_base
    settings.SITE_URL = site_url
    monkeypatch.setattr(stripe_provider, "HTTP_CLIENT", FakeStripeHTTPClient(fake))


@pytest.fixture(name="fake")
def fake_fixture(settings, monkeypatch):
    """A FakeStripe that Anju talks to in-process; at the end, every request must have been valid."""
    fake = FakeStripe()
    configure_stripe(settings, monkeypatch, fake)
    yield fake
    assert fake.errors == [], f"Anju sent Stripe requests the API would refuse: {fake.errors}"


def post_event(client, fake: FakeStripe, event: dict, *, header: str | None = None, body: bytes | None = None):
    """POST an event to the webhook as Stripe does (signed unless ``header`` says otherwise)."""
    signed_body, signed_header = fake.signed(event)
    headers = {} if header == "" else {"HTTP_STRIPE_SIGNATURE": header or signed_header}
    return client.post(WEBHOOK_PATH, data=body if body is not None else signed_body, content_type="application/json", **headers)


@pytest.fixture(name="deliver")
def deliver_fixture(client, fake, django_capture_on_commit_callbacks):
    """deliver(event, header=None, body=None): POST to the webhook and run what it queued after commit.

    Tests run inside a transaction that never commits, so the on_commit task (sync in tests) is run
    by capturing the callbacks, as a real commit would.
    """

    def _deliver(event: dict, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_event(client, fake, event, **kwargs)

    return _deliver


def owner_with_bills(*, mobile: str = "13800000001", name: str = "张小三", amounts=("120.50", "88.00"), estate=None, unit=None):
    """A user who owns one unit (in a new estate unless given) with one bill per amount (oldest first)."""
    import datetime
    from decimal import Decimal

    from accounts.models import User
    from estates.models import Ownership
    from tests.billing.factories import bill, billed_estate
    from tests.estates.factories import OwnerFactory

    user = User.objects.create_user(mobile, "pw-anju-test", name=name)
    if unit is None:
        estate, units = billed_estate(units=1, owners=False, rate=None)
        unit = units[0]
    owner = OwnerFactory(estate=unit.building.estate, name=name, user=user)
    Ownership.objects.create(unit=unit, owner=owner, share=Decimal("1"), since=datetime.date(2015, 1, 1))
    bills = [bill(unit, Decimal(amount), period=datetime.date(2026, 1 + i, 1)) for i, amount in enumerate(amounts)]
    return user, owner, unit, bills
