"""Ballots (Civil Code Art. 278; 物业管理条例 Art. 14): owners voting online, staff recording paper, written and proxy ballots, designated voters of co-owned units."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from accounts.errors import refuse
from accounts.formats import local_instant
from estates.models import Owner, Ownership, Unit

from ..models import (
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    Ballot,
    BallotChannel,
    BallotChoice,
    VoterDesignation,
)
from ..selectors import VotingRoll, voting_roll


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
        raise refuse(
            f"{unit.key}只有一位业主，无需指定表决人",
            f"{unit.key} has a single owner; there is nobody to designate among co-owners.",
            field="unit",
        )
    if owner.pk not in co_owners:
        raise refuse(
            f"{owner.name}不是{unit.key}的共有人",
            f"{owner.name} is not a co-owner of {unit.key}.",
            field="owner",
        )
    if not (agreement_reference or "").strip():
        raise refuse(
            "请填写共有人书面指定的编号或说明",
            "Give the reference of the co-owners' written designation.",
            field="agreement_reference",
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
        raise refuse("该业主不是本小区业主", f"{owner.name} is not an owner in this estate.", field="owner")
    if owner.pk in roll.voter_ids:
        return
    if owner.pk in roll.without_representative:
        raise refuse(
            f"{owner.name}是单位业主，尚未登记代表人，请先在业主名册中登记代表人",
            f"{owner.name} is an organisation with no representative on record; record its representative first.",
            field="owner",
        )
    for unit in roll.units:
        held = {o for o, _share in roll.holders(unit)}
        if owner.pk in held and roll.designated.get(unit.unit_id) in held:
            designee = roll.names.get(roll.designated[unit.unit_id], "")
            raise refuse(
                f"{unit.key}的共有人已指定{designee}行使表决权",
                f"The co-owners of {unit.key} designated {designee} to vote for it.",
                field="owner",
            )
        if unit.unit_id in roll.transfers and owner.pk in {o for o, _share in unit.owners}:
            raise refuse(
                f"{unit.key}已于通知后过户，由买受人表决",
                f"{unit.key} was transferred after the notice; its buyer votes for it.",
                field="owner",
            )
    raise refuse(
        "该业主在本次业主大会的表决名单中没有房屋",
        f"{owner.name} holds no unit on this assembly's voter roll.",
        field="owner",
    )


def _voting_window_check(*, assembly: Assembly, at: datetime.datetime) -> None:
    """Ballots of every channel only inside the voting window, never before day 15 after the notice (物业管理条例 Art. 14)."""
    if assembly.status != AssemblyStatus.CALLED:
        raise refuse(
            "只能在已召集且尚未公布结果的业主大会投票期内投票或录入选票",
            "Ballots can be cast or recorded only while an assembly that has been called is open for voting.",
            code="not_called",
        )
    opens = local_instant(assembly.effective_voting_opens_at)
    if at < opens:
        raise refuse(
            f"本次业主大会尚未开始投票：通知于 {assembly.notice_on:%Y-%m-%d} 送达，"
            f"投票自 {opens:%Y-%m-%d %H:%M} 开始（物业管理条例第十四条：通知送达15日后方可投票）",
            f"Voting on this assembly has not opened: notice was served on {assembly.notice_on:%Y-%m-%d} and voting "
            f"opens at {opens:%Y-%m-%d %H:%M} (Regulation on Property Management Art. 14: no voting before day 15).",
            code="voting_not_open",
        )
    if at >= assembly.voting_closes_at:
        closes = local_instant(assembly.voting_closes_at)
        raise refuse(
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
            raise refuse("表决事项不属于本次业主大会", "That matter is not on this assembly's agenda.", field="choices")
        if choice not in BallotChoice.values:
            raise refuse("请选择同意、反对或弃权", "Choose yes, no or abstain.", field="choices")
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
        raise refuse("请选择同意、反对或弃权", "Choose yes, no or abstain.", field="choice")
    if channel not in BallotChannel.values or channel == BallotChannel.ONLINE:
        raise refuse(
            "请选择纸质表决票、书面征求意见或委托投票", "Choose paper ballot, written consultation or proxy.", field="channel"
        )
    paper_reference, proxy_name, proxy_document = paper_reference.strip(), proxy_name.strip(), proxy_document.strip()
    if channel in (BallotChannel.PAPER, BallotChannel.WRITTEN) and not paper_reference:
        raise refuse("请填写表决票编号", "Give the number of the ballot paper.", field="paper_reference")
    if channel == BallotChannel.PROXY and not (proxy_name and proxy_document):
        raise refuse(
            "委托投票须填写代理人姓名和授权委托书编号",
            "A proxy vote needs the proxy's name and the power of attorney's reference.",
            field="proxy_name" if not proxy_name else "proxy_document",
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
        raise refuse(
            f"该业主已于 {cast:%Y-%m-%d %H:%M} 本人网上投票；业主本人的选票，工作人员和业主委员会委员不能更改",
            f"This owner voted online themselves on {cast:%Y-%m-%d %H:%M}; an owner's online ballot cannot be changed "
            "by staff or committee members.",
            field="owner",
            code="online_ballot",
        )
    if existing is not None and (replaces is None or replaces.pk != existing.pk):
        reference = existing.paper_reference or existing.proxy_document
        with override("zh-hans"):
            channel_zh = str(BallotChannel(existing.channel).label)
        with override("en"):
            channel_en = str(BallotChannel(existing.channel).label)
        raise refuse(
            f"该业主已有一张{channel_zh}选票（{reference}），不能覆盖；如需更正，请打开该选票修改",
            f"This owner already has a ballot on this matter: {channel_en} ({reference}). "
            "It is not replaced; to correct it, open that ballot and change it.",
            field="owner",
            code="ballot_exists",
        )
    if replaces is not None and existing is None:
        raise refuse(
            "更正选票时不能更换业主或表决事项",
            "A correction keeps the ballot's owner and matter.",
            field="owner",
            code="correction_moves_ballot",
        )
