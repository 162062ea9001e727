"""Leases of pooled flats (issue 15): drawn up from an approved application, signed (the tenant's account, the
listing let, the other applicants told), filed (住房租赁条例 Art. 8), renewed, ended with notice (Civil Code
Art. 722, 住房租赁条例 Art. 12) and settled by the daily task; the real-name PDF (Arts. 8, 10, 12); the back office
and the tenant's portal, with the wrong person refused on every URL and fixed query counts."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from accounts.sms import ConsoleSmsBackend
from billing.models import Invoice, Payee
from estates.models import RoleAssignment
from rentals.models import (
    AgreementMode,
    ApplicationStatus,
    EntrustmentAgreement,
    FilingStatus,
    Lease,
    LeaseStatus,
    ListingStatus,
    RentReminder,
    TerminationKind,
)
from rentals.services.applications import application_approve, application_reject
from rentals.services.leases import (
    lease_cancel,
    lease_draft,
    lease_filing_record,
    lease_notice,
    lease_notice_withdraw,
    lease_renew,
    lease_sign,
    leases_settle,
)

from .factories import START, application_row, lease_row, listing_row, supervised_payee

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
MARCH = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def outbox():
    ConsoleSmsBackend.sent.clear()
    return ConsoleSmsBackend.sent


@pytest.fixture
def operator_payee(estate):
    return supervised_payee(estate.pk)


@pytest.fixture
def listing(flat, operator_payee):
    listing = listing_row(flat)  # sublet, 2026-01-01 for 3 years; 2 bedrooms, 60 m²: at most 4 people
    EntrustmentAgreement.objects.filter(pk=listing.agreement_id).update(operator_payee=operator_payee)
    listing.agreement.refresh_from_db()
    return listing


@pytest.fixture
def approved(listing):
    return application_row(listing, "approved", mobile="13700000001")


def draft(application, by, **kw):
    terms = {
        "start_on": MARCH,
        "months": 12,
        "monthly_rent": Decimal("2000.00"),
        "rent_day": 5,
        "cycle_months": 1,
        "deposit": Decimal("2000.00"),
        "deposit_cases": ["damage", "unpaid_rent"],
    }
    return lease_draft(application=application, by=by, **(terms | kw))


def refused_code(excinfo) -> str:
    error = excinfo.value
    if hasattr(error, "error_dict"):
        return next(iter(error.error_dict.values()))[0].code
    return error.code


def refuses(code, fn, *args, **kw):
    with pytest.raises(ValidationError) as excinfo:
        fn(*args, **kw)
    assert refused_code(excinfo) == code, str(excinfo.value)
    assert " / " in excinfo.value.messages[0]  # Chinese first, then English
    return excinfo


# --- Drawing up ---------------------------------------------------------------------------------------------


def test_a_draft_is_real_name_whole_months_numbered_and_paid_to_the_supervised_account(approved, staff, operator_payee):
    """住房租赁条例 Art. 8: real name; Art. 19: the sublet operator's rent goes to its supervised account."""
    lease = draft(approved, staff)
    assert lease.status == LeaseStatus.DRAFT and lease.end_on == datetime.date(2027, 2, 28)
    assert re.fullmatch(r"ZL2\d{3}\d{7}", lease.number)
    assert lease.tenant_name == "王申请" and lease.get_tenant_mobile() == "13700000001"
    assert lease.tenant_mobile_masked == "137****0001" and ID not in lease.tenant_id_number_masked
    assert lease.get_tenant_id_number() == ID and lease.occupants == approved.occupants
    assert lease.rent_payee == operator_payee and lease.listing_id == approved.listing_id
    assert [c.to_status for c in lease.status_changes.all()] == ["draft"]
    assert Lease.objects.get(pk=lease.pk).number == lease.number


