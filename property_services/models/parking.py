"""Parking on the estate's common ground: the visitor tariff, the gates' key, and the stays gates record.

Spaces on the owners' common ground earn public income (Civil Code Art. 275 para. 2, Art. 282):
what visitors pay is billed through billing as ``parking_session`` into the owners' public income.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from estates.models import Estate

from ..parking import ParkingTariff


class FreePer(models.TextChoices):
    DAY = "day", _("first stay of the day")
    ENTRY = "entry", _("every stay")


class CapWindow(models.TextChoices):
    NATURAL_DAY = "natural_day", _("calendar day")
    ROLLING_24H = "rolling_24h", _("24 hours from entry")


class ParkingRate(models.Model):
    """The estate's visitor tariff from a date (property_services.parking.fee computes with it)."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="parking_rates", verbose_name=_("estate"))
    valid_from = models.DateField(_("valid from"))
    free_minutes = models.PositiveIntegerField(_("free minutes"), default=30)
    free_per = models.CharField(_("free time applies to"), max_length=10, choices=FreePer.choices, default=FreePer.DAY)
    first_minutes = models.PositiveIntegerField(_("first period (minutes)"), default=60)
    first_fee = models.DecimalField(_("first period fee (CNY)"), max_digits=8, decimal_places=2)
    interval_minutes = models.PositiveIntegerField(_("interval (minutes)"), default=30)
    interval_fee = models.DecimalField(_("fee per started interval (CNY)"), max_digits=8, decimal_places=2)
    cap = models.DecimalField(_("cap (CNY)"), max_digits=8, decimal_places=2, null=True, blank=True)
    cap_window = models.CharField(_("cap per"), max_length=20, choices=CapWindow.choices, default=CapWindow.NATURAL_DAY)
    # The night rate (property_services.parking): a flat fee per night for the part of a stay inside
    # the window, instead of the intervals of those minutes. All three, or none (no night rate).
    night_start = models.TimeField(_("night starts at"), null=True, blank=True, help_text=_("Beijing time, e.g. 19:00."))
    night_end = models.TimeField(
        _("night ends at"), null=True, blank=True, help_text=_("Beijing time, e.g. 07:00 the next morning.")
    )
    night_fee = models.DecimalField(
        _("fee per night (CNY)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Charged once for each night a stay is inside, instead of the intervals; the cap still applies."),
    )
    grace_minutes = models.PositiveIntegerField(
        _("minutes to leave after paying"),
        default=15,
        help_text=_("A visitor who paid before leaving passes the gate free within this time; later, only the extra is billed."),
    )

    class Meta:
        verbose_name = _("visitor parking tariff")
        verbose_name_plural = _("visitor parking tariffs")
        ordering = ["estate", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "valid_from"], name="parking_rate_once_per_day"),
            models.CheckConstraint(
                condition=Q(first_minutes__gt=0) & Q(interval_minutes__gt=0), name="parking_rate_periods_positive"
            ),
            models.CheckConstraint(
                condition=Q(first_fee__gte=0) & Q(interval_fee__gte=0) & (Q(cap__isnull=True) | Q(cap__gte=0)),
                name="parking_rate_fees_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(night_start__isnull=True, night_end__isnull=True, night_fee__isnull=True)
                | (Q(night_start__isnull=False, night_end__isnull=False, night_fee__gte=0) & ~Q(night_start=F("night_end"))),
                name="parking_rate_night_all_or_none",
            ),
        ]

    def __str__(self):
        return f"{self.estate} {self.valid_from}"

    def clean(self):
        """The tariff must make sense as ``fee`` reads it (a night rate: its start, end and fee, or none)."""
        super().clean()
        required = (self.free_minutes, self.first_minutes, self.first_fee, self.interval_minutes, self.interval_fee)
        if any(value is None for value in required):
            return  # the fields' own errors say what is missing
        try:
            self.as_tariff()
        except ValidationError as exc:
            if exc.code == "night":
                raise ValidationError({"night_fee": exc.messages}) from None
            raise

    def as_tariff(self) -> ParkingTariff:
        return ParkingTariff(
            free_minutes=self.free_minutes,
            free_per=self.free_per,  # type: ignore[arg-type]
            first_minutes=self.first_minutes,
            first_fee=Decimal(self.first_fee),
            interval_minutes=self.interval_minutes,
            interval_fee=Decimal(self.interval_fee),
            cap=Decimal(self.cap) if self.cap is not None else None,
            cap_window=self.cap_window,  # type: ignore[arg-type]
            night_start=self.night_start,
            night_end=self.night_end,
            night_fee=Decimal(self.night_fee) if self.night_fee is not None else None,
        )


