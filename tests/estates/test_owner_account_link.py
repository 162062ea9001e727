"""The owner form links a login account by its mobile number, never by listing the platform's accounts."""

import pytest
from django.urls import reverse

from accounts.models import Role
from estates.models import Owner
from estates.services import role_grant

from .factories import EstateFactory, OwnerFactory, UserFactory, make_resident_id

pytestmark = pytest.mark.django_db

ADMIN_MOBILE = "13900000201"
OWNER_Y_MOBILE = "13800000202"
OWNER_X_MOBILE = "13800000203"
STAFF_Y_MOBILE = "13900000204"


@pytest.fixture
def people():
    estate_x, estate_y = EstateFactory(name="金汤街小区"), EstateFactory(name="洋河新村")
    admin = UserFactory(mobile=ADMIN_MOBILE, name="平台管理员")
    role_grant(user=admin, role=Role.PLATFORM_ADMIN)
    staff_y = UserFactory(mobile=STAFF_Y_MOBILE, name="洋河物业")
    role_grant(user=staff_y, role=Role.ESTATE_STAFF, estate=estate_y)
    owner_y_account = UserFactory(mobile=OWNER_Y_MOBILE, name="洋河业主")
    OwnerFactory(estate=estate_y, name="洋河业主", user=owner_y_account)
    owner_x_account = UserFactory(mobile=OWNER_X_MOBILE, name="金汤业主")  # a portal account, not linked yet
    staff_x = UserFactory(mobile="13900000205", name="金汤物业")
    role_grant(user=staff_x, role=Role.ESTATE_STAFF, estate=estate_x)
    return {
        "x": estate_x,
        "y": estate_y,
        "admin": admin,
        "staff_y": staff_y,
        "owner_y_account": owner_y_account,
        "owner_x_account": owner_x_account,
        "staff_x": staff_x,
    }


def owner_post(estate, **extra):
    data = {
        "estate": estate.pk,
        "kind": "person",
        "name": "新业主",
        "credit_code": "",
        "representative_name": "",
        "id_number": make_resident_id(77),
        "phone": "",
        "login_mobile": "",
    }
    data.update(extra)
    return data


def test_owner_form_shows_no_other_accounts_mobile_numbers(client, people):
    """Staff of estate X opening the owner forms see neither the admin's nor estate Y owners' numbers."""
    client.force_login(people["staff_x"])
    own = OwnerFactory(estate=people["x"], name="金汤老业主")
    for url in (reverse("estates_owner:add"), reverse("estates_owner:edit", args=[own.pk])):
        html = client.get(url).content.decode()
        assert 'name="login_mobile"' in html
        for mobile in (ADMIN_MOBILE, OWNER_Y_MOBILE, STAFF_Y_MOBILE, OWNER_X_MOBILE):
            assert mobile not in html and f"{mobile[:3]}****{mobile[-4:]}" not in html
        assert "平台管理员" not in html and "洋河业主" not in html


def test_staff_link_an_owners_account_by_mobile_number(client, people):
    client.force_login(people["staff_x"])
    response = client.post(reverse("estates_owner:add"), owner_post(people["x"], login_mobile="+86 138 0000 0203"))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    owner = Owner.objects.get(name="新业主")
    assert owner.user == people["owner_x_account"]
    # The edit form shows the linked account's own number, and keeps it when saved unchanged.
    edit = reverse("estates_owner:edit", args=[owner.pk])
    assert OWNER_X_MOBILE in client.get(edit).content.decode()
    response = client.post(edit, owner_post(people["x"], id_number="", login_mobile=OWNER_X_MOBILE))
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.user == people["owner_x_account"]
    # Emptying the field unlinks the account.
    client.post(edit, owner_post(people["x"], id_number="", login_mobile=""))
    owner.refresh_from_db()
    assert owner.user is None


@pytest.mark.parametrize(
    "mobile", [ADMIN_MOBILE, OWNER_Y_MOBILE, STAFF_Y_MOBILE, "13800009999"], ids=["admin", "owner-y", "staff-y", "no-account"]
)
def test_accounts_outside_the_scope_cannot_be_linked(client, people, mobile):
    client.force_login(people["staff_x"])
    response = client.post(reverse("estates_owner:add"), owner_post(people["x"], login_mobile=mobile))
    assert response.status_code == 200
    assert response.context["form"].errors["login_mobile"]
    assert not Owner.objects.filter(name="新业主").exists()


def test_posting_an_account_id_outside_the_scope_links_nothing(client, people):
    """The old select took a user id; posting the admin's or estate Y owner's id now links no account."""
    client.force_login(people["staff_x"])
    own = OwnerFactory(estate=people["x"], name="金汤老业主")
    for account in (people["admin"], people["owner_y_account"]):
        response = client.post(reverse("estates_owner:add"), owner_post(people["x"], name="甲", user=account.pk))
        created = Owner.objects.filter(name="甲").first()
        assert created is None or created.user is None, response
        Owner.objects.filter(name="甲").delete()
        edit = reverse("estates_owner:edit", args=[own.pk])
        client.post(edit, owner_post(people["x"], name="金汤老业主", id_number="", user=account.pk))
        own.refresh_from_db()
        assert own.user is None


def test_someone_who_manages_both_estates_links_a_two_estate_owner(client, people):
    officer = UserFactory(mobile="13900000206")
    role_grant(user=officer, role=Role.PLATFORM_ADMIN)
    client.force_login(officer)
    response = client.post(reverse("estates_owner:add"), owner_post(people["x"], login_mobile=OWNER_Y_MOBILE))
    assert response.status_code == 302
    assert Owner.objects.get(name="新业主").user == people["owner_y_account"]
