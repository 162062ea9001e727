"""The public search of listings: only published, unlet listings of flats under an agreement in force, with
every fact read from the flat's records in the same query."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from estates.selectors import scope_queryset

from ..models import AgreementStatus, EntrustmentPhoto, Listing, ListingStatus

LISTING_RELATED = ("estate__community__subdistrict__district", "agreement__unit__building")


@dataclass(frozen=True)
class ListingFilters:
    district: int | None = None
    rent_min: Decimal | None = None
    rent_max: Decimal | None = None
    bedrooms: int | None = None  # at least
    area_min: Decimal | None = None
    area_max: Decimal | None = None
    lift: bool | None = None


def listings_public(*, filters: ListingFilters | None = None) -> QuerySet[Listing]:
    f = filters or ListingFilters()
    qs = Listing.objects.filter(status=ListingStatus.PUBLISHED, agreement__status=AgreementStatus.ACTIVE)
    if f.district:
        qs = qs.filter(estate__community__subdistrict__district_id=f.district)
    if f.rent_min is not None:
        qs = qs.filter(rent__gte=f.rent_min)
    if f.rent_max is not None:
        qs = qs.filter(rent__lte=f.rent_max)
    if f.bedrooms:
        qs = qs.filter(bedrooms__gte=f.bedrooms)
    if f.area_min is not None:
        qs = qs.filter(agreement__unit__exclusive_area__gte=f.area_min)
    if f.area_max is not None:
        qs = qs.filter(agreement__unit__exclusive_area__lte=f.area_max)
    if f.lift is not None:
        qs = qs.filter(agreement__unit__building__lift_added_year__isnull=not f.lift)
    return (
        qs.select_related(*LISTING_RELATED)
        .prefetch_related(
            Prefetch("agreement__entrustment__photos", queryset=EntrustmentPhoto.objects.order_by("pk"), to_attr="photo_list")
        )
        .select_related("agreement__entrustment")
        .order_by("-published_at", "-pk")
    )


def listing_photo_public(*, pk: int) -> EntrustmentPhoto | None:
    """A photo shown with a published listing; nothing else is public."""
    return (
        EntrustmentPhoto.objects.filter(
            pk=pk,
            entrustment__agreement__listings__status=ListingStatus.PUBLISHED,
            entrustment__agreement__status=AgreementStatus.ACTIVE,
        )
        .distinct()
        .first()
    )


def listings_for_staff(*, user) -> QuerySet[Listing]:
    return scope_queryset(Listing.objects.all(), user=user).select_related(*LISTING_RELATED)
