"""Tests for the Art. 278 owners' joint-decision engine (no DB, no Django)."""

import ast
import dataclasses
import decimal
import inspect
from decimal import Decimal
from fractions import Fraction

import pytest

from property_services import voting
from property_services.voting import Choice, Matter, TallyResult, tally

SPECIAL = {
    Matter.RAISE_MAINTENANCE_FUND,
    Matter.REBUILD,
    Matter.CHANGE_USE_OR_OPERATE_COMMON_PARTS,
}
ORDINARY = [m for m in Matter if m not in SPECIAL]


def estate(*areas):
    """One unit per owner: owner ``o1`` holds unit ``u1`` with ``areas[0]``..."""
    return [(f"u{i}", f"o{i}", Decimal(str(a))) for i, a in enumerate(areas, 1)]


def votes(yes=(), no=(), abstain=()):
    ballots = {}
    for choice, owners in (("yes", yes), ("no", no), ("abstain", abstain)):
        for i in owners:
            ballots[f"o{i}"] = choice
    return ballots


# --------------------------------------------------------------------------
# Matter / Choice enums
# --------------------------------------------------------------------------


def test_matter_members_in_article_278_order():
    assert [m.name for m in Matter] == [
        "RULES_OF_PROCEDURE",
        "MANAGEMENT_STATUTE",
        "ELECT_COMMITTEE",
        "HIRE_OR_DISMISS_MANAGER",
        "USE_MAINTENANCE_FUND",
        "RAISE_MAINTENANCE_FUND",
        "REBUILD",
        "CHANGE_USE_OR_OPERATE_COMMON_PARTS",
        "OTHER_MAJOR",
    ]


@pytest.mark.parametrize("matter", list(Matter))
def test_matter_value_label_and_special(matter):
    assert matter.value == matter.name.lower()
    assert isinstance(matter, str) and matter == matter.value
    assert matter.special is (matter in SPECIAL)
    assert isinstance(matter.label, str) and matter.label
    # Labels are Chinese.
    assert any("\u4e00" <= ch <= "\u9fff" for ch in matter.label)


def test_matter_labels_are_distinct():
    assert len({m.label for m in Matter}) == len(Matter)


def test_choice_enum_values():
    assert [(c.name, c.value) for c in Choice] == [
        ("YES", "yes"),
        ("NO", "no"),
        ("ABSTAIN", "abstain"),
    ]


def test_module_does_not_import_django():
    tree = ast.parse(inspect.getsource(voting))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    assert not [m for m in modules if m.split(".")[0] == "django"]


# --------------------------------------------------------------------------
# Every matter class
# --------------------------------------------------------------------------


@pytest.mark.parametrize("matter", list(Matter))
def test_two_thirds_consent_passes_only_ordinary_matters(matter):
    # Everybody takes part; 2/3 of area and heads consent: > 1/2 but < 3/4.
    result = tally(matter, estate(10, 10, 10), votes(yes=[1, 2], no=[3]))
    assert result.matter is matter
    assert result.participation_met is True
    assert result.yes_area_ratio == Fraction(2, 3)
    assert result.yes_owners_ratio == Fraction(2, 3)
    assert result.passed is (not matter.special)


@pytest.mark.parametrize("matter", list(Matter))
def test_unanimous_full_turnout_passes_every_matter(matter):
    result = tally(matter, estate(10, 20, 30), votes(yes=[1, 2, 3]))
    assert result.participation_met and result.consent_met and result.passed


@pytest.mark.parametrize("matter", list(Matter))
def test_matter_accepted_as_string_value(matter):
    result = tally(matter.value, estate(1, 1, 1), votes(yes=[1, 2, 3]))
    assert result.matter is matter
    assert result.passed is True


