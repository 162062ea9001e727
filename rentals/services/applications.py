"""Rental applications: an applicant without an account applies for a published listing (mobile proven by a
one-time code), tracks it by an unguessable link and may withdraw it; staff approve or reject it with a reason."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.errors import refuse
from accounts.one_time_codes import code_send, code_verify
from accounts.sms import sms_backend
from accounts.uploads import pdf_bytes_valid, validate_image
from accounts.validators import normalise_mobile, validate_mainland_mobile
from estates import crypto
from estates.status import transition
from estates.validators import normalise_resident_id, validate_resident_id

from ..models import (
    AgreementStatus,
    ApplicationDataAccess,
    ApplicationStatus,
    IncomeBand,
    Listing,
    ListingStatus,
    RentalApplication,
    RentalApplicationDocument,
    RentalApplicationMember,
    RentalApplicationStatusChange,
)
from ..scoring import application_score, priority_rules
from .entrustments import _staff_check

PURPOSE = "rental_application"
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 10


def _open_listing(listing: Listing) -> None:
    if listing.status != ListingStatus.PUBLISHED or listing.agreement.status != AgreementStatus.ACTIVE:
        raise refuse("该房源已不接受申请", "This listing no longer takes applications.", code="listing_closed")


def application_send_code(*, listing: Listing, mobile: str, address: str | None = None) -> None:
    """Send the one-time code to the applicant's mobile (rate-limited by ``accounts.one_time_codes``)."""
    _open_listing(listing)
    try:
        code_send(mobile=mobile, purpose=PURPOSE, address=address)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"mobile": exc.error_list}) from exc


def _check_document(file) -> str:
    """A PDF or an image by its content, at most 10 MB; returns its content type."""
    size = getattr(file, "size", None)
    if size is not None and size > DOCUMENT_MAX_BYTES:
        raise refuse("文件过大（最大 10 MB）", "The file is too large (at most 10 MB).", field="documents", code="too_large")
    file.seek(0)
    head = file.read(DOCUMENT_MAX_BYTES + 1)
    file.seek(0)
    if len(head) > DOCUMENT_MAX_BYTES:
        raise refuse("文件过大（最大 10 MB）", "The file is too large (at most 10 MB).", field="documents", code="too_large")
    if pdf_bytes_valid(head):
        return "application/pdf"
    try:
        validate_image(file, max_bytes=DOCUMENT_MAX_BYTES)
    except ValidationError as exc:
        raise refuse(
            "只能上传PDF或图片（按文件内容检查）",
            "Only PDF files or images can be uploaded (checked by content).",
            field="documents",
            code="bad_document",
        ) from exc
    from PIL import Image

    file.seek(0)
    with Image.open(file) as image:
        kind = image.format
    file.seek(0)
    return Image.MIME.get(kind, "image/jpeg")


