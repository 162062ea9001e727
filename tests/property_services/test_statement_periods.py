"""Disclosure periods of the public income statement (issue 13; DOMAIN.md "Public income": the frequency is
a per-estate setting, quarterly by default; Hangzhou discloses half-yearly and shows a statement at
least 15 days). Periods follow the calendar; the next statement due is the earliest ended period that no
published statement covers, due 15 days after it ends."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.models import LedgerEntry
from property_services.models import EstateSettings, PublicIncomeStatement, StatementPeriod, StatementStatus
from property_services.services.public_income import (
    STATEMENT_DISPLAY_DAYS,
    STATEMENT_DUE_DAYS,
    STATEMENT_MIN_DISPLAY_DAYS,
    estate_settings_save,
    statement_next_due,
    statement_period_of,
    statement_periods,
)
from tests.billing.factories import bill, billed_estate

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def estate():
    estate, _units = billed_estate(units=2, code="PER1")
    return estate


@pytest.mark.parametrize(
    ("setting", "day", "period"),
    [
        (None, D(2026, 1, 1), (D(2026, 1, 1), D(2026, 3, 31))),
        (None, D(2026, 3, 31), (D(2026, 1, 1), D(2026, 3, 31))),
        (None, D(2026, 4, 1), (D(2026, 4, 1), D(2026, 6, 30))),
        (None, D(2026, 12, 31), (D(2026, 10, 1), D(2026, 12, 31))),
        (StatementPeriod.QUARTER, D(2028, 2, 29), (D(2028, 1, 1), D(2028, 3, 31))),
        (StatementPeriod.HALF_YEAR, D(2026, 6, 30), (D(2026, 1, 1), D(2026, 6, 30))),
        (StatementPeriod.HALF_YEAR, D(2026, 7, 1), (D(2026, 7, 1), D(2026, 12, 31))),
        (StatementPeriod.HALF_YEAR, D(2026, 12, 31), (D(2026, 7, 1), D(2026, 12, 31))),
        (StatementPeriod.YEAR, D(2026, 1, 1), (D(2026, 1, 1), D(2026, 12, 31))),
        (StatementPeriod.YEAR, D(2026, 12, 31), (D(2026, 1, 1), D(2026, 12, 31))),
    ],
    ids=lambda v: str(v),
)
def test_the_period_containing_a_day_follows_the_estates_setting_quarterly_by_default(estate, setting, day, period):
    if setting:
        estate_settings_save(estate=estate, statement_period=setting)

    assert statement_period_of(estate=estate, day=day) == period


def test_periods_run_on_across_the_year_end(estate):
    estate_settings_save(estate=estate, statement_period=StatementPeriod.HALF_YEAR)

    assert statement_periods(estate=estate, since=D(2025, 11, 5), until=D(2026, 7, 1)) == [
        (D(2025, 7, 1), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 12, 31)),
    ]


def _income_on(estate, day):
    """Public income billed, its ledger entries moved to ``day`` (test set-up: the books as they stood)."""
    invoice = bill(estate.buildings.first().units.first(), Decimal("150.00"), kind="parking_permit", period=day)
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    LedgerEntry.objects.filter(invoice=invoice).update(created_at=at)


def _published(estate, starts_on, ends_on):
    zero = Decimal("0.00")
    return PublicIncomeStatement.objects.create(
        estate=estate,
        starts_on=starts_on,
        ends_on=ends_on,
        opening=zero,
        income_total=zero,
        costs_total=zero,
        closing=zero,
        status=StatementStatus.PUBLISHED,
    )


def test_without_any_public_income_the_current_period_is_due_fifteen_days_after_it_ends(estate):
    due = statement_next_due(estate=estate, today=D(2026, 5, 20))

    assert (due.starts_on, due.ends_on) == (D(2026, 4, 1), D(2026, 6, 30))
    assert due.due_on == D(2026, 7, 15) == due.ends_on + datetime.timedelta(days=STATEMENT_DUE_DAYS)
    assert not due.overdue and due.statement is None


def test_the_earliest_ended_period_without_a_published_statement_is_due_next(estate, django_assert_max_num_queries):
    _income_on(estate, D(2026, 2, 10))
    _income_on(estate, D(2024, 1, 10))
    for quarter in statement_periods(estate=estate, since=D(2024, 1, 1), until=D(2025, 12, 31)):
        _published(estate, *quarter)  # two years disclosed before: a longer history costs no more queries

    with django_assert_max_num_queries(5):
        before_due = statement_next_due(estate=estate, today=D(2026, 4, 10))
    overdue = statement_next_due(estate=estate, today=D(2026, 5, 20))
    _published(estate, D(2026, 1, 1), D(2026, 3, 31))
    after_publishing = statement_next_due(estate=estate, today=D(2026, 5, 20))

    assert (before_due.starts_on, before_due.ends_on, before_due.due_on) == (D(2026, 1, 1), D(2026, 3, 31), D(2026, 4, 15))
    assert not before_due.overdue
    assert (overdue.starts_on, overdue.due_on, overdue.overdue) == (D(2026, 1, 1), D(2026, 4, 15), True)
    assert (after_publishing.starts_on, after_publishing.ends_on) == (D(2026, 4, 1), D(2026, 6, 30))
    assert not after_publishing.overdue


def test_a_drafted_statement_is_not_a_published_one_and_shows_on_the_period_due(estate):
    _income_on(estate, D(2026, 2, 10))
    draft = _published(estate, D(2026, 1, 1), D(2026, 3, 31))
    PublicIncomeStatement.objects.filter(pk=draft.pk).update(status=StatementStatus.APPROVED)  # set-up: as it stands

    due = statement_next_due(estate=estate, today=D(2026, 5, 20))

    assert (due.starts_on, due.overdue) == (D(2026, 1, 1), True)
    assert due.statement == draft


def test_half_yearly_periods_are_covered_by_the_quarters_published_before_the_setting_changed(estate):
    _income_on(estate, D(2026, 2, 10))
    _published(estate, D(2026, 1, 1), D(2026, 3, 31))
    estate_settings_save(estate=estate, statement_period=StatementPeriod.HALF_YEAR)

    gap = statement_next_due(estate=estate, today=D(2026, 8, 1))
    _published(estate, D(2026, 4, 1), D(2026, 6, 30))
    covered = statement_next_due(estate=estate, today=D(2026, 8, 1))

    # The half-year's undisclosed days: Q1 was published before the setting changed.
    assert (gap.starts_on, gap.ends_on, gap.due_on) == (D(2026, 4, 1), D(2026, 6, 30), D(2026, 7, 15))
    assert gap.overdue
    assert (covered.starts_on, covered.ends_on, covered.due_on) == (D(2026, 7, 1), D(2026, 12, 31), D(2027, 1, 15))


def test_a_published_statement_is_on_display_at_least_fifteen_days():
    """Hangzhou's rule (DOMAIN.md): a disclosure stays on display no fewer than 15 days."""
    assert STATEMENT_MIN_DISPLAY_DAYS == 15
    assert STATEMENT_DISPLAY_DAYS >= STATEMENT_MIN_DISPLAY_DAYS