# --------------------------------------------------------------------------
# Participation boundaries (area and headcount independently)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("areas", "voters", "area_ratio", "owners_ratio", "met"),
    [
        # Area exactly 2/3 (40/60), heads 3/4: met.
        ((10, 10, 20, 20), [1, 2, 3], Fraction(2, 3), Fraction(3, 4), True),
        # Area 0.01 m² short of 2/3 (39.99/59.99), heads 3/4: not met.
        (
            ("10", "10", "19.99", "20"),
            [1, 2, 3],
            Fraction(3999, 5999),
            Fraction(3, 4),
            False,
        ),
        # Heads exactly 2/3 (6/9), area 600/603: met.
        ((100,) * 6 + (1,) * 3, range(1, 7), Fraction(200, 201), Fraction(2, 3), True),
        # Heads 5/9 just below 2/3, area 500/503: not met.
        ((100,) * 5 + (1,) * 4, range(1, 6), Fraction(500, 504), Fraction(5, 9), False),
        # Both exactly 2/3.
        ((2, 2, 2), [1, 2], Fraction(2, 3), Fraction(2, 3), True),
    ],
    ids=[
        "area-exact",
        "area-just-below",
        "heads-exact",
        "heads-just-below",
        "both-exact",
    ],
)
@pytest.mark.parametrize("matter", [Matter.OTHER_MAJOR, Matter.REBUILD])
def test_participation_boundaries(matter, areas, voters, area_ratio, owners_ratio, met):
    result = tally(matter, estate(*areas), votes(yes=voters))
    assert result.participating_area_ratio == area_ratio
    assert result.participating_owners_ratio == owners_ratio
    assert result.participation_met is met
    # Everyone who voted said yes, so the outcome hinges on participation.
    assert result.consent_met is True
    assert result.passed is met


def test_participation_counts_no_and_abstain_ballots():
    result = tally(
        Matter.ELECT_COMMITTEE,
        estate(1, 1, 1, 1, 1, 1),
        votes(no=[1, 2], abstain=[3, 4]),
    )
    assert result.participating_owners == 4
    assert result.participating_area == Decimal(4)
    assert result.participation_met is True
    assert result.passed is False


# --------------------------------------------------------------------------
# Special matters: at least 3/4 consent
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("areas", "ballots", "yes_area_ratio", "yes_owners_ratio", "passed"),
    [
        # Both exactly 3/4.
        (
            (30, 30, 30, 30),
            votes(yes=[1, 2, 3], no=[4]),
            Fraction(3, 4),
            Fraction(3, 4),
            True,
        ),
        # Heads exactly 3/4 but area 0.01 m² short (90/120.01).
        (
            ("30", "30", "30", "30.01"),
            votes(yes=[1, 2, 3], no=[4]),
            Fraction(9000, 12001),
            Fraction(3, 4),
            False,
        ),
        # Area exactly 3/4 (75/100), heads 4/5 above.
        (
            (25, 25, 15, 10, 25),
            votes(yes=[1, 2, 3, 4], no=[5]),
            Fraction(3, 4),
            Fraction(4, 5),
            True,
        ),
        # Heads exactly 3/4 (6/8), area above.
        (
            (10,) * 6 + (1, 1),
            votes(yes=range(1, 7), no=[7, 8]),
            Fraction(60, 62),
            Fraction(3, 4),
            True,
        ),
        # Heads 5/7 just below 3/4, area above.
        (
            (10,) * 5 + (1, 1),
            votes(yes=range(1, 6), no=[6, 7]),
            Fraction(50, 52),
            Fraction(5, 7),
            False,
        ),
        # Abstentions count in the denominator: 3 yes of 4 participating.
        (
            (30, 30, 30, 30),
            votes(yes=[1, 2, 3], abstain=[4]),
            Fraction(3, 4),
            Fraction(3, 4),
            True,
        ),
        (
            (30, 30, 30, 30),
            votes(yes=[1, 2], abstain=[3, 4]),
            Fraction(1, 2),
            Fraction(1, 2),
            False,
        ),
    ],
    ids=[
        "both-exact",
        "area-just-below",
        "area-exact",
        "heads-exact",
        "heads-just-below",
        "abstain-exact",
        "abstain-below",
    ],
)
@pytest.mark.parametrize("matter", sorted(SPECIAL))
def test_special_consent_boundaries(matter, areas, ballots, yes_area_ratio, yes_owners_ratio, passed):
    result = tally(matter, estate(*areas), ballots)
    assert result.participation_met is True
    assert result.yes_area_ratio == yes_area_ratio
    assert result.yes_owners_ratio == yes_owners_ratio
    assert result.consent_met is passed
    assert result.passed is passed


