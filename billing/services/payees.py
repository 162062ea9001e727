"""Payees: who receives each kind of an estate's money, from which date, and whether they can be paid online.

Property fees are the manager's; public income and the maintenance fund are the owners' jointly
(Civil Code Arts. 281, 282); rent is the lessor's of record. Staff record, per estate, a ``Payee``
(a legal entity with its account at the payment provider) and, from a date, which payee receives
which kind of money (``PayeeAssignment``, never edited: a change of manager is a new row). A bill
carries the payee in force on the day it is issued (``payee_for_bill``); bills issued before a change
keep theirs. Online, a bill can only be paid when its payee's account can take payments
(``online_refusals``); at the counter it can always be paid.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import refuse
from estates.models import Estate

from ..audit import money_audit
from ..charges import charge_kind
from ..models import Invoice, Payee, PayeeAssignment, PayeeMoney
from ..providers import PayeeAccount, PaymentProvider, ProviderError, get_provider
from .common import ZERO, actor

# Stripe's connected-account ids: "acct_" and letters and digits.
ACCOUNT_ID_RE = re.compile(r"^acct_[A-Za-z0-9]{4,250}$")


def payee_money_of(code: str) -> str:
    """The kind of money (PayeeMoney) a charge kind's bills are: the account its money belongs to."""
    return charge_kind(code).account


def _clean_account_id(account_id: str) -> str:
    account_id = (account_id or "").strip()
    if account_id and not ACCOUNT_ID_RE.fullmatch(account_id):
        raise refuse(
            "收款账户必须是 Stripe 关联账户编号（以 acct_ 开头，后接字母和数字）",
            "The payee's account must be a Stripe connected account id (acct_ followed by letters and digits).",
            field="account_id",
            code="account_id",
        )
    return account_id


@transaction.atomic
def payee_save(
    *,
    estate: Estate,
    legal_name: str,
    account_id: str = "",
    payee: Payee | None = None,
    by: Any = None,
    supervised: bool | None = None,
    supervising_bank: str | None = None,
) -> Payee:
    """Record a payee of the estate (or change its name or account). A changed account starts unverified:
    the provider's status (``payee_status_refresh``, ``account.updated``) says whether it can take money.

    ``supervised``: the account is a rental-funds supervision account (资金监管账户) at ``supervising_bank`` — the
    only payee that may receive a pooled flat's deposit above one month's rent or a subletting operator's rent
    (住房租赁条例 Art. 19); it needs the bank's name."""
    legal_name = (legal_name or "").strip()
    if not legal_name:
        raise refuse("请填写收款方的法定名称", "Give the payee's legal name.", field="legal_name", code="legal_name")
    account_id = _clean_account_id(account_id)
    if payee is not None and payee.pk and payee.estate_id != estate.pk:
        raise refuse("收款方属于另一个小区", "This payee belongs to another estate.", code="other_estate")
    others = Payee.objects.filter(estate=estate, account_id=account_id)
    if payee is not None and payee.pk:
        others = others.exclude(pk=payee.pk)
    if account_id and others.exists():
        raise refuse(
            "本小区已有使用该账户的收款方",
            "Another payee of this estate already uses this account.",
            field="account_id",
            code="account_taken",
        )
    payee = payee or Payee(estate=estate)
    if supervised is not None:
        payee.supervised = bool(supervised)
    if supervising_bank is not None:
        payee.supervising_bank = supervising_bank.strip()[:100]
    if payee.supervised and not payee.supervising_bank:
        raise refuse(
            "资金监管账户须写明监管银行",
            "A supervised account needs the supervising bank's name.",
            field="supervising_bank",
            code="supervising_bank",
        )
    changed_account = payee.account_id != account_id
    payee.estate, payee.legal_name, payee.account_id = estate, legal_name[:200], account_id
    if changed_account:
        payee.charges_enabled = payee.payouts_enabled = payee.details_submitted = False
        payee.status_checked_at = None
    created = payee.pk is None
    payee.save()
    money_audit(
        action="payee_create" if created else "payee_change",
        obj=payee,
        estate_id=estate.pk,
        user=actor(by),
        data={"legal_name": legal_name, "account_id": account_id, "supervised": payee.supervised},
    )
    return payee


