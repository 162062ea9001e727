from decimal import Decimal

import pytest

from accounts.models import Role
from billing.models import Payee

from .factories import owner_of


@pytest.fixture
def estate(make_estate, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return make_estate("RENT1", name="金汤街小区", units_per_building=4, area=Decimal("60.00"))


@pytest.fixture
def other_estate(make_estate):
    return make_estate("RENT2", name="洋河新村", units_per_building=2)


@pytest.fixture
def flat(estate):
    return estate.buildings.get().units.order_by("number").first()


@pytest.fixture
def owner_user(make_user, flat):
    user = make_user("13811110001", Role.OWNER)
    owner_of(flat, user)
    return user


@pytest.fixture
def staff(make_user, estate):
    return make_user("13911110001", Role.ESTATE_STAFF, estate=estate)


@pytest.fixture
def other_staff(make_user, other_estate):
    return make_user("13911110002", Role.ESTATE_STAFF, estate=other_estate)


@pytest.fixture
def payee(estate):
    return Payee.objects.create(estate=estate, legal_name="张业主")
