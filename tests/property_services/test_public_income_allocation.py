"""The allocation of the owners' public income as they decided (issue 13). Civil Code Art. 282: the income
of common parts, after reasonable costs, is the owners'; Art. 283: shared by exclusive area unless agreed
otherwise; 物业管理条例 Art. 54: it goes mainly into the maintenance fund (no vote needed), otherwise as the
owners' assembly decides (a passed Art. 278 item (9) resolution). Shares are to the fen and sum exactly; an
allocation that does not sum or exceeds the balance is refused with nothing written; the statement's
balance after allocation is the ledger's."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.ledger import ledger_balances
from billing.models import AccountKind, ChargeKind, LedgerEntry, PaymentMethod
from billing.services import payment_record
from estates.models import Unit
from property_services.models import (
    AllocationKind,
    PublicIncomeAllocation,
    PublicIncomeAllocationShare,
    PublicIncomeCost,
    PublicIncomeStatement,
    StatementStatus,
)
from property_services.services.fund import fund_balances
from property_services.services.public_income import (
    AllocationPart,
    allocation_record,
    cost_claim,
    public_income_balance,
    statement_approve,
    statement_compute,
    statement_draft,
    statement_period_of,
)
from tests.billing.factories import bill, billed_estate
from tests.property_services.conftest import make_committee, make_owners, passed_resolution
from tests.property_services.test_costs_awaiting_evidence import denied
from tests.property_services.test_public_income import pdf

pytestmark = pytest.mark.django_db

FUND, USE, OWNERS = AllocationKind.MAINTENANCE_FUND, AllocationKind.NAMED_USE, AllocationKind.SHARED_TO_OWNERS


@pytest.fixture
def estate(settings, tmp_path):
    """Three units of 80 m² each: ¥100.00 over them leaves one fen over."""
    settings.MEDIA_ROOT = str(tmp_path)
    estate, units = billed_estate(units=3, owners=False, code="ALL1")
    Unit.objects.filter(pk__in=[u.pk for u in units]).update(exclusive_area=Decimal("80.00"))
    return estate


@pytest.fixture
def units(estate):
    return list(Unit.objects.filter(building__estate=estate).order_by("pk"))


def _later():
    return timezone.now() + datetime.timedelta(days=1)


def approved(estate, *, on=None):
    """This period's statement: ¥150.00 of parking permits (paid) less a ¥50.00 cost with its evidence = ¥100.00."""
    today = timezone.localdate()
    unit = Unit.objects.filter(building__estate=estate).order_by("pk").first()
    permit = bill(unit, Decimal("150.00"), kind="parking_permit", period=today)
    payment_record(
        estate=estate,
        invoices=[permit],
        amount=permit.total,
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="P-1",
        payer_name="业主",
    )
    cost_claim(estate=estate, incurred_on=today, description="道闸维修", amount=Decimal("50.00"), evidence=pdf())
    starts_on, ends_on = statement_period_of(estate=estate, day=on or today)
    return statement_approve(statement=statement_draft(estate=estate, starts_on=starts_on, ends_on=ends_on), by=None)


def item_9(estate, title="公共收益分配方案"):
    return passed_resolution(estate, on=timezone.localdate() - datetime.timedelta(days=30), matter="other_major", title=title)


