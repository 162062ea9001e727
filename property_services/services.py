"""Every change to property-services data goes through here.

Errors people read are bilingual, Chinese first ("中文 / English"), like billing's and voting's.
Slow work (PDF rendering) runs in django-q tasks queued after commit; see tasks.py.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.formats import format_instant, local_instant
from accounts.models import Role
from accounts.sanitize import clean_text_or_html
from estates.models import Building, Estate, ManagementModel, Owner, Ownership, Unit
from estates.services import role_grant
from estates.validators import normalise_uscc, validate_uscc

from . import voting
from .models import (
    ASSEMBLY_NOTICE_DAYS,
    ASSEMBLY_TRANSITIONS,
    DECISION_TRANSITIONS,
    PROVIDER_KIND_FOR_MODEL,
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    AssemblyStatusChange,
    AuthorityKind,
    Ballot,
    BallotChannel,
    BallotChoice,
    CommitteeMember,
    DecisionStatus,
    DecisionStatusChange,
    FeeStandard,
    JointMeeting,
    JointMeetingDecision,
    ManagementArrangement,
    Notice,
    NoticeKind,
    OwnersCommittee,
    Provider,
    ProviderKind,
    VoterDesignation,
)
from .selectors import VotingRoll, assembly_tallies, count_notes, voting_roll

#: Civil Code Art. 946: days of written notice before a property firm is dismissed.
DISMISSAL_NOTICE_DAYS = 60
RESULT_NOTICE_DAYS = 30
SUMMARY_NOTICE_DAYS = 30

ASSEMBLY_RESULT_PDF_TASK = "property_services.tasks.assembly_result_pdf_render"
MEETING_MINUTES_PDF_TASK = "property_services.tasks.joint_meeting_minutes_pdf_render"


def bilingual(zh: str, en: str) -> str:
    """The house format for errors people read: Chinese first, then English."""
    return f"{zh} / {en}"


def _refuse(zh: str, en: str, field: str | None = None, code: str = "invalid") -> ValidationError:
    error = ValidationError(bilingual(zh, en), code=code)
    return ValidationError({field: error}) if field else error


def _queue_after_commit(task: str, *args) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(task, *args))


# ---------------------------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def notice_publish(
    *,
    kind: str,
    title: str,
    body: str,
    estate: Estate | None,
    display_from: datetime.date,
    display_until: datetime.date,
    pdf_bytes: bytes | None = None,
    source=None,
) -> Notice:
    """Publish a notice; publishing again for the same source and kind updates that notice, never adds one."""
    if kind not in NoticeKind.values:
        raise _refuse("未知的公示类别", f"Unknown notice kind {kind!r}.", "kind")
    if display_until < display_from:
        raise _refuse("公示结束日期早于开始日期", "The display period ends before it starts.", "display_until")
    notice = None
    source_type = source_id = None
    if source is not None:
        source_type = ContentType.objects.get_for_model(source)
        source_id = source.pk
        notice = Notice.objects.select_for_update().filter(source_type=source_type, source_id=source_id, kind=kind).first()
    if notice is None:
        notice = Notice(source_type=source_type, source_id=source_id, kind=kind)
    notice.estate = estate
    notice.title = title[:200]
    notice.body = clean_text_or_html(body)
    notice.display_from = display_from
    notice.display_until = display_until
    notice.is_published = True
    if pdf_bytes is not None:
        _notice_store_pdf(notice, pdf_bytes)
    notice.save()
    return notice


def _notice_store_pdf(notice: Notice, pdf_bytes: bytes) -> None:
    if notice.pdf:
        notice.pdf.delete(save=False)
    name = f"{notice.kind}-{notice.source_id or 'notice'}-{notice.display_from:%Y%m%d}.pdf"
    notice.pdf.save(name, ContentFile(pdf_bytes), save=False)


@transaction.atomic
def notice_attach_pdf(*, notice: Notice, pdf_bytes: bytes) -> Notice:
    """Attach (or replace) a notice's PDF, e.g. once a task has rendered it."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _notice_store_pdf(notice, pdf_bytes)
    notice.save(update_fields=["pdf", "updated_at"])
    return notice


# ---------------------------------------------------------------------------------------------
# Providers and management arrangements
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def provider_save(*, provider: Provider) -> Provider:
    """Validate and store a provider (with its contacts, when it comes from a form)."""
    provider.credit_code = normalise_uscc(provider.credit_code)
    if provider.credit_code:
        try:
            validate_uscc(provider.credit_code)
        except ValidationError as exc:
            raise _refuse(
                "统一社会信用代码无效（18位，含校验码）",
                f"{provider.credit_code} is not a valid unified social credit code (18 characters with a check character).",
                "credit_code",
            ) from exc
    elif provider.kind == ProviderKind.PROPERTY_FIRM:
        raise _refuse(
            "物业服务企业必须填写统一社会信用代码",
            "A professional property firm needs its unified social credit code.",
            "credit_code",
        )
    clash = Provider.objects.filter(credit_code=provider.credit_code).exclude(pk=provider.pk) if provider.credit_code else None
    if clash is not None and clash.exists():
        raise _refuse(
            "该统一社会信用代码已登记为其他服务方",
            f"Another provider is already registered with code {provider.credit_code}.",
            "credit_code",
        )
    provider.save()
    return provider


