"""存房 entrustment: the owner's application, the survey, the offer in either mode, the owner's answer, the
recovery of the renovation budget to the fen and the early return."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import Payee
from rentals.models import (
    AgreementMode,
    AgreementStatus,
    Entrustment,
    EntrustmentAgreement,
    EntrustmentPhoto,
    EntrustmentStatus,
    ListingStatus,
)
from rentals.recovery import add_months, equal_schedule, recovered, schedule_total, unrecovered
from rentals.services.entrustments import (
    agreement_end,
    agreement_return_early,
    entrustment_accept,
    entrustment_apply,
    entrustment_decline,
    entrustment_offer,
    entrustment_survey,
    entrustment_withdraw,
)

from .factories import START, jpeg, listing_row

pytestmark = pytest.mark.django_db


def _surveyed(flat, owner_user, staff):
    e = entrustment_apply(user=owner_user, unit=flat, vacant_from=START, note="空置两年")
    entrustment_survey(entrustment=e, by=staff, condition="墙面起皮，需翻新", rent_estimate="1800.00", photos=[jpeg()])
    return e


def _offer(e, staff, **kw):
    terms = {
        "mode": AgreementMode.SUBLET,
        "start_on": START,
        "term_years": 5,
        "rent_free_months": 3,
        "guaranteed_rent": "1500.00",
        "renovation_budget": "30000.00",
        "recovery_months": 24,
        "notice_days": 60,
    }
    terms |= kw
    if terms["mode"] == AgreementMode.SUBLET and "operator_payee" not in terms:
        terms["operator_payee"] = Payee.objects.create(estate_id=e.estate_id, legal_name="存房运营公司", supervised=True)
    return entrustment_offer(entrustment=e, by=staff, **terms)


# --- recovery arithmetic (pure) ------------------------------------------------------------------------------


class _A:
    """An agreement's fields, without the database (the function is pure)."""

    def __init__(self, budget, schedule, start=START):
        self.renovation_budget, self.recovery_schedule, self.start_on = Decimal(budget), schedule, start


def test_equal_instalments_sum_exactly_to_the_budget_and_the_odd_fen_go_first():
    schedule = equal_schedule(budget=Decimal("100.00"), months=3, first_month=4)
    assert schedule == [[4, "33.34"], [5, "33.33"], [6, "33.33"]]
    assert schedule_total(schedule) == Decimal("100.00")
    big = equal_schedule(budget=Decimal("30000.01"), months=7)
    assert schedule_total(big) == Decimal("30000.01")


def test_unrecovered_before_during_and_after_a_recovery_that_ends_mid_term():
    """A 3-year term whose 100.00 is recovered in months 4–6: whole before month 4 ends, part after, nothing once
    month 6 has ended (a year and a half before the term ends)."""
    a = _A("100.00", equal_schedule(budget=Decimal("100.00"), months=3, first_month=4))
    assert unrecovered(a, on=START) == Decimal("100.00")
    assert unrecovered(a, on=datetime.date(2026, 4, 30)) == Decimal("100.00")  # month 4 not over
    assert unrecovered(a, on=datetime.date(2026, 5, 1)) == Decimal("66.66")
    assert unrecovered(a, on=datetime.date(2026, 6, 1)) == Decimal("33.33")
    assert unrecovered(a, on=datetime.date(2026, 7, 1)) == Decimal("0.00")
    assert unrecovered(a, on=datetime.date(2027, 6, 1)) == Decimal("0.00")
    assert recovered(a, on=datetime.date(2026, 5, 1)) == Decimal("33.34")


def test_an_explicit_uneven_schedule_is_recovered_to_the_fen():
    a = _A("1000.01", [[2, "500.00"], [1, "0.01"], [12, "500.00"]])
    assert unrecovered(a, on=datetime.date(2026, 2, 1)) == Decimal("1000.00")
    assert unrecovered(a, on=datetime.date(2026, 3, 1)) == Decimal("500.00")
    assert unrecovered(a, on=datetime.date(2027, 1, 1)) == Decimal("0.00")


