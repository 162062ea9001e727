"""Owners' assemblies: drafting, who calls and publishes, calling (with the voter roll) and publishing the result."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.errors import refuse
from accounts.formats import format_instant, local_instant
from accounts.models import Role
from estates.models import Building, Estate, Unit
from estates.status import transition

from .. import voting
from ..models import (
    ASSEMBLY_NOTICE_DAYS,
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    CommitteeMember,
    NoticeKind,
    OwnersCommittee,
)
from ..selectors import (
    assembly_tallies,
    count_notes,
    officer_of_estate,
    serving_committee_members,
    voting_roll,
)
from .notices import notice_publish

RESULT_NOTICE_DAYS = 30
ASSEMBLY_RESULT_PDF_TASK = "property_services.tasks.assembly_result_pdf_render"


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
        raise refuse(
            f"业主大会应于会议召开{ASSEMBLY_NOTICE_DAYS}日以前通知全体业主：通知日期 {notice_on:%Y-%m-%d} 距会议仅 {days} 日，"
            f"会议最早可定于 {earliest:%Y-%m-%d}",
            f"Owners must be notified at least {ASSEMBLY_NOTICE_DAYS} days before the meeting: notice on "
            f"{notice_on:%Y-%m-%d} is only {days} days ahead; the earliest meeting date is {earliest:%Y-%m-%d}.",
            field="notice_on",
        )
    if voting_opens_at:
        earliest_day = notice_on + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS)
        if local_instant(voting_opens_at).date() < earliest_day:
            raise refuse(
                f"通知送达{ASSEMBLY_NOTICE_DAYS}日后才能开始投票（物业管理条例第十四条）：通知日期 {notice_on:%Y-%m-%d}，"
                f"投票最早可于 {earliest_day:%Y-%m-%d} 开始，各种方式（网上、纸质、书面征求意见、委托）均同",
                f"Voting opens no earlier than {ASSEMBLY_NOTICE_DAYS} days after the notice is served (Regulation on "
                f"Property Management Art. 14): with notice on {notice_on:%Y-%m-%d}, voting of any channel "
                f"(online, paper, written consultation, proxy) can open on {earliest_day:%Y-%m-%d} at the earliest.",
                field="voting_opens_at",
            )
    if voting_opens_at and voting_closes_at and voting_closes_at <= voting_opens_at:
        raise refuse("投票截止时间须晚于开始时间", "Voting must close after it opens.", field="voting_closes_at")


def assembly_validate_scope(*, estate: Estate, building: Building | None, entrance: int | None) -> None:
    """A building or entrance assembly (Civil Code Art. 278 applied to the owners of that part) must name a part of the estate."""
    if entrance is not None and building is None:
        raise refuse("指定单元时须同时指定楼栋", "Choose the building of the entrance.", field="building")
    if building is None:
        return
    if building.estate_id != estate.pk:
        raise refuse(
            f"{building.number}栋不属于{estate.name}",
            f"Building {building.number} is not in {estate.name}.",
            field="building",
        )
    if entrance is not None and not Unit.objects.filter(building=building, entrance=entrance).exists():
        raise refuse(
            f"{building.number}栋没有{entrance}单元的房屋",
            f"Building {building.number} has no units in entrance {entrance}.",
            field="entrance",
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
            raise refuse("未知的表决事项", f"Unknown Art. 278 matter {matter!r}.", field="matters") from None
        rows.append(
            AssemblyMatter(assembly=assembly, sort_order=order, matter=matter, title=motion, description=rest[0] if rest else "")
        )
    if not rows:
        raise refuse("请至少列出一项表决事项", "List at least one matter to vote on.", field="matters")
    AssemblyMatter.objects.bulk_create(rows)
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
        raise refuse(
            f"本小区业主委员会在任（任期至 {committee.term_ends_on:%Y-%m-%d}），业主大会由在任委员召集（物业管理条例第十三条）",
            f"This estate's owners' committee is in office (term until {committee.term_ends_on:%Y-%m-%d}): a serving member "
            "calls the assembly (Regulation on Property Management Art. 13).",
            code="not_caller",
        )
    if officer_of_estate(user=by, estate=estate):
        return
    last = OwnersCommittee.objects.filter(estate=estate, elected_on__lte=on).order_by("-elected_on").first()
    if last is not None and CommitteeMember.objects.filter(committee=last).filter(Q(user=by) | Q(owner__user=by)).exists():
        raise refuse(
            f"本届业主委员会任期已于 {last.term_ends_on:%Y-%m-%d} 届满，不能再召集业主大会；"
            "请由街道办事处组织召开（民法典第二百七十七条）",
            f"The owners' committee's term ended on {last.term_ends_on:%Y-%m-%d}: an expired committee cannot call an "
            "assembly; the sub-district office organises the next one (Civil Code Art. 277).",
            code="committee_expired",
        )
    raise refuse(
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
    raise refuse(
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
        raise refuse(
            f"业主大会已于 {assembly.notice_on:%Y-%m-%d} 通知业主，召集后不能删除，记录须保留",
            f"The assembly was notified to the owners on {assembly.notice_on:%Y-%m-%d}: once called it cannot be "
            "deleted and its record is kept.",
            code="not_draft",
        )
    if not assembly_powers(user=by, estate_ids=[assembly.estate_id]).drafter_or_committee(assembly):
        raise refuse(
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
        raise refuse(
            f"通知日期 {assembly.notice_on:%Y-%m-%d} 已过，请改为今天或以后的日期",
            f"The notice date {assembly.notice_on:%Y-%m-%d} is in the past; owners cannot be notified retroactively.",
            field="notice_on",
        )
    assembly_caller_check(estate=assembly.estate, by=by, on=today)
    matters = list(assembly.matters.all())
    if not matters:
        raise refuse("请至少列出一项表决事项", "List at least one matter to vote on.", field="matters")
    informed_on = residents_committee_informed_on or today
    with override(settings.LANGUAGE_CODE):
        note = residents_committee_note or _("Notified through Anju to the residents' committee of %(community)s") % {
            "community": assembly.estate.community.name
        }
    roll = voting_roll(estate=assembly.estate, building=assembly.building, entrance=assembly.entrance)
    if not roll.units:
        raise refuse("表决范围内没有房屋", "There are no units in the assembly's scope.", field="building")
    transition(
        assembly,
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
        by=by,
    )
    return assembly


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
        raise refuse(
            f"投票将于 {closes:%Y-%m-%d %H:%M} 截止，截止后才能计票并公布结果",
            f"Voting is open until {closes:%Y-%m-%d %H:%M}; the result can be counted and published after that.",
            code="voting_open",
        )
    roll = voting_roll(assembly=assembly)  # the roll stored at the notice, with transfers recorded since
    matters = list(assembly.matters.all())
    tallies = assembly_tallies(assembly=assembly, roll=roll)
    transition(assembly, to=AssemblyStatus.PUBLISHED, by=by, result_published_at=at)
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
        by=by,
    )
    from django_q.tasks import async_task

    pk = assembly.pk
    transaction.on_commit(lambda: async_task(ASSEMBLY_RESULT_PDF_TASK, pk))
    return assembly
