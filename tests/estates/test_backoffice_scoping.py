"""Staff of one estate never see or touch another estate's inventory in the back office."""

import pytest
from django.urls import reverse

from accounts.models import Role
from estates.services import role_grant

from .factories import (
    BuildingFactory,
    CommonAssetFactory,
    OwnerFactory,
    OwnershipFactory,
    RenovationProjectFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OBJECT_VIEWS = ["edit", "inspect", "delete", "history", "usage"]


@pytest.fixture
def two_estates():
    unit_x = UnitFactory(building=BuildingFactory(number="甲区一号"))
    unit_y = UnitFactory(building=BuildingFactory(number="乙区九号"))
    estate_x, estate_y = unit_x.building.estate, unit_y.building.estate
    ownership_y = OwnershipFactory(unit=unit_y)
    return {
        "x": estate_x,
        "y": estate_y,
        "unit_x": unit_x,
        "objects_y": {
            "estates_estate": estate_y,
            "estates_building": unit_y.building,
            "estates_unit": unit_y,
            "estates_owner": ownership_y.owner,
            "estates_ownership": ownership_y,
            "estates_commonasset": CommonAssetFactory(estate=estate_y),
            "estates_renovationproject": RenovationProjectFactory(estate=estate_y),
            "estates_community": estate_y.community,
            "estates_subdistrict": estate_y.community.subdistrict,
            "estates_district": estate_y.community.subdistrict.district,
        },
    }


@pytest.fixture
def staff_x(client, two_estates):
    user = UserFactory(mobile="13900000101")
    role_grant(user=user, role=Role.ESTATE_STAFF, estate=two_estates["x"])
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "viewset",
    [
        "estates_estate",
        "estates_building",
        "estates_unit",
        "estates_owner",
        "estates_ownership",
        "estates_commonasset",
        "estates_renovationproject",
        "estates_community",
        "estates_subdistrict",
        "estates_district",
    ],
)
@pytest.mark.parametrize("view", OBJECT_VIEWS)
def test_staff_get_404_on_other_estates_objects(client, staff_x, two_estates, viewset, view):
    obj = two_estates["objects_y"][viewset]
    response = client.get(reverse(f"{viewset}:{view}", args=[obj.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("viewset", ["estates_building", "estates_unit", "estates_owner", "estates_commonasset"])
def test_staff_cannot_post_changes_to_other_estates_objects(client, staff_x, two_estates, viewset):
    obj = two_estates["objects_y"][viewset]
    before = type(obj).objects.filter(pk=obj.pk).values().get()
    assert client.post(reverse(f"{viewset}:edit", args=[obj.pk]), {"name": "hijacked"}).status_code == 404
    assert client.post(reverse(f"{viewset}:delete", args=[obj.pk])).status_code == 404
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_staff_lists_show_only_their_estate(client, staff_x, two_estates):
    html = client.get(reverse("estates_building:index")).content.decode()
    # Chinese building numbers: a random CSRF token in the page cannot contain them by chance.
    assert "甲区一号" in html
    assert "乙区九号" not in html
    estates_html = client.get(reverse("estates_estate:index")).content.decode()
    assert two_estates["x"].name in estates_html
    assert two_estates["y"].name not in estates_html


def test_staff_can_open_own_unit(client, staff_x, two_estates):
    unit = two_estates["unit_x"]
    response = client.get(reverse("estates_unit:edit", args=[unit.pk]))
    assert response.status_code == 200
    assert "68.50" in response.content.decode()


def test_staff_estate_choices_exclude_other_estates(client, staff_x, two_estates):
    html = client.get(reverse("estates_building:add")).content.decode()
    assert two_estates["x"].name in html
    assert two_estates["y"].name not in html


def test_staff_cannot_create_building_in_other_estate(client, staff_x, two_estates):
    response = client.post(reverse("estates_building:add"), {"estate": two_estates["y"].pk, "number": "Z9", "floors": 6})
    assert response.status_code == 200  # the form comes back with an error
    assert not two_estates["y"].buildings.filter(number="Z9").exists()


def test_owner_without_back_office_role_is_refused(client, two_estates):
    owner_user = UserFactory(mobile="13800000101")
    role_grant(user=owner_user, role=Role.OWNER)
    client.force_login(owner_user)
    response = client.get(reverse("estates_unit:index"))
    assert response.status_code in (302, 403)


def test_anonymous_is_sent_to_login(client, two_estates):
    response = client.get(reverse("estates_unit:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_subdistrict_officer_sees_estates_of_their_subdistrict_only(client, two_estates):
    officer = UserFactory(mobile="13900000102")
    role_grant(user=officer, role=Role.SUBDISTRICT_OFFICER, subdistrict=two_estates["x"].community.subdistrict)
    client.force_login(officer)
    html = client.get(reverse("estates_estate:index")).content.decode()
    assert two_estates["x"].name in html
    assert two_estates["y"].name not in html
    assert client.get(reverse("estates_estate:edit", args=[two_estates["y"].pk])).status_code == 404


def test_platform_admin_sees_everything(client, two_estates):
    admin = UserFactory(mobile="13900000103")
    role_grant(user=admin, role=Role.PLATFORM_ADMIN)
    client.force_login(admin)
    html = client.get(reverse("estates_estate:index")).content.decode()
    assert two_estates["x"].name in html and two_estates["y"].name in html


def test_owner_list_masks_personal_data(client, staff_x, two_estates):
    owner = OwnerFactory(estate=two_estates["x"], name="张三")
    full = owner.get_id_number()
    html = client.get(reverse("estates_owner:index")).content.decode()
    assert owner.id_number_masked in html
    assert full not in html
    edit_html = client.get(reverse("estates_owner:edit", args=[owner.pk])).content.decode()
    assert full not in edit_html
    assert "13812345678" not in edit_html


def test_revealing_an_id_number_needs_a_reason_and_is_logged(client, staff_x, two_estates):
    owner = OwnerFactory(estate=two_estates["x"])
    url = reverse("estates_owner:reveal", args=[owner.pk])
    assert client.post(url, {"field": "id_number", "reason": ""}).status_code == 200
    assert owner.data_accesses.count() == 0
    response = client.post(url, {"field": "id_number", "reason": "核对产权登记"})
    assert owner.get_id_number() in response.content.decode()
    access = owner.data_accesses.get()
    assert (access.user, access.field, access.reason) == (staff_x, "id_number", "核对产权登记")


def test_revealing_is_refused_for_other_estates_and_view_only_roles(client, staff_x, two_estates):
    other = two_estates["objects_y"]["estates_owner"]
    assert client.post(reverse("estates_owner:reveal", args=[other.pk]), {"field": "id_number", "reason": "x"}).status_code == 404
    member = UserFactory(mobile="13900000104")
    role_grant(user=member, role=Role.COMMITTEE_MEMBER, estate=two_estates["x"])
    client.force_login(member)
    own = OwnerFactory(estate=two_estates["x"])
    refused = client.post(reverse("estates_owner:reveal", args=[own.pk]), {"field": "id_number", "reason": "x"})
    # Wagtail answers "permission denied" in the back office by redirecting to the dashboard.
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert not own.data_accesses.exists() and not other.data_accesses.exists()
