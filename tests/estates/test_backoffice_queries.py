"""Each back-office list runs the same number of queries with 10 rows as with 1,000."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from estates import models
from estates.services import role_grant

from .factories import BuildingFactory, UserFactory, make_resident_id

pytestmark = pytest.mark.django_db


def grow(estate, building, n: int) -> None:
    """Bring every inventory table of the estate to at least n rows."""
    start = models.Unit.objects.filter(building=building).count()
    units = models.Unit.objects.bulk_create(
        models.Unit(building=building, entrance=1, floor=1 + i % 7, number=f"{i:05d}", exclusive_area=Decimal("55.20"))
        for i in range(start, n)
    )
    owners = []
    for i, _unit in enumerate(units, start=start):
        owner = models.Owner(estate=estate, name=f"业主{i}")
        owner.set_id_number(make_resident_id(i))
        owner.set_phone(f"138{i:08d}")
        owners.append(owner)
    owners = models.Owner.objects.bulk_create(owners)
    models.Ownership.objects.bulk_create(
        models.Ownership(unit=u, owner=o, since=datetime.date(2020, 1, 1)) for u, o in zip(units, owners, strict=True)
    )
    models.Building.objects.bulk_create(models.Building(estate=estate, number=f"G{i}") for i in range(start, n))
    models.CommonAsset.objects.bulk_create(
        models.CommonAsset(estate=estate, kind=models.AssetKind.PARKING_SPACE, code=f"P{i:05d}") for i in range(start, n)
    )
    models.RenovationProject.objects.bulk_create(
        models.RenovationProject(estate=estate, name=f"项目{i}", year=2021) for i in range(start, n)
    )
    community = estate.community
    models.Estate.objects.bulk_create(
        models.Estate(community=community, code=f"EX{i:05d}", name=f"小区{i}") for i in range(start, n)
    )


LISTS = [
    "estates_estate",
    "estates_building",
    "estates_unit",
    "estates_owner",
    "estates_ownership",
    "estates_commonasset",
    "estates_renovationproject",
    "estates_district",
    "estates_subdistrict",
    "estates_community",
]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", [Role.PLATFORM_ADMIN, Role.SUBDISTRICT_OFFICER])
def test_list_query_count_is_fixed(client, role):
    building = BuildingFactory()
    estate = building.estate
    user = UserFactory(mobile="13900000201")
    if role == Role.SUBDISTRICT_OFFICER:
        role_grant(user=user, role=role, subdistrict=estate.community.subdistrict)
    else:
        role_grant(user=user, role=role)
    client.force_login(user)

    grow(estate, building, 10)
    urls = [reverse(f"{name}:index") for name in LISTS] + [reverse("wagtailadmin_home")]
    for url in urls:  # warm caches (content types, site root) once
        client.get(url)
    small = {url: count_queries(client, url) for url in urls}

    grow(estate, building, 1000)
    large = {url: count_queries(client, url) for url in urls}
    assert large == small