def _members(members: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for m in members or []:
        name, relationship = (m.get("name") or "").strip(), (m.get("relationship") or "").strip()
        if not name and not relationship:
            continue
        if not name or not relationship:
            raise refuse(
                "请填写每位同住人的姓名和关系",
                "Give each household member's name and relationship.",
                field="members",
                code="member",
            )
        out.append({"name": name[:50], "relationship": relationship[:30]})
    return out


def application_submit(
    *,
    listing: Listing,
    mobile: str,
    code: str,
    name: str,
    id_number: str,
    workplace: str,
    income_band: str,
    priority_category: str,
    members: list[dict[str, Any]] | None = None,
    documents: list[Any] | None = None,
) -> RentalApplication:
    """Check everything, then the one-time code, then write the application, its household and documents at once.

    Every actual occupant is registered: the applicant and each member (住房租赁条例 Art. 37); together they may
    not exceed the listing's maximum occupants under the city's limits (Art. 7). One application per listing and
    mobile (a DB constraint too). A refusal writes nothing."""
    _open_listing(listing)
    mobile = normalise_mobile(mobile or "")
    try:
        validate_mainland_mobile(mobile)
    except ValidationError as exc:
        raise ValidationError({"mobile": exc.error_list}) from exc
    name = (name or "").strip()
    if not name:
        raise refuse("请填写姓名", "Give your name.", field="name", code="name")
    id_number = normalise_resident_id(id_number)
    try:
        validate_resident_id(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from exc
    if not (workplace or "").strip():
        raise refuse("请填写工作单位", "Give your workplace.", field="workplace", code="workplace")
    if income_band not in IncomeBand.values:
        raise refuse("请选择收入区间", "Choose an income band.", field="income_band", code="income_band")
    if priority_category not in priority_rules()["categories"]:
        raise refuse("请选择优先类别", "Choose a priority category.", field="priority_category", code="category")
    household = _members(members or [])
    occupants = 1 + len(household)
    limit = listing.max_occupants
    if occupants > limit:
        raise refuse(
            f"入住人数（{occupants}人）超过该房源上限（{limit}人）",
            f"{occupants} occupants exceed this flat's limit of {limit}.",
            field="members",
            code="too_many_occupants",
        )
    documents = list(documents or [])
    if len(documents) > MAX_DOCUMENTS:
        raise refuse(
            f"最多上传{MAX_DOCUMENTS}个文件", f"Attach at most {MAX_DOCUMENTS} files.", field="documents", code="documents"
        )
    checked = [(f, _check_document(f)) for f in documents]
    if RentalApplication.objects.filter(listing=listing, mobile_digest=crypto.digest(mobile)).exists():
        raise _twice()
    code_verify(mobile=mobile, purpose=PURPOSE, code=code)  # counts a wrong try in its own transaction
    score = application_score(category=priority_category, occupants=occupants, max_occupants=limit, income_band=income_band)
    try:
        with transaction.atomic():
            application = RentalApplication(
                estate_id=listing.estate_id,
                listing=listing,
                token=secrets.token_urlsafe(32),
                name=name[:50],
                workplace=workplace.strip()[:200],
                income_band=income_band,
                priority_category=priority_category,
                occupants=occupants,
                score=score.total,
            )
            application.set_mobile(mobile)
            application.set_id_number(id_number)
            application.save()
            RentalApplicationMember.objects.bulk_create(RentalApplicationMember(application=application, **m) for m in household)
            for file, content_type in checked:
                row = RentalApplicationDocument(application=application, content_type=content_type)
                row.file.save("document", file, save=False)
                row.save()
            RentalApplicationStatusChange.objects.create(application=application, from_status="", to_status=application.status)
    except IntegrityError as exc:
        raise _twice() from exc
    return application


def _twice() -> ValidationError:
    return refuse(
        "您已用该手机号申请过此房源，不能重复申请",
        "You have already applied for this flat with this mobile number.",
        field="mobile",
        code="applied_twice",
    )


@transaction.atomic
def application_withdraw(*, token: str) -> RentalApplication:
    """The applicant withdraws a submitted application (by its tracking link)."""
    application = RentalApplication.objects.select_for_update().get(token=token)
    transition(application, to=ApplicationStatus.WITHDRAWN, by=None)
    return application


def _text_applicant(application: RentalApplication, message: str) -> None:
    """Text the applicant once the decision is committed (a refused move sends nothing)."""
    mobile = application.get_mobile()
    transaction.on_commit(lambda: sms_backend().send(phone=mobile, message=message), robust=True)


@transaction.atomic
def application_approve(*, application: RentalApplication, by) -> RentalApplication:
    """Approve; the applicant is texted that staff will contact them to draw up the lease."""
    _staff_check(by, application.estate_id)
    transition(application, to=ApplicationStatus.APPROVED, by=by)
    _text_applicant(
        application,
        f"【安居】{application.name}您好，您的租房申请已通过审核，工作人员将与您联系签订租赁合同。",
    )
    return application


@transaction.atomic
def application_reject(*, application: RentalApplication, by, reason: str) -> RentalApplication:
    """Reject with a reason the applicant sees on the tracking page."""
    _staff_check(by, application.estate_id)
    reason = (reason or "").strip()
    if not reason:
        raise refuse("驳回须说明理由", "Give a reason for the rejection.", field="reason", code="reason")
    transition(application, to=ApplicationStatus.REJECTED, by=by, reason=reason[:500])
    _text_applicant(
        application, f"【安居】{application.name}您好，您的租房申请未通过。原因：{reason[:200]}。可凭申请时的查询链接查看详情。"
    )
    return application


def application_reveal(*, application: RentalApplication, viewer) -> dict[str, str]:
    """The applicant's full mobile and ID number for the reviewing staff member; each view logged (PIPL)."""
    _staff_check(viewer, application.estate_id)
    ApplicationDataAccess.objects.bulk_create(
        [ApplicationDataAccess(user=viewer, application=application, field=f) for f in ("mobile", "id_number")]
    )
    return {"mobile": application.get_mobile(), "id_number": application.get_id_number()}
