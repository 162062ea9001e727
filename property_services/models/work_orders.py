"""Work orders (报修/投诉): a resident reports a repair or a complaint, the estate's staff answer it within the
category's time limits, and the resident confirms and rates the result.

A report is about one place: a unit (the reporter's own), a building (its stairwell, roof, pipes), or a
common area of the estate (named in words). Repairs inside a unit may be paid (billed through billing to the
unit's owner); repairs of common parts are never billed to the resident. The clock
(``property_services.work_order_clock``) fixes the response and completion due times at the report.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estates.models import Building, Estate, Unit
from estates.status import StatusChange, StatusFlow, register_flow


class UnitResident(models.Model):
    """A tenant or household member registered by the estate's staff as living in a unit (住房租赁条例 Art. 37:
    every actual occupant is registered). Owners need no such record: their ownership is the link. A
    resident reports repairs of that unit and of the estate's common parts."""

    estate_scope_path = "unit__building__estate_id"

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="residents", verbose_name=_("unit"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="residences", verbose_name=_("resident")
    )
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("registered resident")
        verbose_name_plural = _("registered residents")
        ordering = ["unit", "since"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "user"], condition=Q(until__isnull=True), name="unit_resident_once_at_a_time"
            ),
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(until__gte=models.F("since")), name="unit_resident_dates"),
        ]

    def __str__(self):
        return f"{self.unit} · {self.user}"


class WorkOrderKind(models.TextChoices):
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")


class WorkOrderCategory(models.Model):
    """A kind of problem an estate answers (water or power emergency, ordinary repair, noise complaint…), with
    its response and completion time limits in hours. Calendar time unless ``office_hours``."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="work_order_categories", verbose_name=_("estate"))
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=WorkOrderKind.choices, default=WorkOrderKind.REPAIR)
    response_hours = models.PositiveIntegerField(
        _("response limit (hours)"), validators=[MinValueValidator(1)], help_text=_("From the report to acceptance.")
    )
    completion_hours = models.PositiveIntegerField(
        _("completion limit (hours)"), validators=[MinValueValidator(1)], help_text=_("From the report to the resolution.")
    )
    office_hours = models.BooleanField(
        _("office hours only"),
        default=False,
        help_text=_("Count only 08:30–17:30 Monday to Friday (Beijing time). Otherwise the limits run in calendar time."),
    )
    active = models.BooleanField(_("offered to residents"), default=True)

    class Meta:
        verbose_name = _("work order category")
        verbose_name_plural = _("work order categories")
        ordering = ["estate", "kind", "response_hours", "name"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="work_order_category_unique_name"),
            models.CheckConstraint(
                condition=Q(response_hours__gte=1) & Q(completion_hours__gte=models.F("response_hours")),
                name="work_order_category_limits",
                violation_error_message=_("The completion limit cannot be shorter than the response limit."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        limit = settings.ANJU_WORK_ORDER_MAX_HOURS
        for field in ("response_hours", "completion_hours"):
            value = getattr(self, field)
            if value is not None and value > limit:
                raise ValidationError(
                    {field: f"时限不能超过平台上限 {limit} 小时 / No limit may exceed the platform's maximum of {limit} hours."}
                )
        if self.response_hours and self.completion_hours and self.completion_hours < self.response_hours:
            raise ValidationError(
                {"completion_hours": "完成时限不能短于响应时限 / The completion limit cannot be shorter than the response limit."}
            )


class Contractor(models.Model):
    """An outside firm or tradesman the estate's manager sends to repairs (plumber, lift company…). Orders are
    assigned only to contractors of the order's own estate."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="contractors", verbose_name=_("estate"))
    name = models.CharField(_("name"), max_length=100)
    trade = models.CharField(_("trade"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")
        ordering = ["estate", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="contractor_unique_name")]

    def __str__(self):
        return f"{self.name}（{self.trade}）" if self.trade else self.name


class WorkOrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed")
    CLOSED = "closed", _("Closed")


#: submitted → accepted → assigned → in progress → resolved → confirmed → closed. Staff return an accepted or
#: assigned order to the queue (→ submitted) with a reason, or close a submitted one (a duplicate, withdrawn);
#: an order in progress is transferred to another assignee (→ assigned); the resident's rejection of a
#: resolution reopens it (resolved → assigned, reopen_count + 1). A transfer of an assigned order keeps its
#: status and writes a history row (services.work_orders.work_order_transfer).
WORK_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    WorkOrderStatus.SUBMITTED: frozenset({WorkOrderStatus.ACCEPTED, WorkOrderStatus.CLOSED}),
    WorkOrderStatus.ACCEPTED: frozenset({WorkOrderStatus.ASSIGNED, WorkOrderStatus.SUBMITTED}),
    WorkOrderStatus.ASSIGNED: frozenset({WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.SUBMITTED}),
    WorkOrderStatus.IN_PROGRESS: frozenset({WorkOrderStatus.RESOLVED, WorkOrderStatus.ASSIGNED}),
    WorkOrderStatus.RESOLVED: frozenset({WorkOrderStatus.CONFIRMED, WorkOrderStatus.ASSIGNED}),
    WorkOrderStatus.CONFIRMED: frozenset({WorkOrderStatus.CLOSED}),
    WorkOrderStatus.CLOSED: frozenset(),
}