def _tariffs_set(*, arrangement: ManagementArrangement, by=None) -> None:
    """The arrangement's fee standards become billing's property-fee tariffs from its first day."""
    from billing.models import ChargeKind
    from billing.services import tariff_schedule_set

    rates = {fee.unit_use: fee.rate for fee in arrangement.fee_standards.all()}
    # A use the previous arrangement charged but this one does not is charged nothing from now on:
    # billing closes an open tariff only when a new one for the same use begins.
    from billing.models import Tariff

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
        raise _refuse("未知的管理模式", f"Unknown management model {model!r}.", "model")
    expected = PROVIDER_KIND_FOR_MODEL[ManagementModel(model)]
    if provider.kind != expected:
        raise _refuse(
            f"所选服务方类型与管理模式不符：应为{ProviderKind(expected).label}",
            f"The provider does not fit the model: {ManagementModel(model).label} needs a {ProviderKind(expected).label}.",
            "provider",
        )
    if contract_until is not None and contract_until < starts_on:
        raise _refuse("合同期限结束日期早于开始日期", "The contract term ends before it starts.", "contract_until")
    if not (authority_reference or "").strip():
        raise _refuse(
            "请填写业主大会决议或街道决定的文号",
            "Give the reference of the assembly resolution or sub-district decision that authorised this.",
            "authority_reference",
        )
    if authority_date is None or authority_date > starts_on:
        raise _refuse("决定日期须早于或等于开始日期", "The decision must be dated on or before the start.", "authority_date")
    if authorising_matter is not None:
        if authority_kind != AuthorityKind.ASSEMBLY_RESOLUTION:
            raise _refuse(
                "只有业主大会决议才能关联表决事项",
                "Only an assembly resolution can point at an assembly matter.",
                "authorising_matter",
            )
        if authorising_matter.assembly.estate_id != estate.pk or authorising_matter.passed is not True:
            raise _refuse(
                "所选决议不是本小区已通过的业主大会决议",
                "The chosen resolution is not a passed resolution of this estate's assembly.",
                "authorising_matter",
            )
    for use, rate in (fee_rates or {}).items():
        if rate is None or Decimal(rate) < 0:
            raise _refuse("物业费标准不能为负", f"The fee for {use} cannot be negative.", "fee_standards")

    current_for_check = (
        ManagementArrangement.objects.filter(estate=estate, ended_on__isnull=True).select_related("provider").first()
    )
    dismissing = current_for_check is not None and _is_dismissal(
        current=current_for_check, provider=provider, starts_on=starts_on
    )
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
        raise _refuse(
            f"本小区已有 {later.starts_on:%Y-%m-%d} 开始的管理安排，新安排须在其后开始",
            f"This estate already has an arrangement starting {later.starts_on:%Y-%m-%d}; a new one must start later.",
            "starts_on",
        )
    overlapping = (
        ManagementArrangement.objects.filter(estate=estate, ended_on__isnull=False, ended_on__gte=starts_on)
        .order_by("-ended_on")
        .first()
    )
    if overlapping is not None:
        raise _refuse(
            f"与 {overlapping.starts_on:%Y-%m-%d} 至 {overlapping.ended_on:%Y-%m-%d} 的管理安排重叠",
            f"Overlaps the arrangement from {overlapping.starts_on:%Y-%m-%d} to {overlapping.ended_on:%Y-%m-%d}.",
            "starts_on",
        )
    current = ManagementArrangement.objects.filter(estate=estate, ended_on__isnull=True).select_related("provider").first()
    if current is not None and _is_dismissal(current=current, provider=provider, starts_on=starts_on):
        if dismissal_notice_on is None:
            raise _refuse(
                f"解聘物业服务企业须提前{DISMISSAL_NOTICE_DAYS}日书面通知（民法典第九百四十六条），请填写书面通知日期",
                f"Dismissing a property firm needs {DISMISSAL_NOTICE_DAYS} days' written notice (Civil Code Art. 946): "
                "give the date the written notice was served.",
                "dismissal_notice_on",
            )
        earliest = dismissal_notice_on + datetime.timedelta(days=DISMISSAL_NOTICE_DAYS)
        if starts_on < earliest:
            raise _refuse(
                f"书面通知日期 {dismissal_notice_on:%Y-%m-%d} 距更换日不足{DISMISSAL_NOTICE_DAYS}日"
                f"（民法典第九百四十六条），最早可于 {earliest:%Y-%m-%d} 更换",
                f"Written notice served {dismissal_notice_on:%Y-%m-%d} is less than {DISMISSAL_NOTICE_DAYS} days before the "
                f"switch (Civil Code Art. 946); the earliest switch date is {earliest:%Y-%m-%d}.",
                "dismissal_notice_on",
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
        raise _refuse(
            f"{what_zh}须由业主大会表决决定（民法典第二百七十八条第一款第四项），街道决定只能安排社区物业服务中心托管或居民自治过渡",
            f"{what_en} is decided by the owners' assembly (Civil Code Art. 278 item 4); a sub-district decision can only "
            "put the community property service centre or residents' self-governance in place pending a vote.",
            "authority_kind",
        )
    if authorising_matter is None:
        raise _refuse(
            f"{what_zh}须选择本小区业主大会已通过的“选聘和解聘物业服务企业”决议（民法典第二百七十八条第一款第四项）",
            f"{what_en} must cite this estate's passed assembly resolution on hiring or dismissing the property firm "
            "(Civil Code Art. 278 item 4).",
            "authorising_matter",
        )
    matter = authorising_matter
    if (
        matter.assembly.estate_id != estate.pk
        or matter.passed is not True
        or matter.matter != voting.Matter.HIRE_OR_DISMISS_MANAGER.value
    ):
        raise _refuse(
            "所选决议不是本小区业主大会已通过的“选聘和解聘物业服务企业或者其他管理人”事项（民法典第二百七十八条第一款第四项）",
            "The chosen resolution is not a passed resolution of this estate's assembly on hiring or dismissing the "
            "property firm or other manager (Civil Code Art. 278 item 4).",
            "authorising_matter",
        )
    if matter.counted_at is not None and local_instant(matter.counted_at).date() > starts_on:
        raise _refuse(
            f"决议于 {local_instant(matter.counted_at):%Y-%m-%d} 才公布，新安排不能早于该日开始",
            f"The resolution was published on {local_instant(matter.counted_at):%Y-%m-%d}; the arrangement cannot start before it.",
            "starts_on",
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
    return arrangement


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
        raise _refuse("合同期限结束日期早于开始日期", "The contract term ends before it starts.", "contract_until")
    if not (authority_reference or "").strip():
        raise _refuse("请填写决议或决定文号", "Give the decision reference.", "authority_reference")
    arrangement.contract_reference = contract_reference
    arrangement.contract_until = contract_until
    arrangement.authority_reference = authority_reference.strip()
    arrangement.save(update_fields=["contract_reference", "contract_until", "authority_reference"])
    return arrangement


# ---------------------------------------------------------------------------------------------
# Owners' committee
# ---------------------------------------------------------------------------------------------


def committee_validate(*, elected_on: datetime.date, term_ends_on: datetime.date, filed_on: datetime.date | None) -> None:
    """Dates of a committee term. Filing after the 30-day deadline (物业管理条例 Art. 16) is accepted and flagged."""
    if term_ends_on <= elected_on:
        raise _refuse("任期结束日期须晚于选举日期", "The term must end after the election.", "term_ends_on")
    if filed_on is None:
        return
    if filed_on < elected_on:
        raise _refuse("备案日期不能早于选举日期", "The committee cannot be filed before it was elected.", "filed_on")
    # 物业管理条例 Art. 16: filing within 30 days. A late filing is still recorded (it is a fact);
    # ``OwnersCommittee.filing_is_late`` flags it and the officers' dashboard lists it.


@transaction.atomic
def committee_save(*, committee: OwnersCommittee, members: Iterable[CommitteeMember] | None = None) -> OwnersCommittee:
    """Store a committee term with its members; every member with a login gets the committee role for the estate.

    ``members`` are unsaved rows to add; members already attached (e.g. from a form) are saved with the committee.
    """
    committee_validate(elected_on=committee.elected_on, term_ends_on=committee.term_ends_on, filed_on=committee.filed_on)
    if committee.electing_matter is not None and committee.electing_matter.assembly.estate_id != committee.estate_id:
        raise _refuse("选举决议不属于本小区", "The election resolution belongs to another estate.", "electing_matter")
    for member in members or []:
        committee.members.add(member)
    seats = list(committee.members.all())
    chairs = [m for m in seats if m.role == "chair"]
    if len(chairs) > 1:
        raise _refuse("一届业主委员会只能有一名主任", "A committee has one chair.", "members")
    for member in seats:
        if member.owner.estate_id != committee.estate_id:
            raise _refuse(
                f"{member.owner.name} 不是本小区业主，不能担任业主委员会委员",
                f"{member.owner.name} is not an owner in this estate and cannot sit on its committee.",
                "members",
            )
        if member.term_ends_on <= member.term_starts_on:
            raise _refuse("委员任期结束日期须晚于开始日期", "A member's term must end after it starts.", "members")
        if member.user_id is None and member.owner.user_id is not None:
            member.user_id = member.owner.user_id
    committee.save()
    today = timezone.localdate()
    for member in committee.members.all():
        if member.user_id is not None and member.is_serving(today):
            role_grant(user=member.user, role=Role.COMMITTEE_MEMBER, estate=committee.estate)
    committee_roles_revoke_ended(on=today, estate=committee.estate)
    return committee


def serving_committee_members(*, estate: Estate, on: datetime.date):
    """Members in office on the day: within their own and the committee's term and not left."""
    return CommitteeMember.objects.filter(
        committee__estate=estate,
        committee__elected_on__lte=on,
        committee__term_ends_on__gte=on,
        term_starts_on__lte=on,
        term_ends_on__gte=on,
    ).filter(Q(left_on__isnull=True) | Q(left_on__gte=on))


@transaction.atomic
def committee_roles_revoke_ended(*, on: datetime.date | None = None, estate: Estate | None = None) -> int:
    """Take the committee role away from everyone whose seat has ended (term over or left); return how many.

    A committee's powers end with its term (物业管理条例 Art. 16; Civil Code Art. 277): the back-office
    role of a member goes when the member's term or the committee's term ends, or the member leaves.
    Run daily by the django-q schedule ``property_services.tasks.committee_roles_daily``; running it
    twice does no harm.
    """
    from estates.models import RoleAssignment
    from estates.services import role_revoke

    on = on or timezone.localdate()
    grants = RoleAssignment.objects.filter(role=Role.COMMITTEE_MEMBER).select_related("user", "estate")
    if estate is not None:
        grants = grants.filter(estate=estate)
    revoked = 0
    for grant in grants:
        serving = serving_committee_members(estate=grant.estate, on=on).filter(
            Q(user_id=grant.user_id) | Q(user__isnull=True, owner__user_id=grant.user_id)
        )
        if not serving.exists() and role_revoke(user=grant.user, role=Role.COMMITTEE_MEMBER, estate=grant.estate):
            revoked += 1
    return revoked


# ---------------------------------------------------------------------------------------------
# Assemblies and ballots
# ---------------------------------------------------------------------------------------------


def assembly_validate_dates(
    *,
    notice_on: datetime.date,
    meeting_on: datetime.date,
    voting_opens_at: datetime.datetime | None = None,
    voting_closes_at: datetime.datetime | None = None,
) -> None:
    """物业管理条例 Art. 14: owners are notified at least 15 days before the assembly, and no ballot of any
    channel (online, paper, written consultation, proxy) is taken before then: voting opens no earlier
    than 15 days after the notice is served and closes after it opens."""
    days = (meeting_on - notice_on).days
    if days < ASSEMBLY_NOTICE_DAYS:
        earliest = notice_on + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS)
        raise _refuse(
            f"业主大会应于会议召开{ASSEMBLY_NOTICE_DAYS}日以前通知全体业主：通知日期 {notice_on:%Y-%m-%d} 距会议仅 {days} 日，"
            f"会议最早可定于 {earliest:%Y-%m-%d}",
            f"Owners must be notified at least {ASSEMBLY_NOTICE_DAYS} days before the meeting: notice on "
            f"{notice_on:%Y-%m-%d} is only {days} days ahead; the earliest meeting date is {earliest:%Y-%m-%d}.",
            "notice_on",
        )
    if voting_opens_at:
        earliest_day = notice_on + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS)
        if local_instant(voting_opens_at).date() < earliest_day:
            raise _refuse(
                f"通知送达{ASSEMBLY_NOTICE_DAYS}日后才能开始投票（物业管理条例第十四条）：通知日期 {notice_on:%Y-%m-%d}，"
                f"投票最早可于 {earliest_day:%Y-%m-%d} 开始，各种方式（网上、纸质、书面征求意见、委托）均同",
                f"Voting opens no earlier than {ASSEMBLY_NOTICE_DAYS} days after the notice is served (Regulation on "
                f"Property Management Art. 14): with notice on {notice_on:%Y-%m-%d}, voting of any channel "
                f"(online, paper, written consultation, proxy) can open on {earliest_day:%Y-%m-%d} at the earliest.",
                "voting_opens_at",
            )
    if voting_opens_at and voting_closes_at and voting_closes_at <= voting_opens_at:
        raise _refuse("投票截止时间须晚于开始时间", "Voting must close after it opens.", "voting_closes_at")


