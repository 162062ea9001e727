"""Owners ask to inspect a record of their estate (查阅) and the manager answers (issue 13).

SPC interpretation on building ownership Art. 13: owners may ask for and inspect the records of the
maintenance fund's use and of the use of and income from the common parts; Civil Code Art. 943: the
manager discloses them. Only an owner of the estate asks; staff of that estate answer within the time
limit (arranged: a date and place or a copy; refused only on the few grounds left, with the reason);
nobody else sees or answers a request."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from accounts.models import Role
from estates.models import AssetKind, CommonAsset
from property_services.models import InspectionRequest, InspectionStatus
from property_services.services.fund import fund_use_record
from property_services.services.inspection import inspection_arrange, inspection_ask, inspection_refuse
from property_services.services.leases import lease_sign
from property_services.services.public_income import statement_approve, statement_draft, statement_publish
from tests.billing.factories import bill
from tests.property_services.conftest import passed_resolution
from tests.property_services.owners_records import funded_estate

pytestmark = pytest.mark.django_db

PAGE = reverse("records_portal:page")
INDEX = reverse("property_services_inspectionrequest:index")


def pdf_upload(name="copy.pdf") -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def estate_records(make_user, settings, tmp_path):
    """An estate with a fund use, a lease of a shop, a published statement and a draft one; its staff, two of its
    owners; another estate with its own owner, staff and fund use."""
    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    estate, units, owners = funded_estate(make_user, units=3, code="IR1", prefix="1380021")
    fund = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="屋面防水")
    use = fund_use_record(estate=estate, title="屋面防水", amount=Decimal("600.00"), used_on=today, resolution=fund)
    shop = CommonAsset.objects.create(estate=estate, kind=AssetKind.SHOP_PREMISES, code="S-01")
    leasing = passed_resolution(
        estate, on=today - datetime.timedelta(days=30), matter="change_use_or_operate_common_parts", title="出租门面"
    )
    lease = lease_sign(
        asset=shop,
        lessee="张三",
        lessee_credit_code="500103199001011234",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=365),
        rent=Decimal("3000.00"),
        cycle="month",
        resolution=leasing,
    )
    bill(units[0], Decimal("150.00"), kind="parking_permit", period=today)
    published = statement_draft(estate=estate, starts_on=today.replace(day=1), ends_on=today)
    statement_publish(statement=statement_approve(statement=published, by=None))
    draft = statement_draft(
        estate=estate,
        starts_on=today.replace(day=1) - datetime.timedelta(days=40),
        ends_on=today.replace(day=1) - datetime.timedelta(days=1),
    )
    other_estate, _units, strangers = funded_estate(make_user, units=1, code="IR2", prefix="1380022")
    other_fund = passed_resolution(other_estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="外墙")
    other_use = fund_use_record(
        estate=other_estate, title="外墙修缮", amount=Decimal("100.00"), used_on=today, resolution=other_fund
    )
    return {
        "estate": estate,
        "use": use,
        "lease": lease,
        "statement": published,
        "draft": draft,
        "owner": owners[0],
        "neighbour": owners[1],
        "staff": make_user("13900005301", Role.ESTATE_STAFF, estate=estate),
        "other_staff": make_user("13900005302", Role.ESTATE_STAFF, estate=other_estate),
        "stranger": strangers[0],
        "other_use": other_use,
    }


def _ask(client, user, record: str, **extra):
    client.force_login(user)
    return client.post(PAGE, {"record": record, "message": "想看维修合同和发票", "preferred_on": "", **extra})


def test_an_owner_asks_to_inspect_each_kind_of_record_and_sees_it_with_its_due_date(client, estate_records, settings):
    """SPC interpretation Art. 13: the fund's use, the common parts' leases and income are the owners' to inspect."""
    r = estate_records
    settings.ANJU_INSPECTION_ANSWER_DAYS = 10
    client.force_login(r["owner"].user)
    form = client.get(PAGE).content.decode()
    assert f'value="fund_use-{r["use"].pk}"' in form and f'value="lease-{r["lease"].pk}"' in form
    assert f'value="statement-{r["statement"].pk}"' in form
    assert f'value="statement-{r["draft"].pk}"' not in form  # a draft is not yet a record to inspect
    assert f'value="fund_use-{r["other_use"].pk}"' not in form
    assert "张三" not in form and "500103199001011234" not in form  # the lessee is a person: not shown

    preferred = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    for record in (f"fund_use-{r['use'].pk}", f"lease-{r['lease'].pk}", f"statement-{r['statement'].pk}"):
        assert _ask(client, r["owner"].user, record, preferred_on=preferred).status_code == 302

    requests = InspectionRequest.objects.order_by("pk")
    assert [(q.fund_use, q.lease, q.statement) for q in requests] == [
        (r["use"], None, None),
        (None, r["lease"], None),
        (None, None, r["statement"]),
    ]
    first = requests[0]
    assert first.owner == r["owner"] and first.status == InspectionStatus.REQUESTED
    assert first.answer_due_on == timezone.localdate() + datetime.timedelta(days=10)
    assert first.message == "想看维修合同和发票" and f"{first.preferred_on}" == preferred
    page = client.get(PAGE).content.decode()
    assert page.count('data-testid="request-') == 3 and "已申请" in page