class GateKey(models.Model):
    """The secret the estate's plate-recognition gates sign their records with (HMAC-SHA256).

    One per estate, rotated by staff in the back office; a record signed with an old key, or with
    another estate's key, is refused.
    """

    estate = models.OneToOneField(Estate, on_delete=models.PROTECT, related_name="gate_key", verbose_name=_("estate"))
    key = models.CharField(_("key"), max_length=100)
    rotated_at = models.DateTimeField(_("rotated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gate key")
        verbose_name_plural = _("gate keys")

    def __str__(self):
        return f"{self.estate} {self.rotated_at:%Y-%m-%d}"


class ParkingStay(models.Model):
    """A vehicle's stay, as the gates recorded it: entry, then exit with the fee due.

    Each gate record carries the gate's own serial number: a record sent again (a gate catching up
    after being offline) finds its stay and changes nothing.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="parking_stays", verbose_name=_("estate"))
    plate = models.CharField(_("plate"), max_length=8)
    entered_at = models.DateTimeField(_("entered at"))
    enter_gate = models.CharField(_("entry gate"), max_length=40)
    enter_serial = models.CharField(_("entry record serial"), max_length=80)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    leave_gate = models.CharField(_("exit gate"), max_length=40, blank=True)
    leave_serial = models.CharField(_("exit record serial"), max_length=80, blank=True)
    visitor = models.BooleanField(_("visitor"), default=True)
    amount = models.DecimalField(_("fee (CNY)"), max_digits=10, decimal_places=2, null=True, blank=True)
    invoice_id = models.BigIntegerField(_("bill"), null=True, blank=True)

    class Meta:
        verbose_name = _("parking stay")
        verbose_name_plural = _("parking stays")
        ordering = ["-entered_at"]
        indexes = [models.Index(fields=["estate", "plate", "entered_at"])]
        constraints = [
            models.UniqueConstraint(fields=["estate", "enter_gate", "enter_serial"], name="stay_entry_record_once"),
            models.UniqueConstraint(
                fields=["estate", "leave_gate", "leave_serial"], condition=~Q(leave_serial=""), name="stay_exit_record_once"
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=F("entered_at")), name="stay_leaves_after_entry"
            ),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="stay_amount_non_negative"),
        ]

    def __str__(self):
        return f"{self.plate} {self.entered_at:%Y-%m-%d %H:%M}"


class ParkingPrepayment(models.Model):
    """A visitor's payment, before leaving, of a stay's fee so far (the estate's pay page, by plate).

    The fee is computed up to ``until``; its bill (``invoice_id``, ``parking_session``: the owners'
    public income, Civil Code Arts. 275, 282) is paid online as a guest. Leaving within the tariff's
    grace minutes after a paid prepayment opens the gate; leaving later, only what the fee grew by is
    billed at the exit. A prepayment's bill nobody paid is voided when a new one is made or the car
    leaves.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="parking_prepayments", verbose_name=_("estate"))
    stay = models.ForeignKey(ParkingStay, on_delete=models.PROTECT, related_name="prepayments", verbose_name=_("stay"))
    until = models.DateTimeField(_("fee computed until"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=10, decimal_places=2)
    invoice_id = models.BigIntegerField(_("bill"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("parking fee paid before leaving")
        verbose_name_plural = _("parking fees paid before leaving")
        ordering = ["stay", "until", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="prepayment_amount_positive")]

    def __str__(self):
        return f"{self.stay} → {self.until:%H:%M}"


class SpaceKind(models.TextChoices):
    PLANNED = "planned", _("planned space (规划车位)")
    COMMON_GROUND = "common_ground", _("space on common ground (common property, Art. 275)")


class PermitPeriod(models.TextChoices):
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")
    YEAR = "year", _("yearly")


PERMIT_MONTHS = {PermitPeriod.MONTH: 1, PermitPeriod.QUARTER: 3, PermitPeriod.YEAR: 12}


class ParkingSpace(models.Model):
    """A space of the estate's register: planned with the buildings, or marked out on common ground.

    Spaces that occupy the owners' roads or common ground are common property (Civil Code Art. 275
    para. 2): what they earn is the owners' public income (Art. 282).
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="parking_spaces", verbose_name=_("estate"))
    code = models.CharField(_("space number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, choices=SpaceKind.choices, default=SpaceKind.COMMON_GROUND)
    month_fee = models.DecimalField(_("monthly permit fee (CNY)"), max_digits=8, decimal_places=2)
    in_service = models.BooleanField(_("in service"), default=True)

    class Meta:
        verbose_name = _("parking space")
        verbose_name_plural = _("parking spaces")
        ordering = ["estate", "code"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "code"], name="parking_space_code_unique"),
            models.CheckConstraint(condition=Q(month_fee__gte=0), name="parking_space_fee_non_negative"),
        ]

    def __str__(self):
        return f"{self.estate} {self.code}"


class ParkingPermit(models.Model):
    """A permit to park one plate on one space for a month, a quarter or a year, billed through billing.

    Owners come first (Civil Code Art. 276): a permit for someone who is not an owner or tenant of the
    estate is monthly only, and only while no owner is waiting for a space.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="parking_permits", verbose_name=_("estate"))
    space = models.ForeignKey(ParkingSpace, on_delete=models.PROTECT, related_name="permits", verbose_name=_("space"))
    plate = models.CharField(_("plate"), max_length=8)
    owner = models.ForeignKey(
        "estates.Owner", on_delete=models.PROTECT, null=True, blank=True, related_name="parking_permits", verbose_name=_("owner")
    )
    holder_name = models.CharField(_("holder"), max_length=100, blank=True, help_text=_("For someone who is not an owner."))
    period = models.CharField(_("period"), max_length=10, choices=PermitPeriod.choices, default=PermitPeriod.MONTH)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), help_text=_("The last day the permit is valid."))
    invoice_id = models.BigIntegerField(_("bill"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("parking permit")
        verbose_name_plural = _("parking permits")
        ordering = ["estate", "-valid_from"]
        indexes = [models.Index(fields=["estate", "plate", "valid_from"])]
        constraints = [models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="permit_period_valid")]

    def __str__(self):
        return f"{self.plate} {self.space.code} {self.valid_from}–{self.valid_to}"


class ParkingWaitlistEntry(models.Model):
    """An owner waiting for a space; served in the order of asking, the order visible to owners."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="parking_waitlist", verbose_name=_("estate"))
    owner = models.ForeignKey("estates.Owner", on_delete=models.PROTECT, related_name="+", verbose_name=_("owner"))
    plate = models.CharField(_("plate"), max_length=8)
    asked_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("parking waiting-list entry")
        verbose_name_plural = _("parking waiting list")
        ordering = ["estate", "asked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "owner"],
                condition=Q(served_at__isnull=True, withdrawn_at__isnull=True),
                name="waitlist_one_open_entry_per_owner",
            )
        ]

    def __str__(self):
        return f"{self.plate} {self.asked_at:%Y-%m-%d}"


class LeaseCycle(models.TextChoices):
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")
    YEAR = "year", _("yearly")


class CommonPartLease(models.Model):
    """A lease of a common part (shop premises, advertising spot, charging-point site, venue) to a lessee.

    Putting a common part to business use needs the owners' decision (Civil Code Art. 278 item (8),
    3/4 of the participating area and owners): the lease names the passed resolution that approves
    it. Its rent is the owners' public income (Art. 282), billed through billing.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="common_leases", verbose_name=_("estate"))
    asset = models.ForeignKey(
        "estates.CommonAsset", on_delete=models.PROTECT, related_name="leases", verbose_name=_("common part")
    )
    lessee = models.CharField(_("lessee"), max_length=200)
    lessee_credit_code = models.CharField(_("lessee's credit code or ID"), max_length=30, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    rent = models.DecimalField(_("rent per cycle (CNY)"), max_digits=12, decimal_places=2)
    cycle = models.CharField(_("rent cycle"), max_length=10, choices=LeaseCycle.choices, default=LeaseCycle.MONTH)
    deposit = models.DecimalField(_("deposit (CNY)"), max_digits=12, decimal_places=2, default=0)
    deposit_terms = models.CharField(_("deposit return terms"), max_length=300, blank=True)
    resolution = models.ForeignKey(
        "property_services.AssemblyMatter",
        on_delete=models.PROTECT,
        related_name="leases",
        verbose_name=_("approving resolution (Art. 278 item 8)"),
    )
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lease of a common part")
        verbose_name_plural = _("leases of common parts")
        ordering = ["estate", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="lease_ends_after_start"),
            models.CheckConstraint(condition=Q(rent__gt=0) & Q(deposit__gte=0), name="lease_amounts_valid"),
        ]

    def __str__(self):
        return f"{self.asset} · {self.lessee}"
