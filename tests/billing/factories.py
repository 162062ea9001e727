"""Builders for billing tests: an estate with owned units and a tariff, and bills made through the services."""

import datetime
from decimal import Decimal

from django.utils import timezone

from billing.models import ChargeKind, Invoice, Payee, PayeeAssignment, PayeeMoney
from billing.services import invoice_create_for_source, tariff_schedule_set
from estates.models import Ownership, Unit
from tests.estates.factories import BuildingFactory, EstateFactory, OwnerFactory

PERIOD = datetime.date(2026, 10, 1)


def estate_payees(estate, *, since: datetime.date = datetime.date(2000, 1, 1), enabled: bool = True) -> dict[str, Payee]:
    """The estate's payees as a real one has them: the manager for fees, the owners jointly for public
    income and the maintenance fund, a lessor of record for rent; each with a Stripe connected account
    (which the fake Stripe treats as existing) that can take payments when ``enabled``."""
    manager = Payee.objects.create(
        estate=estate,
        legal_name=f"{estate.name}物业服务有限公司",
        account_id=f"acct_1Fee{estate.pk:06d}",
        charges_enabled=enabled,
        payouts_enabled=enabled,
    )
    owners = Payee.objects.create(
        estate=estate,
        legal_name=f"{estate.name}业主大会",
        account_id=f"acct_1Own{estate.pk:06d}",
        charges_enabled=enabled,
        payouts_enabled=enabled,
    )
    lessor = Payee.objects.create(
        estate=estate,
        legal_name=f"{estate.name}住房租赁有限公司",
        account_id=f"acct_1Let{estate.pk:06d}",
        charges_enabled=enabled,
        payouts_enabled=enabled,
    )
    named = {
        PayeeMoney.FEES: manager,
        PayeeMoney.PUBLIC_INCOME: owners,
        PayeeMoney.MAINTENANCE_FUND: owners,
        PayeeMoney.RENT: lessor,
    }
    for money, payee in named.items():
        PayeeAssignment.objects.create(estate=estate, money=money, payee=payee, valid_from=since)
    return named


def billed_estate(
    *,
    units: int = 3,
    rate: Decimal | None = Decimal("1.50"),
    owners: bool = True,
    code: str | None = None,
    area=Decimal("80.00"),
    payees: bool = True,
):
    """An estate with `units` units (areas area, area+1, …), each owned by its own owner, a residential
    tariff and (``payees``) its payees (``estate_payees``), so that its bills can be paid online."""
    estate = EstateFactory(**({"code": code} if code else {}))
    if payees:
        estate_payees(estate)
    building = BuildingFactory(estate=estate, number="1")
    unit_list = Unit.objects.bulk_create(
        Unit(building=building, entrance=1, floor=1, number=f"{101 + i}", exclusive_area=Decimal(area) + i) for i in range(units)
    )
    if owners:
        for unit in unit_list:
            owner = OwnerFactory(estate=estate)
            Ownership.objects.create(unit=unit, owner=owner, share=Decimal("1"), since=datetime.date(2015, 1, 1))
    if rate is not None:
        tariff_schedule_set(
            estate=estate,
            charge_kind=ChargeKind.PROPERTY_FEE,
            rates={"residential": rate},
            valid_from=datetime.date(2020, 1, 1),
            source_label="test",
        )
    return estate, unit_list


def bill(
    unit: Unit, total: Decimal, *, period: datetime.date = PERIOD, due_on: datetime.date | None = None, kind=ChargeKind.OTHER
) -> Invoice:
    """A one-line bill of `total` for the unit's current owner."""
    ownership = unit.ownerships.select_related("owner").filter(until__isnull=True).first()
    return invoice_create_for_source(
        source=unit,
        estate=unit.building.estate,
        unit=unit,
        charge_kind=kind,
        period=period,
        payer_owner=ownership.owner if ownership else None,
        payer_user=ownership.owner.user if ownership else None,
        payer_name=ownership.owner.name if ownership else "某业主",
        lines=[("测试收费", Decimal("1"), Decimal(total))],
        due_on=due_on or timezone.localdate() + datetime.timedelta(days=30),
    )
