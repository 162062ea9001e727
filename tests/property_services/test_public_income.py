"""The owners' public income (issue 13): costs only with evidence, and a period's statement whose totals
are the ledger's (Civil Code Art. 282: income from common parts, after reasonable costs, is the owners')."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from billing.ledger import ledger_balances
from billing.models import AccountKind, LedgerEntry
from estates.models import AssetKind, CommonAsset
from property_services.models import LeaseCycle, PublicIncomeCost
from property_services.services.leases import lease_rent_bill, lease_sign
from property_services.services.public_income import (
    cost_claim,
    public_income_balance,
    statement_compute,
    statement_period_of,
)
from tests.billing.factories import bill, billed_estate
from tests.property_services.conftest import passed_resolution

pytestmark = pytest.mark.django_db


def pdf(name="invoice.pdf") -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def estate(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    estate, _units = billed_estate(units=1, code="PI1")
    return estate


def test_a_cost_without_evidence_is_refused_and_nothing_is_written(estate):
    entries = LedgerEntry.objects.count()

    with pytest.raises(ValidationError, match="举证责任"):
        cost_claim(
            estate=estate,
            incurred_on=datetime.date(2026, 11, 1),
            description="充电桩电费",
            amount=Decimal("500.00"),
            evidence=None,
        )
    fake = SimpleUploadedFile("invoice.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError, match="证明文件无效"):
        cost_claim(
            estate=estate,
            incurred_on=datetime.date(2026, 11, 1),
            description="充电桩电费",
            amount=Decimal("500.00"),
            evidence=fake,
        )

    assert not PublicIncomeCost.objects.exists() and LedgerEntry.objects.count() == entries


def test_the_statement_reads_income_by_source_and_costs_and_its_closing_balance_is_the_ledgers(estate):
    today = timezone.localdate()
    resolution = passed_resolution(
        estate, on=today - datetime.timedelta(days=60), matter="change_use_or_operate_common_parts", title="出租门面"
    )
    shop = CommonAsset.objects.create(estate=estate, kind=AssetKind.SHOP_PREMISES, code="S-01")
    lease = lease_sign(
        asset=shop,
        lessee="重庆便民超市有限公司",
        starts_on=today.replace(day=1),
        ends_on=today.replace(day=1) + datetime.timedelta(days=365),
        rent=Decimal("3000.00"),
        cycle=LeaseCycle.MONTH,
        resolution=resolution,
    )
    lease_rent_bill(lease=lease, period=today)
    unit = estate.buildings.first().units.first()
    bill(unit, Decimal("150.00"), kind="parking_permit", period=today)
    bill(unit, Decimal("88.00"), period=today)  # a property fee: the manager's, not public income
    cost_claim(estate=estate, incurred_on=today, description="门面维修", amount=Decimal("500.00"), evidence=pdf())

    statement = statement_compute(estate=estate, starts_on=today.replace(day=1), ends_on=today)

    assert statement.opening == Decimal("0.00")
    assert sorted(statement.income.values()) == [Decimal("150.00"), Decimal("3000.00")]
    assert statement.income_total == Decimal("3150.00") and statement.costs_total == Decimal("500.00")
    assert statement.net == Decimal("2650.00")
    # The statement's totals are the ledger's: its closing balance is the owners' public-income account.
    assert statement.closing == -ledger_balances(estate_id=estate.pk)[AccountKind.PUBLIC_INCOME]
    later = timezone.now() + datetime.timedelta(days=1)
    assert statement.closing == public_income_balance(estate=estate, before=later)
    tomorrow = today + datetime.timedelta(days=1)
    assert statement_compute(estate=estate, starts_on=tomorrow, ends_on=tomorrow).opening == statement.closing


def test_staff_record_a_cost_with_its_evidence_and_read_the_statement_and_others_cannot(client, estate, sync_groups):
    from django.urls import reverse

    from accounts.models import Role
    from estates.services import role_grant
    from tests.estates.factories import UserFactory

    staff = UserFactory(mobile="13900000931")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="PI2")
    other = UserFactory(mobile="13900000932")
    role_grant(user=other, role=Role.ESTATE_STAFF, estate=other_estate)
    today = timezone.localdate()
    unit = estate.buildings.first().units.first()
    bill(unit, Decimal("150.00"), kind="parking_permit", period=today)
    form = {"estate": estate.pk, "incurred_on": today.isoformat(), "description": "道闸维修", "amount": "40.00"}
    client.force_login(staff)

    without = client.post(reverse("property_services_publicincomecost:add"), form)
    with_pdf = client.post(reverse("property_services_publicincomecost:add"), {**form, "evidence": pdf()})
    starts_on, ends_on = statement_period_of(estate=estate, day=today)  # the estate's quarter (the default)
    page = client.get(
        reverse("property_services_publicincomecost:statement"),
        {"estate": estate.pk, "period": f"{starts_on}/{ends_on}"},
    ).content.decode()

    assert without.status_code == 200 and with_pdf.status_code == 302
    assert PublicIncomeCost.objects.get().claimed_by == staff
    assert 'data-testid="income">¥150.00' in page and 'data-testid="costs">¥40.00' in page
    assert 'data-testid="closing">¥110.00' in page
    client.force_login(other)
    assert client.get(reverse("property_services_publicincomecost:statement"), {"estate": estate.pk}).status_code == 404


def test_the_statement_is_drafted_approved_by_the_committee_and_published_as_a_notice_with_its_pdf(settings, tmp_path, make_user):
    """Disclosure (公示): figures frozen in a draft, approved by a serving committee member (not by staff),
    published as the estate's notice with a PDF whose Chinese text can be extracted."""
    from pypdf import PdfReader

    from accounts.models import Role
    from property_services.models import Notice, NoticeStatus, PublicIncomeStatement, StatementStatus
    from property_services.services.public_income import statement_approve, statement_draft, statement_publish
    from tests.property_services.conftest import make_committee, make_owners

    settings.MEDIA_ROOT = str(tmp_path)
    estate, _units = billed_estate(units=2, owners=False, code="PI3")
    today = timezone.localdate()
    owners = make_owners(estate, make_user)
    unit = estate.buildings.first().units.first()
    bill(unit, Decimal("150.00"), kind="parking_permit", period=today)
    cost_claim(estate=estate, incurred_on=today, description="道闸维修", amount=Decimal("40.00"), evidence=pdf())
    committee = make_committee(estate, owners)
    member_user = committee.members.first().owner.user
    staff = make_user("13900000941", Role.ESTATE_STAFF, estate=estate)

    draft = statement_draft(estate=estate, starts_on=today.replace(day=1), ends_on=today)
    with pytest.raises(ValidationError, match="业主委员会委员审核"):
        statement_approve(statement=draft, by=staff)
    with pytest.raises(ValidationError, match="已审核"):
        statement_publish(statement=draft)
    approved = statement_approve(statement=draft, by=member_user)
    notice = statement_publish(statement=approved, by=member_user)

    statement = PublicIncomeStatement.objects.get()
    assert (statement.income_total, statement.costs_total, statement.closing) == (
        Decimal("150.00"),
        Decimal("40.00"),
        Decimal("110.00"),
    )
    assert statement.status == StatementStatus.PUBLISHED and statement.approved_by == member_user
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.PUBLISHED and notice.estate == estate
    text = "".join(page.extract_text() for page in PdfReader(notice.pdf.open("rb")).pages)
    assert "公共收益" in text and "110.00" in text and "道闸维修" in text
    with pytest.raises(ValidationError):  # the published figures are not drafted again
        statement_draft(estate=estate, starts_on=today.replace(day=1), ends_on=today)