def test_staff_set_the_period_in_the_back_office_and_the_statement_page_offers_its_periods(client, estate, make_user):
    staff = make_user("13900000961", Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="PER2")
    other = make_user("13900000962", Role.ESTATE_STAFF, estate=other_estate)
    today = timezone.localdate()
    client.force_login(other)
    refused = client.post(reverse("property_services_estatesettings:add"), {"estate": estate.pk, "statement_period": "half_year"})
    client.force_login(staff)

    added = client.post(reverse("property_services_estatesettings:add"), {"estate": estate.pk, "statement_period": "half_year"})
    page = client.get(reverse("property_services_publicincomecost:statement"), {"estate": estate.pk}).content.decode()
    half = statement_period_of(estate=estate, day=today)
    month = f"{today.replace(day=1)}/{today}"
    drafted_month = client.post(reverse("property_services_publicincomecost:statement"), {"estate": estate.pk, "period": month})
    drafted_half = client.post(
        reverse("property_services_publicincomecost:statement"), {"estate": estate.pk, "period": f"{half[0]}/{half[1]}"}
    )

    assert refused.status_code == 200 and "estate" in refused.context["form"].errors  # not one of their estates
    assert added.status_code == 302 and EstateSettings.objects.get(estate=estate).statement_period == "half_year"
    assert half[1] - half[0] > datetime.timedelta(days=180)
    assert f'<option value="{half[0]}/{half[1]}" selected>' in page
    assert 'data-testid="next-due"' in page
    assert drafted_month.status_code == 302 and drafted_half.status_code == 302
    assert list(PublicIncomeStatement.objects.values_list("starts_on", "ends_on")) == [half]  # only the setting's period
    settings_row = EstateSettings.objects.get(estate=estate)
    client.force_login(other)
    assert client.get(reverse("property_services_estatesettings:edit", args=[settings_row.pk])).status_code == 404
    assert client.get(reverse("property_services_publicincomecost:statement"), {"estate": estate.pk}).status_code == 404
    client.logout()
    assert client.get(reverse("property_services_estatesettings:edit", args=[settings_row.pk])).status_code == 302


def test_a_period_overlapping_a_disclosed_statement_is_refused_and_only_its_undisclosed_days_are_offered(estate, make_user):
    """Each day's public income is disclosed once (Civil Code Art. 282; 物业管理条例 Art. 54): after the estate's
    setting changes from quarterly to half-yearly, the half-year is offered without the quarter already disclosed,
    and a statement for the whole half-year is refused, so the home page's figure never counts a day twice."""
    from django.core.exceptions import ValidationError

    from property_services.selectors.public_income import public_income_disclosed
    from property_services.services.public_income import statement_draft, statement_periods_offered

    _income_on(estate, D(2026, 2, 10))
    _income_on(estate, D(2026, 5, 10))
    q1 = _published(estate, D(2026, 1, 1), D(2026, 3, 31))
    estate_settings_save(estate=estate, statement_period=StatementPeriod.HALF_YEAR)

    offered = statement_periods_offered(estate=estate, today=D(2026, 8, 1))
    with pytest.raises(ValidationError) as refused:
        statement_draft(estate=estate, starts_on=D(2026, 1, 1), ends_on=D(2026, 6, 30))
    rest = statement_draft(estate=estate, starts_on=D(2026, 4, 1), ends_on=D(2026, 6, 30))

    assert (D(2026, 4, 1), D(2026, 6, 30)) in offered and (D(2026, 1, 1), D(2026, 6, 30)) not in offered
    assert refused.value.code == "overlap" and "重叠" in str(refused.value.messages)
    assert rest.income_total > 0 and public_income_disclosed() == q1.income_total