def assembly_validate_scope(*, estate: Estate, building: Building | None, entrance: int | None) -> None:
    """A building or entrance assembly (Civil Code Art. 278 applied to the owners of that part) must name a part of the estate."""
    if entrance is not None and building is None:
        raise _refuse("指定单元时须同时指定楼栋", "Choose the building of the entrance.", "building")
    if building is None:
        return
    if building.estate_id != estate.pk:
        raise _refuse(
            f"{building.number}栋不属于{estate.name}",
            f"Building {building.number} is not in {estate.name}.",
            "building",
        )
    if entrance is not None and not Unit.objects.filter(building=building, entrance=entrance).exists():
        raise _refuse(
            f"{building.number}栋没有{entrance}单元的房屋",
            f"Building {building.number} has no units in entrance {entrance}.",
            "entrance",
        )


@transaction.atomic
def assembly_create(
    *,
    estate: Estate,
    title: str,
    meeting_on: datetime.date,
    notice_on: datetime.date,
    voting_opens_at: datetime.datetime,
    voting_closes_at: datetime.datetime,
    matters: Iterable[tuple[str, str] | tuple[str, str, str]],
    location: str = "",
    building: Building | None = None,
    entrance: int | None = None,
) -> Assembly:
    """A draft assembly with its matters: ``matters`` as (Art. 278 matter, motion[, details]).

    With ``building`` (and ``entrance``) the assembly decides a matter of that building or entrance only,
    such as adding a lift: its roll is that scope's owners and the Art. 278 thresholds apply to them.
    """
    assembly_validate_dates(
        notice_on=notice_on, meeting_on=meeting_on, voting_opens_at=voting_opens_at, voting_closes_at=voting_closes_at
    )
    assembly_validate_scope(estate=estate, building=building, entrance=entrance)
    assembly = Assembly.objects.create(
        estate=estate,
        building=building,
        entrance=entrance,
        title=title,
        meeting_on=meeting_on,
        notice_on=notice_on,
        voting_opens_at=voting_opens_at,
        voting_closes_at=voting_closes_at,
        location=location,
    )
    rows = []
    for order, item in enumerate(matters):
        matter, motion, *rest = item
        try:
            matter = voting.Matter(matter)
        except ValueError:
            raise _refuse("未知的表决事项", f"Unknown Art. 278 matter {matter!r}.", "matters") from None
        rows.append(
            AssemblyMatter(assembly=assembly, sort_order=order, matter=matter, title=motion, description=rest[0] if rest else "")
        )
    if not rows:
        raise _refuse("请至少列出一项表决事项", "List at least one matter to vote on.", "matters")
    AssemblyMatter.objects.bulk_create(rows)
    return assembly


