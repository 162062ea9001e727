"""Money helpers: rounding, Stripe fen conversion and 人民币大写.

This module is pure Python and deliberately imports nothing from Django.

* ``quantize`` is the ONE place where amounts are rounded: ROUND_HALF_UP to
  0.01 (分). Floats are refused everywhere, because ``0.1 + 0.2`` is not money.
* ``to_fen`` / ``from_fen`` convert at the Stripe boundary (Stripe amounts are
  integers in the smallest currency unit, 分 for CNY). ``to_fen`` refuses to
  round: an amount that is not a whole number of 分 is a bug upstream.
* ``format_rmb`` is the ONE way an amount is written for people:
  ``¥14,514.13`` (thousands separated, two places, rounded by ``quantize``).
* ``rmb_upper`` writes the Chinese capital amount (人民币大写) used on
  receipts and invoices, following the PBoC rules in 《支付结算办法》附件一
  “正确填写票据和结算凭证的基本规定”. Where the rules allow a choice, this
  module always makes the same one; see ``rmb_upper``.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "CENT",
    "EXCEL_RMB_FORMAT",
    "format_rmb",
    "from_fen",
    "quantize",
    "rmb_upper",
    "to_fen",
]

CENT = Decimal("0.01")

# Excel's number format for amounts in exports: the cell stays a number (sums, imports read it
# back unchanged) and shows as ¥14,514.13.
EXCEL_RMB_FORMAT = '"¥"#,##0.00'

# rmb_upper handles amounts strictly below 1万亿 (10**12 元).
RMB_UPPER_LIMIT = Decimal(10) ** 12

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
# Unit of a digit inside a four-digit section, indexed by position % 4.
_SMALL_UNITS = ("", "拾", "佰", "仟")
# Unit written after a non-zero section, indexed by position // 4.
_SECTION_UNITS = ("", "万", "亿")


def _to_decimal(amount: Decimal | int | str) -> Decimal:
    """Convert an accepted input type to a finite ``Decimal`` without rounding."""
    # bool is a subclass of int, and True is never an amount of money.
    if isinstance(amount, (float, bool)):
        raise TypeError(f"Money amounts must be Decimal, int or str, not {type(amount).__name__}.")
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, (int, str)):
        try:
            value = Decimal(amount)
        except decimal.InvalidOperation:
            raise ValueError(f"Not a valid amount: {amount!r}") from None
    else:
        raise TypeError(f"Money amounts must be Decimal, int or str, not {type(amount).__name__}.")
    if not value.is_finite():
        raise ValueError(f"Not a finite amount: {amount!r}")
    return value


def quantize(amount: Decimal | int | str) -> Decimal:
    """Round ``amount`` to 0.01 with ROUND_HALF_UP; the one rounding helper.

    Accepts ``Decimal``, ``int`` or ``str``; a ``float`` (or ``bool``) raises
    ``TypeError``, an unparsable string or a NaN/Infinity raises ``ValueError``.
    Half-way cases round away from zero: ``0.005 -> 0.01``, ``-0.005 -> -0.01``.
    """
    value = _to_decimal(amount)
    # An explicit context, so neither the global precision (28 digits) nor
    # anyone's changes to the thread's context can alter or break the result.
    context = decimal.Context(prec=max(28, value.adjusted() + 4))
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=context)


def format_rmb(amount: Decimal | int | str | None, *, symbol: bool = True, empty: str = "—") -> str:
    """Write an amount for people: ``Decimal("14514.1300000000") -> "¥14,514.13"``; the one money format.

    Pages (``{{ amount|rmb }}``), PDFs, messages and exports all go through here. ``symbol=False``
    leaves the ¥ out for sentences that already write it (``"14,514.13"``); negatives read
    ``-¥12.00``; ``None`` (no amount) is ``empty``.
    """
    if amount is None or amount == "":
        return empty
    value = quantize(amount)
    text = f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ""
    return f"{sign}¥{text}" if symbol else f"{sign}{text}"


def to_fen(amount: Decimal) -> int:
    """Convert a yuan amount to integer 分 for Stripe: ``Decimal("12.34") -> 1234``.

    Raises ``ValueError`` if the amount is not a whole number of 分
    (``Decimal("1.005")``) instead of rounding it silently; trailing zeros are
    fine (``Decimal("1.230") -> 123``). Floats raise ``TypeError``.
    """
    value = _to_decimal(amount)
    rounded = quantize(value)
    if rounded != value:
        raise ValueError(f"{amount!r} has more than two decimal places; quantize() it first.")
    sign, digits, exponent = rounded.as_tuple()
    # rounded has exponent -2, so its digits read as an integer are the fen.
    fen = int("".join(map(str, digits)))
    return -fen if sign else fen


def from_fen(fen: int) -> Decimal:
    """Convert integer 分 from Stripe to a yuan amount: ``1234 -> Decimal("12.34")``.

    The result always has exactly two decimal places. Anything but an ``int``
    (``bool`` included) raises ``TypeError``.
    """
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, not {type(fen).__name__}.")
    sign, digits, _exponent = Decimal(fen).as_tuple()
    return Decimal((sign, digits, -2))


def _integer_upper(number: int) -> str:
    """Capital digits for a positive whole number of yuan below 10**12."""
    text = str(number)
    length = len(text)
    parts: list[str] = []
    zero_run = 0  # how many zeros since the last non-zero digit
    for index, char in enumerate(text):
        position = length - 1 - index  # 0 = 元 digit, 4 = 万 digit, 8 = 亿 digit
        digit = int(char)
        if digit == 0:
            zero_run += 1
        else:
            if zero_run:
                # A run of zeros between two non-zero digits is written as one
                # 零, except when the run is only the 万 (or 亿) digit and the
                # next digit is a 仟: the section unit just written already
                # separates them (PBoC example: ¥107,000.53 -> 壹拾万柒仟元…).
                lone_section_zero = zero_run == 1 and position % 4 == 3
                if not lone_section_zero:
                    parts.append("零")
                zero_run = 0
            # Always write the digit, so 10-19 give 壹拾… (PBoC: 壹拾陆元整).
            parts.append(_DIGITS[digit] + _SMALL_UNITS[position % 4])
        if position % 4 == 0 and position > 0:
            if (number // 10**position) % 10_000:
                parts.append(_SECTION_UNITS[position // 4])
    return "".join(parts)


def rmb_upper(amount: Decimal | int | str) -> str:
    """Write ``amount`` in Chinese capitals (人民币大写), e.g. for receipts.

    The amount is first passed through ``quantize()``, so extra decimals are
    rounded half-up. ``float`` raises ``TypeError``; amounts whose absolute
    value is 1万亿 (10**12) or more raise ``ValueError``. The result has no
    "人民币" prefix; negative amounts are prefixed with "负".

    Rules (PBoC, 正确填写票据和结算凭证的基本规定):

    * An amount that ends at 元 or at 角 is followed by "整"; one with 分 is not:
      ``100 -> 壹佰元整``, ``1.50 -> 壹元伍角整``, ``1.23 -> 壹元贰角叁分``.
    * 10-19 keep the leading 壹: ``16 -> 壹拾陆元整``.
    * One or several zeros in the middle of the integer part are written as a
      single 零: ``1409.50 -> 壹仟肆佰零玖元伍角整``,
      ``6007.14 -> 陆仟零柒元壹角肆分``, ``100500 -> 壹拾万零伍佰元整``,
      ``100010000 -> 壹亿零壹万元整``.
    * Zero 角 followed by non-zero 分 is written as 零: ``1.05 -> 壹元零伍分``.
    * Below one yuan there is no 元 and no leading 零: ``0.05 -> 伍分``.
    * Zero is ``零元整``.

    Where the PBoC rules allow writing a 零 *or* leaving it out, this function
    chooses as follows, matching the PBoC's own example
    ``¥107,000.53 -> 壹拾万柒仟元零伍角叁分``:

    * 元 digit 0 (integer part non-zero) with non-zero 角: the 零 is written,
      ``1680.32 -> 壹仟陆佰捌拾元零叁角贰分``.
    * Only the 万 (or 亿) digit is 0 and the 仟 digit after it is not: no 零,
      ``107000 -> 壹拾万柒仟元整``.
    * Several consecutive zeros ending at the 万 (or 亿) digit, followed by a
      non-zero 仟 digit: one 零 is written, ``10005000 -> 壹仟万零伍仟元整``.
    """
    value = quantize(amount)
    if abs(value) >= RMB_UPPER_LIMIT:
        raise ValueError(f"{amount!r} is too large for rmb_upper (limit 1万亿).")

    total_fen = to_fen(abs(value))
    yuan, cents = divmod(total_fen, 100)
    jiao, fen = divmod(cents, 10)
    if total_fen == 0:
        return "零元整"  # also for -0.00 and amounts that round to zero

    parts: list[str] = []
    if value < 0:
        parts.append("负")
    if yuan:
        parts.append(_integer_upper(yuan))
        parts.append("元")
    if jiao:
        if yuan and yuan % 10 == 0:
            parts.append("零")
        parts.append(_DIGITS[jiao] + "角")
    if fen:
        if yuan and not jiao:
            parts.append("零")
        parts.append(_DIGITS[fen] + "分")
    else:
        parts.append("整")
    return "".join(parts)