def test_only_an_owner_of_the_estate_asks_and_nothing_is_written_otherwise(client, estate_records, make_user):
    r = estate_records
    tenant = make_user("13700005301", Role.TENANT)
    for user in (r["stranger"].user, tenant):
        response = _ask(client, user, f"fund_use-{r['use'].pk}")
        assert response.status_code == 200
    # A draft statement, a record of another estate, a date in the past: refused.
    assert _ask(client, r["owner"].user, f"statement-{r['draft'].pk}").status_code == 200
    assert _ask(client, r["owner"].user, f"fund_use-{r['other_use'].pk}").status_code == 200
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert "日期已过" in _ask(client, r["owner"].user, f"fund_use-{r['use'].pk}", preferred_on=past).content.decode()
    assert not InspectionRequest.objects.exists()
    with pytest.raises(ValidationError) as refused:
        inspection_ask(owner=r["stranger"], record=r["use"], by=r["stranger"].user)
    assert refused.value.code == "not_owner"
    with pytest.raises(ValidationError) as refused:  # asking through someone else's owner record
        inspection_ask(owner=r["owner"], record=r["use"], by=r["neighbour"].user)
    assert refused.value.code == "not_owner"
    client.logout()
    assert client.get(PAGE).status_code == 302 and client.post(PAGE, {}).status_code == 302
    assert not InspectionRequest.objects.exists()


def test_a_second_open_request_for_the_same_record_is_refused(client, estate_records):
    r = estate_records
    _ask(client, r["owner"].user, f"fund_use-{r['use'].pk}")
    again = _ask(client, r["owner"].user, f"fund_use-{r['use'].pk}")
    assert "正在办理" in again.content.decode()
    assert InspectionRequest.objects.count() == 1


def test_staff_arrange_with_a_copy_the_owner_downloads_it_and_nobody_else_can(client, estate_records):
    r = estate_records
    _ask(client, r["owner"].user, f"lease-{r['lease'].pk}")
    inspection = InspectionRequest.objects.get()
    arrange = reverse("property_services_inspectionrequest:arrange", args=[inspection.pk])
    detail = reverse("property_services_inspectionrequest:inspect", args=[inspection.pk])

    client.force_login(r["other_staff"])
    assert client.get(detail).status_code == 404
    assert client.post(arrange, {"answer": "x", "copy": pdf_upload()}).status_code == 404
    assert InspectionRequest.objects.get().status == InspectionStatus.REQUESTED
    client.force_login(r["staff"])
    assert 'data-testid="arrange"' in client.get(detail).content.decode()
    empty = client.post(arrange, {"answer": "见附件"})
    assert empty.status_code == 400 and InspectionRequest.objects.get().status == InspectionStatus.REQUESTED
    response = client.post(arrange, {"answer": "承租人身份证号已遮盖", "copy": pdf_upload()})

    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.ARRANGED and inspection.copy and inspection.answered_by == r["staff"]
    copy = reverse("records_portal:copy", args=[inspection.pk])
    client.force_login(r["owner"].user)
    page = client.get(PAGE).content.decode()
    assert "已安排" in page and copy in page and "承租人身份证号已遮盖" in page
    download = client.get(copy)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(r["neighbour"].user)
    assert client.get(copy).status_code == 404
    assert f'data-testid="request-{inspection.pk}"' not in client.get(PAGE).content.decode()
    client.force_login(r["staff"])
    assert client.post(reverse("property_services_inspectionrequest:done", args=[inspection.pk])).status_code == 302
    assert InspectionRequest.objects.get().status == InspectionStatus.DONE
    assert list(inspection.status_changes.values_list("to_status", flat=True)) == ["arranged", "done"]


