"""Listings (房源): created for a flat under an active agreement, published, let or withdrawn."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import refuse
from estates.status import transition

from ..city_rules import city_rules
from ..models import AgreementStatus, EntrustmentAgreement, Listing, ListingStatus, ListingStatusChange
from .entrustments import _money, _staff_check

MAX_BEDROOMS = 10


@transaction.atomic
def listing_create(
    *, agreement: EntrustmentAgreement | None, by, rent: Any, deposit: Any, bedrooms: int, available_from: datetime.date
) -> Listing:
    """A draft listing of the whole flat under ``agreement``. A flat without an agreement in force is never
    listed. The listing's facts (area, floor, lift, estate) are the flat's records; it adds rent, deposit,
    the number of bedrooms and the date it is available from (住房租赁条例 Art. 16)."""
    if agreement is None or agreement.status != AgreementStatus.ACTIVE:
        raise refuse(
            "该房屋没有履行中的存房协议，不能发布房源",
            "This flat has no agreement in force: it cannot be listed.",
            field="agreement",
            code="no_agreement",
        )
    _staff_check(by, agreement.estate_id)
    rent_amount = _money(rent, field="rent", zh="租金", en="The rent", allow_zero=False)
    deposit_amount = _money(deposit, field="deposit", zh="押金", en="The deposit")
    if not isinstance(bedrooms, int) or not 1 <= bedrooms <= MAX_BEDROOMS:
        raise refuse(
            f"卧室数须为1至{MAX_BEDROOMS}间", f"Bedrooms must be 1 to {MAX_BEDROOMS}.", field="bedrooms", code="bedrooms"
        )
    if not agreement.start_on <= available_from < agreement.end_on:
        raise refuse(
            "可入住日期须在存房协议期限内",
            "The flat is available only within the agreement's term.",
            field="available_from",
            code="available_from",
        )
    # 住房租赁条例 Art. 7: at least one person may live there under the city's area per person.
    if city_rules().max_occupants(bedrooms=bedrooms, area=agreement.unit.exclusive_area) < 1:
        raise refuse(
            "房屋面积低于本市人均居住面积下限",
            "The flat is below the city's minimum area per person.",
            field="bedrooms",
            code="area",
        )
    try:
        with transaction.atomic():
            listing = Listing.objects.create(
                estate_id=agreement.estate_id,
                agreement=agreement,
                rent=rent_amount,
                deposit=deposit_amount,
                bedrooms=bedrooms,
                available_from=available_from,
                created_by=by,
            )
    except IntegrityError:
        raise refuse(
            "该房屋已有待发布或已发布的房源", "This flat already has an open listing.", field="agreement", code="open_listing"
        ) from None
    ListingStatusChange.objects.create(listing=listing, to_status=ListingStatus.DRAFT, by=by)
    return listing


@transaction.atomic
def listing_publish(*, listing: Listing, by) -> Listing:
    _staff_check(by, listing.estate_id)
    if listing.agreement.status != AgreementStatus.ACTIVE:
        raise refuse("存房协议已不在履行中", "The agreement is no longer in force.", code="no_agreement")
    transition(listing, to=ListingStatus.PUBLISHED, by=by, published_at=timezone.now())
    return listing


@transaction.atomic
def listing_withdraw(*, listing: Listing, by, reason: str = "") -> Listing:
    _staff_check(by, listing.estate_id)
    transition(listing, to=ListingStatus.WITHDRAWN, by=by, note=reason)
    return listing


@transaction.atomic
def listing_mark_let(*, listing: Listing, by) -> Listing:
    """The flat is let: off the public site (signing a lease does this; staff may also record it)."""
    _staff_check(by, listing.estate_id)
    transition(listing, to=ListingStatus.LET, by=by)
    return listing
