"""`manage.py seed_demo` on an empty database: the same data on every run, `--units`, refused in
production. (The seeded data itself is read by test_seed_demo.py, seeded once for its module.)"""

import pytest
from django.core.management import CommandError
from django.db import transaction
from django.db.models import Count

from accounts.models import User
from estates.models import Building, Estate, Owner, Unit
from tests.estates.test_seed_demo import seed

pytestmark = pytest.mark.django_db


def test_same_data_on_every_run():
    def snapshot():
        units = list(
            Unit.objects.order_by("building__estate__code", "building__number", "entrance", "number").values_list(
                "building__estate__name", "building__number", "entrance", "number", "exclusive_area"
            )
        )
        owners = sorted(Owner.objects.values_list("name", "id_number_masked", "credit_code"))
        return units, owners

    with transaction.atomic():
        seed("--units", "120")
        first = snapshot()
        transaction.set_rollback(True)
    assert not Estate.objects.exists()
    seed("--units", "120")
    assert snapshot() == first


def test_units_option_scales_the_inventory():
    # Twice the default (600): one estate per ~200 units, buildings of the same size.
    seed("--units", "1200")
    assert Unit.objects.count() == 1200
    assert 5 <= Estate.objects.count() <= 7
    per_building = Building.objects.annotate(n=Count("units")).values_list("n", flat=True)
    assert 30 <= sum(per_building) / len(per_building) <= 45


def test_production_refuses_demo_data(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError) as error:
        seed()
    message = str(error.value)
    assert message.index("不允许") < message.index("not allowed")  # Chinese first
    assert not Estate.objects.exists()
    assert not User.objects.exists()
