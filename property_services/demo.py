"""Demo data for property services: providers and the arrangement of every seeded estate, the owners'
committee of the self-governance estate (洋河新村), an assembly with ballots and a published result, an
assembly open for voting, a joint meeting with an overdue decision, each estate's visitor parking tariff
(with a night rate) and gate key, so that a gate (or a test) can post records and a visitor pay, and the
public income's settings: the self-governance estate discloses it half-yearly, the professional estate has
a cost awaiting its evidence.

``seed_property_services_demo()`` runs after ``estates.demo.demo_seed`` (it needs the estates, owners and
logins) and before the CMS demo (which lists the notices made here). It does nothing when arrangements
exist already. Everything goes through the services, so tariffs, notices and roles come out as in real use.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from estates.models import Building, Estate, ManagementModel, Owner, Ownership, RenovationProject, Unit
from estates.validators import uscc_check_char

from . import services
from .models import (
    ASSEMBLY_NOTICE_DAYS,
    AuthorityKind,
    CommitteeMember,
    DecisionStatus,
    JointMeeting,
    JointMeetingDecision,
    JointMeetingParticipant,
    ManagementArrangement,
    OwnersCommittee,
    ParkingRate,
    Provider,
    ProviderContact,
    ProviderKind,
)
from .selectors import officer_of_estate, voting_roll
from .services.parking import gate_key_rotate

SEED = 2026
COMMITTEE_LOGIN = "13900000003"
OFFICER_LOGIN = "13900000002"  # sub-district officer of 七星岗街道 (金汤街小区)
SELF_GOVERNANCE_ESTATE = "洋河新村"
PROFESSIONAL_ESTATE = "金汤街小区"
FIRMS = [
    ("重庆渝安物业服务有限公司", "500103", "渝中区民生路188号"),
    ("重庆山城物业管理有限公司", "500105", "江北区建新北路66号"),
    ("重庆嘉陵物业服务集团有限公司", "500106", "沙坪坝区小龙坎正街90号"),
    ("重庆两江宜居物业服务有限公司", "500108", "南岸区南坪西路12号"),
    ("重庆九龙物业管理有限公司", "500107", "九龙坡区杨家坪正街31号"),
]
ALREADY_PRESENT = "物业服务演示数据已存在，未做更改 / Property-services demo data already present; nothing changed"


def _write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _credit_code(rng: random.Random, district_code: str) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    values = [int(c) for c in body]
    remainder = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    first17 = "91" + district_code + body + {10: "X", 11: "0"}.get(remainder, str(remainder))
    return first17 + uscc_check_char(first17)


def seed_property_services_demo(stdout: TextIO | None = None) -> dict[str, int]:
    """Seed property-services demo data for the estates ``estates.demo`` created; return counts."""
    counts = dict.fromkeys(
        [
            "providers",
            "arrangements",
            "committees",
            "assemblies",
            "ballots",
            "joint_meetings",
            "costs_awaiting_evidence",
            "parking_tariffs",
        ],
        0,
    )
    if ManagementArrangement.objects.exists():
        _write(stdout, ALREADY_PRESENT)
        return counts
    rng = random.Random(SEED)
    with transaction.atomic():
        _arrangements(rng, counts)
        _committee_and_assemblies(rng, counts)
        _voter_roll(counts)
        _first_committee_assembly(counts)
        _joint_meeting(counts)
        _public_income(counts)
        _parking_tariffs(counts)
    _write(
        stdout, "物业服务演示数据已加载 / Property-services demo data loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return counts


def _arrangements(rng: random.Random, counts: dict[str, int]) -> None:
    firms = []
    for name, district, address in FIRMS:
        firm = services.provider_save(
            provider=Provider(
                kind=ProviderKind.PROPERTY_FIRM,
                name=name,
                credit_code=_credit_code(rng, district),
                address=address,
                service_phone=f"023-6{rng.randrange(1000000, 9999999)}",
            )
        )
        ProviderContact.objects.create(
            provider=firm,
            name=rng.choice(["李经理", "张经理", "陈经理", "王经理"]),
            position="项目经理",
            work_phone=firm.service_phone,
        )
        firms.append(firm)
    counts["providers"] += len(firms)
    centres: dict[int, Provider] = {}

    latest = {}
    for project in (
        RenovationProject.objects.exclude(management_model_after="")
        .select_related("estate__community__subdistrict")
        .order_by("estate_id", "year")
    ):
        latest[project.estate_id] = project
    for index, project in enumerate(latest.values()):
        estate, model = project.estate, project.management_model_after
        starts_on = (project.completed_on or datetime.date(project.year, 12, 1)) + datetime.timedelta(days=1)
        if model == ManagementModel.PROFESSIONAL:
            provider = firms[0] if estate.name == PROFESSIONAL_ESTATE else firms[index % len(firms)]
            rates = {
                "residential": Decimal(rng.choice(["1.20", "1.35", "1.50", "1.80"])),
                "shop": Decimal(rng.choice(["2.50", "3.00"])),
            }
            authority = (AuthorityKind.ASSEMBLY_RESOLUTION, f"{estate.name}业主大会决议〔{starts_on.year}〕1号")
            contract_until = starts_on.replace(year=starts_on.year + 3) - datetime.timedelta(days=1)
            # Civil Code Art. 278 item (4): the firm is hired by the owners' vote, in the estate's first
            # assembly held under the sub-district office (Civil Code Art. 277).
            decided_on = starts_on - datetime.timedelta(days=rng.randint(15, 45))
            hiring = _hiring_resolution(estate=estate, firm=provider, decided_on=decided_on, counts=counts)
            if hiring is None:  # nobody on the roll could vote: the sub-district's interim arrangement instead
                model = ManagementModel.SERVICE_CENTRE
        if model == ManagementModel.PROFESSIONAL:
            pass  # set above
        elif model == ManagementModel.SERVICE_CENTRE:
            community = estate.community
            provider = centres.get(community.pk)
            if provider is None:
                provider = services.provider_save(
                    provider=Provider(
                        kind=ProviderKind.SERVICE_CENTRE,
                        name=f"{community.name}物业服务中心",
                        address=f"{community.subdistrict.name}{community.name}",
                        service_phone=community.residents_committee_phone,
                    )
                )
                centres[community.pk] = provider
                counts["providers"] += 1
            rates = {"residential": Decimal(rng.choice(["0.50", "0.60", "0.80"])), "shop": Decimal("1.50")}
            authority = (
                AuthorityKind.SUBDISTRICT_DECISION,
                f"{community.subdistrict.name}〔{starts_on.year}〕{rng.randint(3, 40)}号",
            )
            contract_until = None
        else:
            provider = services.provider_save(
                provider=Provider(
                    kind=ProviderKind.SELF_GOVERNANCE, name=f"{estate.name}居民自治管理小组", address=estate.address
                )
            )
            counts["providers"] += 1
            rates = {"residential": Decimal(rng.choice(["0.30", "0.40", "0.50"]))}
            authority = (AuthorityKind.ASSEMBLY_RESOLUTION, f"{estate.name}业主大会决议〔{starts_on.year}〕1号")
            contract_until = None
        services.arrangement_start(
            estate=estate,
            model=model,
            provider=provider,
            starts_on=starts_on,
            fee_rates=rates,
            authority_kind=authority[0],
            authority_reference=authority[1],
            authority_date=hiring.assembly.meeting_on
            if model == ManagementModel.PROFESSIONAL
            else starts_on - datetime.timedelta(days=rng.randint(15, 45)),
            authorising_matter=hiring if model == ManagementModel.PROFESSIONAL else None,
            contract_until=contract_until,
            contract_reference=f"WYHT-{starts_on.year}-{estate.pk:05d}" if model == ManagementModel.PROFESSIONAL else "",
        )
        counts["arrangements"] += 1


def _committee_and_assemblies(rng: random.Random, counts: dict[str, int]) -> None:
    estate = Estate.objects.filter(name=SELF_GOVERNANCE_ESTATE).first()
    member_user = User.objects.filter(mobile=COMMITTEE_LOGIN).first()
    if estate is None:
        return
    owners = list(
        Owner.objects.filter(estate=estate, kind="person").annotate(units=Count("ownerships")).filter(units__gt=0).order_by("pk")
    )
    chair = next((o for o in owners if member_user and o.user_id == member_user.pk), owners[0])
    others = [o for o in owners if o.pk != chair.pk and o.user_id is None][:4]
    project = RenovationProject.objects.filter(estate=estate).order_by("-year").first()
    elected = (project.completed_on if project and project.completed_on else datetime.date(2023, 12, 1)) - datetime.timedelta(
        days=20
    )
    term_end = elected.replace(year=elected.year + 5) - datetime.timedelta(days=1)
    seats = [("chair", chair), ("vice_chair", others[0])] + [("member", o) for o in others[1:]]
    services.committee_save(
        committee=OwnersCommittee(
            estate=estate,
            elected_on=elected,
            term_ends_on=term_end,
            filed_on=elected + datetime.timedelta(days=18),
            filing_reference=f"江北区观音桥街道业委会备案〔{elected.year}〕7号",
        ),
        members=[CommitteeMember(owner=o, role=role, term_starts_on=elected, term_ends_on=term_end) for role, o in seats],
    )
    counts["committees"] += 1
    by = member_user or chair.user

    # A past assembly with ballots and a published result.
    meeting = min(timezone.localdate() - datetime.timedelta(days=60), term_end)
    notice_on = meeting - datetime.timedelta(days=20)
    # 物业管理条例 Art. 14: no voting before day 15 after the notice
    opens = timezone.make_aware(
        datetime.datetime.combine(notice_on + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS), datetime.time(9, 0))
    )
    closes = timezone.make_aware(datetime.datetime.combine(meeting, datetime.time(18, 0)))
    past = services.assembly_create(
        estate=estate,
        title=f"{meeting.year}年{estate.name}业主大会",
        meeting_on=meeting,
        notice_on=notice_on,
        voting_opens_at=opens,
        voting_closes_at=closes,
        location="小区居民活动室",
        matters=[
            ("management_statute", "修订《洋河新村管理规约》", "明确自治管理小组职责、公共收益使用和公示办法。"),
            ("use_maintenance_fund", "使用住宅专项维修资金维修2栋、5栋屋面防水", "预算约 18.6 万元，按专有部分面积分摊。"),
            (
                "change_use_or_operate_common_parts",
                "利用小区北侧空地设置电动汽车充电桩并对外经营",
                "收益扣除合理成本后归全体业主。",
            ),
            (
                "change_use_or_operate_common_parts",
                "出租小区南门两间临街门面房（S-01、S-02），用于便民超市和药房经营",
                "租期一年，押金两个月租金；租金扣除合理成本后归全体业主，主要用于补充维修资金。",
            ),
        ],
    )
    services.assembly_call(
        assembly=past,
        by=by,
        today=notice_on,
        residents_committee_informed_on=notice_on,
        residents_committee_note="书面通知送达洋河社区居委会",
    )
    matters = list(past.matters.order_by("sort_order"))
    voters = [o for o in Owner.objects.filter(estate=estate).order_by("pk") if str(o.pk) in voting_roll(estate=estate).owner_keys]
    cast_at = opens + datetime.timedelta(days=2)
    for owner in voters:
        if rng.random() > 0.86:  # about 86 % take part
            continue
        choices = {
            matters[0].pk: rng.choices(["yes", "no", "abstain"], [80, 12, 8])[0],
            matters[1].pk: rng.choices(["yes", "no", "abstain"], [85, 10, 5])[0],
            matters[2].pk: rng.choices(["yes", "no", "abstain"], [70, 22, 8])[0],
            matters[3].pk: rng.choices(["yes", "no", "abstain"], [92, 5, 3])[0],
        }
        services.assembly_vote(assembly=past, owner=owner, choices=choices, by=owner.user, at=cast_at)
        counts["ballots"] += len(choices)
    services.assembly_result_publish(assembly=past, by=by, at=closes + datetime.timedelta(hours=1))
    counts["assemblies"] += 1

    # An assembly open for voting now: the demo owner 13800000002 (刘秀英) can vote in the portal. Its notice
    # went out 16 days ago (物业管理条例 Art. 14: voting from day 15).
    today = timezone.localdate()
    notice_on, meeting_on = _open_assembly_days(today)
    current = services.assembly_create(
        estate=estate,
        title=f"{today.year}年{estate.name}第二次业主大会",
        meeting_on=meeting_on,
        notice_on=notice_on,
        voting_opens_at=_at(notice_on + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS), 9),
        voting_closes_at=_at(meeting_on, 18),
        location="小区居民活动室",
        matters=[
            ("other_major", "增设小区智能门禁和人脸识别系统", "费用从公共收益中列支，约 6.8 万元。"),
            ("raise_maintenance_fund", "续筹住宅专项维修资金", "按每平方米 25 元续筹。"),
        ],
    )
    services.assembly_call(
        assembly=current,
        by=by,
        today=notice_on,
        residents_committee_informed_on=notice_on,
        residents_committee_note="书面通知送达洋河社区居委会",
    )
    counts["assemblies"] += 1


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _open_assembly_days(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Notice 16 days ago, meeting in 10 days: voting (from day 15, 物业管理条例 Art. 14) is open today."""
    return today - datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS + 1), today + datetime.timedelta(days=10)


