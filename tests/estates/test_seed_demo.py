"""`manage.py seed_demo`: believable Chongqing data, working demo logins, never in production."""

from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Sum
from django.test import RequestFactory

from accounts.models import User
from estates.demo import ALREADY_PRESENT, DEMO_LOGINS, DEMO_PASSWORD
from estates.models import (
    AssetKind,
    Building,
    CommonAsset,
    ContentClass,
    ContentItem,
    District,
    Estate,
    FundingLine,
    ManagementModel,
    Owner,
    OwnerKind,
    Ownership,
    ProjectStatus,
    RenovationProject,
    RoleAssignment,
    Subdistrict,
    Unit,
    UnitUse,
)
from estates.selectors import estates_visible_to
from estates.validators import is_valid_uscc, mask_phone, mask_resident_id, validate_resident_id
from tests.conftest import shared_data

pytestmark = pytest.mark.django_db

INVENTORY_MODELS = [District, Subdistrict, Estate, Building, Unit, Owner, Ownership, CommonAsset, RenovationProject, User]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in INVENTORY_MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """seed_demo once for this module (these tests only read it; what one writes is rolled back).

    Tests that need an empty database are in test_seed_demo_options.py."""
    with shared_data(django_db_blocker):
        yield seed()


def test_default_seed_has_an_estate_per_management_model_and_about_600_units(seeded):
    assert Estate.objects.count() >= 3
    assert 550 <= Unit.objects.count() <= 650
    models = set(RenovationProject.objects.values_list("management_model_after", flat=True))
    assert models == set(ManagementModel.values)
    assert not Estate.objects.filter(renovation_projects__isnull=True).exists()
    assert {"渝中区", "江北区", "南岸区", "九龙坡区", "沙坪坝区"} <= set(District.objects.values_list("name", flat=True))
    assert Subdistrict.objects.filter(name="七星岗街道", district__name="渝中区").exists()

    # 1980s–90s buildings: 6–7 floors, a few ground-floor shops, realistic areas.
    assert set(Building.objects.values_list("floors", flat=True)) <= {5, 6, 7}
    residential = Unit.objects.filter(use=UnitUse.RESIDENTIAL)
    assert all(Decimal("45.00") <= area <= Decimal("98.50") for area in residential.values_list("exclusive_area", flat=True))
    assert 0 < Unit.objects.filter(use=UnitUse.SHOP).count() < 60

    # Every unit is fully owned; some jointly, some owners hold two units, some owners are organisations.
    per_unit = Ownership.objects.values("unit").annotate(total=Sum("share"))
    assert per_unit.count() == Unit.objects.count()
    assert {row["total"] for row in per_unit} == {Decimal("1")}
    assert Ownership.objects.filter(share=Decimal("0.5")).exists()
    assert Owner.objects.annotate(n=Count("ownerships")).filter(n=2).exists()
    assert Owner.objects.filter(kind=OwnerKind.ORGANISATION).exists()

    assert set(CommonAsset.objects.values_list("kind", flat=True)) == set(AssetKind.values)
    assert set(ContentItem.objects.values_list("content_class", flat=True)) == set(ContentClass.values)
    for project in RenovationProject.objects.all():
        assert 2021 <= project.year <= 2023
        assert len({line.source for line in project.funding_lines.all()}) >= 3
        assert all(line.amount > 0 for line in project.funding_lines.all())
    assert FundingLine.objects.aggregate(s=Sum("amount"))["s"] > Decimal("1000000")

    # Lifts recorded on the buildings match the lifts the completed projects added.
    lifts = ContentItem.objects.filter(title="加装电梯", project__status=ProjectStatus.COMPLETED).aggregate(s=Sum("quantity"))[
        "s"
    ]
    assert lifts > 0
    assert Building.objects.filter(lift_added_year__isnull=False).count() == lifts

    assert "13900000000" in seeded and DEMO_PASSWORD in seeded


def test_owner_id_numbers_are_valid_and_shown_masked(seeded):
    people = Owner.objects.filter(kind=OwnerKind.PERSON)
    assert people.count() > 500
    for owner in people:
        number = owner.get_id_number()
        validate_resident_id(number)
        assert number[:2] == "50"  # Chongqing
        assert owner.id_number_masked == mask_resident_id(number)
        assert number[4:14] not in owner.id_number_masked  # no birth date in lists
        if owner.phone_masked:
            assert owner.phone_masked == mask_phone(owner.get_phone())
    digests = Counter(people.values_list("id_number_digest", flat=True))
    assert digests.most_common(1)[0][1] == 1
    for owner in Owner.objects.filter(kind=OwnerKind.ORGANISATION):
        assert is_valid_uscc(owner.credit_code), owner.credit_code


def test_every_demo_login_works_with_the_demo_password(seeded):
    request = RequestFactory().post("/")
    for mobile, role, _description in DEMO_LOGINS:
        user = authenticate(request=request, username=mobile, password=DEMO_PASSWORD)
        assert user is not None, mobile
        assert user.name
        assert RoleAssignment.objects.filter(user=user, role=role).exists(), (mobile, role)
    assert User.objects.get(mobile="13900000000").is_superuser
    assert authenticate(request=request, username="13900000001", password="wrong-password") is None


