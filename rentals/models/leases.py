"""Leases of pooled flats (租赁合同), their rent reminders, the deposit's settlement and the hand-back.

A lease is made from an approved application for a flat under an entrustment agreement in force. The
lessor of record is the owner (agency) or the operator (sublet, 包租), so the rent's payee follows the
agreement's mode (``Lease.rent_payee``, fixed when the lease is drawn up). The rules the lease encodes:

- real-name, with the filing (登记备案) number and status recorded (住房租赁条例 Art. 8);
- the deposit, when it is returned and the only cases in which it may be reduced (Art. 10);
- at most 20 years (Civil Code Art. 705) and never past the agreement's term; leases of one flat never
  overlap;
- rent collected at most three months at a time; a deposit above one month's rent goes only to a payee
  that is a supervised account, as all rent does in the sublet mode (2021 national opinion on rental
  companies, 住房租赁条例 Art. 19); no loan product is ever attached to rent (there is no field for one);
- overdue rent leads to a reminder with a cure period before any termination (Civil Code Art. 722); no
  step cuts utilities or locks a tenant out (住房租赁条例 Art. 12): termination is a dated notice only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estates import crypto
from estates.models import Estate, Unit
from estates.status import StatusChange, StatusFlow, register_flow
from estates.validators import mask_phone, mask_resident_id

from .applications import RentalApplication
from .entrustments import EntrustmentAgreement
from .listings import Listing

#: Civil Code Art. 705: a lease term may not exceed twenty years.
MAX_LEASE_YEARS = 20
#: 2021 national opinion on rental companies: rent is collected at most three months at a time.
MAX_RENT_CYCLE_MONTHS = 3


class DepositCase(models.TextChoices):
    """The cases in which a deposit may be reduced; each lease names the ones it allows (住房租赁条例 Art. 10)."""

    UNPAID_RENT = "unpaid_rent", _("Rent unpaid when the lease ends")
    DAMAGE = "damage", _("Damage beyond fair wear and tear")
    UNPAID_UTILITIES = "unpaid_utilities", _("Unpaid water, electricity and gas")
    MISSING_ITEMS = "missing_items", _("Furniture or appliances missing from the inventory")
    KEYS = "keys", _("Keys or access cards not returned")


class FilingStatus(models.TextChoices):
    """The lease's filing (登记备案) on the housing rental platform (住房租赁条例 Art. 8)."""

    NOT_FILED = "not_filed", _("Not filed yet")
    SUBMITTED = "submitted", _("Submitted for filing")
    FILED = "filed", _("Filed")
    REFUSED = "refused", _("Filing refused")


class LeaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In force")
    NOTICE = "notice", _("Notice given")
    ENDED = "ended", _("Ended")
    TERMINATED = "terminated", _("Terminated")
    CANCELLED = "cancelled", _("Not signed")


#: draft → active (signed) | cancelled; active → notice (termination notice) | ended (term over);
#: notice → ended | active (notice withdrawn, e.g. arrears cured); ended and terminated are final.
LEASE_TRANSITIONS: dict[str, frozenset[str]] = {
    LeaseStatus.DRAFT: frozenset({LeaseStatus.ACTIVE, LeaseStatus.CANCELLED}),
    LeaseStatus.ACTIVE: frozenset({LeaseStatus.NOTICE, LeaseStatus.ENDED}),
    LeaseStatus.NOTICE: frozenset({LeaseStatus.ACTIVE, LeaseStatus.TERMINATED, LeaseStatus.ENDED}),
    LeaseStatus.ENDED: frozenset(),
    LeaseStatus.TERMINATED: frozenset(),
    LeaseStatus.CANCELLED: frozenset(),
}
#: Statuses in which a lease holds its flat (no other lease may overlap it).
HOLDING_LEASE_STATUSES = (LeaseStatus.DRAFT, LeaseStatus.ACTIVE, LeaseStatus.NOTICE)


class TerminationKind(models.TextChoices):
    BY_TENANT = "by_tenant", _("The tenant gives notice")
    BY_LESSOR_ARREARS = "arrears", _("The lessor ends it for rent unpaid after the cure period")
    MUTUAL = "mutual", _("Both parties agree")
    AGREEMENT_RETURNED = "agreement_returned", _("The entrustment agreement ends early")