def test_the_term_is_at_most_20_years_and_inside_the_agreement(approved, staff):
    """Civil Code Art. 705: at most twenty years; and never past the agreement's term."""
    refuses("over_20_years", draft, approved, staff, months=241)
    refuses("past_agreement", draft, approved, staff, months=36)  # 2026-03 + 36 months > 2029-01-01
    refuses("past_agreement", draft, approved, staff, start_on=datetime.date(2025, 12, 1))
    refuses("months", draft, approved, staff, months=0)
    assert draft(approved, staff, start_on=START, months=36).end_on == datetime.date(2028, 12, 31)


def test_money_and_cycle_rules(approved, staff):
    """Rent above zero; at most three months at a time (2021 national opinion); rent day 1–28; deposit ≥ 0 with
    its cases named (住房租赁条例 Art. 10)."""
    refuses("amount", draft, approved, staff, monthly_rent=Decimal("-1"))
    refuses("amount", draft, approved, staff, monthly_rent=Decimal("0"))
    refuses("cycle_months", draft, approved, staff, cycle_months=4)
    refuses("cycle_months", draft, approved, staff, cycle_months=0)
    refuses("rent_day", draft, approved, staff, rent_day=29)
    refuses("rent_day", draft, approved, staff, rent_day=0)
    refuses("amount", draft, approved, staff, deposit=Decimal("-0.01"))
    refuses("deposit_cases", draft, approved, staff, deposit_cases=[])
    refuses("deposit_cases", draft, approved, staff, deposit_cases=["anything"])
    assert not Lease.objects.exists()
    lease = draft(approved, staff, deposit=Decimal("0"), deposit_cases=[], cycle_months=3)
    assert lease.deposit == 0 and lease.cycle_months == 3


def test_occupants_within_the_citys_limit(listing, staff):
    """住房租赁条例 Art. 7: 2 bedrooms × 2 = 4 people at most."""
    crowded = application_row(listing, "approved", mobile="13700000005")
    type(crowded).objects.filter(pk=crowded.pk).update(occupants=5)
    crowded.refresh_from_db()
    refuses("too_many_occupants", draft, crowded, staff)


def test_the_payee_follows_the_mode(listing, approved, staff, payee, operator_payee):
    """Agency: the owner's payee (Arts. 25, 36); sublet: only a supervised operator's payee (Art. 19); a deposit above
    one month's rent only to a supervised account (2021 national opinion)."""
    agreement = listing.agreement
    EntrustmentAgreement.objects.filter(pk=agreement.pk).update(operator_payee=None)
    refuses("payee_not_supervised", draft, approved, staff)
    plain = Payee.objects.create(estate_id=agreement.estate_id, legal_name="运营方普通账户")
    EntrustmentAgreement.objects.filter(pk=agreement.pk).update(operator_payee=plain)
    refuses("payee_not_supervised", draft, approved, staff)
    EntrustmentAgreement.objects.filter(pk=agreement.pk).update(
        mode=AgreementMode.AGENCY, guaranteed_rent=None, commission_percent=Decimal("8"), owner_payee=None
    )
    refuses("no_owner_payee", draft, approved, staff)
    EntrustmentAgreement.objects.filter(pk=agreement.pk).update(owner_payee=payee)  # not supervised
    refuses("deposit_not_supervised", draft, approved, staff, deposit=Decimal("2000.01"))
    lease = draft(approved, staff, deposit=Decimal("2000.00"))
    assert lease.rent_payee == payee  # Anju never holds the owner's rent


def test_leases_of_one_flat_never_overlap(listing, staff):
    a = application_row(listing, "approved", mobile="13700000001")
    b = application_row(listing, "approved", mobile="13700000002")
    first = draft(a, staff)
    refuses("overlap", draft, b, staff, start_on=datetime.date(2027, 2, 1))
    lease_cancel(lease=first, by=staff)
    second = draft(b, staff, start_on=datetime.date(2027, 2, 1))
    assert second.status == LeaseStatus.DRAFT
    # The cancelled draft freed its application: a corrected draft may be drawn up from it, after the other.
    assert draft(a, staff, start_on=datetime.date(2028, 2, 1), months=6).start_on == datetime.date(2028, 2, 1)