def test_demo_logins_show_scoping(seeded):
    users = {u.mobile: u for u in User.objects.all()}
    all_estates = Estate.objects.count()

    staff_estates = list(estates_visible_to(user=users["13900000001"]))
    assert len(staff_estates) == 1
    staff_estate = staff_estates[0]
    assert staff_estate.renovation_projects.get().management_model_after == ManagementModel.PROFESSIONAL

    assert 2 <= estates_visible_to(user=users["13900000002"]).count() < all_estates
    assert estates_visible_to(user=users["13900000000"]).count() == all_estates

    committee = list(estates_visible_to(user=users["13900000003"]))
    assert [e.renovation_projects.get().management_model_after for e in committee] == [ManagementModel.SELF_GOVERNANCE]

    first, second = (Owner.objects.get(user=users[m]) for m in ("13800000001", "13800000002"))
    assert first.estate != second.estate
    assert first.estate == staff_estate
    assert first.ownerships.exists() and second.ownerships.exists()
    assert first.name == users["13800000001"].name
    assert first.get_phone() == "13800000001"


def test_second_run_changes_nothing(seeded):
    before = row_counts()
    out = seed()
    assert ALREADY_PRESENT in out
    assert row_counts() == before


def test_the_demo_shows_the_owners_common_parts(seeded):
    """洋河新村: a car park with owners' permits and a waiting list (Civil Code Art. 276), the shop premises
    leased under the passed Art. 278 item (8) resolution, chargers running after the failed motion listed
    as unauthorised, and last quarter's statement published (公示) with figures that are the ledger's (Art. 282)."""
    import datetime

    from django.utils import timezone

    from property_services.models import (
        CommonPartLease,
        Notice,
        ParkingPermit,
        ParkingWaitlistEntry,
        PublicIncomeStatement,
        StatementStatus,
    )
    from property_services.services.leases import assets_unauthorised
    from property_services.services.public_income import public_income_balance

    estate = Estate.objects.get(name="洋河新村")
    today = timezone.localdate()
    assert ParkingPermit.objects.filter(space__estate=estate, owner__user__mobile="13800000002").exists()
    assert ParkingWaitlistEntry.objects.filter(estate=estate, served_at__isnull=True).count() == 3
    leases = CommonPartLease.objects.filter(estate=estate).select_related("resolution")
    assert leases.count() == 2 and all(lease.resolution.passed for lease in leases)
    unauthorised = {asset.kind for asset in assets_unauthorised(estate=estate, on=today)}
    assert "charging_point" in unauthorised and "shop_premises" not in unauthorised

    statement = PublicIncomeStatement.objects.get(estate=estate)
    assert statement.status == StatementStatus.PUBLISHED
    assert Notice.objects.get(estate=estate, kind="public_income_statement").pdf
    costs = [cost.amount for cost in estate.public_income_costs.all()]
    assert statement.income_total > 0 and len(costs) == 2 and statement.costs_total == sum(costs)
    after = timezone.make_aware(datetime.datetime.combine(statement.ends_on + datetime.timedelta(days=1), datetime.time.min))
    assert statement.closing == public_income_balance(estate=estate, before=after)


def test_the_demo_has_a_month_of_work_orders_in_every_state(seeded):
    """Every demo estate: categories with time limits, a contractor and a month of repairs and complaints; the
    tenant 王浩宇 is a registered occupant (住房租赁条例 Art. 37) of a flat in 金汤街小区 and follows his reports
    in the portal; some orders are late (flagged), one was reopened, one is rated low (the return-visit list)."""
    from property_services.models import UnitResident, WorkOrder, WorkOrderStatus

    for estate in Estate.objects.filter(name__in=["金汤街小区", "通远门新村", "洋河新村"]):
        orders = WorkOrder.objects.filter(estate=estate)
        assert estate.work_order_categories.count() == 5 and orders.count() == 8
        assert {WorkOrderStatus.SUBMITTED, WorkOrderStatus.ACCEPTED, WorkOrderStatus.RESOLVED, WorkOrderStatus.CONFIRMED} <= set(
            orders.values_list("status", flat=True)
        )
        assert orders.filter(overdue=True).exists() and orders.filter(reopen_count=1).exists()
    tenant = UnitResident.objects.get(user__mobile="13700000001", until__isnull=True)
    assert tenant.unit.building.estate.name == "金汤街小区"
    assert WorkOrder.objects.filter(reporter__mobile="13700000001").exists()
    assert WorkOrder.objects.filter(rating__lte=2).exists()
    assert WorkOrder.objects.filter(invoice__isnull=False, paid=True).exists()  # the paid repair, billed when confirmed


def test_the_demo_has_an_open_survey_and_a_closed_one_with_its_results_published(seeded):
    """Residents' surveys (共谋/共评): 金汤街小区 asks what to renovate next (open; the tenant has answered for his
    flat, the demo owner 陈建华 has not); 洋河新村's service survey is closed and its results published as a notice."""
    from property_services.models import Notice, Survey, SurveyStatus

    open_survey = Survey.objects.get(estate__name="金汤街小区")
    closed = Survey.objects.get(estate__name="洋河新村")
    assert open_survey.status == SurveyStatus.OPEN and open_survey.responses.count() == 1
    assert not open_survey.responses.filter(unit__ownerships__owner__user__mobile="13800000001").exists()
    assert closed.status == SurveyStatus.CLOSED and closed.responses.count() == 2
    assert Notice.objects.get(estate=closed.estate, kind="survey_result").pdf