def _hiring_resolution(*, estate: Estate, firm: Provider, decided_on: datetime.date, counts: dict[str, int]):
    """The assembly that hired ``firm`` (Civil Code Art. 278 item 4), held under the sub-district office; its passed matter.

    History before the platform: the paper ballots are written in bulk (thousands of estates in a large demo),
    then counted by ``assembly_result_publish`` like any other. Returns None when nobody on the roll can vote.
    """
    from .models import Ballot, BallotChannel

    notice_on = decided_on - datetime.timedelta(days=20)
    assembly = services.assembly_create(
        estate=estate,
        title=f"{decided_on.year}年{estate.name}首次业主大会",
        meeting_on=decided_on,
        notice_on=notice_on,
        voting_opens_at=_at(notice_on + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS), 9),
        voting_closes_at=_at(decided_on, 18),
        location=f"{estate.community.name}党群服务中心",
        matters=[("hire_or_dismiss_manager", f"选聘{firm.name}为本小区物业服务企业", "合同期三年，物业费按专有部分面积计收。")],
    )
    officer = User.objects.filter(mobile=OFFICER_LOGIN).first()
    caller = officer if officer is not None and officer_of_estate(user=officer, estate=estate) else None
    services.assembly_call(
        assembly=assembly,
        by=caller,
        today=notice_on,
        residents_committee_informed_on=notice_on,
        residents_committee_note=f"书面通知送达{estate.community.name}居委会，街道办事处指导召开",
    )
    matter = assembly.matters.get()
    roll = voting_roll(assembly=assembly)
    voters = sorted({roll.voters_of(unit)[0] for unit in roll.units if roll.voters_of(unit)})
    if not voters:
        return None
    ballots = [
        Ballot(
            matter=matter,
            owner_id=owner_id,
            choice="no" if index % 7 == 6 else "yes",
            channel=BallotChannel.PAPER,
            paper_reference=f"{estate.code}-{decided_on.year}-{index + 1:04d}",
        )
        for index, owner_id in enumerate(voters)
        if index % 10 != 9  # about nine in ten take part
    ]
    Ballot.objects.bulk_create(ballots, batch_size=500)
    counts["ballots"] += len(ballots)
    services.assembly_result_publish(assembly=assembly, by=caller, at=_at(decided_on, 19))
    counts["assemblies"] += 1
    matter.refresh_from_db()
    return matter if matter.passed else None


