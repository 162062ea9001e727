"""Registering the people who live in a unit without owning it (tenants, household members).

住房租赁条例 Art. 37: every actual occupant of a let home is registered. The estate's staff register a
resident against an existing login, found by its mobile number among the accounts they may link (the same
set as for owners: ``estates.selectors.accounts_linkable_to_owners``), and end the registration when the
person moves out. A registered resident reports repairs of the unit and of the estate's common parts.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import refuse
from accounts.validators import normalise_mobile
from estates.models import Unit
from estates.selectors import accounts_linkable_to_owners, estates_visible_to

from ..models import UnitResident

CHANGE_PERMISSION = "property_services.change_unitresident"
ADD_PERMISSION = "property_services.add_unitresident"


def _may_manage(*, unit: Unit, by: Any, permission: str) -> None:
    if getattr(by, "is_authenticated", False) and by.has_perm(permission):
        if estates_visible_to(user=by).filter(pk=unit.building.estate_id).exists():
            return
    raise refuse("只有本小区的物业人员可以登记住户", "Only the estate's staff register its residents.", code="not_staff")


def resident_account(*, mobile: str, by: Any):
    """The login with this mobile number that ``by`` may register, or a refusal that says the same whether the
    number has no account or one that may not be linked here (the form cannot be used to probe numbers)."""
    mobile = normalise_mobile(mobile or "")
    account = accounts_linkable_to_owners(user=by).filter(mobile=mobile).first() if mobile else None
    if account is None:
        raise refuse(
            "没有可登记的账号使用该手机号：住户须先有门户账号",
            "No account that you may register has this mobile number: the resident needs a portal account first.",
            field="mobile",
            code="no_account",
        )
    return account


@transaction.atomic
def unit_resident_register(*, unit: Unit, mobile: str, since: datetime.date | None, by: Any) -> UnitResident:
    """Register the account with ``mobile`` as living in ``unit`` from ``since`` (today by default)."""
    _may_manage(unit=unit, by=by, permission=ADD_PERMISSION)
    user = resident_account(mobile=mobile, by=by)
    since = since or timezone.localdate()
    if since > timezone.localdate() + datetime.timedelta(days=31):
        raise refuse("入住日期不能晚于一个月之后", "The moving-in date is at most a month ahead.", field="since", code="since")
    current = UnitResident.objects.filter(unit=unit, user=user, until__isnull=True)
    if current.exists():
        raise refuse("此人已登记为该房屋的住户", "This person is already registered in this unit.", code="registered")
    try:
        with transaction.atomic():
            return UnitResident.objects.create(unit=unit, user=user, since=since)
    except IntegrityError:  # registered at the same moment by someone else
        raise refuse("此人已登记为该房屋的住户", "This person is already registered in this unit.", code="registered") from None


@transaction.atomic
def unit_resident_end(*, resident: UnitResident, until: datetime.date | None, by: Any) -> UnitResident:
    """End a registration (the person moved out): from the next day on they no longer report for the unit."""
    _may_manage(unit=resident.unit, by=by, permission=CHANGE_PERMISSION)
    until = until or timezone.localdate()
    if resident.until is not None:
        raise refuse("该登记已结束", "This registration has ended already.", code="ended")
    if until < resident.since:
        raise refuse(
            "迁出日期不能早于入住日期", "The moving-out date cannot be before the moving-in date.", field="until", code="until"
        )
    if UnitResident.objects.filter(Q(pk=resident.pk) & Q(until__isnull=True)).update(until=until) != 1:
        raise refuse("该登记已结束", "This registration has ended already.", code="ended")
    resident.until = until
    return resident