@transaction.atomic
def assembly_transition(*, assembly: Assembly, to: str, by=None, **changes) -> Assembly:
    """Move an assembly along ASSEMBLY_TRANSITIONS, with a guard against a racing change and a history row."""
    current = AssemblyStatus(assembly.status)
    to = AssemblyStatus(to)
    if to not in ASSEMBLY_TRANSITIONS[current]:
        raise _refuse(
            f"业主大会当前状态为“{current.label}”，不能变为“{to.label}”",
            f"An assembly that is {current.value} cannot become {to.value}.",
            code="illegal_transition",
        )
    updated = Assembly.objects.filter(pk=assembly.pk, status=current).update(status=to, **changes)
    if updated != 1:
        raise _refuse("业主大会状态已被他人更改，请刷新后重试", "Someone else changed this assembly; reload and try again.")
    AssemblyStatusChange.objects.create(assembly=assembly, from_status=current, to_status=to, by=by)
    assembly.status = to
    for name, value in changes.items():
        setattr(assembly, name, value)
    return assembly


def _call_notice_body(assembly: Assembly, matters: list[AssemblyMatter]) -> str:
    lines = [
        _("The owners' committee of %(estate)s calls a meeting of the owners' assembly.") % {"estate": assembly.estate.name},
        _("Meeting date: %(date)s") % {"date": f"{assembly.meeting_on:%Y-%m-%d}"},
    ]
    if assembly.location:
        lines.append(_("Place: %(place)s") % {"place": assembly.location})
    lines.append(
        _("Voting: from %(opens)s to %(closes)s, online in the owners' portal or on paper.")
        % {
            "opens": format_instant(assembly.voting_opens_at),
            "closes": format_instant(assembly.voting_closes_at),
        }
    )
    lines.append(_("Matters to be decided:"))
    for number, matter in enumerate(matters, start=1):
        lines.append(f"{number}. {matter.title}（{matter.get_matter_display()}）")
    return "\n".join(lines)


def _officer_of_estate(*, user, estate: Estate) -> bool:
    """A sub-district officer of the estate's sub-district (or a district officer of its district)."""
    from estates.models import RoleAssignment

    grants = RoleAssignment.objects.filter(user=user)
    subdistrict = estate.community.subdistrict
    return (
        grants.filter(role=Role.SUBDISTRICT_OFFICER, subdistrict_id=subdistrict.pk).exists()
        or grants.filter(role=Role.DISTRICT_OFFICER, district_id=subdistrict.district_id).exists()
    )


def assembly_caller_check(*, estate: Estate, by, on: datetime.date) -> None:
    """Who may call an assembly of the estate on the day.

    - With an owners' committee in office, a serving member of it calls (物业管理条例 Art. 13).
      A committee whose term has ended has no powers left: its members cannot call.
    - Without a committee in office (none elected yet, or the last term over), the assembly is held
      under the sub-district office (Civil Code Art. 277; 物业管理条例 Art. 10): a sub-district officer of
      the estate's sub-district (or a district officer of its district) calls and runs it.

    ``by=None`` is the platform itself (demo data, scripted imports); platform administrators may act too.
    """
    from estates.selectors import user_sees_everything

    if by is None or user_sees_everything(by):
        return
    committee = (
        OwnersCommittee.objects.filter(estate=estate, elected_on__lte=on, term_ends_on__gte=on).order_by("-elected_on").first()
    )
    if committee is not None:
        if serving_committee_members(estate=estate, on=on).filter(Q(user=by) | Q(user__isnull=True, owner__user=by)).exists():
            return
        raise _refuse(
            f"本小区业主委员会在任（任期至 {committee.term_ends_on:%Y-%m-%d}），业主大会由在任委员召集（物业管理条例第十三条）",
            f"This estate's owners' committee is in office (term until {committee.term_ends_on:%Y-%m-%d}): a serving member "
            "calls the assembly (Regulation on Property Management Art. 13).",
            code="not_caller",
        )
    if _officer_of_estate(user=by, estate=estate):
        return
    last = OwnersCommittee.objects.filter(estate=estate, elected_on__lte=on).order_by("-elected_on").first()
    if last is not None and CommitteeMember.objects.filter(committee=last).filter(Q(user=by) | Q(owner__user=by)).exists():
        raise _refuse(
            f"本届业主委员会任期已于 {last.term_ends_on:%Y-%m-%d} 届满，不能再召集业主大会；"
            "请由街道办事处组织召开（民法典第二百七十七条）",
            f"The owners' committee's term ended on {last.term_ends_on:%Y-%m-%d}: an expired committee cannot call an "
            "assembly; the sub-district office organises the next one (Civil Code Art. 277).",
            code="committee_expired",
        )
    raise _refuse(
        "本小区尚无在任业主委员会，首次业主大会在街道办事处指导下召开，由街道办事处召集（民法典第二百七十七条、物业管理条例第十条）",
        "This estate has no owners' committee in office: its first assembly is held under the sub-district office, "
        "which calls it (Civil Code Art. 277; Regulation on Property Management Art. 10).",
        code="not_caller",
    )


@dataclass(frozen=True)
class AssemblyPowers:
    """What one person may do with the assemblies of some estates on a day, worked out in a fixed number of queries.

    The same rules as ``assembly_caller_check``, for a whole list page at once:
    - call: a serving member of the estate's owners' committee in office (物业管理条例 Art. 13); without a
      committee in office, a sub-district officer of the estate (Civil Code Art. 277; 物业管理条例 Art. 10);
    - publish the result: whoever may call, or the officer who called it (a first assembly held under the
      sub-district office stays theirs to count even once the committee it elected is recorded);
    - delete: only a draft, by the person who drafted it or a serving committee member of the estate.
    Platform administrators (and ``user=None``, the platform itself) may do everything.
    """

    user_id: int | None
    everything: bool = False
    committee_estates: frozenset[int] = frozenset()
    officer_estates: frozenset[int] = frozenset()
    estates_with_committee: frozenset[int] = frozenset()

    def may_call(self, assembly: Assembly) -> bool:
        if self.everything:
            return True
        estate_id = assembly.estate_id
        if estate_id in self.estates_with_committee:
            return estate_id in self.committee_estates
        return estate_id in self.officer_estates

    def may_publish(self, assembly: Assembly) -> bool:
        if self.may_call(assembly):
            return True
        return (
            assembly.called_by_id is not None
            and assembly.called_by_id == self.user_id
            and assembly.estate_id in self.officer_estates
        )

    def may_delete(self, assembly: Assembly) -> bool:
        return assembly.status == AssemblyStatus.DRAFT and self.drafter_or_committee(assembly)

    def drafter_or_committee(self, assembly: Assembly) -> bool:
        return (
            self.everything
            or (assembly.created_by_id is not None and assembly.created_by_id == self.user_id)
            or assembly.estate_id in self.committee_estates
        )


