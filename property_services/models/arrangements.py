"""Providers and management arrangements (seed policy 二(三): the three management models) with their fee standards."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from estates.models import Estate, ManagementModel, UnitUse


class ProviderKind(models.TextChoices):
    PROPERTY_FIRM = "property_firm", _("Professional property firm")
    SERVICE_CENTRE = "service_centre", _("Community property service centre")
    SELF_GOVERNANCE = "self_governance", _("Residents' self-governance organisation")


# Which kind of provider runs an estate under each management model.
PROVIDER_KIND_FOR_MODEL = {
    ManagementModel.PROFESSIONAL: ProviderKind.PROPERTY_FIRM,
    ManagementModel.SERVICE_CENTRE: ProviderKind.SERVICE_CENTRE,
    ManagementModel.SELF_GOVERNANCE: ProviderKind.SELF_GOVERNANCE,
}


class Provider(ClusterableModel):
    """An organisation that runs estates: a property firm, a community service centre or a self-governance group.

    Firms are identified by their unified social credit code (统一社会信用代码); the others may have one.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ProviderKind.choices)
    name = models.CharField(_("name"), max_length=150)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        help_text=_("18 characters; required for a professional property firm."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    service_phone = models.CharField(
        _("service phone"), max_length=30, blank=True, help_text=_("The published service line (a public number).")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("property service provider")
        verbose_name_plural = _("property service providers")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="provider_credit_code_unique",
                violation_error_message="该统一社会信用代码已登记为其他服务方 / Another provider is already registered with this unified social credit code.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="property_firm") | ~Q(credit_code=""),
                name="provider_firm_has_credit_code",
                violation_error_message="物业服务企业必须填写统一社会信用代码 / A professional property firm needs its unified social credit code.",
            ),
        ]

    def __str__(self):
        return self.name


class ProviderContact(models.Model):
    """A person to contact at a provider (project manager, centre head, group leader)."""

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    provider = ParentalKey(Provider, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("provider"))
    name = models.CharField(_("name"), max_length=50)
    position = models.CharField(_("position"), max_length=50, blank=True)
    work_phone = models.CharField(
        _("work phone"), max_length=30, blank=True, help_text=_("A work number the provider publishes, not a private one.")
    )

    class Meta:
        ordering = ["provider", "pk"]
        verbose_name = _("provider contact")
        verbose_name_plural = _("provider contacts")

    def __str__(self):
        return f"{self.name} ({self.position})" if self.position else self.name


class AuthorityKind(models.TextChoices):
    ASSEMBLY_RESOLUTION = "assembly_resolution", _("Owners' assembly resolution")
    SUBDISTRICT_DECISION = "subdistrict_decision", _("Sub-district office decision")


class ManagementArrangement(ClusterableModel):
    """Who runs an estate, under which of the three models, from when to when, at what fee.

    Rows are never deleted: the list of an estate's arrangements is its history. At most one is in
    effect on any day (``ended_on`` is the last day in effect; empty while it runs). The database
    holds this: a partial unique index allows one open arrangement per estate, and migration 0003
    adds an exclusion constraint (PostgreSQL, btree_gist) or triggers (SQLite) against overlapping periods.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="management_arrangements", verbose_name=_("estate"))
    model = models.CharField(_("management model"), max_length=20, choices=ManagementModel.choices)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="arrangements", verbose_name=_("provider"))
    starts_on = models.DateField(_("starts on"))
    contract_until = models.DateField(
        _("contract term ends"), null=True, blank=True, help_text=_("Last day of the agreed term; empty if open-ended.")
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True, help_text=_("Last day in effect; empty while running."))
    contract_reference = models.CharField(_("contract number"), max_length=100, blank=True)
    authority_kind = models.CharField(_("authorised by"), max_length=30, choices=AuthorityKind.choices)
    authority_reference = models.CharField(
        _("decision reference"), max_length=200, help_text=_("E.g. the resolution number or the sub-district document number.")
    )
    authority_date = models.DateField(_("decision date"))
    authorising_matter = models.ForeignKey(
        "AssemblyMatter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assembly resolution"),
    )
    dismissal_notice_on = models.DateField(
        _("written dismissal notice given on"),
        null=True,
        blank=True,
        help_text=_("Civil Code Art. 946: a firm is dismissed with 60 days' written notice."),
    )
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["estate", "-starts_on"]
        verbose_name = _("management arrangement")
        verbose_name_plural = _("management arrangements")
        constraints = [
            models.UniqueConstraint(
                fields=["estate"],
                condition=Q(ended_on__isnull=True),
                name="arrangement_one_open_per_estate",
                violation_error_message="本小区已有正在执行的管理安排 / This estate already has an arrangement in effect.",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("starts_on")),
                name="arrangement_end_after_start",
                violation_error_message="结束日期早于开始日期 / The arrangement ends before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(contract_until__isnull=True) | Q(contract_until__gte=models.F("starts_on")),
                name="arrangement_term_after_start",
                violation_error_message="合同期限结束日期早于开始日期 / The contract term ends before it starts.",
            ),
        ]

    def __str__(self):
        return f"{self.estate} · {self.get_model_display()} · {self.provider}"

    def is_active(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on and (self.ended_on is None or on <= self.ended_on)

    @property
    def fee_summary(self) -> str:
        """'Residential 1.20, Shop 2.50' (CNY/m²/month), from prefetched fee standards."""
        return ", ".join(f"{fee.get_unit_use_display()} {fee.rate}" for fee in self.fee_standards.all())

    fee_summary.fget.short_description = _("Fee standard (CNY/m²/month)")  # the record page's label


class FeeStandard(models.Model):
    """The property fee agreed for one use of unit under an arrangement, in CNY per m² per month."""

    estate_scope_path = "arrangement__estate_id"

    arrangement = ParentalKey(ManagementArrangement, on_delete=models.CASCADE, related_name="fee_standards")
    unit_use = models.CharField(_("unit use"), max_length=20, choices=UnitUse.choices, default=UnitUse.RESIDENTIAL)
    rate = models.DecimalField(
        _("rate (CNY/m²/month)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["arrangement", "unit_use"]
        verbose_name = _("fee standard")
        verbose_name_plural = _("fee standards")
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "unit_use"],
                name="fee_standard_once_per_use",
                violation_error_message="每种房屋用途只能有一个物业费标准 / One fee standard per unit use.",
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0),
                name="fee_standard_rate_non_negative",
                violation_error_message="物业费标准不能为负 / A fee cannot be negative.",
            ),
        ]

    def __str__(self):
        return f"{self.get_unit_use_display()} {self.rate}"