def test_a_lease_under_notice_holds_the_flat_only_until_its_early_end(listing, staff):
    held = lease_row(listing.agreement.unit, "notice", listing=listing, start_on=START, months=24)
    Lease.objects.filter(pk=held.pk).update(terminates_on=datetime.date(2026, 6, 30))
    b = application_row(listing, "approved", mobile="13700000002")
    refuses("overlap", draft, b, staff, start_on=datetime.date(2026, 6, 1))
    assert draft(b, staff, start_on=datetime.date(2026, 7, 1)).start_on == datetime.date(2026, 7, 1)


def test_only_an_approved_application_on_an_open_listing_under_an_agreement_in_force(listing, staff, other_staff):
    submitted = application_row(listing, "submitted", mobile="13700000003")
    refuses("not_approved", draft, submitted, staff)
    approved = application_row(listing, "approved", mobile="13700000004")
    refuses("forbidden", draft, approved, other_staff)
    draft(approved, staff)
    refuses("has_lease", draft, approved, staff)
    again = application_row(listing, "approved", mobile="13700000006")
    type(listing).objects.filter(pk=listing.pk).update(status=ListingStatus.WITHDRAWN)
    refuses("listing_closed", draft, again, staff)
    EntrustmentAgreement.objects.filter(pk=listing.agreement_id).update(status="ended")
    type(listing).objects.filter(pk=listing.pk).update(status=ListingStatus.PUBLISHED)
    refuses("no_agreement", draft, again, staff)


def test_a_listing_marked_let_before_leases_existed_still_takes_a_lease(listing, staff):
    type(listing).objects.filter(pk=listing.pk).update(status=ListingStatus.LET)
    application = application_row(listing, "approved", mobile="13700000007")
    assert draft(application, staff).status == LeaseStatus.DRAFT


# --- Signing ------------------------------------------------------------------------------------------------


def test_signing_makes_the_tenants_account_lets_the_listing_and_tells_the_others(
    listing, approved, staff, outbox, django_capture_on_commit_callbacks
):
    other = application_row(listing, "submitted", mobile="13700000008")
    lease = draft(approved, staff)
    with django_capture_on_commit_callbacks(execute=True):
        lease_sign(lease=lease, by=staff)
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.ACTIVE and lease.signed_at is not None
    user = User.objects.get(mobile="13700000001")
    assert lease.tenant_user == user and not user.has_usable_password() and user.name == "王申请"
    assert RoleAssignment.objects.filter(user=user, role=Role.TENANT, estate__isnull=True).count() == 1
    listing.refresh_from_db()
    other.refresh_from_db()
    assert listing.status == ListingStatus.LET
    assert other.status == ApplicationStatus.REJECTED and other.reason == "房源已出租 / The flat has been let"
    texts = dict(outbox)
    assert lease.number in texts["13700000001"] and "已签订" in texts["13700000001"]
    assert "未通过" in texts["13700000008"]
    refuses("illegal_transition", lease_sign, lease=lease, by=staff)
    refuses("illegal_transition", lease_cancel, lease=lease, by=staff)


def test_signing_links_an_existing_account_without_a_second_role(approved, staff, make_user):
    existing = make_user("13700000001", Role.TENANT)
    lease = lease_sign(lease=draft(approved, staff), by=staff)
    assert lease.tenant_user == existing
    assert RoleAssignment.objects.filter(user=existing, role=Role.TENANT).count() == 1
    assert User.objects.filter(mobile="13700000001").count() == 1


def test_a_draft_is_cancelled_and_nothing_is_let(listing, approved, staff):
    lease = lease_cancel(lease=draft(approved, staff), by=staff, reason="租客改期")
    assert lease.status == LeaseStatus.CANCELLED and lease.application_id is None
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    refuses("illegal_transition", lease_sign, lease=lease, by=staff)


def test_the_applicant_is_texted_when_approved_or_rejected(listing, staff, outbox, django_capture_on_commit_callbacks):
    a = application_row(listing, mobile="13700000011")
    b = application_row(listing, mobile="13700000012")
    with django_capture_on_commit_callbacks(execute=True):
        application_approve(application=a, by=staff)
        application_reject(application=b, by=staff, reason="收入证明不清晰")
    texts = dict(outbox)
    assert "已通过" in texts["13700000011"]
    assert "未通过" in texts["13700000012"] and "收入证明不清晰" in texts["13700000012"]
    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        application_approve(application=a, by=staff)  # a refused move texts nobody
    assert len(outbox) == 2