def test_months_are_calendar_months_from_a_month_end_start():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)


# --- application, survey, offer ------------------------------------------------------------------------------


def test_the_whole_way_to_an_agreement_in_force_writes_every_transition(flat, owner_user, staff):
    e = _surveyed(flat, owner_user, staff)
    assert e.status == EntrustmentStatus.SURVEYED and e.rent_estimate == Decimal("1800.00")
    assert EntrustmentPhoto.objects.filter(entrustment=e, content_type="image/jpeg").count() == 1
    agreement = _offer(e, staff)
    assert agreement.end_on == datetime.date(2031, 1, 1)
    assert agreement.recovery_schedule[0] == [4, "1250.00"] and len(agreement.recovery_schedule) == 24
    assert schedule_total(agreement.recovery_schedule) == Decimal("30000.00")
    entrustment_accept(entrustment=e, by=owner_user)
    agreement.refresh_from_db()
    e.refresh_from_db()
    assert (e.status, agreement.status) == (EntrustmentStatus.ACCEPTED, AgreementStatus.ACTIVE)
    assert agreement.accepted_at is not None
    assert [c.to_status for c in e.status_changes.order_by("pk")] == ["applied", "surveyed", "offered", "accepted"]
    assert [c.to_status for c in agreement.status_changes.order_by("pk")] == ["offered", "active"]


def test_only_a_current_owner_of_the_flat_may_apply(flat, make_user, owner_user):
    stranger = make_user("13811119999")
    with pytest.raises(ValidationError) as refused:
        entrustment_apply(user=stranger, unit=flat, vacant_from=START)
    assert refused.value.error_dict["unit"][0].code == "not_owner"
    entrustment_apply(user=owner_user, unit=flat, vacant_from=START)
    with pytest.raises(ValidationError):  # one open application per flat
        entrustment_apply(user=owner_user, unit=flat, vacant_from=START)
    assert Entrustment.objects.count() == 1


@pytest.mark.parametrize("years", [0, 11, 20])
def test_a_term_outside_1_to_10_years_is_refused(flat, owner_user, staff, years):
    """The 存房 deal: a term of 1 to 10 years (DOMAIN.md, 存房 end to end)."""
    e = _surveyed(flat, owner_user, staff)
    with pytest.raises(ValidationError) as refused:
        _offer(e, staff, term_years=years)
    assert "term_years" in refused.value.error_dict
    e.refresh_from_db()
    assert e.status == EntrustmentStatus.SURVEYED and not EntrustmentAgreement.objects.exists()


@pytest.mark.parametrize("years", [1, 10])
def test_terms_of_1_and_10_years_are_accepted(flat, owner_user, staff, years):
    e = _surveyed(flat, owner_user, staff)
    agreement = _offer(e, staff, term_years=years, recovery_months=6)
    assert agreement.end_on == add_months(START, 12 * years)


def test_agency_needs_a_commission_below_100_and_the_owners_payee(flat, owner_user, staff, payee):
    """Agency: the owner is the lessor of record and the rent goes to the owner's payee (住房租赁条例 Arts. 25, 36:
    the operator does not hold rent for others)."""
    e = _surveyed(flat, owner_user, staff)
    agency = {"mode": AgreementMode.AGENCY, "guaranteed_rent": None}
    for bad, field in (
        ({"commission_percent": None, "owner_payee": payee}, "commission_percent"),
        ({"commission_percent": "100", "owner_payee": payee}, "commission_percent"),
        ({"commission_percent": "-1", "owner_payee": payee}, "commission_percent"),
        ({"commission_percent": "8", "owner_payee": None}, "owner_payee"),
        ({"commission_percent": "8", "owner_payee": payee, "guaranteed_rent": "100"}, "guaranteed_rent"),
    ):
        with pytest.raises(ValidationError) as refused:
            _offer(e, staff, **(agency | bad))
        assert field in refused.value.error_dict, bad
    agreement = _offer(e, staff, **agency, commission_percent="8.50", owner_payee=payee)
    assert (agreement.mode, agreement.commission_percent, agreement.guaranteed_rent) == ("agency", Decimal("8.50"), None)
    assert agreement.owner_payee == payee