@transaction.atomic
def payee_assign(
    *, estate: Estate, money: str, payee: Payee, valid_from: datetime.date, by: Any = None, note: str = ""
) -> PayeeAssignment:
    """From ``valid_from`` on, the estate's ``money`` goes to ``payee``.

    Bills already issued keep their payee; a bill that was issued in the new row's period without
    any payee (none was recorded yet) gets this one, so that it can be paid online.
    """
    if money not in PayeeMoney.values:
        raise refuse("未知的款项类别", f"Unknown kind of money {money!r}.", field="money", code="money")
    if payee.estate_id != estate.pk:
        raise refuse(
            "收款方属于另一个小区，不能收取本小区的款项",
            "This payee belongs to another estate and cannot receive this estate's money.",
            field="payee",
            code="other_estate",
        )
    if valid_from is None:
        raise refuse("请填写生效日期", "Give the date from which the payee receives the money.", field="valid_from")
    try:
        with transaction.atomic():
            assignment = PayeeAssignment.objects.create(
                estate=estate, money=money, payee=payee, valid_from=valid_from, note=(note or "")[:200], created_by=actor(by)
            )
    except IntegrityError:
        raise refuse(
            "该日期已指定了这一款项的收款方；如需更改，请从另一日期起指定",
            "A payee is already named for this money from this date; name the new one from another date.",
            field="valid_from",
            code="duplicate",
        ) from None
    following = (
        PayeeAssignment.objects.filter(estate=estate, money=money, valid_from__gt=valid_from)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    backfill = Invoice.objects.filter(
        estate=estate, charge_kind__in=_kinds_of(money), payee__isnull=True, issued_on__gte=valid_from
    )
    if following is not None:
        backfill = backfill.filter(issued_on__lt=following)
    filled = backfill.update(payee=payee)
    money_audit(
        action="payee_assign",
        obj=assignment,
        estate_id=estate.pk,
        user=actor(by),
        data={"money": money, "payee": payee.legal_name, "valid_from": valid_from.isoformat(), "bills_filled": filled},
    )
    return assignment


def _kinds_of(money: str) -> list[str]:
    from ..charges import charge_kinds

    return [spec.code for spec in charge_kinds() if spec.account == money]


def payees_in_force(*, estate_ids: Iterable[int], on: datetime.date) -> dict[tuple[int, str], int]:
    """{(estate id, kind of money): payee id} in force on a day, for many estates (one query)."""
    found: dict[tuple[int, str], int] = {}
    rows = (
        PayeeAssignment.objects.filter(estate_id__in=set(estate_ids), valid_from__lte=on)
        .order_by("estate_id", "money", "-valid_from", "-pk")
        .values_list("estate_id", "money", "payee_id")
    )
    for estate_id, money, payee_id in rows:
        found.setdefault((estate_id, money), payee_id)
    return found


def payee_for_bill(*, estate_id: int, code: str, issued_on: datetime.date) -> int | None:
    """The payee (id) a bill of this charge kind issued on this day carries, or None when none is named."""
    return payees_in_force(estate_ids=[estate_id], on=issued_on).get((estate_id, payee_money_of(code)))


def online_refusal(invoice: Invoice) -> str:
    """Why this bill cannot be paid online now ("" when it can); the payee must be loaded (select_related)."""
    payee = invoice.payee
    if payee is None:
        return _("No payee has been named for this money yet: please pay at the property service counter.")
    if not payee.account_id:
        return _("%(payee)s cannot take online payments yet (no payment account): please pay at the counter.") % {
            "payee": payee.legal_name
        }
    if not payee.charges_enabled:
        return _("%(payee)s cannot take online payments yet (its payment account is not enabled): please pay at the counter.") % {
            "payee": payee.legal_name
        }
    return ""


def online_refusals(invoices: Iterable[Invoice]) -> dict[int, str]:
    """{bill id: why it cannot be paid online} for the bills that cannot."""
    return {invoice.pk: reason for invoice in invoices if (reason := online_refusal(invoice))}


# --- the payee's account at the provider ---------------------------------------------------------


def payee_status_apply(account: PayeeAccount, *, provider: str = "stripe") -> int:
    """Keep every payee using this account as the provider says it is; returns how many were updated."""
    return Payee.objects.filter(provider=provider, account_id=account.id).update(
        charges_enabled=account.charges_enabled and not account.disabled_reason,
        payouts_enabled=account.payouts_enabled,
        details_submitted=account.details_submitted,
        status_checked_at=timezone.now(),
    )


def payee_status_refresh(*, payee: Payee, provider: PaymentProvider | None = None) -> Payee:
    """Ask the provider about the payee's account now (after onboarding, or when staff enter an id)."""
    if not payee.account_id:
        return payee
    provider = provider or get_provider(payee.provider)
    try:
        account = provider.payee_account_retrieve(payee.account_id)
    except ProviderError as exc:
        raise refuse(
            f"支付服务无法确认收款账户 {payee.account_id}（{exc}）",
            f"The payment provider could not confirm the account {payee.account_id} ({exc}).",
            code="provider",
        ) from exc
    payee_status_apply(account, provider=payee.provider)
    payee.refresh_from_db()
    return payee


def payee_onboarding_url(*, payee: Payee, refresh_url: str, return_url: str, provider: PaymentProvider | None = None) -> str:
    """Where the payee's representative opens or completes its account at the provider.

    A payee without an account gets one first (the same payee never gets two: the idempotency key is
    the payee's). Network calls: not inside a transaction.
    """
    provider = provider or get_provider(payee.provider)
    try:
        if not payee.account_id:
            account = provider.payee_account_create(name=payee.legal_name, idempotency_key=f"anju-payee-{payee.pk}")
            Payee.objects.filter(pk=payee.pk, account_id="").update(account_id=account.id)
            payee.refresh_from_db()
            payee_status_apply(account, provider=payee.provider)
            money_audit(action="payee_account_open", obj=payee, estate_id=payee.estate_id, data={"account_id": payee.account_id})
        return provider.payee_onboarding_link(account_id=payee.account_id, refresh_url=refresh_url, return_url=return_url)
    except ProviderError as exc:
        raise refuse(
            f"支付服务暂时无法开通收款账户（{exc}），请稍后再试",
            f"The payment provider could not open the payee's account ({exc}). Please try again later.",
            code="provider",
        ) from exc


def payees_named(invoices: Iterable[Invoice]) -> list[dict]:
    """The payees of these bills with what each receives, in bill order: [{"payee", "amount", "numbers"}]."""
    grouped: dict[int | None, dict] = {}
    for invoice in invoices:
        entry = grouped.setdefault(invoice.payee_id, {"payee": invoice.payee, "amount": ZERO, "numbers": []})
        entry["amount"] += invoice.outstanding
        entry["numbers"].append(invoice.number)
    return list(grouped.values())


__all__ = [
    "ACCOUNT_ID_RE",
    "online_refusal",
    "online_refusals",
    "payee_assign",
    "payee_for_bill",
    "payee_money_of",
    "payee_onboarding_url",
    "payee_save",
    "payee_status_apply",
    "payee_status_refresh",
    "payees_in_force",
    "payees_named",
]
