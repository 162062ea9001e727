"""Tests for estates.validators (no database, no settings needed).

Validators that raise are checked on ``ValidationError.code`` only, so the
lazy messages are never evaluated and Django settings are not required.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError

from estates.validators import (
    USCC_CHARSET,
    is_valid_resident_id,
    is_valid_uscc,
    mask_phone,
    mask_resident_id,
    normalise_resident_id,
    normalise_uscc,
    resident_id_check_char,
    uscc_check_char,
    validate_mainland_mobile,
    validate_resident_id,
    validate_uscc,
)

# Published examples.
GB11643_EXAMPLE = "11010519491231002X"  # GB 11643-1999 appendix, valid
GB11643_EXAMPLE_1880 = "440524188001010014"  # check char right, born before 1900
USCC_EXAMPLE = "91350100M000100Y43"  # widely published sample, valid


def _reference_resident_id_check(first17):
    """ISO 7064 MOD 11-2 written from the standard, independently of the module.

    Position i counted from the right, the check character being position 1,
    has weight 2**(i-1) mod 11; the check value makes the total 1 mod 11.
    """
    total = sum(int(c) * pow(2, 17 - k, 11) for k, c in enumerate(first17))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _reference_uscc_check(first17):
    """GB 32100-2015: weight of position i (from 0, left) is 3**i mod 31."""
    total = sum(USCC_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _china_today():
    return datetime.datetime.now(tz=datetime.timezone(datetime.timedelta(hours=8))).date()


def _resident_id(first17):
    return first17 + resident_id_check_char(first17)


def _uscc(first17):
    return first17 + uscc_check_char(first17)


def _code(validator, value):
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    return excinfo.value.code


# --- resident ID: check character -------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        ("11010519491231002", "X"),  # GB 11643-1999 example
        ("44052418800101001", "4"),  # GB 11643-1999 example
    ],
)
def test_resident_id_check_char_published_examples(first17, check):
    assert resident_id_check_char(first17) == check
    assert _reference_resident_id_check(first17) == check


@pytest.mark.parametrize(
    "first17",
    [
        "50010119900101123",
        "32010219851130456",
        "65010220000229001",
        "81000019991231002",
        "00000000000000000",
        "99999999999999999",
    ]
    + [f"1101051990010100{n}" for n in range(10)],
)
def test_resident_id_check_char_matches_reference(first17):
    assert resident_id_check_char(first17) == _reference_resident_id_check(first17)


@pytest.mark.parametrize("first17", ["", "1101051949123100", "110105194912310021", "1101051949123100X"])
def test_resident_id_check_char_rejects_bad_input(first17):
    with pytest.raises(ValueError):
        resident_id_check_char(first17)


# --- resident ID: validation ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        GB11643_EXAMPLE,
        GB11643_EXAMPLE.lower(),  # lower-case x accepted
        f"  {GB11643_EXAMPLE}\n",  # surrounding whitespace stripped
        _resident_id("50010119900101123"),
        _resident_id("65010220000229001"),  # leap day
        _resident_id("81000019991231002"),  # region code starting 8
        _resident_id("11010119000101001"),  # earliest accepted birth date
    ],
)
def test_valid_resident_ids(value):
    assert is_valid_resident_id(value)
    validate_resident_id(value)  # does not raise


def test_resident_id_born_today_is_valid():
    today = _china_today().strftime("%Y%m%d")
    value = _resident_id(f"110101{today}001")
    assert is_valid_resident_id(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # wrong length
        ("", "id_length"),
        (GB11643_EXAMPLE[:-1], "id_length"),
        (GB11643_EXAMPLE + "0", "id_length"),
        ("110105490101001", "id_length"),  # old 15-digit format
        # bad characters
        ("1101051949123100ZX", "id_format"),
        ("11010519491231002Y", "id_format"),
        ("１１０１０５１９４９１２３１００２X", "id_format"),  # full-width digits
        # region code must start with 1-8
        (_resident_id("01010519491231002"), "id_region"),
        (_resident_id("91010519491231002"), "id_region"),
        # birth date: not a real date, before 1900, in the future
        (_resident_id("11010519491331002"), "id_birthdate"),
        (_resident_id("11010519490100002"), "id_birthdate"),
        (_resident_id("11010519000229002"), "id_birthdate"),  # 1900 not a leap year
        (_resident_id("11010520230229002"), "id_birthdate"),
        (_resident_id("11010519491232002"), "id_birthdate"),
        (GB11643_EXAMPLE_1880, "id_birthdate"),
        (_resident_id("11010518991231002"), "id_birthdate"),
        (_resident_id("11010529990101002"), "id_birthdate"),
        # wrong check character
        ("110105194912310021", "id_checksum"),
        ("110105194912310020", "id_checksum"),
        ("440524188001010014".replace("1880", "1980"), "id_checksum"),
        ("11010519491231003X", "id_checksum"),  # one digit mistyped
        ("11010519491213002X", "id_checksum"),  # two digits swapped
    ],
)
def test_invalid_resident_ids(value, code):
    assert not is_valid_resident_id(value)
    assert _code(validate_resident_id, value) == code


def test_resident_id_born_tomorrow_is_invalid():
    tomorrow = (_china_today() + datetime.timedelta(days=1)).strftime("%Y%m%d")
    value = _resident_id(f"110101{tomorrow}001")
    assert not is_valid_resident_id(value)
    assert _code(validate_resident_id, value) == "id_birthdate"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 11010519491231002x ", GB11643_EXAMPLE),
        (GB11643_EXAMPLE, GB11643_EXAMPLE),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_resident_id(value, expected):
    assert normalise_resident_id(value) == expected


# --- masking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("500101199001011234", "5001**********1234"),
        ("11010519491231002x", "1101**********002X"),
        (" 500101199001011234 ", "5001**********1234"),
        ("110105490101001", "1101*******1001"),  # 15 characters: length kept
        ("12345678", "********"),  # too short to show anything
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_resident_id(value, expected):
    assert mask_resident_id(value) == expected


def test_mask_resident_id_keeps_length():
    masked = mask_resident_id("500101199001011234")
    assert len(masked) == 18
    assert masked.count("*") == 10


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        (" 19912345678 ", "199****5678"),
        ("02161234567", "021****4567"),
        ("1234567", "*******"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


# --- USCC -----------------------------------------------------------------------------


def test_uscc_charset():
    assert len(USCC_CHARSET) == 31
    assert not set("IOSVZ") & set(USCC_CHARSET)


def test_uscc_check_char_published_example():
    first17 = USCC_EXAMPLE[:17]
    assert uscc_check_char(first17) == "3"
    assert _reference_uscc_check(first17) == "3"
    # Worked by hand: sum of value * weight is 1640 = 52 * 31 + 28, so the
    # check value is 31 - 28 = 3.
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, weights, strict=True))
    assert total == 1640


@pytest.mark.parametrize(
    "first17",
    [
        "91110000MA01ABCDE",
        "12100000400000123",
        "Y1440300MA5DYYYYY",
        "00000000000000000",
        "YYYYYYYYYYYYYYYYY",
        "52310115MJ5050060",
    ],
)
def test_uscc_check_char_matches_reference(first17):
    assert uscc_check_char(first17) == _reference_uscc_check(first17)


def test_uscc_check_char_can_be_zero():
    # Find a code whose check value is 31 -> written as "0".
    prefix = "9131000000000000"
    first17 = next(prefix + c for c in USCC_CHARSET if _reference_uscc_check(prefix + c) == "0")
    assert uscc_check_char(first17) == "0"
    assert is_valid_uscc(first17 + "0")


@pytest.mark.parametrize("first17", ["", "91350100M000100Y", "91350100M000100YI"])
def test_uscc_check_char_rejects_bad_input(first17):
    with pytest.raises(ValueError):
        uscc_check_char(first17)


@pytest.mark.parametrize(
    "value",
    [
        USCC_EXAMPLE,
        USCC_EXAMPLE.lower(),
        f" {USCC_EXAMPLE} ",
        _uscc("91110000MA01ABCDE"),
        _uscc("12100000400000123"),
    ],
)
def test_valid_usccs(value):
    assert is_valid_uscc(value)
    validate_uscc(value)  # does not raise


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "uscc_length"),
        (USCC_EXAMPLE[:-1], "uscc_length"),
        (USCC_EXAMPLE + "3", "uscc_length"),
        ("91350100MOOO100Y43", "uscc_charset"),  # letter O instead of zero
        ("91350100M000100I43", "uscc_charset"),
        ("91350100M000100Y4Z", "uscc_charset"),
        ("91350100M000100Y4S", "uscc_charset"),
        ("91350100M000100Y4V", "uscc_charset"),
        ("91350100M000100Y4-", "uscc_charset"),
        ("91350100M000100Y44", "uscc_checksum"),
        ("91350100M000100Y40", "uscc_checksum"),
        ("91350100M001000Y43", "uscc_checksum"),  # two characters swapped
        ("91350100N000100Y43", "uscc_checksum"),  # one character mistyped
    ],
)
def test_invalid_usccs(value, code):
    assert not is_valid_uscc(value)
    assert _code(validate_uscc, value) == code


def test_normalise_uscc():
    assert normalise_uscc(" 91350100m000100y43 ") == USCC_EXAMPLE
    assert normalise_uscc(None) == ""


# --- mainland mobile ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["13812345678", "13000000000", "19999999999", "16612345678", " 15912345678 "])
def test_valid_mobiles(value):
    validate_mainland_mobile(value)  # does not raise


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "12812345678",  # second digit 2
        "10812345678",
        "23812345678",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "138-1234-5678",
        "+8613812345678",
        "1381234567a",
        "1381234567\u0661",  # Arabic-Indic digit one
        "１３８１２３４５６７８",  # full-width digits
        "13812345678\n1",
    ],
)
def test_invalid_mobiles(value):
    assert _code(validate_mainland_mobile, value) == "mobile"
