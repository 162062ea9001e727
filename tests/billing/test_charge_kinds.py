"""Charge kinds are registered, not named: each app registers its own with the account its money belongs to."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from billing.charges import charge_kind, charge_kind_choices, charge_kinds, register_charge_kind, unregister_charge_kind
from billing.ledger import charge_account, ledger_balances
from billing.models import AccountKind, ChargeKind, Invoice, Tariff
from billing.services import invoice_create_for_source, tariff_schedule_set

from .factories import bill, billed_estate


@pytest.fixture
def test_kind():
    spec = register_charge_kind("test_kind", label="测试收费", account=AccountKind.PUBLIC_INCOME, number_prefix="TK")
    yield spec
    unregister_charge_kind("test_kind")


def test_a_kind_naming_a_missing_ledger_account_fails_at_start_up():
    with pytest.raises(ImproperlyConfigured, match="no ledger account kind 'owners_pocket'"):
        register_charge_kind("bad_kind", label="坏", account="owners_pocket", number_prefix="BK")
    assert "bad_kind" not in {k.code for k in charge_kinds()}


def test_a_kind_cannot_take_another_kinds_code_or_number_prefix():
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        register_charge_kind("parking_permit", label="停车", account=AccountKind.FEE_INCOME, number_prefix="PP")
    with pytest.raises(ImproperlyConfigured, match="taken by 'property_fee'"):
        register_charge_kind("new_kind", label="新", account=AccountKind.FEE_INCOME, number_prefix="PF")


def test_other_apps_register_their_kinds_and_billing_names_none_of_them():
    """billing's own choices hold only its own kinds; parking, shop and flat rent come from their apps (Arts. 281, 282)."""
    assert set(ChargeKind.values) == {"property_fee", "maintenance_fund", "other"}
    assert charge_account("parking_permit") == AccountKind.PUBLIC_INCOME
    assert charge_account("shop_rent") == AccountKind.PUBLIC_INCOME
    assert charge_account("flat_rent") == AccountKind.RENT_PAYABLE
    assert charge_account("maintenance_fund") == AccountKind.MAINTENANCE_FUND
    assert charge_account("property_fee") == AccountKind.FEE_INCOME
    assert {"parking_permit", "parking_session", "shop_rent", "ad_rent", "flat_rent"} <= {
        code for code, _ in charge_kind_choices()
    }


@pytest.mark.django_db
def test_a_bill_of_an_unregistered_kind_is_refused_and_nothing_is_written():
    estate, units = billed_estate(units=1)
    with pytest.raises(ValidationError) as refused:
        bill(units[0], Decimal("10.00"), kind="boat_mooring")
    assert refused.value.code == "charge_kind"
    assert refused.value.messages == ["未知的收费项目 / Unknown charge 'boat_mooring'."]
    assert not Invoice.objects.exists()
    with pytest.raises(ValidationError):
        tariff_schedule_set(
            estate=estate, charge_kind="boat_mooring", rates={"": Decimal("1")}, valid_from=datetime.date(2026, 1, 1)
        )
    assert not Tariff.objects.filter(charge_kind="boat_mooring").exists()
    with pytest.raises(ValidationError):
        charge_kind("boat_mooring")


@pytest.mark.django_db
def test_a_registered_kind_is_billed_with_its_prefix_to_its_account(test_kind):
    estate, units = billed_estate(units=1)
    invoice = invoice_create_for_source(
        source=units[0],
        estate=estate,
        unit=units[0],
        charge_kind="test_kind",
        period=datetime.date(2026, 10, 1),
        payer_name="陈建华",
        lines=[("测试", Decimal("1"), Decimal("25.00"))],
        due_on=datetime.date(2026, 11, 30),
    )
    assert invoice.number.startswith("TK202610-")
    assert invoice.get_charge_kind_display() == "测试收费"
    assert ledger_balances(estate_id=estate.pk)[AccountKind.PUBLIC_INCOME] == Decimal("-25.00")
