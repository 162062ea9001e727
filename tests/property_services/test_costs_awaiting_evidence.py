"""Costs recorded before their evidence (issue 13): the manager bears the burden of proving a cost (SPC
interpretation on property services Arts. 13-14; Civil Code Art. 282: income after reasonable costs is the
owners'), so a cost without its document is charged to nothing — not in the ledger, not in any statement —
until the document is attached."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.models import LedgerEntry
from property_services.models import CostStatus, PublicIncomeCost
from property_services.services.public_income import (
    cost_evidence_attach,
    cost_propose,
    cost_withdraw,
    costs_awaiting_evidence,
    public_income_balance,
    statement_compute,
    statement_period_of,
)
from tests.billing.factories import bill, billed_estate
from tests.property_services.test_public_income import pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    estate, units = billed_estate(units=1, code="AWE1")
    bill(units[0], Decimal("150.00"), kind="parking_permit", period=timezone.localdate())
    return estate


def _statement(estate):
    starts_on, ends_on = statement_period_of(estate=estate, day=timezone.localdate())
    return statement_compute(estate=estate, starts_on=starts_on, ends_on=ends_on)


def denied(response) -> bool:
    """Wagtail answers a permission refused in its admin with 403, or a redirect to its home with a message."""
    return response.status_code == 403 or (response.status_code == 302 and response.url == reverse("wagtailadmin_home"))


def _later():
    return timezone.now() + datetime.timedelta(days=1)


def test_a_cost_awaiting_evidence_is_in_no_ledger_and_no_statement_until_its_evidence_is_attached(estate):
    entries = LedgerEntry.objects.count()

    cost = cost_propose(estate=estate, incurred_on=timezone.localdate(), description="道闸维修", amount=Decimal("40.00"))

    assert cost.status == CostStatus.AWAITING_EVIDENCE
    assert LedgerEntry.objects.count() == entries
    assert _statement(estate).costs == [] and _statement(estate).closing == Decimal("150.00")
    assert public_income_balance(estate=estate, before=_later()) == Decimal("150.00")
    assert list(costs_awaiting_evidence(estate=estate)) == [cost]

    fake = SimpleUploadedFile("invoice.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError, match="证明文件无效"):
        cost_evidence_attach(cost=cost, evidence=fake)
    with pytest.raises(ValidationError, match="举证责任"):
        cost_evidence_attach(cost=cost, evidence=None)
    cost.refresh_from_db()
    assert cost.status == CostStatus.AWAITING_EVIDENCE and not cost.evidence and LedgerEntry.objects.count() == entries

    cost_evidence_attach(cost=cost, evidence=pdf())

    cost.refresh_from_db()
    assert cost.status == CostStatus.CLAIMED and cost.evidence and cost.claimed_at is not None
    assert LedgerEntry.objects.count() == entries + 1
    statement = _statement(estate)
    assert statement.costs == [cost] and statement.closing == Decimal("110.00")
    assert public_income_balance(estate=estate, before=_later()) == Decimal("110.00")
    assert list(costs_awaiting_evidence(estate=estate)) == []
    assert list(cost.status_changes.values_list("from_status", "to_status")) == [("awaiting_evidence", "claimed")]
    with pytest.raises(ValidationError):  # claimed once: its evidence is not attached again
        cost_evidence_attach(cost=cost, evidence=pdf())


def test_a_withdrawn_cost_was_never_charged_and_takes_no_evidence(estate):
    cost = cost_propose(estate=estate, incurred_on=timezone.localdate(), description="绿化", amount=Decimal("30.00"))

    cost_withdraw(cost=cost)

    assert list(costs_awaiting_evidence(estate=estate)) == []
    with pytest.raises(ValidationError):
        cost_evidence_attach(cost=cost, evidence=pdf())
    assert PublicIncomeCost.objects.get().status == CostStatus.WITHDRAWN
    assert _statement(estate).closing == Decimal("150.00")


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-5.00"), Decimal("1.234")])
def test_a_proposal_is_refused_for_a_bad_amount_and_nothing_is_written(estate, amount):
    with pytest.raises(ValidationError):
        cost_propose(estate=estate, incurred_on=timezone.localdate(), description="绿化", amount=amount)
    assert not PublicIncomeCost.objects.exists()


def test_staff_record_a_cost_awaiting_evidence_then_attach_it_in_the_back_office_and_others_cannot(client, estate, make_user):
    staff = make_user("13900000971", Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="AWE2")
    other = make_user("13900000972", Role.ESTATE_STAFF, estate=other_estate)
    member = make_user("13900000973", Role.COMMITTEE_MEMBER, estate=estate)
    today = timezone.localdate()
    client.force_login(staff)

    proposed = client.post(
        reverse("property_services_publicincomecost:propose"),
        {"estate": estate.pk, "incurred_on": today.isoformat(), "description": "充电桩电费", "amount": "60.00"},
    )
    cost = PublicIncomeCost.objects.get()
    listing = client.get(reverse("property_services_publicincomecost:index"), {"status": "awaiting_evidence"}).content.decode()
    evidence_url = reverse("property_services_publicincomecost:evidence", args=[cost.pk])
    withdraw_url = reverse("property_services_publicincomecost:withdraw", args=[cost.pk])

    assert proposed.status_code == 302 and cost.status == CostStatus.AWAITING_EVIDENCE and cost.claimed_by == staff
    assert f'data-testid="cost-evidence-{cost.pk}"' in listing and "充电桩电费" in listing
    assert _statement(estate).costs_total == Decimal("0.00")
    # Without a file, or with a file that is no PDF: refused on the form, nothing charged.
    assert client.post(evidence_url, {}).status_code == 400
    fake = SimpleUploadedFile("invoice.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    assert client.post(evidence_url, {"evidence": fake}).status_code == 400
    assert PublicIncomeCost.objects.get().status == CostStatus.AWAITING_EVIDENCE

    client.force_login(other)
    assert client.get(evidence_url).status_code == 404
    assert client.post(evidence_url, {"evidence": pdf()}).status_code == 404
    assert client.post(withdraw_url).status_code == 404
    client.force_login(member)  # the committee reads costs; it does not record them
    assert denied(client.post(evidence_url, {"evidence": pdf()}))
    client.logout()
    assert "/login/" in client.post(evidence_url, {"evidence": pdf()}).url
    assert PublicIncomeCost.objects.get().status == CostStatus.AWAITING_EVIDENCE

    client.force_login(staff)
    attached = client.post(evidence_url, {"evidence": pdf()})

    cost.refresh_from_db()
    assert attached.status_code == 302 and cost.status == CostStatus.CLAIMED
    assert _statement(estate).costs_total == Decimal("60.00")
    assert client.post(withdraw_url).status_code == 400  # a claimed cost is not withdrawn


def test_the_committee_downloads_a_costs_evidence_from_its_page_and_another_estate_cannot(client, estate, make_user):
    """Owners' right to see the costs charged to their public income (Civil Code Art. 282): the committee
    opens the evidence from the cost's page; the file is served through a scoped view, never a public path."""
    member = make_user("13900000981", Role.COMMITTEE_MEMBER, estate=estate)
    other_estate, _units = billed_estate(units=1, code="AWE3")
    other = make_user("13900000982", Role.COMMITTEE_MEMBER, estate=other_estate)
    cost = cost_propose(estate=estate, incurred_on=timezone.localdate(), description="道闸维修", amount=Decimal("40.00"))
    client.force_login(member)
    inspect_url = reverse("property_services_publicincomecost:inspect", args=[cost.pk])
    assert "待补凭证" in client.get(inspect_url).content.decode()

    cost_evidence_attach(cost=cost, evidence=pdf(), by=None)
    page = client.get(inspect_url).content.decode()
    file_url = reverse("property_services_publicincomecost:evidence_file", args=[cost.pk])
    download = client.get(file_url)

    assert f'href="{file_url}"' in page and "下载凭证" in page
    assert "public_income/evidence" not in page  # the storage name is not shown
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert "attachment" in download["Content-Disposition"]
    client.force_login(other)
    assert client.get(file_url).status_code == 404
    client.logout()
    assert client.get(file_url).status_code == 302
