"""Listings (房源): only for a flat under an agreement in force; the flat's own facts; published and unlet only on
/rentals/, with filters; a fixed number of queries at 10 and 10,000 listings."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from estates.models import Building, Unit
from estates.status import transition
from rentals.models import AgreementStatus, Listing, ListingStatus
from rentals.services.listings import listing_create, listing_mark_let, listing_publish, listing_withdraw

from .factories import START, agreement_row, bulk_listings, listing_row

pytestmark = pytest.mark.django_db


def _create(agreement, staff, **kw):
    terms = {"rent": "2000.00", "deposit": "2000.00", "bedrooms": 2, "available_from": START}
    return listing_create(agreement=agreement, by=staff, **(terms | kw))


def test_a_listing_for_a_flat_without_an_agreement_in_force_is_refused(flat, staff):
    """住房租赁条例 Art. 16 (truthful listings): only a flat the operator holds under an agreement is listed."""
    for agreement in (None, agreement_row(flat, AgreementStatus.OFFERED)):
        with pytest.raises(ValidationError) as refused:
            _create(agreement, staff)
        assert refused.value.error_dict["agreement"][0].code == "no_agreement"
    assert not Listing.objects.exists()


def test_bad_listing_input_is_refused_and_nothing_is_written(flat, staff):
    agreement = agreement_row(flat)
    for bad, field in (
        ({"rent": "-1.00"}, "rent"),
        ({"rent": "0"}, "rent"),
        ({"deposit": "-0.01"}, "deposit"),
        ({"bedrooms": 0}, "bedrooms"),
        ({"available_from": datetime.date(2025, 12, 31)}, "available_from"),
        ({"available_from": agreement.end_on}, "available_from"),
    ):
        with pytest.raises(ValidationError) as refused:
            _create(agreement, staff, **bad)
        assert field in refused.value.error_dict, bad
    assert not Listing.objects.exists()


def test_one_open_listing_per_flat_and_staff_of_another_estate_refused(flat, staff, other_staff):
    agreement = agreement_row(flat)
    with pytest.raises(ValidationError):
        _create(agreement, other_staff)
    _create(agreement, staff)
    with pytest.raises(ValidationError) as refused:
        _create(agreement, staff)
    assert refused.value.error_dict["agreement"][0].code == "open_listing"


def test_listing_moves_draft_published_let_and_withdrawn(flat, staff):
    listing = _create(agreement_row(flat), staff)
    listing_publish(listing=listing, by=staff)
    assert listing.status == ListingStatus.PUBLISHED and listing.published_at
    listing_mark_let(listing=listing, by=staff)
    assert listing.status == ListingStatus.LET
    with pytest.raises(ValidationError):
        listing_withdraw(listing=listing, by=staff)
    assert [c.to_status for c in listing.status_changes.order_by("pk")] == ["draft", "published", "let"]


def test_a_listing_is_not_published_once_its_agreement_has_ended(flat, staff):
    agreement = agreement_row(flat)
    listing = _create(agreement, staff)
    transition(agreement, to=AgreementStatus.ENDED, by=staff)
    listing.agreement.refresh_from_db()
    with pytest.raises(ValidationError):
        listing_publish(listing=listing, by=staff)


# --- the public page -----------------------------------------------------------------------------------------


def _ids(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-testid="listing-(\d+)"', html)}


def test_the_page_shows_only_published_unlet_listings_with_the_flats_own_facts(client, estate):
    units = list(Unit.objects.filter(building__estate=estate).order_by("pk"))
    shown = listing_row(units[0])
    hidden = [
        listing_row(units[1], ListingStatus.DRAFT),
        listing_row(units[2], ListingStatus.LET),
        listing_row(units[3], ListingStatus.WITHDRAWN),
    ]
    html = client.get("/rentals/").content.decode()
    assert _ids(html) == {shown.pk}
    assert not _ids(html) & {h.pk for h in hidden}
    # The facts are the flat's records: change the unit and the page follows (one source).
    Unit.objects.filter(pk=units[0].pk).update(exclusive_area=Decimal("72.35"), floor=5)
    Building.objects.filter(pk=units[0].building_id).update(lift_added_year=2023)
    detail = client.get(f"/rentals/{shown.pk}/").content.decode()
    assert "72.35 m²" in detail and re.search(r'data-testid="floor">5 / 6<', detail)
    assert "渝中区" in detail and "金汤街小区" in detail
    assert client.get(f"/rentals/{hidden[0].pk}/").status_code == 404


def test_filters_by_district_rent_bedrooms_area_and_lift(client, estate, other_estate):
    from estates.models import Community, District, Subdistrict

    far = District.objects.create(code="T500108", name="南岸区")
    sub = Subdistrict.objects.create(district=far, code="T500108001", name="南坪街道")
    community = Community.objects.create(subdistrict=sub, code="T500108001-C", name="南坪社区")
    type(other_estate).objects.filter(pk=other_estate.pk).update(community=community)
    a, b, c, d = Unit.objects.filter(building__estate=estate).order_by("pk")  # areas 60, 61, 62, 63
    Building.objects.filter(estate=estate).update(lift_added_year=2022)
    cheap = listing_row(a, rent=Decimal("1200.00"), bedrooms=1)
    mid = listing_row(b, rent=Decimal("2000.00"), bedrooms=2)
    big = listing_row(c, rent=Decimal("3000.00"), bedrooms=3)
    far_flat = listing_row(Unit.objects.filter(building__estate=other_estate).first(), rent=Decimal("1500.00"))

    def ids(query):
        return _ids(client.get(f"/rentals/?{query}").content.decode())

    assert ids("") == {cheap.pk, mid.pk, big.pk, far_flat.pk}
    assert ids(f"district={far.pk}") == {far_flat.pk}
    assert ids("rent_min=1500&rent_max=2000") == {mid.pk, far_flat.pk}
    assert ids("bedrooms=2") == {mid.pk, big.pk, far_flat.pk}
    assert ids("area_min=61&area_max=62") == {mid.pk, big.pk}
    assert ids("lift=1") == {cheap.pk, mid.pk, big.pk}
    assert ids("lift=0") == {far_flat.pk}
    assert ids("rent_min=-5") == {cheap.pk, mid.pk, big.pk, far_flat.pk}  # a bad filter is ignored, not a 500
    assert d  # the fourth flat has no listing


@pytest.mark.parametrize("n", [10, 10_000])
def test_the_page_runs_the_same_queries_at_10_and_10000_listings(client, estate, n, django_assert_num_queries):
    bulk_listings(estate, n)
    client.get("/rentals/")  # warm the session and caches
    with CaptureQueriesContext(connection) as first:
        response = client.get("/rentals/?rent_min=1000&bedrooms=1&lift=0")
    assert response.status_code == 200
    assert len(_ids(response.content.decode())) == min(n, 20)
    # count, the page, its photos, the districts for the filter: the same whatever the number of listings.
    assert len(first.captured_queries) == QUERIES


QUERIES = 4


def test_the_city_limits_are_stated_on_the_listing_and_a_flat_too_small_for_one_person_is_refused(client, flat, staff, settings):
    """住房租赁条例 Art. 7: the city sets the occupants per room and the area per person; the whole flat is let
    (kitchens, bathrooms, balconies never as rooms), and the limits are stated on the listing."""
    settings.ANJU_RENTAL_CITY_RULES = {"chongqing": {"name": "重庆市", "max_occupants_per_room": 2, "min_area_per_person": "25"}}
    listing = listing_row(flat, bedrooms=3)  # 60 m²: 3 × 2 = 6 by rooms, 60 // 25 = 2 by area
    html = client.get(f"/rentals/{listing.pk}/").content.decode()
    assert re.search(r'data-testid="max-occupants">2<', html)
    assert "25 m²" in html and "重庆市" in html
    settings.ANJU_RENTAL_CITY_RULES = {"chongqing": {"name": "重庆市", "max_occupants_per_room": 2, "min_area_per_person": "64"}}
    other = agreement_row(Unit.objects.filter(building=flat.building).exclude(pk=flat.pk).first())
    with pytest.raises(ValidationError) as refused:
        _create(other, staff)
    assert refused.value.error_dict["bedrooms"][0].code == "area"