def test_sublet_needs_a_positive_guaranteed_rent_and_no_commission(flat, owner_user, staff):
    e = _surveyed(flat, owner_user, staff)
    for bad, field in (
        ({"guaranteed_rent": None}, "guaranteed_rent"),
        ({"guaranteed_rent": "-1500.00"}, "guaranteed_rent"),
        ({"guaranteed_rent": "0"}, "guaranteed_rent"),
        ({"commission_percent": "5"}, "commission_percent"),
    ):
        with pytest.raises(ValidationError) as refused:
            _offer(e, staff, **bad)
        assert field in refused.value.error_dict, bad
    assert _offer(e, staff).guaranteed_rent == Decimal("1500.00")


def test_an_explicit_schedule_must_sum_exactly_to_the_budget_within_the_term(flat, owner_user, staff):
    e = _surveyed(flat, owner_user, staff)
    base = {"renovation_budget": "1000.00", "recovery_months": None, "term_years": 1}
    for schedule in ([[1, "999.99"]], [[1, "500.00"], [1, "500.00"]], [[13, "1000.00"]], [[1, "1000.001"]]):
        with pytest.raises(ValidationError) as refused:
            _offer(e, staff, **base, recovery_schedule=schedule)
        assert "recovery_schedule" in refused.value.error_dict, schedule
    agreement = _offer(e, staff, **base, recovery_schedule=[[12, "400.00"], [6, "600.00"]])
    assert agreement.recovery_schedule == [[6, "600.00"], [12, "400.00"]]


def test_recovery_must_end_within_the_term(flat, owner_user, staff):
    e = _surveyed(flat, owner_user, staff)
    with pytest.raises(ValidationError) as refused:
        _offer(e, staff, term_years=1, rent_free_months=3, recovery_months=10)
    assert "recovery_months" in refused.value.error_dict


def test_bad_survey_input_is_refused_and_nothing_is_written(flat, owner_user, staff):
    e = entrustment_apply(user=owner_user, unit=flat, vacant_from=START)
    fake = SimpleUploadedFile("room.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    for kwargs, field in (
        ({"rent_estimate": "-1.00", "photos": [jpeg()]}, "rent_estimate"),
        ({"rent_estimate": "1800.00", "photos": [fake]}, "photos"),
        ({"rent_estimate": "1800.00", "photos": []}, "photos"),
    ):
        with pytest.raises(ValidationError) as refused:
            entrustment_survey(entrustment=e, by=staff, condition="好", **kwargs)
        assert field in refused.value.error_dict
    e.refresh_from_db()
    assert e.status == EntrustmentStatus.APPLIED and not EntrustmentPhoto.objects.exists()


def test_staff_of_another_estate_cannot_survey_or_offer(flat, owner_user, staff, other_staff):
    e = entrustment_apply(user=owner_user, unit=flat, vacant_from=START)
    with pytest.raises(ValidationError):
        entrustment_survey(entrustment=e, by=other_staff, condition="好", rent_estimate="1", photos=[jpeg()])


def test_the_owner_declines_or_withdraws_and_the_offer_lapses(flat, owner_user, staff, make_user):
    e = _surveyed(flat, owner_user, staff)
    agreement = _offer(e, staff)
    with pytest.raises(ValidationError):  # staff cannot answer for the owner
        entrustment_accept(entrustment=e, by=staff)
    entrustment_decline(entrustment=e, by=owner_user)
    agreement.refresh_from_db()
    assert (e.status, agreement.status) == (EntrustmentStatus.DECLINED, AgreementStatus.CANCELLED)
    with pytest.raises(ValidationError):
        entrustment_accept(entrustment=e, by=owner_user)
    e2 = entrustment_apply(user=owner_user, unit=flat, vacant_from=START)  # a new application once closed
    entrustment_withdraw(entrustment=e2, by=owner_user)
    assert e2.status == EntrustmentStatus.WITHDRAWN


