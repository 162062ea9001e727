"""The billing demo: bills in the portal of the demo owner, a reminder, books that balance."""

import pytest

from billing.demo import DEMO_OWNER, seed_billing_demo
from billing.ledger import ledger_balances
from billing.models import DunningNotice, Invoice, InvoiceStatus, Payment
from estates.demo import demo_seed
from estates.models import Estate

pytestmark = pytest.mark.django_db


def test_billing_demo_seeds_bills_payments_and_a_reminder_once():
    demo_seed(units=60)
    counts = seed_billing_demo()
    assert counts["bills"] > 0 and counts["payments"] > 0
    owed = Invoice.objects.filter(payer_owner__user__mobile=DEMO_OWNER)
    assert owed.filter(status=InvoiceStatus.OVERDUE).exists()
    assert DunningNotice.objects.filter(invoice__in=owed).exists()
    for estate in Estate.objects.all():
        balances = ledger_balances(estate_id=estate.pk)
        assert sum(balances.values()) == 0
    assert seed_billing_demo() == {"tariffs": 0, "bills": 0, "payments": 0, "reminders": 0}
    assert Payment.objects.count() == counts["payments"]
