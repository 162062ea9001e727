"""Rental applications (issue 15): an applicant without an account applies with a one-time code, registers every
occupant (住房租赁条例 Art. 37) within the city's limit (Art. 7), uploads PDF/image documents, tracks the
application by an unguessable link; staff review a queue ranked by a transparent score; personal data masked in
lists, shown in full only on the reviewing page, each view logged (PIPL)."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.sms import ConsoleSmsBackend
from rentals.models import (
    ApplicationDataAccess,
    ApplicationStatus,
    RentalApplication,
    RentalApplicationDocument,
    RentalApplicationMember,
)
from rentals.scoring import application_score
from rentals.services.applications import (
    application_approve,
    application_reject,
    application_send_code,
    application_submit,
    application_withdraw,
)

from .factories import application_row, jpeg, listing_row

pytestmark = pytest.mark.django_db

MOBILE = "13712345678"
ID = "11010519491231002X"
BAD_ID = "110105194912310021"  # wrong check character


@pytest.fixture(autouse=True)
def outbox():
    ConsoleSmsBackend.sent.clear()
    return ConsoleSmsBackend.sent


@pytest.fixture
def listing(flat):
    return listing_row(flat)  # 2 bedrooms, 60 m²: at most min(2×2, 60÷5) = 4 people


def _code(outbox, listing, mobile=MOBILE):
    application_send_code(listing=listing, mobile=mobile)
    return re.search(r"\b(\d{6})\b", outbox[-1][1]).group(1)


def pdf_file(name="paper.pdf"):
    from pypdf import PdfWriter

    buffer = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def _apply(listing, code, **kw):
    data = {
        "listing": listing,
        "mobile": MOBILE,
        "code": code,
        "name": "李新",
        "id_number": ID,
        "workplace": "重庆某医院",
        "income_band": "middle",
        "priority_category": "key_worker",
        "members": [{"name": "李小", "relationship": "子女"}],
        "documents": [pdf_file(), jpeg()],
    }
    return application_submit(**(data | kw))


def _field(refused, field):
    return refused.value.error_dict[field][0].code


def test_an_applicant_applies_with_a_code_and_every_occupant_is_registered(outbox, listing):
    """住房租赁条例 Art. 37: every actual occupant is registered (the applicant and the members)."""
    application = _apply(listing, _code(outbox, listing))
    assert application.status == ApplicationStatus.SUBMITTED and application.occupants == 2
    assert list(application.members.values_list("name", flat=True)) == ["李小"]
    assert sorted(application.documents.values_list("content_type", flat=True)) == ["application/pdf", "image/jpeg"]
    assert application.mobile_masked == "137****5678" and ID not in application.id_number_masked
    assert application.get_id_number() == ID and len(application.token) >= 40
    assert [c.to_status for c in application.status_changes.all()] == ["submitted"]


def test_a_wrong_or_expired_code_is_refused_and_nothing_is_written(outbox, listing):
    code = _code(outbox, listing)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ValidationError) as refused:
        _apply(listing, wrong)
    assert _field(refused, "code") == "wrong"
    from accounts.models import OneTimeCode

    OneTimeCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(ValidationError) as refused:
        _apply(listing, code)
    assert _field(refused, "code") == "expired"
    assert not RentalApplication.objects.exists() and not RentalApplicationMember.objects.exists()


def test_applying_twice_for_one_listing_is_refused_clearly_and_by_the_database(outbox, listing):
    _apply(listing, _code(outbox, listing))
    with pytest.raises(ValidationError) as refused:
        _apply(listing, "123456")
    assert _field(refused, "mobile") == "applied_twice"
    assert "不能重复申请" in str(refused.value) and "already applied" in str(refused.value)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        application_row(listing, mobile=MOBILE)
    assert RentalApplication.objects.count() == 1


def test_bad_input_is_refused_before_the_code_is_spent(outbox, listing):
    code = _code(outbox, listing)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    for bad, field, error in (
        ({"id_number": BAD_ID}, "id_number", "id_checksum"),
        ({"members": [{"name": f"人{i}", "relationship": "朋友"} for i in range(4)]}, "members", "too_many_occupants"),
        (
            {"documents": [SimpleUploadedFile("x.pdf", b"<html>hi</html>", content_type="application/pdf")]},
            "documents",
            "bad_document",
        ),
        ({"documents": [big]}, "documents", "too_large"),
        ({"priority_category": "vip"}, "priority_category", "category"),
    ):
        with pytest.raises(ValidationError) as refused:
            _apply(listing, code, **bad)
        assert _field(refused, field) == error, bad
    assert not RentalApplication.objects.exists()
    _apply(listing, code)  # the code was not spent by the refusals


def test_the_score_is_its_parts_added_up():
    """The parts: the city's category weight, household fit = 20 × occupants ÷ maximum, income band points."""
    score = application_score(category="key_worker", occupants=3, max_occupants=4, income_band="low")
    assert [(p.key, p.points) for p in score.parts] == [
        ("category", Decimal("40")),
        ("household_fit", Decimal("15.00")),
        ("income_band", Decimal("30")),
    ]
    assert score.total == Decimal("85.00")
    assert application_score(category="none", occupants=1, max_occupants=3, income_band="high").total == Decimal("6.67")


def test_the_weights_are_the_citys_settings(settings):
    settings.ANJU_RENTAL_PRIORITY = {
        "chongqing": {
            "categories": {"none": 0, "key_worker": 7},
            "income_bands": {"low": 1, "middle": 0, "high": 0},
            "household_fit": 0,
        }
    }
    assert application_score(category="key_worker", occupants=1, max_occupants=1, income_band="low").total == Decimal("8")