# --------------------------------------------------------------------------
# Ordinary matters: more than half consent (exactly 1/2 fails)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("areas", "ballots", "yes_area_ratio", "yes_owners_ratio", "passed"),
    [
        # Both exactly 1/2: fails.
        (
            (25, 25, 25, 25),
            votes(yes=[1, 2], no=[3, 4]),
            Fraction(1, 2),
            Fraction(1, 2),
            False,
        ),
        # Heads exactly 1/2, area just above (50.01/100.01): fails.
        (
            ("25", "25.01", "25", "25"),
            votes(yes=[1, 2], no=[3, 4]),
            Fraction(5001, 10001),
            Fraction(1, 2),
            False,
        ),
        # Area exactly 1/2 (50/100), heads 3/5: fails.
        (
            (20, 20, 10, 25, 25),
            votes(yes=[1, 2, 3], no=[4, 5]),
            Fraction(1, 2),
            Fraction(3, 5),
            False,
        ),
        # Both just above 1/2: area 50.01/100.01, heads 3/5: passes.
        (
            ("20", "20", "10.01", "25", "25"),
            votes(yes=[1, 2, 3], no=[4, 5]),
            Fraction(5001, 10001),
            Fraction(3, 5),
            True,
        ),
        # Abstentions count in the denominator: 3 yes, 1 no, 2 abstain = 1/2.
        (
            (1,) * 6,
            votes(yes=[1, 2, 3], no=[4], abstain=[5, 6]),
            Fraction(1, 2),
            Fraction(1, 2),
            False,
        ),
    ],
    ids=[
        "both-exact-half",
        "heads-exact-half",
        "area-exact-half",
        "both-just-above",
        "abstain-makes-half",
    ],
)
@pytest.mark.parametrize("matter", ORDINARY)
def test_ordinary_consent_boundaries(matter, areas, ballots, yes_area_ratio, yes_owners_ratio, passed):
    result = tally(matter, estate(*areas), ballots)
    assert result.participation_met is True
    assert result.yes_area_ratio == yes_area_ratio
    assert result.yes_owners_ratio == yes_owners_ratio
    assert result.consent_met is passed
    assert result.passed is passed


def test_consent_without_participation_does_not_pass():
    # Unanimous yes among participants, but only 1 of 3 owners took part.
    result = tally(Matter.OTHER_MAJOR, estate(100, 1, 1), votes(yes=[1]))
    assert result.consent_met is True
    assert result.participation_met is False
    assert result.passed is False


# --------------------------------------------------------------------------
# Multi-unit owners (SPC interpretation Art. 9)
# --------------------------------------------------------------------------


def test_multi_unit_owner_counted_once_with_summed_area():
    units = [
        ("3-2-501", "owner-1", Decimal("89.50")),
        ("3-2-502", "owner-1", Decimal("89.50")),
        ("3-2-601", "owner-1", Decimal("120.25")),
        ("3-2-602", "owner-2", Decimal(60)),
        ("3-2-701", "owner-3", 60),
    ]
    result = tally(
        Matter.HIRE_OR_DISMISS_MANAGER,
        units,
        {"owner-1": Choice.YES, "owner-2": Choice.NO},
    )
    assert result.total_owners == 3
    assert result.total_area == Decimal("419.25")
    assert result.participating_owners == 2
    assert result.participating_area == Decimal("359.25")
    assert result.yes_owners == 1
    assert result.yes_area == Decimal("299.25")
    assert result.no_owners == 1
    assert result.no_area == Decimal(60)
    assert result.participation_met is True
    # Area consent is overwhelming, but headcount is 1 of 2 = exactly half.
    assert result.yes_area_ratio == Fraction(29925, 35925)
    assert result.yes_owners_ratio == Fraction(1, 2)
    assert result.passed is False


