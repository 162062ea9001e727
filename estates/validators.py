"""Validators and masking helpers for Chinese identity and registration numbers.

* 居民身份证号码 (resident ID number), GB 11643-1999: 17 digits (6-digit
  administrative region code, 8-digit birth date YYYYMMDD, 3-digit sequence
  number) plus an ISO 7064 MOD 11-2 check character, 0-9 or X.
* 统一社会信用代码 (unified social credit code, USCC), GB 32100-2015: 17
  characters plus a MOD 31 check character, all from a 31-character set.
* Mainland mobile numbers: 11 digits starting 13-19.

Apart from ``ValidationError`` and ``gettext_lazy`` this module is pure Python;
it can be imported before Django settings are configured. Messages are English
msgids; the zh-hans translations live in the .po files.

The ``is_valid_*`` functions return a bool; the ``validate_*`` functions raise
``ValidationError`` with a specific ``code`` and are meant for model and form
fields. The resident ID and USCC validators accept surrounding whitespace and
lower-case letters; store ``normalise_resident_id(value)`` /
``normalise_uscc(value)``.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "USCC_CHARSET",
    "is_valid_resident_id",
    "is_valid_uscc",
    "mask_phone",
    "mask_resident_id",
    "normalise_resident_id",
    "normalise_uscc",
    "resident_id_check_char",
    "uscc_check_char",
    "validate_mainland_mobile",
    "validate_resident_id",
    "validate_uscc",
]

_ASCII_DIGITS = frozenset("0123456789")

# --- 居民身份证号码 (GB 11643-1999) ----------------------------------------------

RESIDENT_ID_LENGTH = 18
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK_CHARS = "10X98765432"  # indexed by weighted sum mod 11
_RESIDENT_ID_MIN_BIRTH_YEAR = 1900
# Birth dates are dates in China (UTC+8 all year, no daylight saving since 1991),
# whatever the server's time zone.
_CHINA_TZ = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")


def _china_today() -> datetime.date:
    return datetime.datetime.now(tz=_CHINA_TZ).date()


def normalise_resident_id(value: object) -> str:
    """Strip surrounding whitespace and upper-case (a trailing x becomes X)."""
    if value is None:
        return ""
    return str(value).strip().upper()


def resident_id_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for 17 digits: "0"-"9" or "X".

    Raises ``ValueError`` unless ``first17`` is exactly 17 ASCII digits.
    """
    if len(first17) != 17 or not _ASCII_DIGITS.issuperset(first17):
        raise ValueError("A resident ID check needs exactly 17 digits.")
    total = sum(int(char) * weight for char, weight in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK_CHARS[total % 11]


def _resident_id_error(value: object, today: datetime.date) -> str | None:
    """Return the error code for ``value``, or None if it is a valid resident ID."""
    number = normalise_resident_id(value)
    if len(number) != RESIDENT_ID_LENGTH:
        return "id_length"
    first17, last = number[:17], number[17]
    if not _ASCII_DIGITS.issuperset(first17) or last not in _RESIDENT_ID_CHECK_CHARS:
        return "id_format"
    if number[0] not in "12345678":
        return "id_region"
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "id_birthdate"
    if not (datetime.date(_RESIDENT_ID_MIN_BIRTH_YEAR, 1, 1) <= birth_date <= today):
        return "id_birthdate"
    if resident_id_check_char(first17) != last:
        return "id_checksum"
    return None


def is_valid_resident_id(value: object) -> bool:
    """True if ``value`` is a valid 18-character resident ID number.

    Checks the length, that the first 17 characters are digits and the last
    is a digit or X (a lower-case x is accepted), that the region code starts
    with 1-8, that the birth date is a real date from 1900-01-01 to today (China time), and
    the check character.
    """
    return _resident_id_error(value, _china_today()) is None


_RESIDENT_ID_MESSAGES = {
    "id_length": _("A resident ID number has exactly 18 characters."),
    "id_format": _("A resident ID number has 17 digits followed by a digit or the letter X."),
    "id_region": _("This resident ID number does not start with a valid region code."),
    "id_birthdate": _("This resident ID number does not contain a valid birth date."),
    "id_checksum": _("This resident ID number is not valid: its check character is wrong. Please check for typing errors."),
}


def validate_resident_id(value: object) -> None:
    """Raise ``ValidationError`` unless ``value`` is a valid resident ID number.

    Codes: ``id_length``, ``id_format`` (non-digits, or a last character other
    than 0-9/X), ``id_region``, ``id_birthdate`` and ``id_checksum``.
    """
    code = _resident_id_error(value, _china_today())
    if code is not None:
        raise ValidationError(_RESIDENT_ID_MESSAGES[code], code=code)


def mask_resident_id(value: object) -> str:
    """Mask a resident ID for display: "5001**********1234".

    Keeps the first 4 and last 4 characters and stars out the rest, keeping the
    length. Values of 8 characters or fewer are starred out completely, so a
    short or truncated number is never shown in full. Empty gives "".
    """
    number = normalise_resident_id(value)
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(value: object) -> str:
    """Mask a phone number for display: "13812345678" -> "138****5678".

    Keeps the first 3 and last 4 characters and stars out the rest, keeping the
    length. Values of 7 characters or fewer are starred out completely. Empty
    gives "".
    """
    phone = "" if value is None else str(value).strip()
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# --- 统一社会信用代码 (GB 32100-2015) ---------------------------------------------

USCC_LENGTH = 18
# 0-9 and the capital letters without I, O, S, V and Z; a character's value is
# its index here.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {char: index for index, char in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_uscc(value: object) -> str:
    """Strip surrounding whitespace and upper-case."""
    if value is None:
        return ""
    return str(value).strip().upper()


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters.

    Raises ``ValueError`` unless ``first17`` is 17 characters of
    ``USCC_CHARSET`` (upper case).
    """
    if len(first17) != 17 or not set(first17) <= _USCC_VALUES.keys():
        raise ValueError("A USCC check needs exactly 17 characters from " + USCC_CHARSET + ".")
    total = sum(_USCC_VALUES[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _uscc_error(value: object) -> str | None:
    code = normalise_uscc(value)
    if len(code) != USCC_LENGTH:
        return "uscc_length"
    if not set(code) <= _USCC_VALUES.keys():
        return "uscc_charset"
    if uscc_check_char(code[:17]) != code[17]:
        return "uscc_checksum"
    return None


def is_valid_uscc(value: object) -> bool:
    """True if ``value`` is a valid unified social credit code.

    Checks the length (18), the character set and the check character; lower
    case and surrounding whitespace are accepted.
    """
    return _uscc_error(value) is None


_USCC_MESSAGES = {
    "uscc_length": _("A unified social credit code has exactly 18 characters."),
    "uscc_charset": _("A unified social credit code contains only digits and capital letters other than I, O, S, V and Z."),
    "uscc_checksum": _(
        "This unified social credit code is not valid: its check character is wrong. Please check for typing errors."
    ),
}


def validate_uscc(value: object) -> None:
    """Raise ``ValidationError`` unless ``value`` is a valid USCC.

    Codes: ``uscc_length``, ``uscc_charset`` and ``uscc_checksum``.
    """
    code = _uscc_error(value)
    if code is not None:
        raise ValidationError(_USCC_MESSAGES[code], code=code)


# --- mobile numbers ---------------------------------------------------------------

# re.ASCII so that \d does not accept full-width or other Unicode digits;
# fullmatch so that a trailing newline is not accepted.
_MOBILE_RE = re.compile(r"1[3-9]\d{9}", re.ASCII)


def validate_mainland_mobile(value: object) -> None:
    """Raise ``ValidationError`` (code ``mobile``) unless ``value`` is 11 digits
    starting 13-19. Surrounding whitespace is ignored; nothing else is
    normalised (no +86 prefix, spaces or dashes inside).
    """
    number = "" if value is None else str(value).strip()
    if not _MOBILE_RE.fullmatch(number):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits starting with 13–19."),
            code="mobile",
        )
