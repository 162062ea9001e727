"""Tests for billing.money: rounding, fen conversion and 人民币大写."""

from decimal import Decimal

import pytest

from billing.money import CENT, from_fen, quantize, rmb_upper, to_fen

# --- quantize -----------------------------------------------------------------


def test_cent_constant():
    assert Decimal("0.01") == CENT
    assert CENT.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("0.005"), Decimal("0.01")),
        ("0.005", Decimal("0.01")),
        (Decimal("0.004"), Decimal("0.00")),
        (Decimal("-0.005"), Decimal("-0.01")),
        (Decimal("2.675"), Decimal("2.68")),  # 2.675 as a float would give 2.67
        (Decimal("1.2"), Decimal("1.20")),
        ("12.345", Decimal("12.35")),
        (" 7.1 ", Decimal("7.10")),
        (0, Decimal("0.00")),
        (42, Decimal("42.00")),
        (-3, Decimal("-3.00")),
        (Decimal("999999999999.995"), Decimal("1000000000000.00")),
        (Decimal("1E+30"), Decimal("1000000000000000000000000000000.00")),
    ],
)
def test_quantize(amount, expected):
    result = quantize(amount)
    assert result == expected
    assert result.as_tuple().exponent == -2


def test_quantize_ignores_thread_decimal_context():
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        assert quantize(Decimal("12345.675")) == Decimal("12345.68")


@pytest.mark.parametrize("amount", [0.005, 1.0, float("nan"), True, None, [1]])
def test_quantize_rejects_non_money_types(amount):
    with pytest.raises(TypeError):
        quantize(amount)


@pytest.mark.parametrize("amount", ["", "abc", "1,000.00", Decimal("NaN"), Decimal("Infinity"), "-inf"])
def test_quantize_rejects_invalid_values(amount):
    with pytest.raises(ValueError):
        quantize(amount)


# --- to_fen / from_fen ----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "fen"),
    [
        (Decimal("0"), 0),
        (Decimal("0.00"), 0),
        (Decimal("0.01"), 1),
        (Decimal("0.1"), 10),
        (Decimal("12.34"), 1234),
        (Decimal("1.230"), 123),  # trailing zero: exact, so accepted
        (Decimal("100"), 10000),
        (Decimal("-5.07"), -507),
        (Decimal("999999999.99"), 99999999999),
    ],
)
def test_to_fen(amount, fen):
    result = to_fen(amount)
    assert result == fen
    assert type(result) is int


@pytest.mark.parametrize("amount", [Decimal("1.005"), Decimal("0.001"), Decimal("-2.999")])
def test_to_fen_refuses_to_round(amount):
    with pytest.raises(ValueError):
        to_fen(amount)


def test_to_fen_rejects_float():
    with pytest.raises(TypeError):
        to_fen(12.34)


@pytest.mark.parametrize(
    ("fen", "amount"),
    [
        (0, "0.00"),
        (1, "0.01"),
        (10, "0.10"),
        (1234, "12.34"),
        (10000, "100.00"),
        (-507, "-5.07"),
    ],
)
def test_from_fen(fen, amount):
    result = from_fen(fen)
    assert result == Decimal(amount)
    assert str(result) == amount


@pytest.mark.parametrize("fen", [12.0, "1234", Decimal("1234"), True])
def test_from_fen_rejects_non_int(fen):
    with pytest.raises(TypeError):
        from_fen(fen)


@pytest.mark.parametrize("fen", [0, 1, 99, 100, 123456789, -1, -10050])
def test_fen_round_trip(fen):
    assert to_fen(from_fen(fen)) == fen


# --- rmb_upper ------------------------------------------------------------------

RMB_UPPER_CASES = [
    # PBoC worked examples
    ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("16", "壹拾陆元整"),
    # 整 after 元 and 角, never after 分
    ("100", "壹佰元整"),
    ("1", "壹元整"),
    ("1.50", "壹元伍角整"),
    ("1.5", "壹元伍角整"),
    ("1.23", "壹元贰角叁分"),
    # zero 角 with non-zero 分
    ("1.05", "壹元零伍分"),
    ("10.05", "壹拾元零伍分"),
    ("100.01", "壹佰元零壹分"),
    # 元 digit zero with 角 (the written-零 choice)
    ("10.50", "壹拾元零伍角整"),
    ("1000.10", "壹仟元零壹角整"),
    # zeros in the middle of the integer part
    ("101", "壹佰零壹元整"),
    ("1001", "壹仟零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1100", "壹仟壹佰元整"),
    ("20.02", "贰拾元零贰分"),
    ("30405", "叁万零肆佰零伍元整"),
    # zeros at and across the 万 boundary
    ("100500", "壹拾万零伍佰元整"),
    ("1000500", "壹佰万零伍佰元整"),
    ("10005000", "壹仟万零伍仟元整"),
    ("107000", "壹拾万柒仟元整"),
    ("100007000", "壹亿零柒仟元整"),
    ("10010000", "壹仟零壹万元整"),
    ("110000", "壹拾壹万元整"),
    # 万 and 亿 boundaries
    ("10000", "壹万元整"),
    ("10001", "壹万零壹元整"),
    ("99999", "玖万玖仟玖佰玖拾玖元整"),
    ("100000", "壹拾万元整"),
    ("100000000", "壹亿元整"),
    ("100010000", "壹亿零壹万元整"),
    ("1000000001", "壹拾亿零壹元整"),
    ("1070000000", "壹拾亿柒仟万元整"),
    ("120003000000", "壹仟贰佰亿零叁佰万元整"),
    # 10-19 keep 壹
    ("10", "壹拾元整"),
    ("11", "壹拾壹元整"),
    ("19.90", "壹拾玖元玖角整"),
    ("210000", "贰拾壹万元整"),
    # below one yuan
    ("0.50", "伍角整"),
    ("0.05", "伍分"),
    ("0.55", "伍角伍分"),
    ("0.01", "壹分"),
    # zero
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("-0.00", "零元整"),
    # large amounts
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("123456789012.34", "壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
    # negative amounts
    ("-1.50", "负壹元伍角整"),
    ("-0.05", "负伍分"),
    ("-10005000", "负壹仟万零伍仟元整"),
    # input is quantized first (ROUND_HALF_UP)
    ("0.005", "壹分"),
    ("1.004", "壹元整"),
    ("-0.004", "零元整"),
    ("9.995", "壹拾元整"),
]


@pytest.mark.parametrize(("amount", "expected"), RMB_UPPER_CASES)
def test_rmb_upper(amount, expected):
    assert rmb_upper(Decimal(amount)) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(100, "壹佰元整"), (0, "零元整"), (-16, "负壹拾陆元整"), ("1.05", "壹元零伍分")],
)
def test_rmb_upper_accepts_int_and_str(amount, expected):
    assert rmb_upper(amount) == expected


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("1000000000000"),
        Decimal("-1000000000000"),
        Decimal("999999999999.995"),  # rounds up to 1万亿
        10**15,
    ],
)
def test_rmb_upper_rejects_too_large(amount):
    with pytest.raises(ValueError):
        rmb_upper(amount)


@pytest.mark.parametrize("amount", [1.5, 0.0, True])
def test_rmb_upper_rejects_float(amount):
    with pytest.raises(TypeError):
        rmb_upper(amount)