def _first_committee_assembly(counts: dict[str, int]) -> None:
    """金汤街小区 has no owners' committee yet: the sub-district office calls the assembly that elects the first one
    (Civil Code Art. 277; 物业管理条例 Art. 10). Open for voting now: the demo owner 13800000001 (陈建华) can vote."""
    estate = Estate.objects.filter(name=PROFESSIONAL_ESTATE).select_related("community").first()
    officer = User.objects.filter(mobile=OFFICER_LOGIN).first()
    if estate is None:
        return
    today = timezone.localdate()
    notice_on, meeting_on = _open_assembly_days(today)
    assembly = services.assembly_create(
        estate=estate,
        title=f"{today.year}年{estate.name}业主大会（选举第一届业主委员会）",
        meeting_on=meeting_on,
        notice_on=notice_on,
        voting_opens_at=_at(notice_on + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS), 9),
        voting_closes_at=_at(meeting_on, 18),
        location=f"{estate.community.name}党群服务中心",
        matters=[
            ("rules_of_procedure", "通过《金汤街小区业主大会议事规则》", "规定业主大会的召集、表决方式和业主委员会的职责。"),
            (
                "elect_committee",
                "选举第一届业主委员会委员（5名）",
                "候选人由街道办事处、社区居委会组织业主推荐产生，名单已公示。",
            ),
        ],
    )
    services.assembly_call(
        assembly=assembly,
        by=officer if officer is not None and officer_of_estate(user=officer, estate=estate) else None,
        today=notice_on,
        residents_committee_informed_on=notice_on,
        residents_committee_note="街道办事处书面通知金汤街社区居委会",
    )
    counts["assemblies"] += 1