def assembly_powers(*, user, estate_ids: Iterable[int], on: datetime.date | None = None) -> AssemblyPowers:
    """``AssemblyPowers`` of ``user`` over the assemblies of ``estate_ids`` on the day (default today, Beijing)."""
    from estates.models import Estate as EstateModel
    from estates.models import RoleAssignment
    from estates.selectors import user_sees_everything

    on = on or timezone.localdate()
    if user is None or user_sees_everything(user):
        return AssemblyPowers(user_id=getattr(user, "pk", None), everything=True)
    if not getattr(user, "is_authenticated", False):
        return AssemblyPowers(user_id=None)
    if not isinstance(estate_ids, QuerySet):  # a queryset stays a subquery (a list page's whole scope)
        estate_ids = set(estate_ids)
        if not estate_ids:
            return AssemblyPowers(user_id=user.pk)
    committee_estates = (
        CommitteeMember.objects.filter(
            committee__estate_id__in=estate_ids,
            committee__elected_on__lte=on,
            committee__term_ends_on__gte=on,
            term_starts_on__lte=on,
            term_ends_on__gte=on,
        )
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=on))
        .filter(Q(user=user) | Q(user__isnull=True, owner__user=user))
        .values_list("committee__estate_id", flat=True)
    )
    with_committee = OwnersCommittee.objects.filter(
        estate_id__in=estate_ids, elected_on__lte=on, term_ends_on__gte=on
    ).values_list("estate_id", flat=True)
    grants = RoleAssignment.objects.filter(user=user, role__in=[Role.SUBDISTRICT_OFFICER, Role.DISTRICT_OFFICER])
    officer_estates = EstateModel.objects.filter(pk__in=estate_ids).filter(
        Q(community__subdistrict_id__in=grants.filter(role=Role.SUBDISTRICT_OFFICER).values("subdistrict_id"))
        | Q(community__subdistrict__district_id__in=grants.filter(role=Role.DISTRICT_OFFICER).values("district_id"))
    )
    return AssemblyPowers(
        user_id=user.pk,
        committee_estates=frozenset(committee_estates),
        officer_estates=frozenset(officer_estates.values_list("pk", flat=True)),
        estates_with_committee=frozenset(with_committee),
    )


def assembly_publisher_check(*, assembly: Assembly, by, on: datetime.date) -> None:
    """Who counts and publishes an assembly's result: whoever may call the estate's assemblies on the day
    (``assembly_caller_check``: a serving committee member, or without a committee in office the sub-district
    office, 物业管理条例 Arts. 10, 13, Civil Code Art. 277), or the sub-district officer who called this one."""
    if assembly_powers(user=by, estate_ids=[assembly.estate_id], on=on).may_publish(assembly):
        return
    raise _refuse(
        "业主大会表决结果由召集人公布：在任业主委员会委员，或无在任业主委员会时由街道办事处公布（物业管理条例第十条、第十三条）",
        "The result is published by whoever runs the assembly: a serving member of the owners' committee, or the "
        "sub-district office when no committee is in office (Regulation on Property Management Arts. 10, 13).",
        code="not_publisher",
    )


@transaction.atomic
def assembly_delete(*, assembly: Assembly, by) -> None:
    """Delete a draft assembly: by the person who drafted it or a serving committee member of the estate.

    Once called, an assembly has been notified to the owners (物业管理条例 Art. 14) and its record is kept:
    it is never deleted.
    """
    assembly = Assembly.objects.select_for_update().get(pk=assembly.pk)
    if assembly.status != AssemblyStatus.DRAFT:
        raise _refuse(
            f"业主大会已于 {assembly.notice_on:%Y-%m-%d} 通知业主，召集后不能删除，记录须保留",
            f"The assembly was notified to the owners on {assembly.notice_on:%Y-%m-%d}: once called it cannot be "
            "deleted and its record is kept.",
            code="not_draft",
        )
    if not assembly_powers(user=by, estate_ids=[assembly.estate_id]).drafter_or_committee(assembly):
        raise _refuse(
            "只有起草人或本小区在任业主委员会委员可以删除草稿",
            "Only the person who drafted it or a serving member of the estate's owners' committee may delete a draft.",
            code="not_drafter",
        )
    assembly.delete()  # its matters go with it


@transaction.atomic
def assembly_call(
    *,
    assembly: Assembly,
    by=None,
    residents_committee_informed_on: datetime.date | None = None,
    residents_committee_note: str = "",
    today: datetime.date | None = None,
) -> Assembly:
    """Call the assembly: check the 15-day notice and who calls, record that the residents' committee was informed, publish the call.

    物业管理条例 Art. 14: notice at least 15 days ahead, and voting opens no earlier than day 15. The
    caller is a serving committee member, or, without a committee in office, the sub-district office
    (Civil Code Art. 277; 物业管理条例 Art. 10); see ``assembly_caller_check``.
    """
    today = today or timezone.localdate()
    assembly = Assembly.objects.select_for_update().select_related("estate__community").get(pk=assembly.pk)
    assembly_validate_dates(
        notice_on=assembly.notice_on,
        meeting_on=assembly.meeting_on,
        voting_opens_at=assembly.voting_opens_at,
        voting_closes_at=assembly.voting_closes_at,
    )
    if assembly.notice_on < today:
        raise _refuse(
            f"通知日期 {assembly.notice_on:%Y-%m-%d} 已过，请改为今天或以后的日期",
            f"The notice date {assembly.notice_on:%Y-%m-%d} is in the past; owners cannot be notified retroactively.",
            "notice_on",
        )
    assembly_caller_check(estate=assembly.estate, by=by, on=today)
    matters = list(assembly.matters.all())
    if not matters:
        raise _refuse("请至少列出一项表决事项", "List at least one matter to vote on.", "matters")
    informed_on = residents_committee_informed_on or today
    with override(settings.LANGUAGE_CODE):
        note = residents_committee_note or _("Notified through Anju to the residents' committee of %(community)s") % {
            "community": assembly.estate.community.name
        }
    roll = voting_roll(estate=assembly.estate, building=assembly.building, entrance=assembly.entrance)
    if not roll.units:
        raise _refuse("表决范围内没有房屋", "There are no units in the assembly's scope.", "building")
    assembly = assembly_transition(
        assembly=assembly,
        to=AssemblyStatus.CALLED,
        by=by,
        called_by=by,
        residents_committee_informed_on=informed_on,
        residents_committee_note=note[:200],
        # The roll is fixed when notice is served (SPC interpretation Arts. 8-9): the count uses it.
        roll=roll.to_json(),
        roll_taken_at=timezone.now(),
        roll_total_area=roll.total_area,
        roll_total_owners=roll.total_owners,
    )
    with override(settings.LANGUAGE_CODE):  # public notices are issued in the site's language, whoever calls
        title = _("Notice of the owners' assembly of %(estate)s: %(title)s") % {
            "estate": assembly.estate.name,
            "title": assembly.title,
        }
        body = _call_notice_body(assembly, matters)
    notice_publish(
        kind=NoticeKind.ASSEMBLY_CALL,
        title=title,
        body=body,
        estate=assembly.estate,
        display_from=assembly.notice_on,
        display_until=max(assembly.meeting_on, local_instant(assembly.voting_closes_at).date()),
        source=assembly,
    )
    return assembly


