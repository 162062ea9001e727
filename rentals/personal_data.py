"""rentals' part of a person's data (PIPL Art. 45) and of the log of full views of personal data; an applicant's own
copy of an application and its erasure (PIPL Art. 47)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import refuse
from accounts.personal_data import AccessRow
from estates import crypto

from .models import ApplicationDataAccess, ApplicationStatus, Entrustment, Lease, RentalApplication


def application_record(application: RentalApplication) -> dict:
    """One application with its full mobile and ID number (for the applicant themself only)."""
    return {
        _("application"): application.listing_id,
        _("flat"): str(application.listing.agreement.unit.key) if application.listing_id else "",
        _("name"): application.name,
        _("mobile"): application.get_mobile() if application.mobile_encrypted else "",
        _("ID number"): application.get_id_number() if application.id_number_encrypted else "",
        _("workplace"): application.workplace,
        _("income band"): application.get_income_band_display(),
        _("priority category"): application.priority_category,
        _("household members"): "、".join(f"{m.name}（{m.relationship}）" for m in application.members.all()),
        _("documents"): application.documents.count(),
        _("status"): application.get_status_display(),
        _("submitted at"): application.submitted_at,
    }


def export(user):
    records: list[dict] = [
        {
            _("entrustment"): e.unit.key,
            _("status"): e.get_status_display(),
            _("applied at"): e.applied_at,
        }
        for e in Entrustment.objects.filter(applied_by=user).select_related("unit__building").order_by("pk")
    ]
    applications = (
        RentalApplication.objects.filter(mobile_digest=crypto.digest(user.mobile))
        .select_related("listing__agreement__unit__building")
        .prefetch_related("members")
        .order_by("pk")
    )
    records += [application_record(a) for a in applications]
    records += [
        {
            _("lease"): lease.number,
            _("tenant"): lease.tenant_name,
            _("ID number"): lease.get_tenant_id_number(),
            _("starts on"): lease.start_on,
            _("ends on"): lease.end_on,
            _("monthly rent (CNY)"): lease.monthly_rent,
            _("status"): lease.get_status_display(),
        }
        for lease in Lease.objects.filter(tenant_user=user).order_by("pk")
    ]
    return _("Rentals (存房)"), records


def access_log(limit: int) -> list[AccessRow]:
    rows = ApplicationDataAccess.objects.select_related("user").order_by("-at")[:limit]
    return [
        AccessRow(
            at=row.at,
            viewer=f"{row.user.masked_mobile} {row.user.name}".strip(),
            subject=_("applicant #%(id)s") % {"id": row.application_id},
            field=row.field,
        )
        for row in rows
    ]


ERASED = "已删除"


@transaction.atomic
def application_erase(*, application: RentalApplication) -> RentalApplication:
    """The applicant asks for their application's deletion (PIPL Art. 47). An application still being decided is
    withdrawn first; an approved one is kept, because its lease (a contract the law requires, 住房租赁条例 Art. 8)
    relies on it. What identifies the person — name, mobile, ID number, workplace, household members and documents
    (with their files) — is erased; the row stays, without them, so that the listing's counts stay true."""
    from estates.status import transition

    application = RentalApplication.objects.select_for_update().get(pk=application.pk)
    if application.status == ApplicationStatus.APPROVED:
        raise refuse(
            "申请已获批准并用于签订租赁合同，依法需保存，不能删除；如有疑问请联系物业服务中心",
            "The application was approved and its lease relies on it, so the law requires it to be kept; "
            "ask the property office if you have questions.",
            code="approved",
        )
    if application.status == ApplicationStatus.SUBMITTED:
        transition(application, to=ApplicationStatus.WITHDRAWN, by=None, note="申请人要求删除个人信息")
    for document in application.documents.all():
        document.file.delete(save=False)
    application.documents.all().delete()
    application.members.all().delete()
    application.name = ERASED
    application.workplace = ""
    application.mobile_encrypted = application.id_number_encrypted = ""
    application.mobile_masked = application.id_number_masked = ERASED
    # The digest is kept blank-free but no longer the person's: they may apply again as anyone may.
    application.mobile_digest = f"erased-{application.pk}"
    application.save()
    return application