def test_into_the_fund_by_exclusive_area_to_the_fen_summing_exactly_and_in_the_fund_balances(estate, units):
    """物业管理条例 Art. 54: into the fund is the rule, no resolution needed; Art. 283: by exclusive area."""
    contribution = bill(units[0], Decimal("1000.00"), kind=ChargeKind.MAINTENANCE_FUND)
    payment_record(
        estate=estate,
        invoices=[contribution],
        amount=Decimal("1000.00"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="MF-1",
        payer_name="业主",
    )
    statement = approved(estate)

    allocation = allocation_record(
        statement=statement, amount=Decimal("100.00"), parts=[AllocationPart(kind=FUND, amount=Decimal("100.00"))]
    )

    shares = dict(PublicIncomeAllocationShare.objects.filter(part__allocation=allocation).values_list("unit_id", "amount"))
    assert shares == {units[0].pk: Decimal("33.34"), units[1].pk: Decimal("33.33"), units[2].pk: Decimal("33.33")}
    balances = fund_balances(estate=estate)
    assert balances[units[0].pk] == Decimal("1033.34") and balances[units[2].pk] == Decimal("33.33")
    ledger = ledger_balances(estate_id=estate.pk)
    assert ledger[AccountKind.PUBLIC_INCOME] == Decimal("0.00")
    assert -ledger[AccountKind.MAINTENANCE_FUND] == Decimal("1100.00")
    statement.refresh_from_db()
    assert (statement.closing, statement.allocated, statement.balance) == (Decimal("100.00"), Decimal("100.00"), Decimal("0.00"))
    # The statement read again from the ledger: its balance after allocation is the account's.
    computed = statement_compute(estate=estate, starts_on=statement.starts_on, ends_on=statement.ends_on)
    assert (computed.closing, computed.allocated, computed.balance) == (Decimal("100.00"), Decimal("100.00"), Decimal("0.00"))
    assert computed.balance == public_income_balance(estate=estate, before=_later())
    after = statement.ends_on + datetime.timedelta(days=1)
    assert statement_compute(estate=estate, starts_on=after, ends_on=after).opening == computed.balance


def _books(estate):
    return (
        LedgerEntry.objects.filter(estate=estate).count(),
        PublicIncomeAllocation.objects.count(),
        PublicIncomeAllocationShare.objects.count(),
    )


@pytest.mark.parametrize(
    "case",
    [
        "not_summing",
        "exceeds_closing",
        "exceeds_account",
        "use_without_resolution",
        "sharing_without_resolution",
        "other_estates_resolution",
        "failed_resolution",
        "item_8_resolution",
        "draft_statement",
        "published_statement",
        "later_statement_approved",
        "named_use_unnamed",
        "twice",
    ],
)
def test_an_allocation_that_does_not_sum_exceeds_the_balance_or_lacks_the_owners_decision_is_refused_and_nothing_is_written(
    estate, case, make_estate
):
    statement = approved(estate)
    resolution = item_9(estate)
    amount = Decimal("100.00")
    parts = [
        AllocationPart(kind=FUND, amount=Decimal("60.00")),
        AllocationPart(kind=OWNERS, amount=Decimal("40.00"), resolution=resolution),
    ]
    if case == "not_summing":
        parts = parts[:1] + [AllocationPart(kind=OWNERS, amount=Decimal("30.00"), resolution=resolution)]
    elif case == "exceeds_closing":
        amount, parts = Decimal("120.00"), [AllocationPart(kind=FUND, amount=Decimal("120.00"))]
    elif case == "exceeds_account":  # a cost claimed since: the account holds ¥80.00 now
        cost_claim(estate=estate, incurred_on=timezone.localdate(), description="保洁", amount=Decimal("20.00"), evidence=pdf())
    elif case == "use_without_resolution":
        parts = parts[:1] + [AllocationPart(kind=USE, amount=Decimal("40.00"), description="楼道照明")]
    elif case == "sharing_without_resolution":
        parts = parts[:1] + [AllocationPart(kind=OWNERS, amount=Decimal("40.00"))]
    elif case == "other_estates_resolution":
        parts = parts[:1] + [AllocationPart(kind=OWNERS, amount=Decimal("40.00"), resolution=item_9(make_estate("ALL9")))]
    elif case == "failed_resolution":
        type(resolution).objects.filter(pk=resolution.pk).update(passed=False)
        resolution.refresh_from_db()
    elif case == "item_8_resolution":
        item_8 = passed_resolution(estate, on=timezone.localdate(), matter="change_use_or_operate_common_parts", title="出租门面")
        parts = parts[:1] + [AllocationPart(kind=OWNERS, amount=Decimal("40.00"), resolution=item_8)]
    elif case == "draft_statement":
        PublicIncomeStatement.objects.filter(pk=statement.pk).update(status=StatementStatus.DRAFT)  # set-up: as it stands
    elif case == "published_statement":
        PublicIncomeStatement.objects.filter(pk=statement.pk).update(status=StatementStatus.PUBLISHED)
    elif case == "later_statement_approved":
        later = statement.ends_on + datetime.timedelta(days=1)
        statement_approve(statement=statement_draft(estate=estate, starts_on=later, ends_on=later), by=None)
    elif case == "named_use_unnamed":
        parts = parts[:1] + [AllocationPart(kind=USE, amount=Decimal("40.00"), resolution=resolution)]
    elif case == "twice":
        allocation_record(
            statement=statement, amount=Decimal("10.00"), parts=[AllocationPart(kind=FUND, amount=Decimal("10.00"))]
        )
    before = _books(estate)

    with pytest.raises(ValidationError) as refused:
        allocation_record(statement=statement, amount=amount, parts=parts)

    assert " / " in refused.value.messages[0]  # Chinese first, then English
    assert _books(estate) == before
    assert ledger_balances(estate_id=estate.pk)[AccountKind.PUBLIC_INCOME] == (
        Decimal("-90.00") if case == "twice" else Decimal("-80.00") if case == "exceeds_account" else Decimal("-100.00")
    )


def test_an_allocation_posted_after_its_period_counts_in_that_periods_statement_and_the_totals_stay_the_ledgers(estate):
    """The statement of a past period is allocated today: its balance after allocation is the next period's
    opening balance, and the current period's closing balance is still the account's balance."""
    today = timezone.localdate()
    past_starts, past_ends = statement_period_of(estate=estate, day=today - datetime.timedelta(days=200))
    unit = Unit.objects.filter(building__estate=estate).order_by("pk").first()
    invoice = bill(unit, Decimal("150.00"), kind="parking_permit", period=past_starts)
    payment_record(
        estate=estate,
        invoices=[invoice],
        amount=invoice.total,
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="P-2",
        payer_name="业主",
    )
    cost = cost_claim(estate=estate, incurred_on=past_starts, description="道闸维修", amount=Decimal("50.00"), evidence=pdf())
    then = timezone.make_aware(datetime.datetime.combine(past_starts + datetime.timedelta(days=5), datetime.time(10)))
    # Test set-up: the books as they stood in that period.
    LedgerEntry.objects.filter(estate=estate).update(created_at=then)
    PublicIncomeCost.objects.filter(pk=cost.pk).update(claimed_at=then)
    assert invoice.pk
    statement = statement_approve(statement=statement_draft(estate=estate, starts_on=past_starts, ends_on=past_ends), by=None)

    allocation_record(statement=statement, amount=Decimal("60.00"), parts=[AllocationPart(kind=FUND, amount=Decimal("60.00"))])

    past = statement_compute(estate=estate, starts_on=past_starts, ends_on=past_ends)
    assert (past.closing, past.allocated, past.balance) == (Decimal("100.00"), Decimal("60.00"), Decimal("40.00"))
    following = past_ends + datetime.timedelta(days=1)
    next_starts, next_ends = statement_period_of(estate=estate, day=following)
    assert statement_compute(estate=estate, starts_on=next_starts, ends_on=next_ends).opening == Decimal("40.00")
    now_starts, now_ends = statement_period_of(estate=estate, day=today)
    current = statement_compute(estate=estate, starts_on=now_starts, ends_on=now_ends)
    assert current.opening == current.closing == current.balance == Decimal("40.00")
    assert current.closing == public_income_balance(estate=estate, before=_later())
    assert current.closing == -ledger_balances(estate_id=estate.pk)[AccountKind.PUBLIC_INCOME]


def test_staff_record_the_allocation_in_the_back_office_it_is_published_with_each_units_share_and_others_cannot(
    client, estate, units, make_user
):
    from pypdf import PdfReader

    from property_services.models import Notice

    owners = make_owners(estate, make_user, prefix="1380005")
    member = make_committee(estate, owners).members.first().owner.user
    staff = make_user("13900000981", Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="ALL2")
    other = make_user("13900000982", Role.ESTATE_STAFF, estate=other_estate)
    statement = approved(estate)
    resolution = item_9(estate, title="公共收益用于楼道照明并分给业主")
    allocate = reverse("property_services_publicincomestatement:allocate", args=[statement.pk])
    page = reverse("property_services_publicincomestatement:inspect", args=[statement.pk])
    form = {
        "amount": "100.00",
        "fund_amount": "40.00",
        "use_amount": "30.00",
        "use_description": "楼道照明",
        "use_resolution": resolution.pk,
        "owners_amount": "30.00",
        "owners_resolution": resolution.pk,
    }

    client.force_login(other)
    assert client.get(allocate).status_code == 404
    assert client.post(allocate, form).status_code == 404
    assert client.get(page).status_code == 404
    client.force_login(member)  # the committee approves and publishes; staff record the allocation
    assert denied(client.post(allocate, form))
    client.logout()
    assert "/login/" in client.post(allocate, form).url
    assert not PublicIncomeAllocation.objects.exists()

    client.force_login(staff)
    shown = client.get(allocate).content.decode()
    not_summing = client.post(allocate, {**form, "owners_amount": "20.00"})
    recorded = client.post(allocate, form)
    html = client.get(page).content.decode()

    assert "公共收益用于楼道照明并分给业主" in shown  # the estate's passed item (9) resolutions are offered
    assert not_summing.status_code == 400 and "不符" in not_summing.content.decode()
    assert recorded.status_code == 302
    assert 'data-testid="balance">¥0.00' in html and 'data-testid="allocated">¥100.00' in html
    first = html.split(f'data-testid="unit-share-{units[0].pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="fund-share">¥13.34' in first and 'data-testid="owners-share">¥10.00' in first
    ledger = ledger_balances(estate_id=estate.pk)
    assert (ledger[AccountKind.PUBLIC_INCOME], ledger[AccountKind.PUBLIC_INCOME_USES], ledger[AccountKind.OWNERS_PAYABLE]) == (
        Decimal("0.00"),
        Decimal("-30.00"),
        Decimal("-30.00"),
    )
    assert sum(fund_balances(estate=estate).values()) == Decimal("40.00")

    client.force_login(member)
    client.post(reverse("property_services_publicincomestatement:act", args=[statement.pk]), {"action": "publish"})

    notice = Notice.objects.get(kind="public_income_statement")
    text = "".join(p.extract_text() for p in PdfReader(notice.pdf.open("rb")).pages)
    assert "楼道照明" in text and "第五十四条" in text and "13.34" in text and "10.00" in text
    assert "¥100.00" in notice.body and "¥0.00" in notice.body


def test_income_billed_but_not_yet_paid_is_not_allocated(estate, units):
    """Civil Code Art. 282: what the owners share (or put into the fund) is income received after costs; a
    parking permit billed and unpaid is in the statement but not in hand, so it is allocated once collected."""
    today = timezone.localdate()
    unit = Unit.objects.filter(building__estate=estate).order_by("pk").first()
    permit = bill(unit, Decimal("150.00"), kind="parking_permit", period=today)  # billed, not paid yet
    cost_claim(estate=estate, incurred_on=today, description="道闸维修", amount=Decimal("50.00"), evidence=pdf())
    starts_on, ends_on = statement_period_of(estate=estate, day=today)
    statement = statement_approve(statement=statement_draft(estate=estate, starts_on=starts_on, ends_on=ends_on), by=None)
    fund = [AllocationPart(kind=FUND, amount=Decimal("100.00"))]

    with pytest.raises(ValidationError) as refused:
        allocation_record(statement=statement, amount=Decimal("100.00"), parts=fund)
    assert refused.value.error_dict["amount"][0].code == "exceeds_balance"
    assert "尚未收到 ¥150.00" in str(refused.value) and not PublicIncomeAllocation.objects.exists()

    payment_record(
        estate=estate,
        invoices=[permit],
        amount=permit.total,
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="业主",
    )
    allocation = allocation_record(statement=statement, amount=Decimal("100.00"), parts=fund)
    assert allocation.amount == Decimal("100.00")
