"""The portal and back-office pages of 存房: the owner's way from application to the accepted agreement's PDF, the
staff's survey, offer and listing, and who is refused on every URL."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from rentals.models import AgreementStatus, Entrustment, EntrustmentPhoto, EntrustmentStatus, Listing, ListingStatus

from .factories import START, agreement_row, bulk_listings, entrustment_row, jpeg, listing_row, owner_of

pytestmark = pytest.mark.django_db


def _fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            names.add(str(font.get_object().get("/BaseFont")))
    return names


def test_owner_entrusts_staff_survey_and_offer_owner_accepts_and_both_download_the_pdf(client, flat, owner_user, staff, payee):
    client.force_login(owner_user)
    home = client.get("/portal/").content.decode()
    assert 'data-testid="entrust-link"' in home
    response = client.post(
        reverse("rentals_portal:entrust"), {"unit": flat.pk, "vacant_from": "2026-01-01", "note": "钥匙在物业"}
    )
    entrustment = Entrustment.objects.get()
    assert response.status_code == 302 and entrustment.status == EntrustmentStatus.APPLIED

    client.force_login(staff)
    survey = reverse("rentals_entrustment:survey", args=[entrustment.pk])
    response = client.post(survey, {"condition": "厨卫老旧", "rent_estimate": "1800.00", "photos": [jpeg(), jpeg("b.jpg")]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert EntrustmentPhoto.objects.filter(entrustment=entrustment).count() == 2
    page = client.get(reverse("rentals_entrustment:inspect", args=[entrustment.pk])).content.decode()
    assert 'data-testid="offer"' in page
    response = client.post(
        reverse("rentals_entrustment:offer", args=[entrustment.pk]),
        {
            "mode": "agency",
            "start_on": "2026-02-01",
            "term_years": "3",
            "rent_free_months": "2",
            "commission_percent": "8.00",
            "owner_payee": payee.pk,
            "renovation_budget": "12000.00",
            "recovery_months": "12",
            "notice_days": "30",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    client.force_login(owner_user)
    detail = reverse("rentals_portal:entrustment", args=[entrustment.pk])
    html = client.get(detail).content.decode()
    assert 'data-testid="accept"' in html and "¥12,000.00" in html
    assert client.post(detail, {"action": "accept"}).status_code == 302
    entrustment.refresh_from_db()
    assert entrustment.status == EntrustmentStatus.ACCEPTED
    assert entrustment.agreement.status == AgreementStatus.ACTIVE
    pdf = client.get(reverse("rentals_portal:agreement_pdf", args=[entrustment.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    body = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert entrustment.agreement.number in text and "12,000.00" in text and "张业主" in text
    assert any("Noto" in name for name in _fonts(body))  # Chinese rendered with the CJK font, not boxes

    client.force_login(staff)
    staff_pdf = client.get(reverse("rentals_agreement:pdf", args=[entrustment.agreement.pk]))
    assert staff_pdf.status_code == 200 and staff_pdf.content.startswith(b"%PDF")

    # Staff list the flat; it appears on /rentals/ once published.
    response = client.post(
        reverse("rentals_listing:add"),
        {
            "agreement": entrustment.agreement.pk,
            "rent": "2200.00",
            "deposit": "2200.00",
            "bedrooms": "2",
            "available_from": "2026-04-01",
        },
    )
    listing = Listing.objects.get()
    assert response.status_code == 302 and listing.status == ListingStatus.DRAFT
    assert f'data-testid="listing-{listing.pk}"' not in client.get("/rentals/").content.decode()
    assert client.post(reverse("rentals_listing:publish", args=[listing.pk])).status_code == 302
    public = client.get("/rentals/").content.decode()
    assert f'data-testid="listing-{listing.pk}"' in public and "¥2,200.00" in public
    photo = re.search(r'src="(/rentals/photo/\d+/)"', public).group(1)
    client.logout()
    assert client.get(photo).status_code == 200


def test_a_listing_form_offers_no_flat_without_an_agreement_in_force(client, flat, staff):
    offered = agreement_row(flat, AgreementStatus.OFFERED)
    client.force_login(staff)
    response = client.post(
        reverse("rentals_listing:add"),
        {"agreement": offered.pk, "rent": "2200.00", "deposit": "0", "bedrooms": "2", "available_from": "2026-04-01"},
    )
    assert response.status_code == 400 and not Listing.objects.exists()


def test_the_portal_refuses_the_wrong_person(client, flat, owner_user, make_user, estate):
    entrustment = entrustment_row(flat, owner=owner_user.owner_records.get())
    agreement_row(flat, entrustment=entrustment)
    urls = [
        reverse("rentals_portal:page"),
        reverse("rentals_portal:entrust"),
        reverse("rentals_portal:entrustment", args=[entrustment.pk]),
        reverse("rentals_portal:agreement_pdf", args=[entrustment.pk]),
    ]
    for url in urls:  # anonymous: to the login page
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    # Another owner (of another flat in the same estate) sees none of it.
    neighbour = make_user("13811110002")
    owner_of(estate.buildings.get().units.order_by("number")[1], neighbour, name="李业主")
    client.force_login(neighbour)
    assert client.get(urls[0]).status_code == 200
    assert f'data-testid="entrustment-{entrustment.pk}"' not in client.get(urls[0]).content.decode()
    assert client.get(urls[2]).status_code == 404
    assert client.get(urls[3]).status_code == 404
    assert client.post(urls[2], {"action": "withdraw"}).status_code == 404
    # Someone who owns no flat has no application form; a flat not theirs is not a choice.
    client.force_login(make_user("13811110003"))
    assert client.get(urls[1]).status_code == 404
    client.force_login(neighbour)
    response = client.post(urls[1], {"unit": flat.pk, "vacant_from": "2026-01-01"})
    assert response.status_code == 400 and Entrustment.objects.count() == 1


def test_the_back_office_refuses_staff_of_another_estate_owners_and_anonymous(client, flat, owner_user, other_staff, staff):
    entrustment = entrustment_row(flat, owner=owner_user.owner_records.get())
    agreement = agreement_row(flat, entrustment=entrustment)
    listing = listing_row(flat, ListingStatus.DRAFT, agreement=agreement)
    photo = EntrustmentPhoto.objects.create(entrustment=entrustment, content_type="image/jpeg")
    photo.image.save("p", jpeg())
    urls = [
        reverse("rentals_entrustment:inspect", args=[entrustment.pk]),
        reverse("rentals_entrustment:survey", args=[entrustment.pk]),
        reverse("rentals_entrustment:offer", args=[entrustment.pk]),
        reverse("rentals_entrustment:photo", args=[photo.pk]),
        reverse("rentals_agreement:inspect", args=[agreement.pk]),
        reverse("rentals_agreement:pdf", args=[agreement.pk]),
        reverse("rentals_agreement:return_early", args=[agreement.pk]),
        reverse("rentals_agreement:end", args=[agreement.pk]),
        reverse("rentals_listing:inspect", args=[listing.pk]),
        reverse("rentals_listing:publish", args=[listing.pk]),
        reverse("rentals_listing:let", args=[listing.pk]),
        reverse("rentals_listing:withdraw", args=[listing.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    client.force_login(owner_user)  # an owner has no back office
    for url in urls:
        assert client.get(url).status_code in (302, 403), url
    client.force_login(other_staff)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(urls[9]).status_code == 404
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT
    # Lists show nothing of another estate.
    for name in ("rentals_entrustment:index", "rentals_agreement:index", "rentals_listing:index"):
        html = client.get(reverse(name)).content.decode()
        assert flat.key not in html, name
    client.force_login(staff)
    for url in urls[:6] + urls[8:9]:
        assert client.get(url).status_code == 200, url


def test_the_survey_form_refuses_a_file_that_is_not_an_image(client, flat, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    entrustment = entrustment_row(flat)
    client.force_login(staff)
    fake = SimpleUploadedFile("room.jpg", b"GIF89a-not-really", content_type="image/jpeg")
    response = client.post(
        reverse("rentals_entrustment:survey", args=[entrustment.pk]),
        {"condition": "好", "rent_estimate": "1800.00", "photos": [fake]},
    )
    assert response.status_code == 400
    entrustment.refresh_from_db()
    assert entrustment.status == EntrustmentStatus.APPLIED and not EntrustmentPhoto.objects.exists()


def test_a_photo_is_public_only_with_a_published_listing(client, flat):
    listing = listing_row(flat, ListingStatus.DRAFT)
    photo = EntrustmentPhoto.objects.create(entrustment=listing.agreement.entrustment, content_type="image/jpeg")
    photo.image.save("p", jpeg())
    assert client.get(reverse("rentals:photo", args=[photo.pk])).status_code == 404
    assert START  # the listing is available from the agreement's start


def _list_queries(client, staff) -> dict[str, int]:
    counts = {}
    client.force_login(staff)
    for name in ("rentals_entrustment:index", "rentals_agreement:index", "rentals_listing:index", "rentals_portal:page"):
        client.get(reverse(name))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        counts[name] = len(queries.captured_queries)
    return counts


def test_back_office_lists_and_the_owners_page_run_the_same_queries_at_3_and_60_rows(client, estate, staff):
    from estates.models import Owner

    bulk_listings(estate, 3)
    owner = Owner.objects.filter(entrustments__isnull=False).distinct().get()
    Owner.objects.filter(pk=owner.pk).update(user=staff)  # the staff member also owns the flats: the portal list
    small = _list_queries(client, staff)
    bulk_listings(estate, 57)
    Owner.objects.filter(entrustments__isnull=False).update(user=staff)
    assert _list_queries(client, staff) == small
    html = client.get(reverse("rentals_portal:page")).content.decode()
    assert html.count('data-testid="entrustment-') == 50  # the newest 50 of 60


def test_a_listing_refused_on_a_field_says_so_on_the_form(client, flat, staff, settings):
    """住房租赁条例 Art. 7: a flat too small for one person under the city's area per person is not listed; the
    back-office form shows the refusal on its field (it answered 500 when a service refused a field)."""
    settings.ANJU_RENTAL_CITY_RULES = {"chongqing": {"name": "重庆市", "max_occupants_per_room": 2, "min_area_per_person": "999"}}
    agreement = agreement_row(flat)
    client.force_login(staff)
    response = client.post(
        reverse("rentals_listing:add"),
        {"agreement": agreement.pk, "rent": "2200.00", "deposit": "0", "bedrooms": "2", "available_from": "2026-04-01"},
    )
    assert response.status_code == 400 and not Listing.objects.exists()
    assert response.context["form"].errors.get("bedrooms")