def test_multi_unit_owner_does_not_inflate_headcount():
    # By units yes would be 3/5; by owners it is 1/3.
    units = [
        ("a", "big", Decimal(10)),
        ("b", "big", Decimal(10)),
        ("c", "big", Decimal(10)),
        ("d", "x", Decimal(1)),
        ("e", "y", Decimal(1)),
    ]
    result = tally(Matter.OTHER_MAJOR, units, {"big": "yes", "x": "no", "y": "no"})
    assert result.total_owners == 3
    assert result.yes_owners_ratio == Fraction(1, 3)
    assert result.yes_area_ratio == Fraction(30, 32)
    assert result.passed is False


def test_multi_unit_owner_ballot_covers_all_their_area():
    units = [("a", "big", 10), ("b", "big", 10), ("c", "small", 10)]
    result = tally(Matter.OTHER_MAJOR, units, {"big": "abstain"})
    assert result.abstain_area == Decimal(20)
    assert result.abstain_owners == 1
    assert result.participating_area_ratio == Fraction(2, 3)
    assert result.participating_owners_ratio == Fraction(1, 2)
    assert result.participation_met is False


# --------------------------------------------------------------------------
# Degenerate turnouts
# --------------------------------------------------------------------------


@pytest.mark.parametrize("matter", list(Matter))
def test_zero_ballots(matter):
    result = tally(matter, estate("89.50", "60.25", 100), {})
    assert result.total_area == Decimal("249.75")
    assert result.total_owners == 3
    assert result.participating_area == 0
    assert result.participating_owners == 0
    assert result.yes_area == result.no_area == result.abstain_area == 0
    assert result.yes_owners == result.no_owners == result.abstain_owners == 0
    assert result.participating_area_ratio == 0
    assert result.participating_owners_ratio == 0
    assert result.yes_area_ratio == Fraction(0)
    assert result.yes_owners_ratio == Fraction(0)
    assert result.participation_met is False
    assert result.consent_met is False
    assert result.passed is False


@pytest.mark.parametrize("matter", list(Matter))
def test_all_abstain(matter):
    result = tally(matter, estate(10, 20, 30), votes(abstain=[1, 2, 3]))
    assert result.participation_met is True
    assert result.participating_owners == 3
    assert result.abstain_owners == 3
    assert result.abstain_area == Decimal(60)
    assert result.yes_owners == 0
    assert result.yes_area_ratio == 0
    assert result.passed is False


# --------------------------------------------------------------------------
# Result object and exact arithmetic
# --------------------------------------------------------------------------


def test_result_is_frozen_dataclass():
    result = tally(Matter.RULES_OF_PROCEDURE, estate(1, 1, 1), votes(yes=[1, 2, 3]))
    assert isinstance(result, TallyResult)
    assert dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.yes_owners = 0  # type: ignore[misc]


def test_ratios_are_fractions():
    result = tally(Matter.REBUILD, estate(1, 2, 3), votes(yes=[1], no=[2]))
    for name in (
        "participating_area_ratio",
        "participating_owners_ratio",
        "yes_area_ratio",
        "yes_owners_ratio",
    ):
        assert type(getattr(result, name)) is Fraction, name
    assert result.participating_area_ratio == Fraction(3, 6)
    assert result.participating_owners_ratio == Fraction(2, 3)
    assert result.yes_area_ratio == Fraction(1, 3)
    assert result.yes_owners_ratio == Fraction(1, 2)


def test_sums_are_exact_regardless_of_decimal_context():
    units = estate("123456.789", "0.001", "99999.999")
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        result = tally(Matter.OTHER_MAJOR, units, votes(yes=[1, 2]))
    assert result.total_area == Decimal("223456.789")
    assert result.yes_area == Decimal("123456.790")
    assert result.yes_area_ratio == 1


def test_mixed_int_and_decimal_areas():
    units = [("u1", "o1", 50), ("u2", "o2", Decimal("50.5"))]
    result = tally(Matter.OTHER_MAJOR, units, {"o1": "yes", "o2": "yes"})
    assert result.total_area == Decimal("100.5")
    assert result.passed is True


