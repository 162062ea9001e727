"""Rows of 存房 for tests: owners with logins, rows in any status (for the status walker), and bulk listings."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from estates.models import Owner, Ownership, Unit
from rentals.models import (
    AgreementMode,
    AgreementStatus,
    Entrustment,
    EntrustmentAgreement,
    EntrustmentStatus,
    Listing,
    ListingStatus,
)
from rentals.recovery import add_months

START = datetime.date(2026, 1, 1)


def jpeg(name="room.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 180, 150)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def owner_of(unit: Unit, user: User | None, *, name: str = "张业主") -> Owner:
    owner = Owner.objects.create(estate_id=unit.building.estate_id, name=name, user=user)
    Ownership.objects.create(unit=unit, owner=owner, since=datetime.date(2010, 1, 1))
    return owner


def entrustment_row(unit: Unit, status: str = EntrustmentStatus.APPLIED, *, owner: Owner | None = None, by=None) -> Entrustment:
    owner = owner or owner_of(unit, None, name=f"业主{unit.pk}")
    by = by or User.objects.create_user(f"1350{unit.pk:07d}", "x-anju-test-pw")
    return Entrustment.objects.create(
        estate_id=unit.building.estate_id, unit=unit, owner=owner, applied_by=by, vacant_from=START, status=status
    )


def agreement_row(
    unit: Unit,
    status: str = AgreementStatus.ACTIVE,
    *,
    entrustment: Entrustment | None = None,
    by=None,
    mode: str = AgreementMode.SUBLET,
    owner_payee=None,
    operator_payee=None,
) -> EntrustmentAgreement:
    """An agreement of 3 years from START: sublet (guaranteed rent 1,500) unless ``mode`` is agency (8 %)."""
    entrustment = entrustment or entrustment_row(
        unit, EntrustmentStatus.ACCEPTED if status != AgreementStatus.OFFERED else EntrustmentStatus.OFFERED
    )
    agency = mode == AgreementMode.AGENCY
    return EntrustmentAgreement.objects.create(
        estate_id=entrustment.estate_id,
        entrustment=entrustment,
        unit=unit,
        owner=entrustment.owner,
        number=f"CFT{entrustment.pk:07d}",
        mode=mode,
        start_on=START,
        term_years=3,
        end_on=add_months(START, 36),
        guaranteed_rent=None if agency else Decimal("1500.00"),
        commission_percent=Decimal("8.00") if agency else None,
        owner_payee=owner_payee,
        operator_payee=operator_payee,
        status=status,
        offered_by=by or entrustment.applied_by,
    )


def listing_row(unit: Unit, status: str = ListingStatus.PUBLISHED, *, agreement=None, rent=Decimal("2000.00"), bedrooms=2):
    agreement = agreement or agreement_row(unit)
    return Listing.objects.create(
        estate_id=agreement.estate_id,
        agreement=agreement,
        rent=rent,
        deposit=rent,
        bedrooms=bedrooms,
        available_from=START,
        status=status,
        created_by=agreement.offered_by,
    )


def bulk_listings(estate, n: int) -> None:
    """``n`` published listings, each its own flat, entrustment and agreement (rows made directly: fast)."""
    from estates.models import Building

    building = Building.objects.create(estate=estate, number=f"B{n}", floors=7)
    Unit.objects.bulk_create(
        Unit(building=building, entrance=1, floor=1 + i % 7, number=f"{i:05d}", exclusive_area=Decimal("50.00") + i % 40)
        for i in range(n)
    )
    units = list(Unit.objects.filter(building=building))
    first = entrustment_row(units[0], "accepted")
    agreements = [agreement_row(units[0], entrustment=first)]
    entrustments = Entrustment.objects.bulk_create(
        Entrustment(estate=estate, unit=u, owner=first.owner, applied_by=first.applied_by, vacant_from=START, status="accepted")
        for u in units[1:]
    )
    template = agreements[0]
    agreements += EntrustmentAgreement.objects.bulk_create(
        EntrustmentAgreement(
            estate=estate,
            entrustment=e,
            unit=e.unit,
            owner=first.owner,
            number=f"CFB{e.pk:08d}",
            mode="sublet",
            start_on=START,
            term_years=3,
            end_on=template.end_on,
            guaranteed_rent=Decimal("1000.00"),
            status="active",
            offered_by=first.applied_by,
        )
        for e in entrustments
    )
    Listing.objects.bulk_create(
        Listing(
            estate=estate,
            agreement=a,
            rent=Decimal("1000.00") + i,
            deposit=Decimal("1000.00"),
            bedrooms=1 + i % 3,
            available_from=START,
            status="published",
            created_by=first.applied_by,
        )
        for i, a in enumerate(agreements)
    )


def _first_unit(estate):
    return Unit.objects.filter(building__estate=estate).order_by("pk").first()


def _entrustment_in(estate, status):
    return entrustment_row(_first_unit(estate), status)


def _agreement_in(estate, status):
    return agreement_row(_first_unit(estate), status)


def _listing_in(estate, status):
    return listing_row(_first_unit(estate), status)


#: The status walker (tests/property_services/test_statuses.py) makes a row of each in any status.
RENTAL_SUBJECTS = {
    Entrustment: (_entrustment_in, lambda to: {}),
    EntrustmentAgreement: (_agreement_in, lambda to: {}),
    Listing: (_listing_in, lambda to: {}),
}


def application_row(listing, status="submitted", *, mobile="13700000001", score="10.00"):
    from rentals.models import RentalApplication

    row = RentalApplication(
        estate_id=listing.estate_id,
        listing=listing,
        token=f"tok-{listing.pk}-{mobile}-abcdefghijklmnop",
        name="王申请",
        workplace="重庆某公司",
        income_band="middle",
        priority_category="young_people",
        occupants=1,
        score=Decimal(score),
        status=status,
    )
    row.set_mobile(mobile)
    row.set_id_number("11010519491231002X")
    row.save()
    return row


def _application_in(estate, status):
    return application_row(_listing_in(estate, "published"), status)


def _register_application_subject():
    from rentals.models import RentalApplication

    RENTAL_SUBJECTS[RentalApplication] = (_application_in, lambda to: {"reason": "x"} if to == "rejected" else {})


_register_application_subject()


def supervised_payee(estate_id, name="安居运营有限公司（租金监管账户）"):
    from billing.models import Payee

    return Payee.objects.create(estate_id=estate_id, legal_name=name, supervised=True, supervising_bank="重庆银行")


def lease_row(unit, status="active", *, listing=None, start_on=START, months=12, mobile="13700000009", tenant_user=None):
    """A lease made directly (for the status walker and pages), 2,000 a month on a sublet agreement whose operator's
    payee is a supervised account."""
    from rentals.cycles import lease_end
    from rentals.models import Lease

    listing = listing or listing_row(unit, "let")
    agreement = listing.agreement
    if agreement.operator_payee_id is None:
        agreement.operator_payee = supervised_payee(agreement.estate_id)
        EntrustmentAgreement.objects.filter(pk=agreement.pk).update(operator_payee=agreement.operator_payee)
    lease = Lease(
        estate_id=agreement.estate_id,
        agreement=agreement,
        unit_id=agreement.unit_id,
        listing=listing,
        number=f"ZLT{Lease.objects.count() + 1:06d}{unit.pk}",
        tenant_name="李租客",
        tenant_user=tenant_user,
        occupants=1,
        start_on=start_on,
        end_on=lease_end(start_on, months),
        monthly_rent=Decimal("2000.00"),
        rent_day=5,
        cycle_months=1,
        deposit=Decimal("2000.00"),
        deposit_cases=["damage", "unpaid_rent"],
        rent_payee=agreement.operator_payee,
        status=status,
        created_by=agreement.offered_by,
    )
    lease.set_tenant_mobile(mobile)
    lease.set_tenant_id_number("11010519491231002X")
    lease.save()
    return lease


def _lease_in(estate, status):
    return lease_row(_first_unit(estate), status)


def _register_lease_subject():
    from rentals.models import Lease

    RENTAL_SUBJECTS[Lease] = (_lease_in, lambda to: {})


_register_lease_subject()


def _payout_in(estate, status):
    from billing.models import Payee
    from rentals.models import OwnerPayout

    agreement = _agreement_in(estate, "active")
    payee = Payee.objects.create(estate=estate, legal_name="业主收款")
    return OwnerPayout.objects.create(
        estate=estate,
        agreement=agreement,
        period=START,
        amount=Decimal("1500.00"),
        payee=payee,
        due_on=START.replace(day=10),
        status=status,
        paid_on=START.replace(day=9) if status == "paid" else None,
    )


def _register_payout_subject():
    from rentals.models import OwnerPayout

    RENTAL_SUBJECTS[OwnerPayout] = (_payout_in, lambda to: {"paid_on": START.replace(day=9)} if to == "paid" else {})


_register_payout_subject()


def make_lease(
    unit: Unit,
    *,
    payee,
    mode: str = AgreementMode.SUBLET,
    tenant_user: User | None = None,
    tenant_name: str = "李租客",
    tenant_mobile: str = "13700000009",
    start_on: datetime.date = START,
    months: int = 12,
    monthly_rent: Decimal | str = Decimal("2000.00"),
    cycle_months: int = 1,
    rent_day: int = 5,
    deposit: Decimal | str | None = None,
    deposit_cases: list[str] | None = None,
    status: str = "active",
    number: str | None = None,
    listing=None,
    **fields,
):
    """A lease made directly (no service): an agreement in ``mode`` (agency: ``payee`` is the owner's payee;
    sublet: the operator's), its published listing, an approved application, then the lease in ``status``
    (active by default) whose rent and deposit go to ``payee``. Deposit: one month's rent unless given; deposit
    cases: all of them unless given. Reusable by every test of leases, rent and statements."""
    from rentals.cycles import lease_end
    from rentals.models import DepositCase, Lease

    monthly_rent = Decimal(monthly_rent)
    if listing is None:
        agency = mode == AgreementMode.AGENCY
        agreement = agreement_row(
            unit, mode=mode, owner_payee=payee if agency else None, operator_payee=None if agency else payee
        )
        listing = listing_row(unit, agreement=agreement, rent=monthly_rent)
    application = application_row(listing, "approved", mobile=tenant_mobile)
    lease = Lease(
        estate_id=listing.estate_id,
        agreement=listing.agreement,
        unit=unit,
        listing=listing,
        application=application,
        number=number or f"ZL{listing.pk:05d}{application.pk:05d}",
        tenant_name=tenant_name,
        tenant_user=tenant_user,
        occupants=1,
        start_on=start_on,
        end_on=lease_end(start_on, months),
        monthly_rent=monthly_rent,
        rent_day=rent_day,
        cycle_months=cycle_months,
        deposit=monthly_rent if deposit is None else Decimal(deposit),
        deposit_cases=list(DepositCase.values) if deposit_cases is None else deposit_cases,
        rent_payee=payee,
        status=status,
        created_by=listing.created_by,
        **fields,
    )
    lease.set_tenant_mobile(tenant_mobile)
    lease.set_tenant_id_number("11010519491231002X")
    lease.save()
    return lease
