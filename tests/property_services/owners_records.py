"""An estate whose units paid into the maintenance fund, for the tests of fund accounts, disclosure and
inspection requests (issue 13)."""

from decimal import Decimal

from django.utils import timezone

from billing.models import ChargeKind, PaymentMethod
from billing.services import payment_record
from tests.billing.factories import bill, billed_estate
from tests.property_services.conftest import make_owners


def funded_estate(make_user, *, units=3, code="FA1", prefix="1380005", paid=Decimal("1000.00")):
    """``units`` units (80, 81, … m²), the first owner holding the first two, each unit with ``paid`` paid
    into the fund in cash. Returns (estate, units, owners); owners' logins are ``prefix`` + 1001, 1002, …"""
    estate, unit_list = billed_estate(units=units, owners=False, code=code)
    owners = make_owners(estate, make_user, prefix=prefix)
    for unit in unit_list:
        contribution = bill(unit, paid, kind=ChargeKind.MAINTENANCE_FUND)
        payment_record(
            estate=estate,
            invoices=[contribution],
            amount=paid,
            method=PaymentMethod.CASH,
            received_at=timezone.now(),
            reference=f"MF-{unit.pk}",
            payer_name="业主",
        )
    return estate, unit_list, owners