class Lease(models.Model):
    """A real-name lease of a pooled flat to a tenant household."""

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="leases", verbose_name=_("estate"))
    agreement = models.ForeignKey(
        EntrustmentAgreement, on_delete=models.PROTECT, related_name="leases", verbose_name=_("entrustment agreement")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="leases", verbose_name=_("flat"))
    listing = models.ForeignKey(
        Listing, on_delete=models.PROTECT, null=True, blank=True, related_name="leases", verbose_name=_("listing")
    )
    application = models.OneToOneField(
        RentalApplication, on_delete=models.PROTECT, null=True, blank=True, related_name="lease", verbose_name=_("application")
    )
    renews = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="renewed_by", verbose_name=_("renews")
    )
    number = models.CharField(_("lease number"), max_length=30, unique=True)
    # The tenant, by real name (Art. 8); mobile and ID number protected like an applicant's.
    tenant_name = models.CharField(_("tenant"), max_length=50)
    tenant_mobile_encrypted = models.TextField(editable=False)
    tenant_mobile_masked = models.CharField(_("tenant's mobile"), max_length=20, editable=False)
    tenant_id_number_encrypted = models.TextField(editable=False)
    tenant_id_number_masked = models.CharField(_("tenant's ID number"), max_length=18, editable=False)
    tenant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leases",
        verbose_name=_("tenant's account"),
    )
    occupants = models.PositiveSmallIntegerField(_("occupants"), validators=[MinValueValidator(1)])
    start_on = models.DateField(_("starts on"))
    end_on = models.DateField(_("ends on"), help_text=_("The last day of the lease."))
    monthly_rent = models.DecimalField(_("monthly rent (CNY)"), max_digits=10, decimal_places=2)
    rent_day = models.PositiveSmallIntegerField(
        _("rent day"),
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Day of the month by which each cycle's rent is paid, in advance."),
    )
    cycle_months = models.PositiveSmallIntegerField(
        _("months of rent collected at a time"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RENT_CYCLE_MONTHS)],
    )
    deposit = models.DecimalField(_("deposit (CNY)"), max_digits=10, decimal_places=2, default=0)
    deposit_return_days = models.PositiveSmallIntegerField(
        _("deposit returned within (days after hand-back)"), default=15, validators=[MaxValueValidator(60)]
    )
    deposit_cases = models.JSONField(_("cases in which the deposit may be reduced"), default=list, blank=True)
    notice_days = models.PositiveSmallIntegerField(_("notice to end the lease early (days)"), default=30)
    # Who receives the rent and the deposit: the lessor of record's payee, fixed when the lease is drawn up.
    rent_payee = models.ForeignKey(
        "billing.Payee", on_delete=models.PROTECT, related_name="+", verbose_name=_("rent and deposit paid to")
    )
    filing_status = models.CharField(
        _("filing (登记备案)"), max_length=20, choices=FilingStatus.choices, default=FilingStatus.NOT_FILED
    )
    filing_number = models.CharField(_("filing number"), max_length=50, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=LeaseStatus.choices, default=LeaseStatus.DRAFT, editable=False, db_index=True
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    # A termination is a dated notice, never a lock-out (Art. 12): the tenant stays until ``terminates_on``.
    termination_kind = models.CharField(_("termination"), max_length=30, choices=TerminationKind.choices, blank=True)
    termination_reason = models.CharField(_("reason for ending"), max_length=500, blank=True)
    notice_given_on = models.DateField(_("notice given on"), null=True, blank=True)
    terminates_on = models.DateField(_("ends early on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("drawn up by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        ordering = ["-start_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end_on__gt=F("start_on")), name="lease_end_after_start"),
            models.CheckConstraint(condition=Q(monthly_rent__gt=0), name="lease_rent_positive"),
            models.CheckConstraint(condition=Q(deposit__gte=0), name="lease_deposit_not_negative"),
            models.CheckConstraint(condition=Q(cycle_months__gte=1, cycle_months__lte=3), name="lease_cycle_at_most_3_months"),
            models.CheckConstraint(condition=Q(rent_day__gte=1, rent_day__lte=28), name="lease_rent_day_1_to_28"),
        ]
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self):
        return f"{self.number} · {self.tenant_name[:1]}**"

    def set_tenant_mobile(self, value: str) -> None:
        self.tenant_mobile_encrypted = crypto.encrypt(value)
        self.tenant_mobile_masked = mask_phone(value)

    def get_tenant_mobile(self) -> str:
        """The full number. Callers that show it to a person must log the access."""
        return crypto.decrypt(self.tenant_mobile_encrypted)

    def set_tenant_id_number(self, value: str) -> None:
        self.tenant_id_number_encrypted = crypto.encrypt(value)
        self.tenant_id_number_masked = mask_resident_id(value)

    def get_tenant_id_number(self) -> str:
        """The full number. Callers that show it to a person must log the access."""
        return crypto.decrypt(self.tenant_id_number_encrypted)

    @property
    def last_day(self):
        """The day the tenancy ends: the notice's date when one is given, else the term's last day."""
        return self.terminates_on or self.end_on


class LeaseStatusChange(StatusChange):
    estate_scope_path = "lease__estate_id"

    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("lease"))
    from_status = models.CharField(_("from status"), max_length=20, choices=LeaseStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=LeaseStatus.choices)

    class Meta:
        ordering = ["lease", "at", "pk"]
        verbose_name = _("lease status change")
        verbose_name_plural = _("lease status changes")


class RentReminder(models.Model):
    """A reminder of overdue rent with a cure period (Civil Code Art. 722): the lessor may end the lease for this
    bill only after ``cure_until`` has passed with the bill still unpaid."""

    estate_scope_path = "lease__estate_id"

    lease = models.ForeignKey(Lease, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("lease"))
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="+", verbose_name=_("bill"))
    sent_on = models.DateField(_("sent on"))
    cure_until = models.DateField(_("to be paid by"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("sent by")
    )

    class Meta:
        verbose_name = _("rent reminder")
        verbose_name_plural = _("rent reminders")
        ordering = ["lease", "-sent_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice"], name="rent_reminder_once_per_bill"),
            models.CheckConstraint(condition=Q(cure_until__gt=F("sent_on")), name="rent_reminder_cure_after_sending"),
        ]

    def __str__(self):
        return f"{self.lease_id} · {self.invoice_id} · {self.cure_until}"