def test_statuses_approve_reject_with_reason_and_withdraw(listing, staff, other_staff):
    a = application_row(listing, mobile="13700000001")
    b = application_row(listing, mobile="13700000002")
    c = application_row(listing, mobile="13700000003")
    with pytest.raises(ValidationError):
        application_approve(application=a, by=other_staff)
    application_approve(application=a, by=staff)
    with pytest.raises(ValidationError) as refused:
        application_reject(application=b, by=staff, reason=" ")
    assert _field(refused, "reason") == "reason"
    application_reject(application=b, by=staff, reason="收入证明不清晰")
    application_withdraw(token=c.token)
    assert dict(RentalApplication.objects.values_list("pk", "status")) == {
        a.pk: "approved",
        b.pk: "rejected",
        c.pk: "withdrawn",
    }
    with pytest.raises(ValidationError):
        application_withdraw(token=a.token)


def test_the_public_form_sends_a_code_and_applies_then_the_tracking_page_shows_the_score(client, outbox, listing):
    url = reverse("rentals:apply", args=[listing.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"mobile": MOBILE, "action": "send_code"}).status_code == 200
    code = re.search(r"\b(\d{6})\b", outbox[-1][1]).group(1)
    response = client.post(
        url,
        {
            "mobile": MOBILE,
            "code": code,
            "name": "李新",
            "id_number": ID,
            "workplace": "重庆某医院",
            "income_band": "low",
            "priority_category": "new_citizen",
            "members": "李小，子女\n王大 配偶",
            "documents": [pdf_file()],
            "action": "submit",
        },
    )
    application = RentalApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("rentals:application", args=[application.token])
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="submitted"' in page
    assert re.search(r'data-testid="score-total">75.00<', page)  # 30 + 20×3÷4 + 30
    assert ID not in page and MOBILE not in page
    client.post(reverse("rentals:withdraw", args=[application.token]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


def test_the_public_form_refuses_a_bad_id_with_nothing_written(client, outbox, listing):
    code = _code(outbox, listing)
    response = client.post(
        reverse("rentals:apply", args=[listing.pk]),
        {
            "mobile": MOBILE,
            "code": code,
            "name": "李新",
            "id_number": BAD_ID,
            "workplace": "x",
            "income_band": "low",
            "priority_category": "none",
            "action": "submit",
        },
    )
    assert response.status_code == 400 and 'data-testid="error-id_number"' in response.content.decode()
    assert not RentalApplication.objects.exists()


def test_applicant_a_cannot_see_bs_application(client, listing):
    """Each application is reached only by its own unguessable token."""
    a = application_row(listing, mobile="13700000001")
    b = application_row(listing, mobile="13700000002")
    assert client.get(reverse("rentals:application", args=[a.token])).status_code == 200
    for token in (a.token[:-1] + "Z", "x" * 43, str(b.pk)):
        assert client.get(reverse("rentals:application", args=[token])).status_code == 404
        assert client.post(reverse("rentals:withdraw", args=[token])).status_code == 404
    b.refresh_from_db()
    assert b.status == ApplicationStatus.SUBMITTED


def test_staff_of_another_estate_get_404_and_anonymous_is_refused(client, listing, other_staff, staff):
    a = application_row(listing)
    document = RentalApplicationDocument(application=a, content_type="application/pdf")
    document.file.save("document", pdf_file(), save=True)
    urls = [
        reverse("rentals_application:inspect", args=[a.pk]),
        reverse("rentals_application:approve", args=[a.pk]),
        reverse("rentals_application:reject", args=[a.pk]),
        reverse("rentals_application:document", args=[document.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login
    client.force_login(other_staff)
    for url in urls:
        assert client.get(url).status_code == 404
    for url in urls[1:]:
        assert client.post(url, {"reason": "x"}).status_code == 404
    a.refresh_from_db()
    assert a.status == ApplicationStatus.SUBMITTED and not ApplicationDataAccess.objects.exists()
    client.force_login(staff)
    response = client.get(urls[-1])
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")


def test_personal_data_is_masked_in_the_queue_and_each_full_view_logged(client, listing, staff):
    a = application_row(listing, mobile="13700000001")
    client.force_login(staff)
    queue = client.get(reverse("rentals_application:index")).content.decode()
    assert "137****0001" in queue and "13700000001" not in queue and ID not in queue
    page = client.get(reverse("rentals_application:inspect", args=[a.pk])).content.decode()
    assert "13700000001" in page and ID in page
    client.get(reverse("rentals_application:inspect", args=[a.pk]))
    assert ApplicationDataAccess.objects.filter(user=staff, application=a).count() == 4  # 2 fields × 2 views
    response = client.post(reverse("rentals_application:reject", args=[a.pk]), {"reason": "不符合条件"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == ApplicationStatus.REJECTED and a.reason == "不符合条件"


def test_the_queue_is_ranked_by_score_with_a_fixed_number_of_queries(client, listing, staff):
    client.force_login(staff)
    url = reverse("rentals_application:index")

    def count(n_more):
        for i in range(n_more):
            application_row(listing, mobile=f"1370000{RentalApplication.objects.count():04d}", score=f"{i}.00")
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    small, _ = count(3)
    large, page = count(25)
    assert small == large
    assert page.index("24.00") < page.index("23.00")


def test_a_listing_not_published_takes_no_application(outbox, flat, client):
    listing = listing_row(flat, status="let")
    with pytest.raises(ValidationError) as refused:
        application_send_code(listing=listing, mobile=MOBILE)
    assert refused.value.code == "listing_closed" and not outbox
    assert client.get(reverse("rentals:apply", args=[listing.pk])).status_code == 404
