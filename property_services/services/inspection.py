"""Owners ask to inspect a record of their estate (查阅); the manager arranges it or refuses, with the reason.

SPC interpretation on building ownership Art. 13: an owner may ask for the records of the maintenance
fund's raising and use, the owners' decisions, the service contract, and the use of and income from
the common parts to be made public and let them inspect them; Civil Code Art. 943: the manager
discloses them. So:

- only an owner holding a unit of the record's estate today asks (``inspection_ask``), about one of its
  records: a published public income statement (with its costs' evidence), a lease of a common part,
  a use of the maintenance fund;
- the answer is due within ``settings.ANJU_INSPECTION_ANSWER_DAYS`` calendar days; later, the request
  is overdue and flagged in the back office;
- staff of the estate arrange it — a date and a place, or a copy (a PDF) — (``inspection_arrange``), or
  refuse it on one of the few grounds the right to know leaves (``RefusalReason``), saying why
  (``inspection_refuse``). Other people's personal data in a record is no ground: it is masked in the
  copy or at the inspection; then mark it done (``inspection_done``).

Statuses move through ``estates.status.transition`` (requested → arranged → done; requested → refused).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.errors import refuse
from accounts.uploads import validate_pdf
from estates.models import Estate, Owner, Ownership
from estates.selectors import estates_visible_to
from estates.status import transition

from ..models import (
    CommonPartLease,
    InspectionRequest,
    InspectionStatus,
    MaintenanceFundUse,
    PublicIncomeStatement,
    RefusalReason,
    StatementStatus,
)

MESSAGE_MAX = 1000


def inspection_answer_due(asked_on: datetime.date) -> datetime.date:
    """The last day for the answer: ``ANJU_INSPECTION_ANSWER_DAYS`` calendar days after the request."""
    return asked_on + datetime.timedelta(days=settings.ANJU_INSPECTION_ANSWER_DAYS)


@transaction.atomic
def inspection_ask(
    *, owner: Owner, record: Any, message: str = "", preferred_on: datetime.date | None = None, by: Any = None
) -> InspectionRequest:
    """An owner asks to inspect one record of their estate (SPC interpretation on building ownership Art. 13).

    Refused (nothing written) for a record of another estate, an owner who holds no unit today, someone
    asking through another person's owner record, a statement not yet published, a preferred date in
    the past, or a second open request for the same record.
    """
    if not isinstance(record, PublicIncomeStatement | CommonPartLease | MaintenanceFundUse):
        raise refuse(
            "只能申请查阅公共收益公示、共有部分租约或维修资金使用记录",
            "Ask to inspect a public income statement, a lease of a common part or a use of the maintenance fund.",
            field="record",
            code="record",
        )
    if by is not None and owner.user_id != getattr(by, "pk", None):
        raise refuse("只能以本人的业主身份申请", "Ask as yourself, an owner of the estate.", code="not_owner")
    if record.estate_id != owner.estate_id or not Ownership.objects.filter(owner=owner, until__isnull=True).exists():
        raise refuse(
            "只有本小区的业主可以申请查阅本小区的资料",
            "Only an owner of the estate may ask to inspect its records.",
            code="not_owner",
        )
    if isinstance(record, PublicIncomeStatement) and record.status != StatementStatus.PUBLISHED:
        raise refuse("该期公示尚未发布", "This statement is not published yet.", field="record", code="not_published")
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise refuse(
            f"留言最多{MESSAGE_MAX}字", f"The message is at most {MESSAGE_MAX} characters.", field="message", code="message"
        )
    today = timezone.localdate()
    if preferred_on is not None and preferred_on < today:
        raise refuse("希望查阅的日期已过", "The preferred date has passed.", field="preferred_on", code="preferred_on")
    field = {PublicIncomeStatement: "statement", CommonPartLease: "lease", MaintenanceFundUse: "fund_use"}[type(record)]
    # Locks the owner's row: two clicks at once make one request.
    Owner.objects.select_for_update().filter(pk=owner.pk).first()
    open_statuses = [InspectionStatus.REQUESTED, InspectionStatus.ARRANGED]
    if InspectionRequest.objects.filter(owner=owner, status__in=open_statuses, **{field: record}).exists():
        raise refuse(
            "您已申请查阅该资料，正在办理中", "You have asked to inspect this record already; it is in hand.", code="duplicate"
        )
    return InspectionRequest.objects.create(
        estate_id=owner.estate_id,
        owner=owner,
        asked_by=by if getattr(by, "pk", None) else None,
        message=message,
        preferred_on=preferred_on,
        answer_due_on=inspection_answer_due(today),
        **{field: record},
    )


def _answerer_check(*, estate: Estate, by: Any) -> None:
    """Staff of the request's estate answer it (``by=None``: the platform itself)."""
    if by is None:
        return
    if by.has_perm("property_services.change_inspectionrequest") and estates_visible_to(user=by).filter(pk=estate.pk).exists():
        return
    raise refuse(
        "只有本小区的管理人员可以答复查阅申请",
        "Only the estate's staff answer a request to inspect its records.",
        code="not_answerer",
    )


