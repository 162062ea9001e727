"""Providers and management arrangements: the three models, one arrangement at a time, Art. 946, fees → tariffs."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing.models import ChargeKind, Tariff
from property_services import services
from property_services.models import ManagementArrangement, Provider, ProviderKind
from tests.property_services.conftest import FIRM2_CODE, make_provider, start_arrangement

pytestmark = pytest.mark.django_db

D = datetime.date


def tariffs(estate):
    return list(
        Tariff.objects.filter(estate=estate, charge_kind=ChargeKind.PROPERTY_FEE)
        .order_by("valid_from", "unit_use")
        .values_list("unit_use", "rate", "valid_from", "valid_to")
    )


def test_property_firm_needs_a_valid_credit_code():
    with pytest.raises(ValidationError, match="统一社会信用代码无效"):
        services.provider_save(
            provider=Provider(kind=ProviderKind.PROPERTY_FIRM, name="某物业", credit_code="91500103MA5U3XKQ1A")
        )
    with pytest.raises(ValidationError, match="物业服务企业必须填写统一社会信用代码"):
        services.provider_save(provider=Provider(kind=ProviderKind.PROPERTY_FIRM, name="某物业", credit_code=""))
    firm = services.provider_save(
        provider=Provider(kind=ProviderKind.PROPERTY_FIRM, name="某物业", credit_code=" 91500103ma5u3xkq1x ")
    )
    assert firm.credit_code == "91500103MA5U3XKQ1X"
    with pytest.raises(ValidationError, match="已登记为其他服务方"):
        services.provider_save(
            provider=Provider(kind=ProviderKind.PROPERTY_FIRM, name="另一物业", credit_code="91500103MA5U3XKQ1X")
        )
    centre = services.provider_save(provider=Provider(kind=ProviderKind.SERVICE_CENTRE, name="金汤街社区物业服务中心"))
    assert centre.credit_code == ""


def test_fee_standards_become_billing_tariffs_and_a_switch_keeps_the_history(gov_estate):
    firm = make_provider()
    first = start_arrangement(gov_estate, firm, D(2024, 1, 1), contract_until=D(2025, 12, 31))
    assert tariffs(gov_estate) == [
        ("residential", Decimal("1.2000"), D(2024, 1, 1), None),
        ("shop", Decimal("2.5000"), D(2024, 1, 1), None),
    ]
    centre = make_provider(ProviderKind.SERVICE_CENTRE, name="和平社区物业服务中心")
    second = start_arrangement(
        gov_estate, centre, D(2026, 1, 1), model="service_centre", rates={"residential": Decimal("0.80")}, end_reason="合同期满"
    )
    first.refresh_from_db()
    assert first.ended_on == D(2025, 12, 31) and first.end_reason == "合同期满"
    assert second.ended_on is None
    assert list(ManagementArrangement.objects.filter(estate=gov_estate).order_by("starts_on")) == [first, second]
    assert tariffs(gov_estate) == [
        ("residential", Decimal("1.2000"), D(2024, 1, 1), D(2025, 12, 31)),
        ("shop", Decimal("2.5000"), D(2024, 1, 1), D(2025, 12, 31)),
        ("residential", Decimal("0.8000"), D(2026, 1, 1), None),
        ("shop", Decimal("0.0000"), D(2026, 1, 1), None),  # the new arrangement charges shops nothing
    ]


def test_provider_must_fit_the_management_model(gov_estate):
    centre = make_provider(ProviderKind.SERVICE_CENTRE, name="社区物业服务中心")
    with pytest.raises(ValidationError, match="所选服务方类型与管理模式不符"):
        start_arrangement(gov_estate, centre, D(2024, 1, 1), model="professional")


def test_an_overlapping_arrangement_is_refused(gov_estate):
    firm = make_provider()
    centre = make_provider(ProviderKind.SERVICE_CENTRE, name="社区物业服务中心")
    start_arrangement(gov_estate, centre, D(2024, 1, 1), model="service_centre")
    start_arrangement(gov_estate, centre, D(2025, 1, 1), model="service_centre")
    # starting before (or on) the latest start would rewrite history
    with pytest.raises(ValidationError, match="新安排须在其后开始"):
        start_arrangement(gov_estate, firm, D(2024, 6, 1), contract_until=D(2026, 1, 1))
    assert ManagementArrangement.objects.filter(estate=gov_estate).count() == 2


def test_the_database_refuses_two_arrangements_on_the_same_day(gov_estate, other_estate):
    centre = make_provider(ProviderKind.SERVICE_CENTRE, name="社区物业服务中心")
    common = dict(
        model="service_centre",
        provider=centre,
        authority_kind="subdistrict_decision",
        authority_reference="X",
        authority_date=D(2023, 1, 1),
    )
    ManagementArrangement.objects.create(estate=gov_estate, starts_on=D(2024, 1, 1), ended_on=D(2024, 12, 31), **common)
    # a second open one (partial unique index) and an overlapping closed one (exclusion constraint / trigger)
    ManagementArrangement.objects.create(estate=gov_estate, starts_on=D(2025, 1, 1), **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        ManagementArrangement.objects.create(estate=gov_estate, starts_on=D(2026, 1, 1), **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        ManagementArrangement.objects.create(estate=gov_estate, starts_on=D(2024, 6, 1), ended_on=D(2024, 7, 1), **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        ManagementArrangement.objects.filter(estate=gov_estate, starts_on=D(2024, 1, 1)).update(ended_on=D(2025, 1, 1))
    # adjacent periods and other estates are fine
    ManagementArrangement.objects.create(estate=gov_estate, starts_on=D(2023, 1, 1), ended_on=D(2023, 12, 31), **common)
    ManagementArrangement.objects.create(estate=other_estate, starts_on=D(2024, 6, 1), **common)


def test_dismissing_a_firm_needs_sixty_days_written_notice(gov_estate):
    firm = make_provider()
    other_firm = make_provider(name="重庆新城物业服务有限公司", code=FIRM2_CODE)
    start_arrangement(gov_estate, firm, D(2024, 1, 1), contract_until=D(2026, 12, 31))
    switch = D(2026, 3, 1)
    with pytest.raises(ValidationError, match="须提前60日书面通知"):
        start_arrangement(gov_estate, other_firm, switch)
    with pytest.raises(ValidationError) as error:
        start_arrangement(gov_estate, other_firm, switch, dismissal_notice_on=switch - datetime.timedelta(days=59))
    assert "最早可于 2026-03-02 更换" in str(error.value) and "Civil Code Art. 946" in str(error.value)
    assert ManagementArrangement.objects.filter(estate=gov_estate).count() == 1

    notice = switch - datetime.timedelta(days=60)
    new = start_arrangement(gov_estate, other_firm, switch, dismissal_notice_on=notice)
    old = ManagementArrangement.objects.get(estate=gov_estate, provider=firm)
    assert (old.ended_on, old.dismissal_notice_on) == (D(2026, 2, 28), notice)
    assert new.provider == other_firm


def test_no_dismissal_notice_when_the_firm_stays_or_its_term_has_run_out(gov_estate):
    firm = make_provider()
    other_firm = make_provider(name="重庆新城物业服务有限公司", code=FIRM2_CODE)
    start_arrangement(gov_estate, firm, D(2024, 1, 1), contract_until=D(2025, 12, 31))
    start_arrangement(
        gov_estate, firm, D(2025, 1, 1), contract_until=D(2025, 12, 31), rates={"residential": Decimal("1.35")}
    )  # same firm, new fee
    start_arrangement(gov_estate, other_firm, D(2026, 1, 1))  # the term has run out: not a dismissal
    assert ManagementArrangement.objects.filter(estate=gov_estate, ended_on__isnull=True).get().provider == other_firm


def test_the_decision_behind_an_arrangement_is_required(gov_estate):
    firm = make_provider()
    with pytest.raises(ValidationError, match="请填写业主大会决议或街道决定的文号"):
        start_arrangement(gov_estate, firm, D(2024, 1, 1), authority_reference=" ")


def test_a_new_manager_receives_the_fees_of_its_period_never_the_one_it_replaced(gov_estate):
    """Civil Code Arts. 937, 944, 949: the fee is paid to the manager who renders the service; the former one
    withdraws. The estate names its fee payee; when a new arrangement starts, bills from that day carry the new
    manager as payee (without an account yet: paid at the counter, online refused) — never the former one."""
    from billing.models import Payee, PayeeMoney
    from billing.services.payees import payee_assign, payee_for_bill, payee_save

    firm = make_provider()
    start_arrangement(gov_estate, firm, D(2024, 1, 1), contract_until=D(2025, 12, 31))
    old = payee_save(estate=gov_estate, legal_name=firm.name, account_id="acct_firm0000001")
    payee_assign(estate=gov_estate, money=PayeeMoney.FEES, payee=old, valid_from=D(2024, 1, 1))
    centre = make_provider(ProviderKind.SERVICE_CENTRE, name="和平社区物业服务中心")

    start_arrangement(gov_estate, centre, D(2026, 1, 1), model="service_centre", rates={"residential": Decimal("0.80")})

    new = Payee.objects.get(estate=gov_estate, legal_name="和平社区物业服务中心")
    assert payee_for_bill(estate_id=gov_estate.pk, code="property_fee", issued_on=D(2025, 12, 31)) == old.pk
    assert payee_for_bill(estate_id=gov_estate.pk, code="property_fee", issued_on=D(2026, 1, 1)) == new.pk
    assert new.account_id == "" and not new.charges_enabled  # online refused until staff connect its account
    # The same manager again (a renewal), or an estate naming no payees: nothing changes.
    start_arrangement(gov_estate, centre, D(2027, 1, 1), model="service_centre", rates={"residential": Decimal("0.90")})
    assert Payee.objects.filter(estate=gov_estate).count() == 2