OPEN_STATUSES = (
    WorkOrderStatus.SUBMITTED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.ASSIGNED,
    WorkOrderStatus.IN_PROGRESS,
    WorkOrderStatus.RESOLVED,
)


class WorkOrder(models.Model):
    """One report of a problem (a repair or a complaint) and how it was handled."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("estate"))
    number = models.CharField(_("number"), max_length=30, unique=True)
    category = models.ForeignKey(
        WorkOrderCategory, on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("category")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_work_orders",
        verbose_name=_("reported by"),
    )
    reported_by_staff = models.BooleanField(_("filed by staff for a call"), default=False)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("filed by")
    )
    caller_name = models.CharField(_("caller"), max_length=50, blank=True)
    description = models.TextField(_("description"), max_length=2000)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders", verbose_name=_("unit")
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders", verbose_name=_("building")
    )
    place = models.CharField(
        _("place"), max_length=200, blank=True, help_text=_("Where exactly, e.g. the stairwell of entrance 2.")
    )
    paid = models.BooleanField(_("paid repair inside the unit"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=WorkOrderStatus.choices, default=WorkOrderStatus.SUBMITTED, editable=False
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_work_orders",
        verbose_name=_("assigned to"),
    )
    contractor = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders", verbose_name=_("contractor")
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    response_due_at = models.DateTimeField(_("response due"))
    completion_due_at = models.DateTimeField(_("completion due"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False, db_index=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    resolution = models.TextField(_("resolution"), max_length=2000, blank=True)
    amount = models.DecimalField(
        _("repair charge (CNY)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("bill")
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_reason = models.CharField(_("reason for the rating"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, building__isnull=True)
                | Q(unit__isnull=True, building__isnull=False)
                | (Q(unit__isnull=True, building__isnull=True) & ~Q(place="")),
                name="work_order_one_location",
            ),
            models.CheckConstraint(condition=~Q(paid=True) | Q(unit__isnull=False), name="work_order_paid_only_in_unit"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="work_order_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=3) | ~Q(rating_reason=""), name="work_order_low_rating_reason"
            ),
            models.CheckConstraint(
                condition=Q(assigned_to__isnull=True) | Q(contractor__isnull=True), name="work_order_one_assignee"
            ),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="work_order_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["estate", "status", "overdue"], name="work_order_queue"),
            models.Index(fields=["estate", "rating"], name="work_order_ratings"),
        ]

    def __str__(self):
        return f"{self.number} · {self.category}"

    @property
    def location_label(self) -> str:
        """Where the problem is, as residents and staff name it."""
        if self.unit_id:
            return self.unit.key
        if self.building_id:
            label = _("Building %(number)s") % {"number": self.building.number}
            return f"{label} · {self.place}" if self.place else label
        return self.place

    @property
    def common_part(self) -> bool:
        """A building or a common area: never billed to the resident."""
        return self.unit_id is None

    @property
    def assignee_label(self) -> str:
        if self.contractor_id:
            return str(self.contractor)
        if self.assigned_to_id:
            return self.assigned_to.name or self.assigned_to.mobile
        return ""


def _photo_path(instance, filename: str) -> str:
    # A name nobody can guess: photos of people's homes are served only through the portal and back office.
    return f"work_orders/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class WorkOrderPhoto(models.Model):
    """A photo of the problem, sent with the report (checked as an image by its content, size-limited)."""

    estate_scope_path = "order__estate_id"

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos", verbose_name=_("work order"))
    image = models.FileField(_("photo"), upload_to=_photo_path)
    content_type = models.CharField(max_length=30, editable=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("work order photo")
        verbose_name_plural = _("work order photos")
        ordering = ["order", "pk"]

    def __str__(self):
        return f"{self.order.number} #{self.pk}"


class WorkOrderStatusChange(StatusChange):
    estate_scope_path = "order__estate_id"

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("work order"))
    from_status = models.CharField(_("from status"), max_length=20, choices=WorkOrderStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=WorkOrderStatus.choices)

    class Meta:
        ordering = ["order", "at", "pk"]
        verbose_name = _("work order status change")
        verbose_name_plural = _("work order status changes")


register_flow(
    StatusFlow(
        model=WorkOrder,
        history=WorkOrderStatusChange,
        subject="order",
        transitions=WORK_ORDER_TRANSITIONS,
        noun_zh="工单",
        noun_en="work order",
        choices=WorkOrderStatus,
    )
)