# --- Filing, renewal ------------------------------------------------------------------------------------------


def test_the_filing_is_recorded_with_its_number_and_date(approved, staff):
    """住房租赁条例 Art. 8: the filing (登记备案) number and status are recorded."""
    lease = draft(approved, staff)
    refuses("not_signed", lease_filing_record, lease=lease, status=FilingStatus.FILED, number="X", filed_on=MARCH, by=staff)
    lease_sign(lease=lease, by=staff)
    refuses("number", lease_filing_record, lease=lease, status=FilingStatus.FILED, number=" ", filed_on=MARCH, by=staff)
    refuses("filed_on", lease_filing_record, lease=lease, status=FilingStatus.FILED, number="CQ-1", filed_on=None, by=staff)
    refuses("filing_status", lease_filing_record, lease=lease, status="lost", by=staff)
    lease_filing_record(lease=lease, status=FilingStatus.SUBMITTED, by=staff)
    today = datetime.date.today() + datetime.timedelta(days=1)
    lease_filing_record(lease=lease, status=FilingStatus.FILED, number="渝租备2026-001", filed_on=today, by=staff)
    lease.refresh_from_db()
    assert (lease.filing_status, lease.filing_number, lease.filed_on) == ("filed", "渝租备2026-001", today)


def test_a_renewal_starts_the_day_after_and_keeps_the_rules(listing, approved, staff):
    old = lease_sign(lease=draft(approved, staff), by=staff)
    refuses("past_agreement", lease_renew, lease=old, months=24, monthly_rent=Decimal("2100.00"), by=staff)
    refuses("amount", lease_renew, lease=old, months=12, monthly_rent=Decimal("0"), by=staff)
    refuses("over_20_years", lease_renew, lease=old, months=241, monthly_rent=Decimal("2100.00"), by=staff)
    new = lease_renew(lease=old, months=12, monthly_rent=Decimal("2100.00"), by=staff)
    assert new.renews == old and new.start_on == datetime.date(2027, 3, 1) and new.end_on == datetime.date(2028, 2, 29)
    assert (new.tenant_name, new.get_tenant_mobile(), new.tenant_user) == (old.tenant_name, "13700000001", old.tenant_user)
    assert new.deposit_cases == old.deposit_cases and new.status == LeaseStatus.DRAFT and new.application_id is None
    refuses("renewed", lease_renew, lease=old, months=6, monthly_rent=Decimal("2100.00"), by=staff)
    lease_sign(lease=new, by=staff)
    new.refresh_from_db()
    assert new.status == LeaseStatus.ACTIVE
    a_draft = lease_row(listing.agreement.unit, "draft", listing=listing, start_on=datetime.date(2028, 3, 1), months=6)
    refuses("not_active", lease_renew, lease=a_draft, months=1, monthly_rent=Decimal("1"), by=staff)


# --- Notice and the end -----------------------------------------------------------------------------------------


@pytest.fixture
def active(approved, staff):
    return lease_sign(lease=draft(approved, staff), by=staff)


