"""A person's own data (个人信息保护法 PIPL Art. 45: the right to access and copy), an applicant's deletion request
(PIPL Art. 47), and the log of every full view of personal data, for platform administrators only."""

import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import Role
from billing.models import Payee
from estates.models import Owner
from rentals.models import ApplicationStatus, RentalApplicationDocument, RentalApplicationMember
from rentals.services.applications import application_reveal
from tests.billing.factories import bill
from tests.rentals.factories import application_row, listing_row, owner_of

pytestmark = pytest.mark.django_db

ID_A, ID_B = "11010519491231002X", "110105194912310029"


@pytest.fixture
def estate(make_estate):
    return make_estate("PD1", name="数据小区", units_per_building=4)


@pytest.fixture
def owners(estate, make_user):
    units = list(estate.buildings.get().units.order_by("number"))
    a, b = make_user("13811112001", Role.OWNER, name="甲业主"), make_user("13811112002", Role.OWNER, name="乙业主")
    owner_a, owner_b = owner_of(units[0], a, name="甲业主"), owner_of(units[1], b, name="乙业主")
    for owner, id_number, phone in ((owner_a, ID_A, "13811112001"), (owner_b, ID_B, "13811112002")):
        owner.set_id_number(id_number)
        owner.set_phone(phone)
        owner.save()
    Payee.objects.create(estate=estate, legal_name="物业")
    return {"a": a, "b": b, "bill_a": bill(units[0], Decimal("88.00")), "bill_b": bill(units[1], Decimal("99.00"))}


def test_an_owner_downloads_their_own_data_and_nobody_elses(client, owners):
    """PIPL Art. 45: the person's own ID number, phone, flats and bills, in full — and not another owner's."""
    client.force_login(owners["a"])
    assert "/portal/me/data/" in client.get("/portal/me/").content.decode()

    response = client.get("/portal/me/data/")

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"] and "no-store" in response["Cache-Control"]
    text = response.content.decode()
    data = json.loads(text)
    assert "个人信息保护法" in data["law"]
    assert ID_A in text and "13811112001" in text and owners["bill_a"].number in text
    assert ID_B not in text and "13811112002" not in text and owners["bill_b"].number not in text


def test_the_data_download_needs_a_login(client, owners):
    response = client.get("/portal/me/data/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def listing(estate):
    unit = estate.buildings.get().units.order_by("number").last()
    return listing_row(unit)


def test_an_applicant_downloads_their_application_and_another_token_gets_nothing(client, listing):
    application = application_row(listing, mobile="13700001111")
    url = reverse("rentals:application_data", args=[application.token])

    response = client.get(url)

    assert response.status_code == 200
    data = json.loads(response.content)
    assert "13700001111" in data.values() and "11010519491231002X" in data.values()
    assert client.get(reverse("rentals:application_data", args=["x" * 43])).status_code == 404


def test_an_applicant_erases_their_application_which_is_withdrawn_first(client, listing, settings, tmp_path):
    """PIPL Art. 47: on the applicant's request the application is withdrawn and what identifies them is erased."""
    settings.MEDIA_ROOT = str(tmp_path)
    application = application_row(listing, mobile="13700002222")
    RentalApplicationMember.objects.create(application=application, name="王小弟", relationship="弟弟")
    document = RentalApplicationDocument(application=application, content_type="application/pdf")
    document.file.save("paper.pdf", ContentFile(b"%PDF-1.4"))
    stored = document.file.name
    page = client.get(reverse("rentals:application", args=[application.token])).content.decode()
    assert 'data-testid="erase"' in page

    response = client.post(reverse("rentals:application_erase", args=[application.token]))

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.name == "已删除" and application.mobile_encrypted == "" and application.id_number_encrypted == ""
    assert application.mobile_masked == "已删除" and application.workplace == ""
    assert not application.members.exists() and not application.documents.exists()
    assert not document.file.storage.exists(stored)
    data = client.get(reverse("rentals:application_data", args=[application.token])).content.decode()
    assert "13700002222" not in data and "王申请" not in data and "王小弟" not in data


def test_an_approved_application_is_kept_for_its_lease(client, listing):
    application = application_row(listing, "approved", mobile="13700003333")

    response = client.post(reverse("rentals:application_erase", args=[application.token]), follow=True)

    assert "依法需保存" in response.content.decode()
    application.refresh_from_db()
    assert application.name == "王申请" and application.get_mobile() == "13700003333"


def test_platform_admins_see_every_full_view_of_personal_data_and_no_one_else_does(client, owners, listing, make_user, estate):
    """PIPL Arts. 51, 54: the platform audits who saw whose full personal data; only its administrators read the log."""
    staff = make_user("13911112001", Role.ESTATE_STAFF, estate=estate, name="前台小李")
    admin = make_user("13911112002", Role.PLATFORM_ADMIN, name="平台管理员")
    owner_a = Owner.objects.get(user=owners["a"])
    client.force_login(staff)
    revealed = client.post(reverse("estates_owner:reveal", args=[owner_a.pk]), {"field": "id_number", "reason": "核对产权登记"})
    assert ID_A in revealed.content.decode()
    application = application_row(listing, mobile="13700004444")
    application_reveal(application=application, viewer=staff)

    refused = client.get("/admin/personal-data-log/")  # Wagtail sends a refused admin request back to the dashboard
    assert refused.status_code in (302, 403) and refused.get("Location", "/admin/") == "/admin/"
    assert "核对产权登记" not in client.get("/admin/personal-data-log/", follow=True).content.decode()
    client.force_login(owners["a"])
    assert client.get("/admin/personal-data-log/").status_code in (302, 403)
    client.force_login(admin)
    page = client.get("/admin/personal-data-log/").content.decode()

    assert "核对产权登记" in page and f"#{owner_a.pk}" in page and f"#{application.pk}" in page
    assert page.count("139****2001") == 3  # the owner's ID number, the applicant's mobile and ID number
    assert ID_A not in page and "13700004444" not in page  # the log names what was seen, never the value
    client.logout()
    assert client.get("/admin/personal-data-log/").status_code == 302


def test_the_reports_menu_offers_the_log_to_platform_admins(client, make_user):
    admin = make_user("13911112003", Role.PLATFORM_ADMIN)
    client.force_login(admin)
    assert "/admin/personal-data-log/" in client.get("/admin/").content.decode()
