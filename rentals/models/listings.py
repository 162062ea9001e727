"""A listing (房源) on the public site: a flat under an active entrustment agreement, offered whole.

Its facts — area, floor, lift, estate, district — are the flat's own records (estates.Unit, Building, Estate),
read through the relations, never copied into the listing: one source, the same on every page (住房租赁条例
Art. 16, truthful listings). The listing adds only what the operator decides: rent, deposit, the number of
bedrooms, the date it is available from.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estates.models import Estate
from estates.status import StatusChange, StatusFlow, register_flow

from .entrustments import EntrustmentAgreement


class ListingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    LET = "let", _("Let")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: draft → published → let | withdrawn; a draft may be withdrawn too.
LISTING_TRANSITIONS: dict[str, frozenset[str]] = {
    ListingStatus.DRAFT: frozenset({ListingStatus.PUBLISHED, ListingStatus.WITHDRAWN}),
    ListingStatus.PUBLISHED: frozenset({ListingStatus.LET, ListingStatus.WITHDRAWN}),
    ListingStatus.LET: frozenset(),
    ListingStatus.WITHDRAWN: frozenset(),
}


class Listing(models.Model):
    """A whole flat offered for rent. Kitchens, bathrooms and balconies are never let as rooms (住房租赁条例
    Art. 7): the listing lets the whole flat and states its number of bedrooms; the city's limits on
    occupants per room and area per person are stated with it (``rentals.city_rules``)."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="listings", verbose_name=_("estate"))
    agreement = models.ForeignKey(
        EntrustmentAgreement, on_delete=models.PROTECT, related_name="listings", verbose_name=_("agreement")
    )
    rent = models.DecimalField(_("monthly rent (CNY)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    deposit = models.DecimalField(_("deposit (CNY)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    bedrooms = models.PositiveSmallIntegerField(_("bedrooms"), validators=[MinValueValidator(1), MaxValueValidator(10)])
    available_from = models.DateField(_("available from"))
    status = models.CharField(
        _("status"), max_length=20, choices=ListingStatus.choices, default=ListingStatus.DRAFT, editable=False, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rent__gt=0), name="listing_rent_positive"),
            models.CheckConstraint(condition=Q(deposit__gte=0), name="listing_deposit_not_negative"),
            models.CheckConstraint(condition=Q(bedrooms__gte=1), name="listing_at_least_one_bedroom"),
            models.UniqueConstraint(
                fields=["agreement"], condition=Q(status__in=["draft", "published"]), name="listing_one_open_per_agreement"
            ),
        ]
        indexes = [models.Index(fields=["status", "rent"], name="listing_search")]

    def __str__(self):
        return f"{self.agreement.unit.key} · {self.rent}"

    @property
    def unit(self):
        return self.agreement.unit

    @property
    def max_occupants(self) -> int:
        """How many people may live here under the city's limits (住房租赁条例 Art. 7), the tighter of per room and
        per area."""
        from ..city_rules import city_rules

        return city_rules().max_occupants(bedrooms=self.bedrooms, area=self.agreement.unit.exclusive_area)


class ListingStatusChange(StatusChange):
    estate_scope_path = "listing__estate_id"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("listing"))
    from_status = models.CharField(_("from status"), max_length=20, choices=ListingStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=ListingStatus.choices)

    class Meta:
        ordering = ["listing", "at", "pk"]
        verbose_name = _("listing status change")
        verbose_name_plural = _("listing status changes")


register_flow(
    StatusFlow(
        model=Listing,
        history=ListingStatusChange,
        subject="listing",
        transitions=LISTING_TRANSITIONS,
        noun_zh="房源",
        noun_en="listing",
        choices=ListingStatus,
    )
)
