"""Owners' joint decisions under Art. 278 of the PRC Civil Code.

《中华人民共和国民法典》第二百七十八条：业主共同决定事项的表决规则。

This module is plain Python: no models, no settings, no database (its one import
from the project is the house error format, ``accounts.errors.bilingual``), so it
can be used from models, views, management commands and tests alike. Labels
are plain Chinese strings; callers translate them if needed.

Rules implemented (all thresholds are inclusive, "以上" includes the number):

* Participation: owners holding at least 2/3 of the estate's total exclusive
  area *and* at least 2/3 of all owners by headcount cast a ballot (any
  choice, abstaining included).
* Special matters (items 6-8 of Art. 278): consent of at least 3/4 of the
  participating area *and* at least 3/4 of the participating owners.
* All other matters: consent of more than half ("过半数") of the participating
  area *and* more than half of the participating owners; exactly 1/2 fails.

Headcount follows Art. 9 of the SPC interpretation on condominium ownership
(《最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释》):
an owner holding several units counts as one person, and their ballot covers
the summed area of all their units. Co-owners of a unit (Civil Code Arts.
297-301) are one head; the same group of people owning several units together
is one head too, like a single owner of several units. Every exclusive part
stays in the denominators, including a unit with no owner on record (its own
head; nobody can vote for it). See :func:`tally` for co-owners' ballots.

All arithmetic is exact (``Decimal`` sums and ``Fraction`` comparisons).
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from accounts.errors import bilingual

__all__ = [
    "ORDINARY_CONSENT_THRESHOLD",
    "PARTICIPATION_THRESHOLD",
    "SPECIAL_CONSENT_THRESHOLD",
    "Choice",
    "Matter",
    "TallyResult",
    "UnitConflict",
    "tally",
]

#: Minimum share (inclusive) of area and of headcount that must take part.
PARTICIPATION_THRESHOLD = Fraction(2, 3)
#: Minimum share (inclusive) of participating area/headcount for special matters.
SPECIAL_CONSENT_THRESHOLD = Fraction(3, 4)
#: Share of participating area/headcount that must be *exceeded* for other matters.
ORDINARY_CONSENT_THRESHOLD = Fraction(1, 2)


class Choice(enum.StrEnum):
    """A ballot choice. 表决意见。"""

    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"

    @property
    def label(self) -> str:
        return _CHOICE_LABELS[self]


_CHOICE_LABELS: dict[Choice, str] = {
    Choice.YES: "同意",
    Choice.NO: "反对",
    Choice.ABSTAIN: "弃权",
}


class Matter(enum.StrEnum):
    """Matters decided jointly by owners, in the order of Art. 278 (1)-(9)."""

    RULES_OF_PROCEDURE = "rules_of_procedure"
    MANAGEMENT_STATUTE = "management_statute"
    ELECT_COMMITTEE = "elect_committee"
    HIRE_OR_DISMISS_MANAGER = "hire_or_dismiss_manager"
    USE_MAINTENANCE_FUND = "use_maintenance_fund"
    RAISE_MAINTENANCE_FUND = "raise_maintenance_fund"
    REBUILD = "rebuild"
    CHANGE_USE_OR_OPERATE_COMMON_PARTS = "change_use_or_operate_common_parts"
    OTHER_MAJOR = "other_major"

    @property
    def special(self) -> bool:
        """True for items (6)-(8), which need 3/4 consent."""
        return self in _SPECIAL_MATTERS

    @property
    def label(self) -> str:
        """Chinese description as worded in Art. 278."""
        return _MATTER_LABELS[self]


_SPECIAL_MATTERS = frozenset(
    {
        Matter.RAISE_MAINTENANCE_FUND,
        Matter.REBUILD,
        Matter.CHANGE_USE_OR_OPERATE_COMMON_PARTS,
    }
)

_MATTER_LABELS: dict[Matter, str] = {
    Matter.RULES_OF_PROCEDURE: "制定和修改业主大会议事规则",
    Matter.MANAGEMENT_STATUTE: "制定和修改管理规约",
    Matter.ELECT_COMMITTEE: "选举业主委员会或者更换业主委员会成员",
    Matter.HIRE_OR_DISMISS_MANAGER: "选聘和解聘物业服务企业或者其他管理人",
    Matter.USE_MAINTENANCE_FUND: "使用建筑物及其附属设施的维修资金",
    Matter.RAISE_MAINTENANCE_FUND: "筹集建筑物及其附属设施的维修资金",
    Matter.REBUILD: "改建、重建建筑物及其附属设施",
    Matter.CHANGE_USE_OR_OPERATE_COMMON_PARTS: ("改变共有部分的用途或者利用共有部分从事经营活动"),
    Matter.OTHER_MAJOR: "有关共有和共同管理权利的其他重大事项",
}


def _ratio(part: Decimal | int, whole: Decimal | int) -> Fraction:
    if not whole:
        return Fraction(0)
    return Fraction(part) / Fraction(whole)


@dataclass(frozen=True, slots=True)
class UnitConflict:
    """Co-owners of one unit cast different ballots (Civil Code Arts. 297-301).

    ``ballots`` are the (owner, choice) pairs that disagree; ``decided`` is the
    choice of the co-owners holding more than half of the unit's shares, or
    ``None`` when no choice has that majority: the unit then counts as
    participating without consent.
    """

    unit: Hashable
    ballots: tuple[tuple[Hashable, Choice], ...]
    decided: Choice | None


@dataclass(frozen=True, slots=True)
class TallyResult:
    """Outcome of one vote. Derived figures are computed, never stored.

    ``participating_*`` includes ``conflicted_*``: units whose co-owners'
    ballots disagreed without a majority of shares take part without consent.
    """

    matter: Matter
    total_area: Decimal
    total_owners: int
    participating_area: Decimal
    participating_owners: int
    yes_area: Decimal
    yes_owners: int
    no_area: Decimal
    no_owners: int
    abstain_area: Decimal
    abstain_owners: int
    conflicted_area: Decimal = Decimal(0)
    conflicted_owners: int = 0
    conflicts: tuple[UnitConflict, ...] = ()

    # -- ratios ----------------------------------------------------------
    @property
    def participating_area_ratio(self) -> Fraction:
        """Participating area / total exclusive area of the estate."""
        return _ratio(self.participating_area, self.total_area)

    @property
    def participating_owners_ratio(self) -> Fraction:
        """Participating owners / all owners (headcount)."""
        return _ratio(self.participating_owners, self.total_owners)

    @property
    def yes_area_ratio(self) -> Fraction:
        """Consenting area / participating area (0 if nobody took part)."""
        return _ratio(self.yes_area, self.participating_area)

    @property
    def yes_owners_ratio(self) -> Fraction:
        """Consenting owners / participating owners (0 if nobody took part)."""
        return _ratio(self.yes_owners, self.participating_owners)

    # -- outcome ---------------------------------------------------------
    @property
    def participation_met(self) -> bool:
        return (
            self.participating_area_ratio >= PARTICIPATION_THRESHOLD
            and self.participating_owners_ratio >= PARTICIPATION_THRESHOLD
        )

    @property
    def consent_met(self) -> bool:
        """Whether the consent threshold is reached among participants.

        Meaningful on its own only together with :attr:`participation_met`.
        """
        if not self.participating_owners:
            return False
        if self.matter.special:
            return self.yes_area_ratio >= SPECIAL_CONSENT_THRESHOLD and self.yes_owners_ratio >= SPECIAL_CONSENT_THRESHOLD
        return self.yes_area_ratio > ORDINARY_CONSENT_THRESHOLD and self.yes_owners_ratio > ORDINARY_CONSENT_THRESHOLD

    @property
    def passed(self) -> bool:
        return self.participation_met and self.consent_met


def _coerce_matter(matter: Matter | str) -> Matter:
    if isinstance(matter, Matter):
        return matter
    try:
        return Matter(matter)
    except (ValueError, TypeError):
        raise ValueError(bilingual(f"未知的表决事项: {matter!r}", f"Unknown matter: {matter!r}")) from None


def _coerce_choice(owner: Hashable, choice: Choice | str) -> Choice:
    if isinstance(choice, Choice):
        return choice
    try:
        return Choice(choice)
    except (ValueError, TypeError):
        raise ValueError(
            bilingual(
                f"业主 {owner} 的表决意见无效: {choice!r}（仅限 yes、no、abstain）",
                f"Invalid choice for owner {owner}: {choice!r} (must be yes, no or abstain)",
            )
        ) from None


def _check_area(unit: Hashable, area: object) -> Decimal:
    # bool is an int subclass but never a meaningful area.
    if isinstance(area, bool) or not isinstance(area, (Decimal, int)):
        raise ValueError(
            bilingual(
                f"房屋 {unit} 的专有部分面积必须是 Decimal 或整数，不能是 {type(area).__name__}: {area!r}",
                f"Exclusive area of unit {unit} must be a Decimal or int, not {type(area).__name__}: {area!r}",
            )
        )
    if isinstance(area, Decimal) and not area.is_finite():
        raise ValueError(
            bilingual(
                f"房屋 {unit} 的专有部分面积不是有限数: {area!r}",
                f"Exclusive area of unit {unit} is not finite: {area!r}",
            )
        )
    if area <= 0:
        raise ValueError(
            bilingual(
                f"房屋 {unit} 的专有部分面积必须大于零: {area}",
                f"Exclusive area of unit {unit} must be positive: {area}",
            )
        )
    return Decimal(area)


class _NoOwner:
    """Head of a unit with no owner on record: its own head, in every denominator, and nobody votes for it."""

    __slots__ = ("unit",)

    def __init__(self, unit: Hashable) -> None:
        self.unit = unit

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NoOwner) and other.unit == self.unit

    def __hash__(self) -> int:
        return hash((_NoOwner, self.unit))

    def __repr__(self) -> str:
        return f"<no owner of {self.unit!r}>"


#: Marks a unit (or head) that takes part without consent: co-owners disagreed without a majority of shares.
_CONFLICTED = "conflicted"

_GROUP_TYPES = (tuple, list, set, frozenset)


def _head_of(unit: Hashable, owner: object) -> tuple[Hashable, frozenset[Hashable]]:
    """(head key, owners who may vote) of one unit entry.

    ``None``: no owner on record, a head of its own. A tuple of co-owner keys: the group is one head
    (a group of one is that owner). Anything else: a single owner's key.
    """
    if owner is None:
        return _NoOwner(unit), frozenset()
    if isinstance(owner, _GROUP_TYPES):
        try:
            members = frozenset(owner)
        except TypeError:
            raise ValueError(
                bilingual(
                    f"房屋 {unit} 的共有人标识无效: {owner!r}",
                    f"Co-owner keys of unit {unit} are not valid keys: {owner!r}",
                )
            ) from None
        if not members:
            raise ValueError(
                bilingual(
                    f"房屋 {unit} 的共有人为空；无业主登记的房屋请用 None",
                    f"Unit {unit} has an empty co-owner group; use None for a unit with no owner on record",
                )
            )
        if len(members) == 1:
            (only,) = members
            return only, members
        return members, members
    return owner, frozenset((owner,))


def _check_share(unit: Hashable, owner: Hashable, share: object) -> Fraction:
    if isinstance(share, bool) or not isinstance(share, (Decimal, int, Fraction)):
        raise ValueError(
            bilingual(
                f"房屋 {unit} 共有人 {owner} 的份额必须是 Decimal、整数或分数: {share!r}",
                f"Share of co-owner {owner} in unit {unit} must be a Decimal, int or Fraction: {share!r}",
            )
        )
    if (isinstance(share, Decimal) and not share.is_finite()) or share < 0:
        raise ValueError(
            bilingual(
                f"房屋 {unit} 共有人 {owner} 的份额无效: {share}",
                f"Share of co-owner {owner} in unit {unit} is invalid: {share}",
            )
        )
    return Fraction(share)


def _resolve_unit(
    unit: Hashable,
    cast: list[tuple[Hashable, Choice]],
    unit_shares: Mapping[Hashable, object] | None,
) -> tuple[Choice | str | None, UnitConflict | None]:
    """The unit's choice from its voters' ballots (Civil Code Arts. 297-301, SPC interpretation Art. 9).

    One choice among the ballots cast: that choice (any co-owner may act for the unit). Different
    choices: the co-owners holding more than half of the unit's shares decide; without shares, or
    without such a majority, the unit takes part without consent.
    """
    if not cast:
        return None, None
    choices = {choice for _owner, choice in cast}
    if len(choices) == 1:
        return next(iter(choices)), None
    decided = None
    if unit_shares:
        weights = {owner: _check_share(unit, owner, share) for owner, share in unit_shares.items()}
        total = sum(weights.values(), Fraction(0))
        for choice in choices:
            held = sum((weights.get(owner, Fraction(0)) for owner, c in cast if c == choice), Fraction(0))
            if total and held / total > ORDINARY_CONSENT_THRESHOLD:
                decided = choice
    conflict = UnitConflict(unit=unit, ballots=tuple(sorted(cast, key=lambda pair: repr(pair[0]))), decided=decided)
    return (decided if decided is not None else _CONFLICTED), conflict


def tally(
    matter: Matter | str,
    units: Iterable[tuple[Hashable, Hashable, Decimal | int]],
    ballots: Mapping[Hashable, Choice | str],
    *,
    shares: Mapping[Hashable, Mapping[Hashable, Decimal | int | Fraction]] | None = None,
    voters: Mapping[Hashable, Iterable[Hashable]] | None = None,
) -> TallyResult:
    """Count the ballots on ``matter`` for an estate (or a building or entrance).

    :param matter: a :class:`Matter` or its string value.
    :param units: every unit of the estate as ``(unit key, owner, exclusive
        area in m²)``; area must be a positive ``Decimal`` or ``int``. The owner
        is an owner key; or a tuple of co-owner keys, e.g.
        ``("2-1-301", ("owner-7", "owner-8"), Decimal("64.20"))``; or ``None``
        for a unit with no owner on record, which stays in both denominators as
        a head of its own for which nobody can vote (SPC interpretation Art. 8:
        every exclusive part counts).
    :param ballots: choice per owner key; owners without a ballot did not
        take part. Abstaining counts as taking part. A ballot of ``owner-7``
        counts for every unit whose owner is ``owner-7`` or a group containing
        ``owner-7``.
    :param shares: optional, per unit key, each co-owner's share. Used only
        when co-owners of a unit cast different ballots: the choice of those
        holding more than half of the shares is the unit's. Without shares (or
        without such a majority) the unit counts as participating without
        consent and is listed in :attr:`TallyResult.conflicts`.
    :param voters: optional, per unit key, who may cast the unit's ballot when
        it is not every owner in its entry: the co-owner the others designated,
        or the buyer of a unit sold after the roll was taken. The unit's head
        stays as given by its owner element.

    Heads (Art. 9): one per distinct owner, one per distinct co-owner group
    (the same people owning several units together count once), one per unit
    with no owner. A head's units normally share one choice; if they come out
    differently (e.g. one is decided by shares, another not) the head takes
    part without consent, while each unit's area follows its own outcome.

    :raises ValueError: on any malformed input (bilingual message).
    """
    matter = _coerce_matter(matter)
    shares = shares or {}
    voters = voters or {}

    # Exact decimal sums regardless of the caller's decimal context.
    with decimal.localcontext() as ctx:
        ctx.prec = decimal.MAX_PREC
        ctx.traps[decimal.Inexact] = True

        entries: list[tuple[Hashable, Hashable, frozenset[Hashable], Decimal]] = []
        seen_units: set[Hashable] = set()
        known_voters: set[Hashable] = set()
        for entry in units:
            try:
                unit, owner, area = entry
            except (TypeError, ValueError):
                raise ValueError(
                    bilingual(
                        f"房屋记录格式错误，应为 (房屋, 业主, 面积): {entry!r}",
                        f"Malformed unit entry, expected (unit, owner, area): {entry!r}",
                    )
                ) from None
            if unit in seen_units:
                raise ValueError(bilingual(f"房屋重复: {unit}", f"Duplicate unit key: {unit}"))
            seen_units.add(unit)
            head, members = _head_of(unit, owner)
            if unit in voters:
                members = frozenset(voters[unit])
            known_voters |= members
            entries.append((unit, head, members, _check_area(unit, area)))

        if not entries:
            raise ValueError(
                bilingual(
                    "小区没有任何房屋，无法表决",
                    "The estate has no units; nothing to vote on",
                )
            )
        for unit in voters.keys() - seen_units:
            raise ValueError(bilingual(f"表决人名单中的房屋不存在: {unit}", f"Voters given for an unknown unit: {unit}"))

        choices: dict[Hashable, Choice] = {}
        for owner, raw_choice in ballots.items():
            if owner not in known_voters:
                raise ValueError(
                    bilingual(
                        f"选票中的业主不在本小区: {owner}",
                        f"Ballot owner is not an owner of this estate: {owner}",
                    )
                )
            choices[owner] = _coerce_choice(owner, raw_choice)

        buckets = (*Choice, _CONFLICTED)
        area_by_choice = {c: Decimal(0) for c in buckets}
        head_outcomes: dict[Hashable, set[Choice | str]] = {}
        conflicts: list[UnitConflict] = []
        for unit, head, members, area in entries:
            cast = [(owner, choices[owner]) for owner in members if owner in choices]
            outcome, conflict = _resolve_unit(unit, cast, shares.get(unit))
            if conflict is not None:
                conflicts.append(conflict)
            outcomes = head_outcomes.setdefault(head, set())
            if outcome is not None:
                area_by_choice[outcome] += area
                outcomes.add(outcome)

        owners_by_choice = dict.fromkeys(buckets, 0)
        for outcomes in head_outcomes.values():
            if len(outcomes) == 1:
                owners_by_choice[next(iter(outcomes))] += 1
            elif outcomes:
                owners_by_choice[_CONFLICTED] += 1

        total_area = sum((area for *_rest, area in entries), Decimal(0))
        participating_area = sum(area_by_choice.values(), Decimal(0))

    return TallyResult(
        matter=matter,
        total_area=total_area,
        total_owners=len(head_outcomes),
        participating_area=participating_area,
        participating_owners=sum(owners_by_choice.values()),
        yes_area=area_by_choice[Choice.YES],
        yes_owners=owners_by_choice[Choice.YES],
        no_area=area_by_choice[Choice.NO],
        no_owners=owners_by_choice[Choice.NO],
        abstain_area=area_by_choice[Choice.ABSTAIN],
        abstain_owners=owners_by_choice[Choice.ABSTAIN],
        conflicted_area=area_by_choice[_CONFLICTED],
        conflicted_owners=owners_by_choice[_CONFLICTED],
        conflicts=tuple(conflicts),
    )