def _voter_roll(counts: dict[str, int]) -> None:
    """The voter roll in 洋河新村 (SPC interpretation Arts. 8-9; Civil Code Arts. 278, 297-301).

    The estate data already hold the original work unit (原产权单位, several ground-floor flats, one owner voting
    through its representative) and married couples co-owning flats. Here one couple designates which of
    them votes, and the owners of one entrance are called to decide on adding a lift (Art. 278 applied to
    that entrance, with its own roll fixed at the notice).
    """
    estate = Estate.objects.filter(name=SELF_GOVERNANCE_ESTATE).first()
    if estate is None:
        return
    couple_flat = (
        Unit.objects.filter(building__estate=estate)
        .annotate(holders=Count("ownerships", filter=Q(ownerships__until__isnull=True)))
        .filter(holders=2)
        .order_by("building__number", "entrance", "number")
        .first()
    )
    if couple_flat is not None:
        wife = Ownership.objects.filter(unit=couple_flat, until__isnull=True).order_by("-owner_id").first().owner
        services.voter_designate(
            unit=couple_flat, owner=wife, agreement_reference=f"共有人书面指定表决人 {couple_flat.key}（2024年3月签署）"
        )
    building = Building.objects.filter(estate=estate, units__entrance=2).distinct().order_by("number").first()
    if building is None:
        return
    today = timezone.localdate()
    meeting = today + datetime.timedelta(days=25)
    lift = services.assembly_create(
        estate=estate,
        building=building,
        entrance=2,
        title=f"{building.number}栋2单元加装电梯业主表决",
        notice_on=today,
        meeting_on=meeting,
        voting_opens_at=timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS), datetime.time(9, 0))
        ),
        voting_closes_at=timezone.make_aware(datetime.datetime.combine(meeting, datetime.time(18, 0))),
        location=f"{building.number}栋2单元门口",
        matters=[
            ("rebuild", f"{building.number}栋2单元加装电梯", "政府补助每部 40 万元，其余由本单元业主按楼层系数分摊。"),
            ("other_major", "电梯运行维护费用按楼层系数分摊", "一楼不分摊，二楼起系数逐层递增，每年公示收支。"),
        ],
    )
    services.assembly_call(assembly=lift, by=User.objects.filter(mobile=COMMITTEE_LOGIN).first())
    counts["assemblies"] += 1