class HandBack(models.Model):
    """The hand-back checklist when the tenant leaves: keys, meter readings, the flat's condition item by item."""

    estate_scope_path = "lease__estate_id"

    lease = models.OneToOneField(Lease, on_delete=models.PROTECT, related_name="hand_back", verbose_name=_("lease"))
    handed_back_on = models.DateField(_("handed back on"))
    # [{"item": "…", "ok": true, "note": "…"}, …]
    items = models.JSONField(_("checklist"), default=list)
    keys_returned = models.PositiveSmallIntegerField(_("keys and cards returned"), default=0)
    water_reading = models.DecimalField(_("water meter"), max_digits=10, decimal_places=2, null=True, blank=True)
    electricity_reading = models.DecimalField(_("electricity meter"), max_digits=10, decimal_places=2, null=True, blank=True)
    gas_reading = models.DecimalField(_("gas meter"), max_digits=10, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("hand-back")
        verbose_name_plural = _("hand-backs")

    def __str__(self):
        return f"{self.lease_id} · {self.handed_back_on}"


class DepositSettlement(models.Model):
    """The deposit's settlement: deductions (each one of the lease's cases) never above the deposit; the rest is
    returned to the tenant."""

    estate_scope_path = "lease__estate_id"

    lease = models.OneToOneField(Lease, on_delete=models.PROTECT, related_name="deposit_settlement", verbose_name=_("lease"))
    deposit = models.DecimalField(_("deposit (CNY)"), max_digits=10, decimal_places=2)
    deducted = models.DecimalField(_("deducted (CNY)"), max_digits=10, decimal_places=2)
    returned = models.DecimalField(_("returned (CNY)"), max_digits=10, decimal_places=2)
    return_due_on = models.DateField(_("to be returned by"))
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    return_reference = models.CharField(_("reference of the return"), max_length=100, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("settled by")
    )
    settled_at = models.DateTimeField(_("settled at"), default=timezone.now)

    class Meta:
        verbose_name = _("deposit settlement")
        verbose_name_plural = _("deposit settlements")
        constraints = [
            models.CheckConstraint(
                condition=Q(deducted__gte=0) & Q(deducted__lte=F("deposit")), name="deposit_deductions_within_deposit"
            ),
            models.CheckConstraint(condition=Q(returned=F("deposit") - F("deducted")), name="deposit_returned_is_the_rest"),
        ]

    def __str__(self):
        return f"{self.lease_id} · {self.returned}"


class DepositDeduction(models.Model):
    estate_scope_path = "settlement__lease__estate_id"

    settlement = models.ForeignKey(
        DepositSettlement, on_delete=models.CASCADE, related_name="deductions", verbose_name=_("settlement")
    )
    case = models.CharField(_("case"), max_length=30, choices=DepositCase.choices)
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("deposit deduction")
        verbose_name_plural = _("deposit deductions")
        ordering = ["settlement", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_deduction_positive")]

    def __str__(self):
        return f"{self.get_case_display()} {self.amount}"


register_flow(
    StatusFlow(
        model=Lease,
        history=LeaseStatusChange,
        subject="lease",
        transitions=LEASE_TRANSITIONS,
        noun_zh="租赁合同",
        noun_en="lease",
        choices=LeaseStatus,
    )
)