@transaction.atomic
def voter_designate(*, unit: Unit, owner: Owner, agreement_reference: str, by=None) -> VoterDesignation:
    """Record the co-owner whom the co-owners of a unit designated to cast its ballot.

    Civil Code Arts. 297-301 and SPC interpretation on building ownership Art. 9: co-owners of a unit are
    one owner and may agree who acts for it; without such an agreement any co-owner may cast the unit's
    ballot. Recording a new designation for the unit replaces the old one.
    """
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    co_owners = set(Ownership.objects.filter(unit=unit, until__isnull=True).values_list("owner_id", flat=True))
    if len(co_owners) < 2:
        raise _refuse(
            f"{unit.key}只有一位业主，无需指定表决人",
            f"{unit.key} has a single owner; there is nobody to designate among co-owners.",
            "unit",
        )
    if owner.pk not in co_owners:
        raise _refuse(
            f"{owner.name}不是{unit.key}的共有人",
            f"{owner.name} is not a co-owner of {unit.key}.",
            "owner",
        )
    if not (agreement_reference or "").strip():
        raise _refuse(
            "请填写共有人书面指定的编号或说明",
            "Give the reference of the co-owners' written designation.",
            "agreement_reference",
        )
    designation, _created = VoterDesignation.objects.update_or_create(
        unit=unit,
        defaults={"owner": owner, "agreement_reference": agreement_reference.strip()[:200], "recorded_by": by},
    )
    return designation


def _eligible_owner(*, assembly: Assembly, owner: Owner, roll: VotingRoll) -> None:
    """May this owner cast a ballot in the assembly? (Civil Code Arts. 278, 297-301; SPC interpretation Art. 9.)

    Yes if they vote for at least one unit on the assembly's roll: an owner; any co-owner unless the co-owners
    designated one of them; an organisation through its named representative; the buyer of a unit sold after
    the notice once the transfer is recorded.
    """
    if owner.estate_id != assembly.estate_id:
        raise _refuse("该业主不是本小区业主", f"{owner.name} is not an owner in this estate.", "owner")
    if owner.pk in roll.voter_ids:
        return
    if owner.pk in roll.without_representative:
        raise _refuse(
            f"{owner.name}是单位业主，尚未登记代表人，请先在业主名册中登记代表人",
            f"{owner.name} is an organisation with no representative on record; record its representative first.",
            "owner",
        )
    for unit in roll.units:
        held = {o for o, _share in roll.holders(unit)}
        if owner.pk in held and roll.designated.get(unit.unit_id) in held:
            designee = roll.names.get(roll.designated[unit.unit_id], "")
            raise _refuse(
                f"{unit.key}的共有人已指定{designee}行使表决权",
                f"The co-owners of {unit.key} designated {designee} to vote for it.",
                "owner",
            )
        if unit.unit_id in roll.transfers and owner.pk in {o for o, _share in unit.owners}:
            raise _refuse(
                f"{unit.key}已于通知后过户，由买受人表决",
                f"{unit.key} was transferred after the notice; its buyer votes for it.",
                "owner",
            )
    raise _refuse(
        "该业主在本次业主大会的表决名单中没有房屋",
        f"{owner.name} holds no unit on this assembly's voter roll.",
        "owner",
    )


def _voting_window_check(*, assembly: Assembly, at: datetime.datetime) -> None:
    """Ballots of every channel only inside the voting window, never before day 15 after the notice (物业管理条例 Art. 14)."""
    if assembly.status != AssemblyStatus.CALLED:
        raise _refuse(
            "只能在已召集且尚未公布结果的业主大会投票期内投票或录入选票",
            "Ballots can be cast or recorded only while an assembly that has been called is open for voting.",
            code="not_called",
        )
    opens = local_instant(assembly.effective_voting_opens_at)
    if at < opens:
        raise _refuse(
            f"本次业主大会尚未开始投票：通知于 {assembly.notice_on:%Y-%m-%d} 送达，"
            f"投票自 {opens:%Y-%m-%d %H:%M} 开始（物业管理条例第十四条：通知送达15日后方可投票）",
            f"Voting on this assembly has not opened: notice was served on {assembly.notice_on:%Y-%m-%d} and voting "
            f"opens at {opens:%Y-%m-%d %H:%M} (Regulation on Property Management Art. 14: no voting before day 15).",
            code="voting_not_open",
        )
    if at >= assembly.voting_closes_at:
        closes = local_instant(assembly.voting_closes_at)
        raise _refuse(
            f"投票已于 {closes:%Y-%m-%d %H:%M} 截止，不能再投票或改票",
            f"Voting closed at {closes:%Y-%m-%d %H:%M}; ballots can no longer be cast or changed.",
            code="voting_closed",
        )


@transaction.atomic
def assembly_vote(
    *, assembly: Assembly, owner: Owner, choices: Mapping[int, str], by=None, at: datetime.datetime | None = None
) -> list[Ballot]:
    """An owner votes online on some or all matters; a new vote before the close replaces their earlier one."""
    at = at or timezone.now()
    assembly = Assembly.objects.select_for_update().get(pk=assembly.pk)
    _voting_window_check(assembly=assembly, at=at)
    _eligible_owner(assembly=assembly, owner=owner, roll=voting_roll(assembly=assembly))
    matters = {m.pk: m for m in assembly.matters.all()}
    ballots = []
    for matter_id, choice in choices.items():
        if matter_id not in matters:
            raise _refuse("表决事项不属于本次业主大会", "That matter is not on this assembly's agenda.", "choices")
        if choice not in BallotChoice.values:
            raise _refuse("请选择同意、反对或弃权", "Choose yes, no or abstain.", "choices")
        ballot, _created = Ballot.objects.update_or_create(
            matter=matters[matter_id],
            owner=owner,
            defaults={
                "choice": choice,
                "channel": BallotChannel.ONLINE,
                "paper_reference": "",
                "proxy_name": "",
                "proxy_document": "",
                "cast_by": by,
            },
        )
        ballots.append(ballot)
    return ballots