def _joint_meeting(counts: dict[str, int]) -> None:
    estate = Estate.objects.filter(name=PROFESSIONAL_ESTATE).select_related("community").first()
    if estate is None:
        return
    today = timezone.localdate()
    held = today - datetime.timedelta(days=45)
    arrangement = ManagementArrangement.objects.filter(estate=estate, ended_on__isnull=True).select_related("provider").first()
    provider_name = arrangement.provider.name if arrangement else "物业服务企业"
    meeting = JointMeeting(
        estate=estate,
        title=f"{held.year}年{estate.name}第三季度联席会议",
        held_on=held,
        location=f"{estate.community.name}党群服务中心",
        agenda="一、加装电梯后续维保费用分摊\n二、雨季排水管网疏通\n三、停车秩序和充电桩安装",
        minutes="社区居委会主持。物业服务企业通报近三个月维修情况；供电公司说明充电桩报装流程；业主代表对停车收费提出意见。会议形成三项决定。",
    )
    for kind, name, person in [
        ("residents_committee", f"{estate.community.name}居民委员会", "周主任"),
        ("owners_committee", f"{estate.name}业主委员会", "黄主任"),
        ("provider", provider_name, "李经理"),
        ("property_rights_unit", "重庆建设机床厂", "刘科长"),
        ("utility", "国网重庆市电力公司渝中供电分公司", "杨工"),
        ("subdistrict_office", estate.community.subdistrict.name + "办事处", "谭志刚"),
    ]:
        meeting.participants.add(JointMeetingParticipant(organisation_kind=kind, organisation_name=name, representative=person))
    meeting.decisions.add(
        JointMeetingDecision(
            text="疏通3栋至5栋排水管网，汛期前完成",
            owner_kind="provider",
            owner_name=provider_name,
            due_on=today - datetime.timedelta(days=10),
        )
    )
    meeting.decisions.add(
        JointMeetingDecision(
            text="在小区北门增设4个电动汽车充电桩",
            owner_kind="utility",
            owner_name="国网重庆市电力公司渝中供电分公司",
            due_on=today + datetime.timedelta(days=30),
        )
    )
    meeting.decisions.add(
        JointMeetingDecision(
            text="公示电梯维保费用分摊方案",
            owner_kind="owners_committee",
            owner_name=f"{estate.name}业主委员会",
            due_on=held + datetime.timedelta(days=14),
        )
    )
    services.joint_meeting_save(meeting=meeting)
    done = meeting.decisions.get(owner_kind="owners_committee")
    services.decision_transition(
        decision=done, to=DecisionStatus.DONE, note="已在小区公示栏和平台公示", on=held + datetime.timedelta(days=12)
    )
    services.joint_meeting_summary_publish(meeting=meeting)
    counts["joint_meetings"] += 1