@transaction.atomic
def inspection_arrange(
    *,
    inspection: InspectionRequest,
    by: Any,
    on: datetime.date | None = None,
    place: str = "",
    copy: Any = None,
    answer: str = "",
) -> InspectionRequest:
    """Arrange the inspection: a date and a place, or a copy of the record (a PDF, other people's personal
    data masked), or both. The copy is stored first; nothing stays behind if the request cannot move."""
    _answerer_check(estate=inspection.estate, by=by)
    place, answer = (place or "").strip()[:200], (answer or "").strip()[:MESSAGE_MAX]
    if not ((on and place) or copy):
        raise refuse(
            "请给出查阅的日期和地点，或附上资料的复印件（PDF）",
            "Give the date and place of the inspection, or attach a copy of the record (PDF).",
            field="place",
            code="arrangement",
        )
    if on is not None and on < timezone.localdate():
        raise refuse("查阅日期已过", "The inspection date has passed.", field="arranged_on", code="arranged_on")
    stored = ""
    if copy:
        try:
            validate_pdf(copy)
        except ValidationError as exc:
            raise refuse(
                "复印件无效：" + " ".join(exc.messages), "The copy is not a valid PDF.", field="copy", code="copy"
            ) from exc
        inspection.copy.save("copy.pdf", copy, save=False)
        stored = inspection.copy.name
    try:
        transition(
            inspection,
            to=InspectionStatus.ARRANGED,
            by=by,
            arranged_on=on,
            place=place,
            copy=stored,
            answer=answer,
            answered_by=by if getattr(by, "pk", None) else None,
            answered_at=timezone.now(),
        )
    except ValidationError:
        if stored:
            inspection.copy.storage.delete(stored)
        raise
    return inspection


@transaction.atomic
def inspection_refuse(*, inspection: InspectionRequest, by: Any, reason: str, answer: str) -> InspectionRequest:
    """Refuse, on one of the grounds of ``RefusalReason`` only, and say why. The owners' right to know is the
    rule (SPC interpretation on building ownership Art. 13): other people's personal data is masked, not a
    ground for refusing."""
    _answerer_check(estate=inspection.estate, by=by)
    if reason not in RefusalReason.values:
        raise refuse(
            "请选择拒绝的理由：只有资料不由本管理人保管，或已向该业主提供过同一资料时才能拒绝",
            "Choose the ground: a request is refused only when the manager does not hold the record or has already "
            "provided it to this owner.",
            field="refusal_reason",
            code="reason",
        )
    answer = (answer or "").strip()[:MESSAGE_MAX]
    if not answer:
        raise refuse(
            "拒绝必须说明理由（例如资料由谁保管，或何时已提供）",
            "A refusal states its reason (who holds the record, or when it was provided).",
            field="answer",
            code="answer",
        )
    transition(
        inspection,
        to=InspectionStatus.REFUSED,
        by=by,
        refusal_reason=reason,
        answer=answer,
        answered_by=by if getattr(by, "pk", None) else None,
        answered_at=timezone.now(),
    )
    return inspection


@transaction.atomic
def inspection_done(*, inspection: InspectionRequest, by: Any, note: str = "") -> InspectionRequest:
    """The owner has inspected the record (or received the copy)."""
    _answerer_check(estate=inspection.estate, by=by)
    transition(inspection, to=InspectionStatus.DONE, by=by, note=note)
    return inspection


__all__ = ["inspection_answer_due", "inspection_arrange", "inspection_ask", "inspection_done", "inspection_refuse"]