# --- early return and end -------------------------------------------------------------------------------------


def _active(flat, owner_user, staff, **kw):
    e = _surveyed(flat, owner_user, staff)
    agreement = _offer(e, staff, **kw)
    entrustment_accept(entrustment=e, by=owner_user)
    agreement.refresh_from_db()
    return agreement


def test_an_early_return_repays_exactly_the_unrecovered_part_and_withdraws_the_listing(flat, owner_user, staff):
    """30,000.00 over 24 months after 3 rent-free months (1,250.00 each): handed back on 2027-01-01, months 4–12
    have ended, so 9 × 1,250.00 are recovered and 18,750.00 are repaid."""
    agreement = _active(flat, owner_user, staff)
    listing = listing_row(flat, agreement=agreement)
    repay = agreement_return_early(
        agreement=agreement, by=staff, notice_given_on=datetime.date(2026, 11, 1), on=datetime.date(2027, 1, 1)
    )
    assert repay == Decimal("18750.00")
    agreement.refresh_from_db()
    listing.refresh_from_db()
    assert (agreement.status, agreement.repaid_on_return, agreement.ended_on) == (
        AgreementStatus.RETURNED_EARLY,
        Decimal("18750.00"),
        datetime.date(2027, 1, 1),
    )
    assert listing.status == ListingStatus.WITHDRAWN


def test_an_early_return_after_recovery_has_ended_repays_nothing(flat, owner_user, staff):
    agreement = _active(flat, owner_user, staff)
    repay = agreement_return_early(
        agreement=agreement, by=staff, notice_given_on=datetime.date(2028, 6, 1), on=datetime.date(2028, 8, 1)
    )
    assert repay == Decimal("0.00")


def test_an_early_return_without_the_agreed_notice_is_refused(flat, owner_user, staff):
    agreement = _active(flat, owner_user, staff)
    with pytest.raises(ValidationError) as refused:
        agreement_return_early(
            agreement=agreement, by=staff, notice_given_on=datetime.date(2026, 12, 1), on=datetime.date(2027, 1, 1)
        )
    assert refused.value.error_dict["on"][0].code == "notice"
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE


def test_a_flat_that_is_let_is_not_handed_back_early(flat, owner_user, staff):
    agreement = _active(flat, owner_user, staff)
    listing_row(flat, ListingStatus.LET, agreement=agreement)
    with pytest.raises(ValidationError):
        agreement_return_early(agreement=agreement, by=staff, notice_given_on=START, on=datetime.date(2027, 1, 1))


def test_the_term_ends_only_on_its_last_day(flat, owner_user, staff):
    agreement = _active(flat, owner_user, staff, term_years=1, recovery_months=6)
    with pytest.raises(ValidationError):
        agreement_end(agreement=agreement, by=staff, on=datetime.date(2026, 12, 31))
    agreement_end(agreement=agreement, by=staff, on=datetime.date(2027, 1, 1))
    assert agreement.status == AgreementStatus.ENDED


def test_a_sublet_needs_the_operators_supervised_account_as_payee(flat, owner_user, staff, other_estate):
    """住房租赁条例 Art. 19: an operator that sublets runs all rental money through a supervised account."""
    e = _surveyed(flat, owner_user, staff)
    plain = Payee.objects.create(estate_id=e.estate_id, legal_name="运营公司普通账户")
    elsewhere = Payee.objects.create(estate=other_estate, legal_name="别处", supervised=True)
    for payee in (None, plain):
        with pytest.raises(ValidationError) as refused:
            _offer(e, staff, operator_payee=payee)
        assert "监管账户" in str(refused.value) and "supervised" in str(refused.value)
    e.refresh_from_db()
    assert e.status == EntrustmentStatus.SURVEYED and not EntrustmentAgreement.objects.exists()
    with pytest.raises(ValidationError):
        _offer(e, staff, operator_payee=elsewhere)
    agreement = _offer(e, staff, operator_payee=Payee.objects.create(estate_id=e.estate_id, legal_name="运营", supervised=True))
    assert agreement.operator_payee.supervised