def test_the_tenant_gives_the_agreed_notice_and_both_may_agree_any_date(active, staff):
    day = datetime.date(2026, 5, 1)
    refuses(
        "reason",
        lease_notice,
        lease=active,
        kind=TerminationKind.BY_TENANT,
        reason=" ",
        notice_on=day,
        terminates_on=day + datetime.timedelta(days=30),
        by=staff,
    )
    refuses(
        "notice_days",
        lease_notice,
        lease=active,
        kind=TerminationKind.BY_TENANT,
        reason="工作调动",
        notice_on=day,
        terminates_on=day + datetime.timedelta(days=29),
        by=staff,
    )
    refuses(
        "terminates_on",
        lease_notice,
        lease=active,
        kind=TerminationKind.MUTUAL,
        reason="协商",
        notice_on=day,
        terminates_on=active.end_on,
        by=staff,
    )
    lease_notice(
        lease=active,
        kind=TerminationKind.MUTUAL,
        reason="协商一致",
        notice_on=day,
        terminates_on=day + datetime.timedelta(days=3),
        by=staff,
    )
    active.refresh_from_db()
    assert active.status == LeaseStatus.NOTICE and active.terminates_on == datetime.date(2026, 5, 4)
    assert active.last_day == datetime.date(2026, 5, 4)
    lease_notice_withdraw(lease=active, by=staff, on=datetime.date(2026, 5, 2))
    active.refresh_from_db()
    assert active.status == LeaseStatus.ACTIVE and active.terminates_on is None and active.termination_kind == ""
    lease_notice(
        lease=active,
        kind=TerminationKind.BY_TENANT,
        reason="工作调动",
        notice_on=day,
        terminates_on=day + datetime.timedelta(days=30),
        by=staff,
    )
    refuses("past", lease_notice_withdraw, lease=active, by=staff, on=datetime.date(2026, 6, 1))
    refuses(
        "illegal_transition",
        lease_notice_withdraw,
        lease=lease_row(active.unit, "ended", listing=active.listing, mobile="13700000031"),
        by=staff,
    )


def test_the_lessor_ends_for_arrears_only_after_the_cure_period_with_time_to_move(active, staff, settings):
    """Civil Code Art. 722: a reminder with a cure period first; 住房租赁条例 Art. 12: reasonable time to move."""
    settings.ANJU_RENTAL_MOVE_OUT_DAYS = 15
    notice_on = datetime.date(2026, 5, 1)
    args = {
        "lease": active,
        "kind": TerminationKind.BY_LESSOR_ARREARS,
        "reason": "欠租",
        "notice_on": notice_on,
        "terminates_on": notice_on + datetime.timedelta(days=15),
        "by": staff,
    }
    refuses("no_cure_period", lease_notice, **args)  # no reminder at all
    # Signing billed the rent whose time has come (rentals.services.rent): the first cycle's is now overdue.
    bill = Invoice.objects.filter(source_id=active.pk, charge_kind="flat_rent").order_by("period").first()
    Invoice.objects.filter(pk=bill.pk).update(status="overdue")
    reminder = RentReminder.objects.create(
        lease=active, invoice=bill, sent_on=datetime.date(2026, 4, 10), cure_until=datetime.date(2026, 5, 1)
    )
    refuses("no_cure_period", lease_notice, **args)  # the cure period ends on the notice's day: not yet passed
    RentReminder.objects.filter(pk=reminder.pk).update(cure_until=datetime.date(2026, 4, 30))
    Invoice.objects.filter(pk=bill.pk).update(status="paid", paid_amount=bill.total)
    refuses("no_cure_period", lease_notice, **args)  # the bill was paid
    Invoice.objects.filter(pk=bill.pk).update(status="overdue", paid_amount=0)
    refuses("move_out_time", lease_notice, **(args | {"terminates_on": notice_on + datetime.timedelta(days=14)}))
    lease_notice(**args)
    active.refresh_from_db()
    assert active.status == LeaseStatus.NOTICE and active.termination_kind == TerminationKind.BY_LESSOR_ARREARS
    assert active.status_changes.order_by("pk").last().to_status == "notice"


def test_the_daily_task_terminates_after_the_notice_date_and_ends_after_the_term(listing, staff):
    unit = listing.agreement.unit
    noticed = lease_row(unit, "notice", listing=listing, start_on=START, months=24, mobile="13700000041")
    Lease.objects.filter(pk=noticed.pk).update(terminates_on=datetime.date(2026, 6, 30))
    over = lease_row(unit, "active", listing=listing, start_on=datetime.date(2025, 1, 1), months=6, mobile="13700000042")
    running = lease_row(unit, "active", listing=listing, start_on=START, months=12, mobile="13700000043")
    assert leases_settle(on=datetime.date(2026, 6, 30)) == {"terminated": 0, "ended": 1}
    assert leases_settle(on=datetime.date(2026, 7, 1)) == {"terminated": 1, "ended": 0}
    assert leases_settle(on=datetime.date(2026, 7, 1)) == {"terminated": 0, "ended": 0}  # twice: no harm
    statuses = dict(Lease.objects.values_list("pk", "status"))
    assert statuses == {noticed.pk: "terminated", over.pk: "ended", running.pk: "active"}


