"""Rental applications (租房申请): an applicant without an account applies for a published listing.

The mobile number is proven by a one-time code; the resident ID number and the phone are personal
information: stored encrypted with a masked copy for lists (and a keyed digest of the mobile for the
one-application-per-listing rule); the full values are shown only on the reviewing staff member's page, each view
logged (``ApplicationDataAccess``). Every actual occupant is registered (住房租赁条例 Art. 37): the applicant plus
``members``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estates import crypto
from estates.models import Estate
from estates.status import StatusChange, StatusFlow, register_flow
from estates.validators import mask_phone, mask_resident_id

from .listings import Listing


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: submitted → approved | rejected (with a reason) | withdrawn by the applicant.
APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    ApplicationStatus.SUBMITTED: frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}),
    ApplicationStatus.APPROVED: frozenset(),
    ApplicationStatus.REJECTED: frozenset(),
    ApplicationStatus.WITHDRAWN: frozenset(),
}


class IncomeBand(models.TextChoices):
    LOW = "low", _("Under 3,000 yuan a month")
    MIDDLE = "middle", _("3,000–8,000 yuan a month")
    HIGH = "high", _("Over 8,000 yuan a month")


class RentalApplication(models.Model):
    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="rental_applications", verbose_name=_("estate"))
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="applications", verbose_name=_("listing"))
    token = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=50)
    mobile_digest = models.CharField(max_length=64, editable=False)
    mobile_encrypted = models.TextField(editable=False)
    mobile_masked = models.CharField(_("mobile"), max_length=20, editable=False)
    id_number_encrypted = models.TextField(editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    workplace = models.CharField(_("workplace"), max_length=200)
    income_band = models.CharField(_("income band"), max_length=20, choices=IncomeBand.choices)
    priority_category = models.CharField(_("priority category"), max_length=30)
    occupants = models.PositiveSmallIntegerField(_("occupants"))
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, default=Decimal("0"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        editable=False,
        db_index=True,
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("rental application")
        verbose_name_plural = _("rental applications")
        ordering = ["-score", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "mobile_digest"], name="rental_application_one_per_mobile"),
            models.CheckConstraint(condition=models.Q(occupants__gte=1), name="rental_application_occupants"),
        ]

    def __str__(self):
        return f"{self.name[:1]}** · {self.mobile_masked}"

    def set_mobile(self, value: str) -> None:
        self.mobile_encrypted = crypto.encrypt(value)
        self.mobile_digest = crypto.digest(value)
        self.mobile_masked = mask_phone(value)

    def get_mobile(self) -> str:
        """The full number. Callers that show it to a person must log the access."""
        return crypto.decrypt(self.mobile_encrypted)

    def set_id_number(self, value: str) -> None:
        self.id_number_encrypted = crypto.encrypt(value)
        self.id_number_masked = mask_resident_id(value)

    def get_id_number(self) -> str:
        """The full number. Callers that show it to a person must log the access."""
        return crypto.decrypt(self.id_number_encrypted)


class RentalApplicationMember(models.Model):
    """Another occupant of the household (住房租赁条例 Art. 37: every actual occupant is registered)."""

    application = models.ForeignKey(RentalApplication, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=50)
    relationship = models.CharField(_("relationship"), max_length=30)

    class Meta:
        ordering = ["application", "pk"]
        verbose_name = _("household member")
        verbose_name_plural = _("household members")

    def __str__(self):
        return f"{self.name[:1]}** · {self.relationship}"


def _document_path(instance, filename: str) -> str:
    # Applicants' papers: a name nobody can guess, served only through the back office.
    return f"rentals/applications/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class RentalApplicationDocument(models.Model):
    application = models.ForeignKey(RentalApplication, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=_document_path)
    content_type = models.CharField(max_length=50)

    class Meta:
        ordering = ["application", "pk"]

    def __str__(self):
        return f"{self.application_id} · {self.content_type}"


class ApplicationDataAccess(models.Model):
    """Audit: a staff member saw an applicant's full personal data (PIPL: every view is logged)."""

    estate_scope_path = "application__estate_id"
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("viewed by"))
    application = models.ForeignKey(RentalApplication, on_delete=models.PROTECT, related_name="data_accesses")
    field = models.CharField(_("field"), max_length=30)
    at = models.DateTimeField(_("at"), default=timezone.now)

    log_label_is_personal = True  # kept out of the audit log's labels, like estates.PersonalDataAccess

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user_id} · {self.application_id} · {self.field}"


class RentalApplicationStatusChange(StatusChange):
    estate_scope_path = "application__estate_id"

    application = models.ForeignKey(
        RentalApplication, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("application")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=ApplicationStatus.choices)

    class Meta:
        ordering = ["application", "at", "pk"]
        verbose_name = _("application status change")
        verbose_name_plural = _("application status changes")


register_flow(
    StatusFlow(
        model=RentalApplication,
        history=RentalApplicationStatusChange,
        subject="application",
        transitions=APPLICATION_TRANSITIONS,
        noun_zh="租房申请",
        noun_en="rental application",
        choices=ApplicationStatus,
    )
)
