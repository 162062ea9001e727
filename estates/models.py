"""The estate inventory (摸清底数): where every estate, building and unit is and who owns it."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from accounts.models import Role

from . import crypto
from .status import StatusChange
from .validators import mask_phone, mask_resident_id


class ManagementModel(models.TextChoices):
    """The three ways a renovated estate is run (seed policy, section 二(三))."""

    PROFESSIONAL = "professional", _("Professional property firm")
    SERVICE_CENTRE = "service_centre", _("Community property service centre")
    SELF_GOVERNANCE = "self_governance", _("Residents' self-governance")


class District(models.Model):
    """A district or county (区县) of the city."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        # The officers' area dashboards (property_services.area_dashboard): which areas a person sees
        # there follows their role's scope; this only opens the screen.
        permissions = [("view_area_dashboard", _("Can view the area dashboards"))]

    def __str__(self):
        return self.name


class Subdistrict(models.Model):
    """A sub-district (街道) or township (乡镇) within a district."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="subdistricts", verbose_name=_("district"))
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sub-district")
        verbose_name_plural = _("sub-districts")
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="subdistrict_name_unique_in_district")]

    def __str__(self):
        return self.name


class Community(models.Model):
    """A community (社区) with its residents' committee (居委会)."""

    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="communities", verbose_name=_("sub-district")
    )
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    residents_committee_phone = models.CharField(_("residents' committee phone"), max_length=30, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [models.UniqueConstraint(fields=["subdistrict", "name"], name="community_name_unique_in_subdistrict")]

    def __str__(self):
        return self.name


class Estate(models.Model):
    """A residential compound (小区), possibly a single building, renovated under the city plan."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="estates", verbose_name=_("community"))
    code = models.CharField(_("estate code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    built_year = models.PositiveSmallIntegerField(
        _("year built"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("estate")
        verbose_name_plural = _("estates")

    def __str__(self):
        return self.name


class Building(models.Model):
    """A residential building (楼栋) of an estate."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("estate"))
    number = models.CharField(_("building number"), max_length=20)
    floors = models.PositiveSmallIntegerField(_("floors above ground"), default=6, validators=[MinValueValidator(1)])
    built_year = models.PositiveSmallIntegerField(
        _("year built"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    lift_added_year = models.PositiveSmallIntegerField(
        _("year a lift was added"), null=True, blank=True, validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )

    class Meta:
        ordering = ["estate", "number"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["estate", "number"], name="building_number_unique_in_estate"),
            models.CheckConstraint(condition=Q(floors__gte=1), name="building_floors_positive"),
        ]

    def __str__(self):
        return _("%(estate)s building %(number)s") % {"estate": self.estate.name, "number": self.number}


class UnitUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    SHOP = "shop", _("Shop")
    OTHER = "other", _("Other")


class Unit(models.Model):
    """A unit (户) with its registered exclusive area: the basis of fees and vote weights."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("building"))
    entrance = models.PositiveSmallIntegerField(_("entrance"), default=1, validators=[MinValueValidator(1)])
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("unit number"), max_length=20)
    exclusive_area = models.DecimalField(
        _("exclusive area (m²)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    use = models.CharField(_("use"), max_length=20, choices=UnitUse.choices, default=UnitUse.RESIDENTIAL)
    built_year = models.PositiveSmallIntegerField(
        _("year built"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )

    class Meta:
        ordering = ["building", "entrance", "number"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["building", "entrance", "number"], name="unit_number_unique_in_building"),
            models.CheckConstraint(condition=Q(exclusive_area__gt=0), name="unit_area_positive"),
            models.CheckConstraint(condition=Q(entrance__gte=1), name="unit_entrance_positive"),
        ]

    def __str__(self):
        return _("%(estate)s %(building)s-%(entrance)s-%(number)s") % {
            "estate": self.building.estate.name,
            "building": self.building.number,
            "entrance": self.entrance,
            "number": self.number,
        }

    @property
    def key(self) -> str:
        """Building-entrance-number, as residents write it: 3-2-502."""
        return f"{self.building.number}-{self.entrance}-{self.number}"


class OwnerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class Owner(models.Model):
    """A person or organisation on an estate's register of owners (业主名册).

    Resident ID numbers and phones are personal information: stored encrypted, found by a keyed
    digest, shown masked. Organisations are identified by their unified social credit code.

    An organisation (原产权单位, 房管部门 for 公房, a developer's unsold units) is one owner however many
    units it holds (SPC interpretation on building ownership Art. 9) and acts and votes through a named
    representative, whose login is ``user``.
    """

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="owners", verbose_name=_("estate"))
    kind = models.CharField(_("kind"), max_length=20, choices=OwnerKind.choices, default=OwnerKind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    id_number_encrypted = models.TextField(editable=False, blank=True)
    id_number_digest = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owner_records",
        verbose_name=_("login account"),
    )
    representative_name = models.CharField(
        _("representative"),
        max_length=100,
        blank=True,
        help_text=_(
            "For an organisation: the person who acts and votes for it (the login account is theirs). "
            "Without a representative nobody can vote for its units."
        ),
    )

    class Meta:
        ordering = ["estate", "name", "pk"]
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "id_number_digest"],
                condition=~Q(id_number_digest=""),
                name="owner_id_number_unique_in_estate",
            ),
            models.UniqueConstraint(
                fields=["estate", "credit_code"], condition=~Q(credit_code=""), name="owner_credit_code_unique_in_estate"
            ),
            models.CheckConstraint(
                condition=Q(kind=OwnerKind.PERSON, credit_code="") | Q(kind=OwnerKind.ORGANISATION, id_number_digest=""),
                name="owner_identifier_matches_kind",
            ),
        ]

    def __str__(self):
        return self.name

    def set_id_number(self, value: str) -> None:
        value = (value or "").strip().upper()
        self.id_number_encrypted = crypto.encrypt(value)
        self.id_number_digest = crypto.digest(value)
        self.id_number_masked = mask_resident_id(value)

    def get_id_number(self) -> str:
        """The full number. Callers that show it to a person must log the access (audit)."""
        return crypto.decrypt(self.id_number_encrypted)

    def set_phone(self, value: str) -> None:
        value = (value or "").strip()
        self.phone_encrypted = crypto.encrypt(value)
        self.phone_masked = mask_phone(value)

    def get_phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted)

    @property
    def identifier_masked(self) -> str:
        return self.id_number_masked if self.kind == OwnerKind.PERSON else self.credit_code

    identifier_masked.fget.short_description = _("Identifier")  # the list's column heading


class Ownership(models.Model):
    """Title of an owner to a unit, with a share (joint owners hold parts) and a period."""

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("unit"))
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("owner"))
    share = models.DecimalField(
        _("share"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("1"))],
    )
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["unit", "-since"]
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=1), name="ownership_share_in_range"),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=models.F("since")), name="ownership_period_valid"
            ),
            models.UniqueConstraint(
                fields=["unit", "owner"], condition=Q(until__isnull=True), name="ownership_one_current_per_owner_and_unit"
            ),
        ]
        # The current shares of one unit never add up to more than 1: a database trigger holds
        # this (see migration 0002), since a check constraint cannot look at other rows.

    def __str__(self):
        return f"{self.owner} · {self.unit}"


class AssetKind(models.TextChoices):
    PARKING_SPACE = "parking_space", _("Parking space")
    SHOP_PREMISES = "shop_premises", _("Shop premises")
    AD_SPOT = "ad_spot", _("Advertising spot")
    CHARGING_POINT = "charging_point", _("Charging point")
    VENUE = "venue", _("Venue")


class CommonAsset(models.Model):
    """A common part of the estate that can earn public income (公共收益) for the owners."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="common_assets", verbose_name=_("estate"))
    kind = models.CharField(_("kind"), max_length=20, choices=AssetKind.choices)
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    area = models.DecimalField(
        _("area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    in_service = models.BooleanField(_("in service"), default=True)

    class Meta:
        ordering = ["estate", "kind", "code"]
        verbose_name = _("common asset")
        verbose_name_plural = _("common assets")
        constraints = [
            models.UniqueConstraint(fields=["estate", "code"], name="asset_code_unique_in_estate"),
            models.CheckConstraint(condition=Q(area__isnull=True) | Q(area__gt=0), name="asset_area_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code}"


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class RenovationProject(ClusterableModel):
    """One renovation (改造提升) of an estate under the city plan, with what was done and who paid."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="renovation_projects", verbose_name=_("estate"))
    name = models.CharField(_("name"), max_length=150)
    year = models.PositiveSmallIntegerField(_("plan year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    status = models.CharField(_("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    management_model_after = models.CharField(
        _("management model after renovation"), max_length=20, choices=ManagementModel.choices, blank=True
    )
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["-year", "estate"]
        verbose_name = _("renovation project")
        verbose_name_plural = _("renovation projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True) | Q(started_on__isnull=True) | Q(completed_on__gte=models.F("started_on")),
                name="project_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.name


class RenovationProjectStatusChange(StatusChange):
    """History of a renovation project's status: planned, works under way, completed (and corrections)."""

    estate_scope_path = "project__estate_id"

    project = models.ForeignKey(
        RenovationProject, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("renovation project")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=ProjectStatus.choices)

    class Meta:
        verbose_name = _("renovation project status change")
        verbose_name_plural = _("renovation project status changes")
        ordering = ["project", "at", "pk"]


class ContentClass(models.TextChoices):
    """The seed policy's three classes of renovation content (section 二(二))."""

    BASIC = "basic", _("Basic")
    IMPROVEMENT = "improvement", _("Improvement")
    UPGRADE = "upgrade", _("Upgrade")


class ContentItem(models.Model):
    """One piece of work in a renovation project, e.g. 加装电梯 4 部 (improvement class)."""

    project = ParentalKey(RenovationProject, on_delete=models.CASCADE, related_name="content_items")
    content_class = models.CharField(_("class"), max_length=20, choices=ContentClass.choices)
    title = models.CharField(_("item"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, null=True, blank=True)
    measure = models.CharField(_("unit of measure"), max_length=20, blank=True)

    class Meta:
        ordering = ["project", "content_class", "pk"]
        verbose_name = _("content item")
        verbose_name_plural = _("content items")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__isnull=True) | Q(quantity__gte=0), name="content_quantity_non_negative")
        ]

    def __str__(self):
        return self.title


class FundingSource(models.TextChoices):
    """Who paid: the seed's cost-sharing between government, residents and society (section 四)."""

    RESIDENTS = "residents", _("Residents' contributions")
    MAINTENANCE_FUND = "maintenance_fund", _("Maintenance fund")
    PUBLIC_INCOME = "public_income", _("Public income")
    UTILITIES = "utilities", _("Utility companies")
    CENTRAL_GOVERNMENT = "central_government", _("Central government")
    MUNICIPAL_GOVERNMENT = "municipal_government", _("Municipal government")
    DISTRICT_GOVERNMENT = "district_government", _("District government")
    SOCIAL_CAPITAL = "social_capital", _("Social capital")
    LOANS = "loans", _("Loans")


class FundingLine(models.Model):
    """An amount of money a source put into a renovation project."""

    project = ParentalKey(RenovationProject, on_delete=models.CASCADE, related_name="funding_lines")
    source = models.CharField(_("source"), max_length=30, choices=FundingSource.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["project", "source"]
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="funding_amount_non_negative"),
            models.UniqueConstraint(fields=["project", "source"], name="funding_source_once_per_project"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.amount}"


class RoleAssignment(models.Model):
    """A role a user holds, with the part of the city it covers.

    District officers hold a district, sub-district officers a sub-district, estate staff and
    committee members an estate; platform admins and editors need no scope. Kept here rather than
    in accounts so that accounts depends on nothing.
    """

    SCOPE_BY_ROLE = {
        Role.DISTRICT_OFFICER: "district",
        Role.SUBDISTRICT_OFFICER: "subdistrict",
        Role.ESTATE_STAFF: "estate",
        Role.COMMITTEE_MEMBER: "estate",
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    district = models.ForeignKey(District, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("district"))
    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("sub-district"))
    estate = models.ForeignKey(Estate, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("estate"))

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role=Role.DISTRICT_OFFICER, district__isnull=False, subdistrict__isnull=True, estate__isnull=True)
                    | Q(role=Role.SUBDISTRICT_OFFICER, district__isnull=True, subdistrict__isnull=False, estate__isnull=True)
                    | Q(
                        role__in=[Role.ESTATE_STAFF, Role.COMMITTEE_MEMBER],
                        district__isnull=True,
                        subdistrict__isnull=True,
                        estate__isnull=False,
                    )
                    | Q(
                        role__in=[Role.PLATFORM_ADMIN, Role.OWNER, Role.TENANT, Role.CMS_EDITOR],
                        district__isnull=True,
                        subdistrict__isnull=True,
                        estate__isnull=True,
                    )
                ),
                name="role_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(district__isnull=True, subdistrict__isnull=True, estate__isnull=True),
                name="role_assignment_unique_unscoped",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "district"], condition=Q(district__isnull=False), name="role_assignment_unique_district"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "subdistrict"],
                condition=Q(subdistrict__isnull=False),
                name="role_assignment_unique_subdistrict",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "estate"], condition=Q(estate__isnull=False), name="role_assignment_unique_estate"
            ),
        ]

    def __str__(self):
        scope = self.district or self.subdistrict or self.estate
        return f"{self.get_role_display()} {scope or ''}".strip()


class PersonalDataAccess(models.Model):
    """Audit: a staff member saw an owner's full personal data (PIPL: every view is logged)."""

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("viewed by"))
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="data_accesses", verbose_name=_("owner"))
    field = models.CharField(_("field"), max_length=30)
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")

    def __str__(self):
        return f"{self.user} · {self.owner} · {self.field}"