@transaction.atomic
def ballot_record(
    *,
    matter: AssemblyMatter,
    owner: Owner,
    choice: str,
    channel: str,
    paper_reference: str = "",
    proxy_name: str = "",
    proxy_document: str = "",
    by=None,
    at: datetime.datetime | None = None,
    replaces: Ballot | None = None,
) -> Ballot:
    """Staff record a paper ballot, a written-consultation reply or a proxy vote while voting is open.

    物业管理条例 Art. 14: no ballot of any channel before day 15 after the notice, none after the close.
    An owner's ballot is the owner's: a ballot the owner cast online is never changed here, and an
    existing ballot is never silently replaced; the conflict is refused naming its channel. Correcting a
    ballot entered in the back office is explicit (``replaces``, the edit screen) and keeps owner and
    matter. Who entered it (``cast_by``) and the paper reference are kept on the ballot.
    """
    at = at or timezone.now()
    assembly = Assembly.objects.select_for_update().get(pk=matter.assembly_id)
    _voting_window_check(assembly=assembly, at=at)
    if choice not in BallotChoice.values:
        raise _refuse("请选择同意、反对或弃权", "Choose yes, no or abstain.", "choice")
    if channel not in BallotChannel.values or channel == BallotChannel.ONLINE:
        raise _refuse(
            "请选择纸质表决票、书面征求意见或委托投票", "Choose paper ballot, written consultation or proxy.", "channel"
        )
    paper_reference, proxy_name, proxy_document = paper_reference.strip(), proxy_name.strip(), proxy_document.strip()
    if channel in (BallotChannel.PAPER, BallotChannel.WRITTEN) and not paper_reference:
        raise _refuse("请填写表决票编号", "Give the number of the ballot paper.", "paper_reference")
    if channel == BallotChannel.PROXY and not (proxy_name and proxy_document):
        raise _refuse(
            "委托投票须填写代理人姓名和授权委托书编号",
            "A proxy vote needs the proxy's name and the power of attorney's reference.",
            "proxy_name" if not proxy_name else "proxy_document",
        )
    _eligible_owner(assembly=assembly, owner=owner, roll=voting_roll(assembly=assembly))
    existing = Ballot.objects.select_for_update().filter(matter=matter, owner=owner).first()
    _ballot_conflict_check(existing=existing, replaces=replaces)
    values = {
        "choice": choice,
        "channel": channel,
        "paper_reference": paper_reference,
        "proxy_name": proxy_name if channel == BallotChannel.PROXY else "",
        "proxy_document": proxy_document if channel == BallotChannel.PROXY else "",
        "cast_by": by,
    }
    if existing is None:
        return Ballot.objects.create(matter=matter, owner=owner, **values)
    for name, value in values.items():
        setattr(existing, name, value)
    existing.save()
    return existing


def _ballot_conflict_check(*, existing: Ballot | None, replaces: Ballot | None) -> None:
    """An online ballot is the owner's; any other existing ballot is replaced only by an explicit correction of it."""
    if existing is not None and existing.channel == BallotChannel.ONLINE:
        cast = local_instant(existing.updated_at)
        raise _refuse(
            f"该业主已于 {cast:%Y-%m-%d %H:%M} 本人网上投票；业主本人的选票，工作人员和业主委员会委员不能更改",
            f"This owner voted online themselves on {cast:%Y-%m-%d %H:%M}; an owner's online ballot cannot be changed "
            "by staff or committee members.",
            "owner",
            code="online_ballot",
        )
    if existing is not None and (replaces is None or replaces.pk != existing.pk):
        reference = existing.paper_reference or existing.proxy_document
        with override("zh-hans"):
            channel_zh = str(BallotChannel(existing.channel).label)
        with override("en"):
            channel_en = str(BallotChannel(existing.channel).label)
        raise _refuse(
            f"该业主已有一张{channel_zh}选票（{reference}），不能覆盖；如需更正，请打开该选票修改",
            f"This owner already has a ballot on this matter: {channel_en} ({reference}). "
            "It is not replaced; to correct it, open that ballot and change it.",
            "owner",
            code="ballot_exists",
        )
    if replaces is not None and existing is None:
        raise _refuse(
            "更正选票时不能更换业主或表决事项",
            "A correction keeps the ballot's owner and matter.",
            "owner",
            code="correction_moves_ballot",
        )


def _result_notice_body(assembly: Assembly, matters: list[AssemblyMatter]) -> str:
    lines = [
        _("Result of the owners' assembly of %(estate)s held on %(date)s.")
        % {"estate": assembly.estate.name, "date": f"{assembly.meeting_on:%Y-%m-%d}"}
    ]
    if assembly.roll_total_area is not None:
        lines.append(
            _(
                "Voter roll fixed at the notice (%(scope)s): %(units)s units, total exclusive area %(area)s m², "
                "%(owners)s owners by headcount."
            )
            % {
                "scope": assembly.scope_label,
                "units": len(assembly.roll["units"]),
                "area": assembly.roll_total_area,
                "owners": assembly.roll_total_owners,
            }
        )
    for number, matter in enumerate(matters, start=1):
        lines.append(
            _(
                "%(n)s. %(title)s: %(outcome)s. Participating area %(pa)s%%, participating owners %(po)s%%; "
                "yes by area %(ya)s%% and by owners %(yo)s%% of participants."
            )
            % {
                "n": number,
                "title": matter.title,
                "outcome": _("passed") if matter.passed else _("not passed"),
                "pa": matter.participating_area_percent,
                "po": matter.participating_owners_percent,
                "ya": matter.yes_area_percent,
                "yo": matter.yes_owners_percent,
            }
        )
        lines.extend(f"   {note}" for note in matter.count_notes.splitlines())
    return "\n".join(lines)