def test_through_the_back_office_staff_draft_the_committee_approves_and_publishes(client, settings, tmp_path, make_user):
    from django.urls import reverse

    from accounts.models import Role
    from property_services.models import Notice, PublicIncomeStatement, StatementStatus
    from tests.property_services.conftest import make_committee, make_owners

    settings.MEDIA_ROOT = str(tmp_path)
    estate, _units = billed_estate(units=2, owners=False, code="PI4")
    owners = make_owners(estate, make_user, prefix="1380001")
    member_user = make_committee(estate, owners).members.first().owner.user
    staff = make_user("13900000951", Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="PI5")
    other = make_user("13900000952", Role.ESTATE_STAFF, estate=other_estate)
    today = timezone.localdate()
    bill(estate.buildings.first().units.first(), Decimal("150.00"), kind="parking_permit", period=today)
    starts_on, ends_on = statement_period_of(estate=estate, day=today)
    period = {"period": f"{starts_on}/{ends_on}"}

    client.force_login(staff)
    drafted = client.post(reverse("property_services_publicincomecost:statement"), {"estate": estate.pk, **period})
    statement = PublicIncomeStatement.objects.get()
    act = reverse("property_services_publicincomestatement:act", args=[statement.pk])
    client.post(act, {"action": "approve"})  # staff cannot approve
    assert drafted.status_code == 302 and PublicIncomeStatement.objects.get().status == StatementStatus.DRAFT
    client.force_login(other)
    assert client.post(act, {"action": "approve"}).status_code == 404
    client.force_login(member_user)
    client.post(act, {"action": "approve"})
    client.post(act, {"action": "publish"})

    statement.refresh_from_db()
    assert statement.status == StatementStatus.PUBLISHED
    assert (statement.starts_on, statement.ends_on) == (starts_on, ends_on)
    notice = Notice.objects.get(kind="public_income_statement")
    assert notice.estate == estate and notice.pdf and "¥150.00" in notice.body