def test_choice_enum_and_strings_are_equivalent():
    units = estate(1, 2, 3)
    a = tally(
        Matter.OTHER_MAJOR,
        units,
        {"o1": Choice.YES, "o2": Choice.NO, "o3": Choice.ABSTAIN},
    )
    b = tally(Matter.OTHER_MAJOR, units, {"o1": "yes", "o2": "no", "o3": "abstain"})
    assert a == b
    assert (a.yes_area, a.no_area, a.abstain_area) == (1, 2, 3)


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "zh", "en"),
    [
        (
            {"ballots": {"owner-99": "yes"}},
            "选票中的业主不在本小区: owner-99",
            "Ballot owner is not an owner of this estate: owner-99",
        ),
        ({"ballots": {"o1": "maybe"}}, "表决意见无效", "Invalid choice for owner o1"),
        ({"ballots": {"o1": "YES"}}, "表决意见无效", "Invalid choice"),
        ({"ballots": {"o1": None}}, "表决意见无效", "Invalid choice"),
        ({"ballots": {"o1": True}}, "表决意见无效", "Invalid choice"),
        ({"units": estate(1, 0)}, "必须大于零", "must be positive"),
        ({"units": estate(1, -5)}, "必须大于零", "must be positive"),
        ({"units": [("u1", "o1", Decimal("-0"))]}, "必须大于零", "must be positive"),
        ({"units": [("u1", "o1", 0)]}, "必须大于零", "must be positive"),
        ({"units": []}, "小区没有任何房屋", "no units"),
        (
            {"units": [("u1", "o1", 1), ("u1", "o2", 1)]},
            "房屋重复: u1",
            "Duplicate unit key: u1",
        ),
        (
            {"units": [("u1", "o1", 89.5)]},
            "必须是 Decimal 或整数",
            "must be a Decimal or int",
        ),
        (
            {"units": [("u1", "o1", "89.5")]},
            "必须是 Decimal 或整数",
            "must be a Decimal or int",
        ),
        (
            {"units": [("u1", "o1", True)]},
            "必须是 Decimal 或整数",
            "must be a Decimal or int",
        ),
        ({"units": [("u1", "o1", Decimal("NaN"))]}, "不是有限数", "not finite"),
        ({"units": [("u1", "o1", Decimal("Infinity"))]}, "不是有限数", "not finite"),
        ({"units": [("u1", "o1")]}, "房屋记录格式错误", "Malformed unit entry"),
        ({"matter": "raise_fund"}, "未知的表决事项", "Unknown matter: 'raise_fund'"),
        ({"matter": "RAISE_MAINTENANCE_FUND"}, "未知的表决事项", "Unknown matter"),
        ({"matter": None}, "未知的表决事项", "Unknown matter"),
        ({"matter": 6}, "未知的表决事项", "Unknown matter"),
    ],
    ids=[
        "unknown-owner",
        "unknown-choice",
        "uppercase-choice",
        "none-choice",
        "bool-choice",
        "zero-area",
        "negative-area",
        "negative-zero-area",
        "int-zero-area",
        "empty-estate",
        "duplicate-unit",
        "float-area",
        "str-area",
        "bool-area",
        "nan-area",
        "infinite-area",
        "malformed-unit",
        "unknown-matter",
        "matter-name-not-value",
        "none-matter",
        "int-matter",
    ],
)
def test_bad_input_raises_bilingual_value_error(kwargs, zh, en):
    args = {
        "matter": Matter.RAISE_MAINTENANCE_FUND,
        "units": estate(1, 2, 3),
        "ballots": votes(yes=[1]),
    }
    args.update(kwargs)
    with pytest.raises(ValueError) as excinfo:
        tally(**args)
    message = str(excinfo.value)
    assert zh in message
    assert en in message
    # Chinese first, then English, separated by " / ".
    assert " / " in message
    assert message.index(zh) < message.index(en)
