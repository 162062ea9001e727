"""Every back-office URL of the owners' common parts refuses the wrong person (issue 13).

The URLs are found from the URLconf (every route of the common parts' viewsets, and the pages beside
them), so a route added later is checked without being listed here. For one object of each kind in
estate A: staff of estate B get 404 (its existence does not leak) and do not see it in lists; an owner
and an anonymous visitor never reach the back office; and nobody deletes a record that money or a
decision rests on (no role holds a delete permission on them: a DELETE would unbalance the ledger)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from accounts.models import Role
from estates.models import AssetKind, CommonAsset, Owner
from property_services.models import (
    LeaseCycle,
    MaintenanceFundUse,
    ParkingRate,
    ParkingSpace,
    ParkingStay,
    PermitPeriod,
    PublicIncomeCost,
    SpaceKind,
)
from property_services.services.fund import fund_use_record
from property_services.services.leases import lease_sign
from property_services.services.parking import permit_issue, waitlist_join
from property_services.services.public_income import cost_claim, statement_draft
from tests.billing.factories import billed_estate
from tests.property_services.conftest import passed_resolution
from tests.property_services.test_public_income import pdf

pytestmark = pytest.mark.django_db

#: The viewsets of issue 13, by URL namespace → the model whose object the routes with <pk> show.
VIEWSETS = {
    "property_services_parkingrate": "rate",
    "property_services_parkingstay": "stay",
    "property_services_parkingspace": "space",
    "property_services_parkingpermit": "permit",
    "property_services_parkingwaitlistentry": "waitlist",
    "property_services_commonpartlease": "lease",
    "property_services_publicincomecost": "cost",
    "property_services_publicincomestatement": "statement",
    "property_services_maintenancefunduse": "fund_use",
}
#: Routes that write through their own service and are checked by their own tests as well.
POST_ROUTES = {"act", "delete"}


def viewset_routes():
    result = []
    for prefix, (_path, resolver) in get_resolver().namespace_dict.items():
        if prefix not in VIEWSETS:
            continue
        for pattern in resolver.url_patterns:
            name = getattr(pattern, "name", None)
            if not name:
                continue
            route = str(pattern.pattern)
            result.append((prefix, name, "<int:pk>" in route, "<int:estate_pk>" in route))
    return sorted(result)


@pytest.fixture
def world(settings, tmp_path, make_user, sync_groups):
    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    mine, units = billed_estate(units=3, code="ACC13A")
    other, _ = billed_estate(units=1, code="ACC13B")
    owners = list(Owner.objects.filter(estate=mine).order_by("pk"))
    space = ParkingSpace.objects.create(estate=mine, code="P-01", kind=SpaceKind.COMMON_GROUND, month_fee=Decimal("150"))
    resolution = passed_resolution(mine, on=today - datetime.timedelta(days=40), matter="change_use_or_operate_common_parts")
    fund_resolution = passed_resolution(mine, on=today - datetime.timedelta(days=30), matter="use_maintenance_fund")
    objects = {
        "rate": ParkingRate.objects.create(
            estate=mine, valid_from=today, first_fee=Decimal("5"), interval_fee=Decimal("2"), cap=Decimal("30")
        ),
        "stay": ParkingStay.objects.create(
            estate=mine, plate="渝A12345", entered_at=timezone.now(), enter_gate="G1", enter_serial="1"
        ),
        "space": space,
        "permit": permit_issue(space=space, plate="渝B12345", period=PermitPeriod.MONTH, valid_from=today, owner=owners[0]),
        "waitlist": waitlist_join(estate=mine, owner=owners[1], plate="渝C12345"),
        "lease": lease_sign(
            asset=CommonAsset.objects.create(estate=mine, kind=AssetKind.SHOP_PREMISES, code="S-01"),
            lessee="重庆便民超市有限公司",
            starts_on=today,
            ends_on=today + datetime.timedelta(days=365),
            rent=Decimal("3000.00"),
            cycle=LeaseCycle.MONTH,
            resolution=resolution,
        ),
        "cost": cost_claim(estate=mine, incurred_on=today, description="道闸维修", amount=Decimal("40.00"), evidence=pdf()),
    }
    objects["statement"] = statement_draft(estate=mine, starts_on=today.replace(day=1), ends_on=today)
    from billing.models import ChargeKind, PaymentMethod
    from billing.services import payment_record
    from tests.billing.factories import bill

    for unit in units:
        contribution = bill(unit, Decimal("100.00"), kind=ChargeKind.MAINTENANCE_FUND)
        payment_record(
            estate=mine,
            invoices=[contribution],
            amount=Decimal("100.00"),
            method=PaymentMethod.CASH,
            received_at=timezone.now(),
            reference=f"MF-{unit.pk}",
            payer_name="业主",
        )
    objects["fund_use"] = fund_use_record(
        estate=mine, title="屋面防水", amount=Decimal("90.00"), used_on=today, resolution=fund_resolution
    )
    people = {
        "staff_a": make_user("13900013001", Role.ESTATE_STAFF, estate=mine),
        "staff_b": make_user("13900013002", Role.ESTATE_STAFF, estate=other),
        "owner": owners[0].user or make_user("13800013003", Role.OWNER),
    }
    return mine, other, objects, people


def url_for(namespace, name, takes_pk, takes_estate, objects, estate):
    if takes_pk:
        return reverse(f"{namespace}:{name}", args=[objects[VIEWSETS[namespace]].pk])
    if takes_estate:
        return reverse(f"{namespace}:{name}", args=[estate.pk])
    return reverse(f"{namespace}:{name}")


def test_the_routes_are_found():
    found = viewset_routes()
    assert {namespace for namespace, *_ in found} == set(VIEWSETS)
    assert ("property_services_publicincomestatement", "act", True, False) in found


def test_staff_of_another_estate_get_404_and_never_see_the_objects_in_lists(client, world):
    mine, _other, objects, people = world
    client.force_login(people["staff_b"])
    for namespace, name, takes_pk, takes_estate in viewset_routes():
        url = url_for(namespace, name, takes_pk, takes_estate, objects, mine)
        response = client.post(url) if name in POST_ROUTES else client.get(url)
        if takes_pk or takes_estate:
            assert response.status_code in (403, 404), f"{url}: {response.status_code}"
        elif response.status_code == 200 and name.startswith("index"):
            html = response.content.decode()
            pk = objects[VIEWSETS[namespace]].pk
            assert not re.search(rf"/(?:edit|inspect)/{pk}/", html), f"{url} lists another estate's object"
    for obj in ("cost", "fund_use", "lease"):
        assert type(objects[obj]).objects.filter(pk=objects[obj].pk).exists()
    assert client.get(reverse("estates_estate:dashboard", args=[mine.pk])).status_code == 404


@pytest.mark.parametrize("who", ["owner", "anonymous"])
def test_owners_and_visitors_never_reach_the_back_office(client, world, who):
    mine, _other, objects, people = world
    if who == "owner":
        client.force_login(people["owner"])
    for namespace, name, takes_pk, takes_estate in viewset_routes():
        url = url_for(namespace, name, takes_pk, takes_estate, objects, mine)
        response = client.post(url) if name in POST_ROUTES else client.get(url)
        assert response.status_code in (302, 403, 404), f"{url}: {response.status_code}"
        if response.status_code == 302:
            assert "/login/" in response.url or response.url.rstrip("/") in ("/admin", ""), f"{url} → {response.url}"
        assert "道闸维修" not in response.content.decode()


def test_the_estates_own_staff_see_them_but_delete_nothing_that_money_rests_on(client, world):
    mine, _other, objects, people = world
    client.force_login(people["staff_a"])
    for namespace, name, takes_pk, _takes_estate in viewset_routes():
        if name == "inspect":
            url = url_for(namespace, name, takes_pk, False, objects, mine)
            assert client.get(url).status_code == 200, url
    for key, model in (("cost", PublicIncomeCost), ("fund_use", MaintenanceFundUse), ("permit", type(objects["permit"]))):
        response = client.post(reverse(f"{namespace_of(key)}:delete", args=[objects[key].pk]))
        assert response.status_code in (403, 302) and model.objects.filter(pk=objects[key].pk).exists(), key


def namespace_of(key):
    return next(namespace for namespace, value in VIEWSETS.items() if value == key)
