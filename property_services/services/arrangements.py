"""Providers and management arrangements: who runs an estate, under which model, at what fee."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import refuse
from accounts.formats import local_instant
from estates.models import Estate, ManagementModel
from estates.validators import normalise_uscc, validate_uscc

from .. import voting
from ..models import (
    PROVIDER_KIND_FOR_MODEL,
    AssemblyMatter,
    AuthorityKind,
    FeeStandard,
    ManagementArrangement,
    Provider,
    ProviderKind,
)

#: Civil Code Art. 946: days of written notice before a property firm is dismissed.
DISMISSAL_NOTICE_DAYS = 60


@transaction.atomic
def provider_save(*, provider: Provider) -> Provider:
    """Validate and store a provider (with its contacts, when it comes from a form)."""
    provider.credit_code = normalise_uscc(provider.credit_code)
    if provider.credit_code:
        try:
            validate_uscc(provider.credit_code)
        except ValidationError as exc:
            raise refuse(
                "统一社会信用代码无效（18位，含校验码）",
                f"{provider.credit_code} is not a valid unified social credit code (18 characters with a check character).",
                field="credit_code",
            ) from exc
    elif provider.kind == ProviderKind.PROPERTY_FIRM:
        raise refuse(
            "物业服务企业必须填写统一社会信用代码",
            "A professional property firm needs its unified social credit code.",
            field="credit_code",
        )
    clash = Provider.objects.filter(credit_code=provider.credit_code).exclude(pk=provider.pk) if provider.credit_code else None
    if clash is not None and clash.exists():
        raise refuse(
            "该统一社会信用代码已登记为其他服务方",
            f"Another provider is already registered with code {provider.credit_code}.",
            field="credit_code",
        )
    provider.save()
    return provider


def _tariffs_set(*, arrangement: ManagementArrangement, by=None) -> None:
    """The arrangement's fee standards become billing's property-fee tariffs from its first day."""
    from billing.models import ChargeKind, Tariff
    from billing.services import tariff_schedule_set

    rates = {fee.unit_use: fee.rate for fee in arrangement.fee_standards.all()}
    # A use the previous arrangement charged but this one does not is charged nothing from now on:
    # billing closes an open tariff only when a new one for the same use begins.
    still_open = Tariff.objects.filter(
        estate=arrangement.estate,
        charge_kind=ChargeKind.PROPERTY_FEE,
        valid_to__isnull=True,
        valid_from__lt=arrangement.starts_on,
    ).values_list("unit_use", flat=True)
    for use in still_open:
        rates.setdefault(use, Decimal("0"))
    if not rates:
        return
    label = f"{arrangement.get_model_display()} · {arrangement.provider.name} · {arrangement.authority_reference}"
    tariff_schedule_set(
        estate=arrangement.estate,
        charge_kind=ChargeKind.PROPERTY_FEE,
        rates=rates,
        valid_from=arrangement.starts_on,
        valid_to=arrangement.ended_on,
        source_label=label[:200],
        by=by,
    )


def arrangement_validate(
    *,
    estate: Estate,
    model: str,
    provider: Provider,
    starts_on: datetime.date,
    authority_kind: str,
    authority_reference: str,
    authority_date: datetime.date | None,
    authorising_matter: AssemblyMatter | None = None,
    contract_until: datetime.date | None = None,
    dismissal_notice_on: datetime.date | None = None,
    fee_rates: Mapping[str, Decimal] | None = None,
) -> ManagementArrangement | None:
    """Check a new arrangement against the law and the estate's history; return the one it replaces.

    Civil Code Art. 278 item (4): hiring a professional property firm, and dismissing one, are the
    owners' joint decision. Such an arrangement must cite a *passed* resolution of this estate's
    assembly on matter (4) (选聘和解聘物业服务企业或者其他管理人). A sub-district decision without a vote
    may only put the interim or fallback arrangements in place (the community property service centre
    taking over, or residents' self-governance pending an assembly), never hire or dismiss a firm.

    Raises ``ValidationError`` (bilingual, keyed by field) for anything a person must correct.
    """
    if model not in ManagementModel.values:
        raise refuse("未知的管理模式", f"Unknown management model {model!r}.", field="model")
    expected = PROVIDER_KIND_FOR_MODEL[ManagementModel(model)]
    if provider.kind != expected:
        raise refuse(
            f"所选服务方类型与管理模式不符：应为{ProviderKind(expected).label}",
            f"The provider does not fit the model: {ManagementModel(model).label} needs a {ProviderKind(expected).label}.",
            field="provider",
        )
    if contract_until is not None and contract_until < starts_on:
        raise refuse("合同期限结束日期早于开始日期", "The contract term ends before it starts.", field="contract_until")
    if not (authority_reference or "").strip():
        raise refuse(
            "请填写业主大会决议或街道决定的文号",
            "Give the reference of the assembly resolution or sub-district decision that authorised this.",
            field="authority_reference",
        )
    if authority_date is None or authority_date > starts_on:
        raise refuse("决定日期须早于或等于开始日期", "The decision must be dated on or before the start.", field="authority_date")
    if authorising_matter is not None:
        if authority_kind != AuthorityKind.ASSEMBLY_RESOLUTION:
            raise refuse(
                "只有业主大会决议才能关联表决事项",
                "Only an assembly resolution can point at an assembly matter.",
                field="authorising_matter",
            )
        if authorising_matter.assembly.estate_id != estate.pk or authorising_matter.passed is not True:
            raise refuse(
                "所选决议不是本小区已通过的业主大会决议",
                "The chosen resolution is not a passed resolution of this estate's assembly.",
                field="authorising_matter",
            )
    for use, rate in (fee_rates or {}).items():
        if rate is None or Decimal(rate) < 0:
            raise refuse("物业费标准不能为负", f"The fee for {use} cannot be negative.", field="fee_standards")

    current = ManagementArrangement.objects.filter(estate=estate, ended_on__isnull=True).select_related("provider").first()
    dismissing = current is not None and _is_dismissal(current=current, provider=provider, starts_on=starts_on)
    if model == ManagementModel.PROFESSIONAL or dismissing:
        _check_hiring_resolution(
            estate=estate,
            authority_kind=authority_kind,
            authorising_matter=authorising_matter,
            starts_on=starts_on,
            dismissing=dismissing and model != ManagementModel.PROFESSIONAL,
        )

    later = ManagementArrangement.objects.filter(estate=estate, starts_on__gte=starts_on).order_by("starts_on").first()
    if later is not None:
        raise refuse(
            f"本小区已有 {later.starts_on:%Y-%m-%d} 开始的管理安排，新安排须在其后开始",
            f"This estate already has an arrangement starting {later.starts_on:%Y-%m-%d}; a new one must start later.",
            field="starts_on",
        )
    overlapping = (
        ManagementArrangement.objects.filter(estate=estate, ended_on__isnull=False, ended_on__gte=starts_on)
        .order_by("-ended_on")
        .first()
    )
    if overlapping is not None:
        raise refuse(
            f"与 {overlapping.starts_on:%Y-%m-%d} 至 {overlapping.ended_on:%Y-%m-%d} 的管理安排重叠",
            f"Overlaps the arrangement from {overlapping.starts_on:%Y-%m-%d} to {overlapping.ended_on:%Y-%m-%d}.",
            field="starts_on",
        )
    if dismissing:
        if dismissal_notice_on is None:
            raise refuse(
                f"解聘物业服务企业须提前{DISMISSAL_NOTICE_DAYS}日书面通知（民法典第九百四十六条），请填写书面通知日期",
                f"Dismissing a property firm needs {DISMISSAL_NOTICE_DAYS} days' written notice (Civil Code Art. 946): "
                "give the date the written notice was served.",
                field="dismissal_notice_on",
            )
        earliest = dismissal_notice_on + datetime.timedelta(days=DISMISSAL_NOTICE_DAYS)
        if starts_on < earliest:
            raise refuse(
                f"书面通知日期 {dismissal_notice_on:%Y-%m-%d} 距更换日不足{DISMISSAL_NOTICE_DAYS}日"
                f"（民法典第九百四十六条），最早可于 {earliest:%Y-%m-%d} 更换",
                f"Written notice served {dismissal_notice_on:%Y-%m-%d} is less than {DISMISSAL_NOTICE_DAYS} days before the "
                f"switch (Civil Code Art. 946); the earliest switch date is {earliest:%Y-%m-%d}.",
                field="dismissal_notice_on",
            )
    return current


def _check_hiring_resolution(
    *,
    estate: Estate,
    authority_kind: str,
    authorising_matter: AssemblyMatter | None,
    starts_on: datetime.date,
    dismissing: bool,
) -> None:
    """Civil Code Art. 278 item (4): a firm is hired or dismissed only by a passed resolution on that matter of this estate."""
    what_zh, what_en = (
        ("解聘物业服务企业", "Dismissing a property firm") if dismissing else ("选聘物业服务企业", "Hiring a property firm")
    )
    if authority_kind != AuthorityKind.ASSEMBLY_RESOLUTION:
        raise refuse(
            f"{what_zh}须由业主大会表决决定（民法典第二百七十八条第一款第四项），街道决定只能安排社区物业服务中心托管或居民自治过渡",
            f"{what_en} is decided by the owners' assembly (Civil Code Art. 278 item 4); a sub-district decision can only "
            "put the community property service centre or residents' self-governance in place pending a vote.",
            field="authority_kind",
        )
    if authorising_matter is None:
        raise refuse(
            f"{what_zh}须选择本小区业主大会已通过的“选聘和解聘物业服务企业”决议（民法典第二百七十八条第一款第四项）",
            f"{what_en} must cite this estate's passed assembly resolution on hiring or dismissing the property firm "
            "(Civil Code Art. 278 item 4).",
            field="authorising_matter",
        )
    matter = authorising_matter
    if (
        matter.assembly.estate_id != estate.pk
        or matter.passed is not True
        or matter.matter != voting.Matter.HIRE_OR_DISMISS_MANAGER.value
    ):
        raise refuse(
            "所选决议不是本小区业主大会已通过的“选聘和解聘物业服务企业或者其他管理人”事项（民法典第二百七十八条第一款第四项）",
            "The chosen resolution is not a passed resolution of this estate's assembly on hiring or dismissing the "
            "property firm or other manager (Civil Code Art. 278 item 4).",
            field="authorising_matter",
        )
    if matter.counted_at is not None and local_instant(matter.counted_at).date() > starts_on:
        raise refuse(
            f"决议于 {local_instant(matter.counted_at):%Y-%m-%d} 才公布，新安排不能早于该日开始",
            f"The resolution was published on {local_instant(matter.counted_at):%Y-%m-%d}; the arrangement cannot start before it.",
            field="starts_on",
        )


def _is_dismissal(*, current: ManagementArrangement, provider: Provider, starts_on: datetime.date) -> bool:
    """A firm is dismissed when it is replaced by someone else before its contract term has run out."""
    if current.model != ManagementModel.PROFESSIONAL or current.provider_id == provider.pk:
        return False
    return current.contract_until is None or starts_on <= current.contract_until


@transaction.atomic
def arrangement_start(
    *,
    estate: Estate,
    model: str,
    provider: Provider,
    starts_on: datetime.date,
    fee_rates: Mapping[str, Decimal],
    authority_kind: str,
    authority_reference: str,
    authority_date: datetime.date,
    authorising_matter: AssemblyMatter | None = None,
    contract_until: datetime.date | None = None,
    contract_reference: str = "",
    dismissal_notice_on: datetime.date | None = None,
    end_reason: str = "",
    by=None,
) -> ManagementArrangement:
    """Put an estate under a management arrangement from ``starts_on``; the one in effect ends the day before.

    The previous arrangement is kept (it is the history); its fee tariffs end when the new ones begin.
    """
    Estate.objects.select_for_update().filter(pk=estate.pk).first()  # one switch at a time per estate
    current = arrangement_validate(
        estate=estate,
        model=model,
        provider=provider,
        starts_on=starts_on,
        authority_kind=authority_kind,
        authority_reference=authority_reference,
        authority_date=authority_date,
        authorising_matter=authorising_matter,
        contract_until=contract_until,
        dismissal_notice_on=dismissal_notice_on,
        fee_rates=fee_rates,
    )
    if current is not None:
        current.ended_on = starts_on - datetime.timedelta(days=1)
        current.end_reason = (end_reason or _("Replaced by a new arrangement"))[:200]
        if _is_dismissal(current=current, provider=provider, starts_on=starts_on):
            current.dismissal_notice_on = dismissal_notice_on
        current.save(update_fields=["ended_on", "end_reason", "dismissal_notice_on"])
    arrangement = ManagementArrangement.objects.create(
        estate=estate,
        model=model,
        provider=provider,
        starts_on=starts_on,
        contract_until=contract_until,
        contract_reference=contract_reference,
        authority_kind=authority_kind,
        authority_reference=authority_reference.strip(),
        authority_date=authority_date,
        authorising_matter=authorising_matter,
        created_by=by,
    )
    FeeStandard.objects.bulk_create(
        FeeStandard(arrangement=arrangement, unit_use=use, rate=Decimal(rate)) for use, rate in fee_rates.items()
    )
    _tariffs_set(arrangement=arrangement, by=by)
    _fee_payee_follow(arrangement=arrangement, by=by)
    return arrangement


def _fee_payee_follow(*, arrangement: ManagementArrangement, by=None) -> None:
    """The fees of the new arrangement's period go to its manager, never to the one it replaced (Civil Code
    Arts. 937, 944: the fee is paid to the manager who renders the service; Art. 949: the former manager
    hands over and withdraws). Where the estate names payees and the one in force for fees on the start day is
    someone else, the new manager is named payee of the fees from that day — an existing payee of the estate
    with its name, else a new one without an account, whose bills are paid at the counter until staff connect
    its account (online payment is refused rather than sent to the former manager)."""
    from billing.models import Payee, PayeeAssignment, PayeeMoney
    from billing.services.payees import payee_assign, payee_save, payees_in_force

    estate, starts_on = arrangement.estate, arrangement.starts_on
    current_id = payees_in_force(estate_ids=[estate.pk], on=starts_on).get((estate.pk, PayeeMoney.FEES))
    if current_id is None:
        return  # the estate names no fee payee: nothing to follow
    name = arrangement.provider.name.strip()
    current = Payee.objects.get(pk=current_id)
    if current.legal_name.strip() == name:
        return
    if PayeeAssignment.objects.filter(estate=estate, money=PayeeMoney.FEES, valid_from=starts_on).exists():
        return  # staff named the fees' payee for that day themselves
    payee = Payee.objects.filter(estate=estate, legal_name=name).order_by("pk").first() or payee_save(
        estate=estate, legal_name=name, by=by
    )
    payee_assign(estate=estate, money=PayeeMoney.FEES, payee=payee, valid_from=starts_on, by=by, note="管理方变更 / new manager")


@transaction.atomic
def arrangement_update_details(
    *,
    arrangement: ManagementArrangement,
    contract_reference: str,
    contract_until: datetime.date | None,
    authority_reference: str,
) -> ManagementArrangement:
    """Correct the paperwork of an arrangement. Model, provider, dates and fees change only by a new arrangement."""
    if contract_until is not None and contract_until < arrangement.starts_on:
        raise refuse("合同期限结束日期早于开始日期", "The contract term ends before it starts.", field="contract_until")
    if not (authority_reference or "").strip():
        raise refuse("请填写决议或决定文号", "Give the decision reference.", field="authority_reference")
    arrangement.contract_reference = contract_reference
    arrangement.contract_until = contract_until
    arrangement.authority_reference = authority_reference.strip()
    arrangement.save(update_fields=["contract_reference", "contract_until", "authority_reference"])
    return arrangement