@transaction.atomic
def assembly_result_publish(*, assembly: Assembly, by=None, at: datetime.datetime | None = None) -> Assembly:
    """Count every matter by Art. 278 after voting has closed, store the results and publish them as a notice.

    物业管理条例 Art. 14 with the voting window: nothing is counted or published while voting is open.
    Who publishes: see ``assembly_publisher_check`` (物业管理条例 Arts. 10, 13; Civil Code Art. 277).

    The notice exists when this returns; its PDF is rendered by a task after commit.
    """
    at = at or timezone.now()
    assembly = Assembly.objects.select_for_update().select_related("estate").get(pk=assembly.pk)
    assembly_publisher_check(assembly=assembly, by=by, on=local_instant(at).date())
    if assembly.status == AssemblyStatus.CALLED and at < assembly.voting_closes_at:
        closes = local_instant(assembly.voting_closes_at)
        raise _refuse(
            f"投票将于 {closes:%Y-%m-%d %H:%M} 截止，截止后才能计票并公布结果",
            f"Voting is open until {closes:%Y-%m-%d %H:%M}; the result can be counted and published after that.",
            code="voting_open",
        )
    roll = voting_roll(assembly=assembly)  # the roll stored at the notice, with transfers recorded since
    matters = list(assembly.matters.all())
    tallies = assembly_tallies(assembly=assembly, roll=roll)
    assembly = assembly_transition(assembly=assembly, to=AssemblyStatus.PUBLISHED, by=by, result_published_at=at)
    for matter in matters:
        result = tallies[matter.pk]
        matter.counted_at = at
        with override(settings.LANGUAGE_CODE):
            matter.count_notes = "\n".join(count_notes(roll=roll, result=result))
        for name in (
            "total_area",
            "total_owners",
            "participating_area",
            "participating_owners",
            "yes_area",
            "yes_owners",
            "no_area",
            "no_owners",
            "abstain_area",
            "abstain_owners",
            "conflicted_area",
            "conflicted_owners",
            "participation_met",
            "passed",
        ):
            setattr(matter, name, getattr(result, name))
    AssemblyMatter.objects.bulk_update(
        matters,
        [
            "counted_at",
            "total_area",
            "total_owners",
            "participating_area",
            "participating_owners",
            "yes_area",
            "yes_owners",
            "no_area",
            "no_owners",
            "abstain_area",
            "abstain_owners",
            "conflicted_area",
            "conflicted_owners",
            "count_notes",
            "participation_met",
            "passed",
        ],
    )
    local_day = local_instant(at).date()
    with override(settings.LANGUAGE_CODE):
        title = _("Result of the owners' assembly of %(estate)s: %(title)s") % {
            "estate": assembly.estate.name,
            "title": assembly.title,
        }
        body = _result_notice_body(assembly, matters)
    notice_publish(
        kind=NoticeKind.ASSEMBLY_RESULT,
        title=title,
        body=body,
        estate=assembly.estate,
        display_from=local_day,
        display_until=local_day + datetime.timedelta(days=RESULT_NOTICE_DAYS),
        source=assembly,
    )
    _queue_after_commit(ASSEMBLY_RESULT_PDF_TASK, assembly.pk)
    return assembly


# ---------------------------------------------------------------------------------------------
# Joint meetings
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def joint_meeting_save(*, meeting: JointMeeting) -> JointMeeting:
    """Store a joint meeting with its participants and decisions (from the back-office form or code)."""
    if not (meeting.agenda or "").strip():
        raise _refuse("请填写会议议程", "Give the agenda.", "agenda")
    for decision in meeting.decisions.all():
        if decision.due_on < meeting.held_on:
            raise _refuse(
                f"决定事项的完成期限 {decision.due_on:%Y-%m-%d} 早于会议日期",
                f"A decision is due {decision.due_on:%Y-%m-%d}, before the meeting was held.",
                "decisions",
            )
    meeting.save()
    return meeting


@transaction.atomic
def decision_transition(
    *, decision: JointMeetingDecision, to: str, by=None, note: str = "", on: datetime.date | None = None
) -> JointMeetingDecision:
    """Mark a decision done (or reopen it), with a guard and a history row."""
    current = DecisionStatus(decision.status)
    to = DecisionStatus(to)
    if to not in DECISION_TRANSITIONS[current]:
        raise _refuse(
            f"决定事项当前为“{current.label}”，不能变为“{to.label}”",
            f"A decision that is {current.value} cannot become {to.value}.",
            code="illegal_transition",
        )
    done_on = (on or timezone.localdate()) if to == DecisionStatus.DONE else None
    updated = JointMeetingDecision.objects.filter(pk=decision.pk, status=current).update(status=to, done_on=done_on)
    if updated != 1:
        raise _refuse("该决定事项已被他人更改，请刷新后重试", "Someone else changed this decision; reload and try again.")
    DecisionStatusChange.objects.create(decision=decision, from_status=current, to_status=to, note=note[:200], by=by)
    decision.status, decision.done_on = to, done_on
    return decision


def _summary_body(meeting: JointMeeting) -> str:
    lines = [
        _("Joint meeting held on %(date)s.") % {"date": f"{meeting.held_on:%Y-%m-%d}"},
        _("Participants: %(names)s") % {"names": "、".join(p.organisation_name for p in meeting.participants.all())},
        _("Agenda:"),
        meeting.agenda,
        _("Decisions:"),
    ]
    for number, decision in enumerate(meeting.decisions.all(), start=1):
        lines.append(
            _("%(n)s. %(text)s (by %(owner)s, due %(due)s)")
            % {"n": number, "text": decision.text, "owner": decision.owner_name, "due": f"{decision.due_on:%Y-%m-%d}"}
        )
    return "\n".join(lines)


@transaction.atomic
def joint_meeting_summary_publish(*, meeting: JointMeeting, by=None, at: datetime.datetime | None = None) -> Notice:
    """Publish the meeting's summary as a notice; the minutes PDF follows from a task after commit."""
    at = at or timezone.now()
    meeting = JointMeeting.objects.select_for_update().select_related("estate").get(pk=meeting.pk)
    meeting.summary_published_at = at
    meeting.save(update_fields=["summary_published_at"])
    local_day = local_instant(at).date()
    with override(settings.LANGUAGE_CODE):
        title = _("Joint meeting of %(estate)s: %(title)s") % {"estate": meeting.estate.name, "title": meeting.title}
        body = _summary_body(meeting)
    notice = notice_publish(
        kind=NoticeKind.JOINT_MEETING_SUMMARY,
        title=title,
        body=body,
        estate=meeting.estate,
        display_from=local_day,
        display_until=local_day + datetime.timedelta(days=SUMMARY_NOTICE_DAYS),
        source=meeting,
    )
    _queue_after_commit(MEETING_MINUTES_PDF_TASK, meeting.pk)
    return notice


@transaction.atomic
def joint_meeting_minutes_store(*, meeting: JointMeeting, pdf_bytes: bytes) -> JointMeeting:
    """Keep the rendered minutes PDF on the meeting and on its summary notice (if published)."""
    meeting = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.minutes_pdf:
        meeting.minutes_pdf.delete(save=False)
    meeting.minutes_pdf.save(f"joint-meeting-{meeting.pk}-{meeting.held_on:%Y%m%d}.pdf", ContentFile(pdf_bytes), save=False)
    meeting.save(update_fields=["minutes_pdf"])
    notice = Notice.objects.filter(
        source_type=ContentType.objects.get_for_model(JointMeeting), source_id=meeting.pk, kind=NoticeKind.JOINT_MEETING_SUMMARY
    ).first()
    if notice is not None:
        notice_attach_pdf(notice=notice, pdf_bytes=pdf_bytes)
    return meeting