def test_the_daily_task_is_scheduled():
    from django_q.models import Schedule

    from rentals import lease_tasks

    lease_tasks.schedules_ensure()
    lease_tasks.schedules_ensure()
    schedule = Schedule.objects.get(name=lease_tasks.LEASES_SETTLE_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == ("rentals.lease_tasks.leases_settle_daily", Schedule.DAILY)


# --- The PDF -----------------------------------------------------------------------------------------------------


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "lease.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_the_lease_pdf_states_the_parties_deposit_cases_filing_and_no_lockout(active, staff, client, tmp_path):
    """Arts. 8 (real name, filing), 10 (deposit, return, the only cases), 12 (no lock-out); no loan attached."""
    lease_filing_record(
        lease=active,
        status=FilingStatus.FILED,
        number="渝租备2026-001",
        filed_on=datetime.date.today() + datetime.timedelta(days=1),
        by=staff,
    )
    client.force_login(staff)
    response = client.get(reverse("rentals_lease:pdf", args=[active.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = re.sub(r"\s+", "", pdf_text(response.content, tmp_path))
    assert "住房租赁合同" in text and active.number in text
    assert "王申请" in text and active.tenant_id_number_masked in text and ID not in text
    assert "安居运营有限公司（租金监管账户）" in text  # the sublet lessor of record: the operator's payee
    assert "金汤街小区" in text and "60.00" in text
    assert "2026-03-01" in text and "2027-02-28" in text and "¥2,000.00" in text
    assert "渝租备2026-001" in text and "登记备案" in text
    assert "不会断水断电、不会换锁" in text
    assert text.count("15") >= 1  # the deposit is returned within 15 days of the hand-back


# --- Back office ---------------------------------------------------------------------------------------------------


def test_staff_draw_up_from_the_application_page_sign_file_renew_and_give_notice(client, approved, staff):
    client.force_login(staff)
    page = client.get(reverse("rentals_application:inspect", args=[approved.pk])).content.decode()
    assert 'data-testid="draft-lease"' in page
    url = reverse("rentals_lease:draft", args=[approved.pk])
    assert client.get(url).status_code == 200
    form = {
        "start_on": "2026-03-01",
        "months": "12",
        "monthly_rent": "2000.00",
        "rent_day": "5",
        "cycle_months": "4",
        "deposit": "2000.00",
        "deposit_cases": ["damage"],
        "deposit_return_days": "15",
        "notice_days": "30",
    }
    response = client.post(url, form)
    assert response.status_code == 400 and "三个月" in response.content.decode() and not Lease.objects.exists()
    response = client.post(url, form | {"cycle_months": "1"})
    lease = Lease.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("rentals_lease:inspect", args=[lease.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="sign"' in page and "137****0001" in page and "13700000001" not in page
    assert client.post(reverse("rentals_lease:sign", args=[lease.pk])).status_code == 302
    response = client.post(
        reverse("rentals_lease:filing", args=[lease.pk]), {"status": "filed", "number": "渝租备-9", "filed_on": "2027-01-01"}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("rentals_lease:renew", args=[lease.pk]),
        {
            "months": "6",
            "monthly_rent": "2100.00",
            "rent_day": "5",
            "cycle_months": "1",
            "deposit": "2000.00",
            "deposit_cases": ["damage"],
            "deposit_return_days": "15",
            "notice_days": "30",
        },
    )
    renewal = Lease.objects.get(renews=lease)
    assert response.status_code == 302 and response["Location"].endswith(f"/{renewal.pk}/")
    notice = reverse("rentals_lease:notice", args=[lease.pk])
    assert "不会断水断电、不会换锁" in client.get(notice).content.decode()
    response = client.post(
        notice, {"kind": "arrears", "reason": "欠租", "notice_on": "2026-05-01", "terminates_on": "2026-06-01"}
    )
    assert response.status_code == 400 and "七百二十二" in response.content.decode()
    response = client.post(
        notice, {"kind": "by_tenant", "reason": "调动", "notice_on": "2026-05-01", "terminates_on": "2026-06-01"}
    )
    assert response.status_code == 302
    # Withdrawn before the early end (the page uses today's date): back in force; after it, refused.
    withdrawn = client.post(reverse("rentals_lease:withdraw_notice", args=[lease.pk]))
    lease.refresh_from_db()
    assert lease.filing_number == "渝租备-9"
    if datetime.date.today() <= datetime.date(2026, 6, 1):
        assert withdrawn.status_code == 302 and lease.status == LeaseStatus.ACTIVE
    else:
        assert withdrawn.status_code == 400 and lease.status == LeaseStatus.NOTICE
    assert client.post(reverse("rentals_lease:cancel", args=[renewal.pk]), {"reason": "不续了"}).status_code == 302
    renewal.refresh_from_db()
    assert renewal.status == LeaseStatus.CANCELLED


def lease_urls(lease, application):
    return [
        reverse("rentals_lease:inspect", args=[lease.pk]),
        reverse("rentals_lease:pdf", args=[lease.pk]),
        reverse("rentals_lease:draft", args=[application.pk]),
        reverse("rentals_lease:sign", args=[lease.pk]),
        reverse("rentals_lease:cancel", args=[lease.pk]),
        reverse("rentals_lease:filing", args=[lease.pk]),
        reverse("rentals_lease:renew", args=[lease.pk]),
        reverse("rentals_lease:notice", args=[lease.pk]),
        reverse("rentals_lease:withdraw_notice", args=[lease.pk]),
    ]


def test_staff_of_another_estate_get_404_everywhere_and_others_are_refused(
    client, listing, approved, staff, other_staff, make_user
):
    lease = draft(approved, staff)
    urls = lease_urls(lease, approved)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    client.force_login(other_staff)
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in urls[2:]:  # the actions (the page and the PDF only answer GET)
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    assert client.get(reverse("rentals_lease:index")).content.decode().count(lease.number) == 0
    tenant = make_user("13700000001", Role.TENANT)
    client.force_login(tenant)
    for url in urls:
        assert client.get(url).status_code in (302, 403, 404), url
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.DRAFT and Lease.objects.count() == 1


def test_the_lease_list_masks_the_tenant_with_a_fixed_number_of_queries(client, estate, staff, operator_payee):
    client.force_login(staff)
    url = reverse("rentals_lease:index")
    listings = [listing_row(unit, "let") for unit in estate.buildings.get().units.order_by("number")]

    def count(how_many):
        for _ in range(how_many):
            n = Lease.objects.count()
            listing = listings[n % len(listings)]
            lease_row(
                listing.agreement.unit,
                listing=listing,
                mobile=f"1370000{n + 100:04d}",
                start_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=400 * (n // len(listings))),
            )
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    small, _ = count(2)
    large, page = count(12)
    assert small == large
    assert "137****" in page and "13700000100" not in page and ID not in page


# --- The tenant's portal ---------------------------------------------------------------------------------------------


def test_the_tenant_sees_their_lease_its_pdf_and_the_way_to_the_bills(client, active, staff, tmp_path):
    client.force_login(active.tenant_user)
    home = client.get("/portal/").content.decode()
    assert 'data-testid="current-lease"' in home and reverse("rentals_portal:lease", args=[active.pk]) in home
    listing = client.get(reverse("rentals_portal:leases")).content.decode()
    assert f'data-testid="lease-{active.pk}"' in listing
    page = client.get(reverse("rentals_portal:lease", args=[active.pk])).content.decode()
    assert 'href="/portal/bills/"' in page and "不会断水断电、不会换锁" in page and "¥2,000.00" in page
    lease_notice(
        lease=active,
        kind=TerminationKind.BY_TENANT,
        reason="工作调动",
        notice_on=datetime.date(2026, 5, 1),
        terminates_on=datetime.date(2026, 6, 15),
        by=staff,
    )
    page = client.get(reverse("rentals_portal:lease", args=[active.pk])).content.decode()
    assert 'data-testid="notice"' in page and "2026-06-15" in page
    pdf = client.get(reverse("rentals_portal:lease_pdf", args=[active.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_another_tenant_gets_404_and_anonymous_the_login(client, active, listing, make_user):
    urls = [
        reverse("rentals_portal:lease", args=[active.pk]),
        reverse("rentals_portal:lease_pdf", args=[active.pk]),
        reverse("rentals_portal:leases"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    other = make_user("13700000099", Role.TENANT)
    lease_row(
        listing.agreement.unit,
        "active",
        listing=listing,
        start_on=datetime.date(2028, 1, 1),
        months=6,
        mobile="13700000099",
        tenant_user=other,
    )
    client.force_login(other)
    for url in urls[:2]:
        assert client.get(url).status_code == 404, url
    assert f'data-testid="lease-{active.pk}"' not in client.get(urls[2]).content.decode()


def test_a_tenant_without_a_lease_is_shown_flats_for_rent(client, make_user):
    client.force_login(make_user("13700000098", Role.TENANT))
    home = client.get("/portal/").content.decode()
    assert 'data-testid="tenant-section"' in home and 'data-testid="current-lease"' not in home
    assert 'href="/rentals/"' in home


def test_the_tenants_pages_run_a_fixed_number_of_queries(client, listing, make_user):
    tenant = make_user("13700000097", Role.TENANT)
    client.force_login(tenant)
    unit = listing.agreement.unit

    def count(n):
        start = datetime.date(2026, 1, 1) + datetime.timedelta(days=200 * Lease.objects.count())
        for i in range(n):
            lease_row(
                unit,
                "ended",
                listing=listing,
                start_on=start + datetime.timedelta(days=200 * i),
                months=6,
                mobile="13700000097",
                tenant_user=tenant,
            )
        counts = []
        for url in ("/portal/", reverse("rentals_portal:leases")):
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    assert count(1) == count(8)


def test_the_tenant_gives_notice_in_the_portal_with_the_leases_notice_days(client, active, make_user):
    """The tenant ends the lease early from the portal: at least the lease's notice days ahead (the lease's own term);
    a notice is a date only — the tenant keeps every right until then (住房租赁条例 Art. 12)."""
    from django.utils import timezone

    url = reverse("rentals_portal:lease_notice", args=[active.pk])
    today = timezone.localdate()
    stranger = make_user("13700000077", Role.TENANT)
    client.force_login(stranger)
    assert client.post(url, {"terminates_on": today + datetime.timedelta(days=40), "reason": "x"}).status_code == 404
    client.logout()
    assert "/accounts/login/" in client.post(url, {"terminates_on": "2027-01-20", "reason": "x"})["Location"]

    client.force_login(active.tenant_user)
    page = client.get(reverse("rentals_portal:lease", args=[active.pk])).content.decode()
    assert 'data-testid="give-notice"' in page and url in page
    too_soon = client.post(url, {"terminates_on": today + datetime.timedelta(days=10), "reason": "工作调动"}, follow=True)
    assert "须提前30日通知" in too_soon.content.decode()
    active.refresh_from_db()
    assert active.status == LeaseStatus.ACTIVE and active.terminates_on is None

    ends = today + datetime.timedelta(days=40)
    done = client.post(url, {"terminates_on": ends.isoformat(), "reason": "工作调动"}, follow=True)

    active.refresh_from_db()
    assert active.status == LeaseStatus.NOTICE and active.termination_kind == TerminationKind.BY_TENANT
    assert (active.notice_given_on, active.terminates_on, active.termination_reason) == (today, ends, "工作调动")
    assert 'data-testid="terminates-on"' in done.content.decode() and 'data-testid="give-notice"' not in done.content.decode()