def _public_income(counts: dict[str, int]) -> None:
    """洋河新村 discloses its public income half-yearly (its own setting); 金汤街小区's manager recorded a cost whose
    invoice is still to come: it is charged to nothing until the invoice is attached."""
    from .models import StatementPeriod
    from .services.public_income import cost_propose, estate_settings_save

    self_governed = Estate.objects.filter(name=SELF_GOVERNANCE_ESTATE).first()
    if self_governed is not None:
        estate_settings_save(estate=self_governed, statement_period=StatementPeriod.HALF_YEAR)
    professional = Estate.objects.filter(name=PROFESSIONAL_ESTATE).first()
    if professional is not None:
        cost_propose(
            estate=professional,
            incurred_on=timezone.localdate() - datetime.timedelta(days=12),
            description="北门道闸维修（发票待开具）",
            amount=Decimal("380.00"),
        )
        counts["costs_awaiting_evidence"] += 1


def _parking_tariffs(counts: dict[str, int]) -> None:
    """Every estate's visitor tariff: 30 free minutes once a day, ¥5 the first hour, ¥2 each half hour,
    a flat ¥10 a night from 19:00 to 07:00, at most ¥30 a calendar day; and its gate key."""
    for estate in Estate.objects.order_by("pk"):
        ParkingRate.objects.create(
            estate=estate,
            valid_from=datetime.date(2020, 1, 1),
            free_minutes=30,
            first_minutes=60,
            first_fee=Decimal("5.00"),
            interval_minutes=30,
            interval_fee=Decimal("2.00"),
            cap=Decimal("30.00"),
            night_start=datetime.time(19),
            night_end=datetime.time(7),
            night_fee=Decimal("10.00"),
        )
        gate_key_rotate(estate=estate)
        counts["parking_tariffs"] += 1