def test_staff_arrange_a_date_and_place(client, estate_records):
    r = estate_records
    _ask(client, r["owner"].user, f"statement-{r['statement'].pk}")
    inspection = InspectionRequest.objects.get()
    day = timezone.localdate() + datetime.timedelta(days=2)
    client.force_login(r["staff"])
    client.post(
        reverse("property_services_inspectionrequest:arrange", args=[inspection.pk]),
        {"arranged_on": day.isoformat(), "place": "物业服务中心二楼", "answer": "请带身份证"},
    )
    inspection.refresh_from_db()
    assert (inspection.status, inspection.arranged_on, inspection.place) == (InspectionStatus.ARRANGED, day, "物业服务中心二楼")
    client.force_login(r["owner"].user)
    assert "物业服务中心二楼" in client.get(PAGE).content.decode()


def test_a_refusal_states_one_of_the_few_grounds_and_its_reason(client, estate_records):
    """The right to know is the rule: a request is refused only when the manager does not hold the record or
    already provided it, and the owner reads why; other people's personal data is masked, not a ground."""
    r = estate_records
    _ask(client, r["owner"].user, f"fund_use-{r['use'].pk}")
    inspection = InspectionRequest.objects.get()
    refuse = reverse("property_services_inspectionrequest:refuse", args=[inspection.pk])
    client.force_login(r["staff"])

    assert client.post(refuse, {"refusal_reason": "not_held", "answer": ""}).status_code == 400
    assert client.post(refuse, {"refusal_reason": "personal_data", "answer": "含他人信息"}).status_code == 400
    with pytest.raises(ValidationError):
        inspection_refuse(inspection=inspection, by=r["staff"], reason="personal_data", answer="含他人信息")
    assert InspectionRequest.objects.get().status == InspectionStatus.REQUESTED
    response = client.post(refuse, {"refusal_reason": "not_held", "answer": "维修资金账目由区住房城乡建委保管，请向其申请"})

    assert response.status_code == 302
    client.force_login(r["owner"].user)
    page = client.get(PAGE).content.decode()
    assert "已拒绝" in page and "区住房城乡建委保管" in page
    with pytest.raises(ValidationError):  # refused is final
        inspection_arrange(inspection=InspectionRequest.objects.get(), by=r["staff"], copy=pdf_upload())


def test_the_back_office_list_flags_overdue_requests_and_shows_only_the_estates_own(client, estate_records):
    r = estate_records
    _ask(client, r["owner"].user, f"fund_use-{r['use'].pk}")
    _ask(client, r["owner"].user, f"lease-{r['lease'].pk}")
    late, on_time = InspectionRequest.objects.order_by("pk")
    InspectionRequest.objects.filter(pk=late.pk).update(answer_due_on=timezone.localdate() - datetime.timedelta(days=3))

    client.force_login(r["staff"])
    listing = client.get(INDEX).content.decode()
    overdue_only = client.get(INDEX, {"overdue": "true"}).content.decode()
    detail = client.get(reverse("property_services_inspectionrequest:inspect", args=[late.pk])).content.decode()

    assert listing.count('data-testid="overdue"') == 1 and "逾期3天" in listing
    assert "屋面防水" in overdue_only and "S-01" not in overdue_only
    assert 'data-testid="overdue"' in detail
    client.force_login(r["other_staff"])
    assert "屋面防水" not in client.get(INDEX).content.decode()
    client.force_login(r["owner"].user)
    assert client.get(INDEX).status_code in (302, 403)


def test_the_list_runs_the_same_queries_for_few_and_many_requests(client, estate_records):
    r = estate_records
    client.force_login(r["staff"])

    def queries() -> int:
        client.get(INDEX)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(INDEX).status_code == 200
        return len(ctx.captured_queries)

    _ask(client, r["owner"].user, f"fund_use-{r['use'].pk}")
    client.force_login(r["staff"])
    few = queries()
    for record in (f"lease-{r['lease'].pk}", f"statement-{r['statement'].pk}"):
        _ask(client, r["owner"].user, record)
        _ask(client, r["neighbour"].user, record)
    client.force_login(r["staff"])
    assert len(re.findall(r"<tr", client.get(INDEX).content.decode())) > 4
    assert queries() == few
