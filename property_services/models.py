"""Property services: who runs each estate, how owners decide together, and what is made public."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from accounts.uploads import validate_pdf
from estates.models import Building, Estate, ManagementModel, Owner, Unit, UnitUse

from .voting import Matter

# ---------------------------------------------------------------------------------------------
# Notices (公示)
# ---------------------------------------------------------------------------------------------


class NoticeKind(models.TextChoices):
    ASSEMBLY_CALL = "assembly_call", _("Owners' assembly call")
    ASSEMBLY_RESULT = "assembly_result", _("Owners' assembly result")
    JOINT_MEETING_SUMMARY = "joint_meeting_summary", _("Joint meeting summary")
    PUBLIC_INCOME_STATEMENT = "public_income_statement", _("Public income statement")
    OTHER = "other", _("Other")


class Notice(models.Model):
    """A public disclosure (公示) with a display period, e.g. an assembly call or its result.

    Other apps produce notices through ``services.notice_publish``; the public site lists them
    through ``selectors.notices_published``. ``source`` points at the record that produced the
    notice, so re-publishing the same record updates the notice instead of adding another.
    """

    estate = models.ForeignKey(
        Estate,
        on_delete=models.PROTECT,
        related_name="notices",
        null=True,
        blank=True,
        verbose_name=_("estate"),
        help_text=_("Leave empty for a city-wide notice."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices, default=NoticeKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True, help_text=_("Plain text or simple HTML."))
    display_from = models.DateField(_("displayed from"))
    display_until = models.DateField(_("displayed until"))
    pdf = models.FileField(
        _("PDF"),
        upload_to="notices/%Y/",
        blank=True,
        validators=[FileExtensionValidator(["pdf"]), validate_pdf],
        help_text=_("A PDF file, at most 20 MB."),
    )
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("source type")
    )
    source_id = models.PositiveBigIntegerField(_("source id"), null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    # Wagtail's usage pages label a reference by its field's verbose name (else the bare English name).
    source.verbose_name = _("source")
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-display_from", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["is_published", "display_from"], name="notice_published_from")]
        constraints = [
            models.CheckConstraint(
                condition=Q(display_until__gte=models.F("display_from")),
                name="notice_display_period_valid",
                violation_error_message="公示结束日期早于开始日期 / The display period ends before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(source_type__isnull=True, source_id__isnull=True)
                | Q(source_type__isnull=False, source_id__isnull=False),
                name="notice_source_complete",
            ),
            models.UniqueConstraint(
                fields=["source_type", "source_id", "kind"],
                condition=Q(source_type__isnull=False),
                name="notice_one_per_source_and_kind",
            ),
        ]

    def __str__(self):
        return self.title

    def is_current(self, on: datetime.date | None = None) -> bool:
        """Whether the notice is on display on the given day (today by default)."""
        on = on or timezone.localdate()
        return self.is_published and self.display_from <= on <= self.display_until

    @property
    def has_ended(self) -> bool:
        return self.display_until < timezone.localdate()


# ---------------------------------------------------------------------------------------------
# Providers and management arrangements (seed policy 二(三): the three management models)
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Owners' committee (业主委员会)
# ---------------------------------------------------------------------------------------------

#: Days after the election within which the committee is filed (备案) with the sub-district.
COMMITTEE_FILING_DAYS = 30


class OwnersCommittee(ClusterableModel):
    """One term of an estate's owners' committee, elected by the assembly and filed with the sub-district."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="owners_committees", verbose_name=_("estate"))
    elected_on = models.DateField(_("elected on"))
    term_ends_on = models.DateField(_("term ends on"))
    filed_on = models.DateField(
        _("filed on"), null=True, blank=True, help_text=_("Filing (备案) with the sub-district, within 30 days of the election.")
    )
    filing_reference = models.CharField(_("filing reference"), max_length=100, blank=True)
    electing_matter = models.ForeignKey(
        "AssemblyMatter", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("election resolution")
    )

    class Meta:
        ordering = ["estate", "-elected_on"]
        verbose_name = _("owners' committee")
        verbose_name_plural = _("owners' committees")
        constraints = [
            models.CheckConstraint(
                condition=Q(term_ends_on__gt=models.F("elected_on")),
                name="committee_term_valid",
                violation_error_message="任期结束日期须晚于选举日期 / The term must end after the election.",
            ),
            models.CheckConstraint(
                condition=Q(filed_on__isnull=True) | Q(filed_on__gte=models.F("elected_on")),
                name="committee_filed_after_election",
                violation_error_message="备案日期不能早于选举日期 / The committee cannot be filed before it was elected.",
            ),
        ]

    def __str__(self):
        return _("%(estate)s owners' committee (%(year)s)") % {"estate": self.estate, "year": self.elected_on.year}

    @property
    def filing_due_on(self) -> datetime.date:
        return self.elected_on + datetime.timedelta(days=COMMITTEE_FILING_DAYS)

    def filing_is_late(self, on: datetime.date | None = None) -> bool:
        """Filed after the 30-day deadline, or still unfiled once it has passed: a fact to flag, not to refuse."""
        if self.filed_on is not None:
            return self.filed_on > self.filing_due_on
        return (on or timezone.localdate()) > self.filing_due_on

    @property
    def filing_status(self) -> str:
        if self.filed_on is None:
            return str(_("Filing late: not filed")) if self.filing_is_late() else str(_("Filing due"))
        return str(_("Filed late")) if self.filing_is_late() else str(_("Filed in time"))

    filing_status.fget.short_description = _("Filing")

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.elected_on <= on <= self.term_ends_on


class CommitteeRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    VICE_CHAIR = "vice_chair", _("Vice chair")
    MEMBER = "member", _("Member")


class CommitteeMember(models.Model):
    """An owner serving on the committee, with a role and a term. Members get the committee role for the estate."""

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    estate_scope_path = "committee__estate_id"

    committee = ParentalKey(OwnersCommittee, on_delete=models.CASCADE, related_name="members", verbose_name=_("committee"))
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="committee_seats", verbose_name=_("owner"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="committee_seats",
        verbose_name=_("login account"),
        help_text=_("Taken from the owner's login account when empty."),
    )
    role = models.CharField(_("role"), max_length=20, choices=CommitteeRole.choices, default=CommitteeRole.MEMBER)
    term_starts_on = models.DateField(_("term starts on"))
    term_ends_on = models.DateField(_("term ends on"))
    left_on = models.DateField(
        _("left on"),
        null=True,
        blank=True,
        help_text=_("The day the member stepped down or was removed; their back-office role ends the next day."),
    )

    class Meta:
        ordering = ["committee", "role", "pk"]
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "owner"],
                name="committee_member_once",
                violation_error_message="该业主已是本届委员 / This owner already sits on this committee.",
            ),
            models.UniqueConstraint(
                fields=["committee"],
                condition=Q(role="chair"),
                name="committee_one_chair",
                violation_error_message="一届业主委员会只能有一名主任 / A committee has one chair.",
            ),
            models.CheckConstraint(
                condition=Q(term_ends_on__gt=models.F("term_starts_on")),
                name="committee_member_term_valid",
                violation_error_message="委员任期结束日期须晚于开始日期 / A member's term must end after it starts.",
            ),
        ]

    def __str__(self):
        return f"{self.owner} · {self.get_role_display()}"

    def is_serving(self, on: datetime.date | None = None) -> bool:
        """In office on the day: within their own and the committee's term, and not yet left."""
        on = on or timezone.localdate()
        if self.left_on is not None and self.left_on < on:
            return False
        return self.term_starts_on <= on <= self.term_ends_on and self.committee.is_current(on)


# ---------------------------------------------------------------------------------------------
# Owners' assemblies and votes (Civil Code Art. 278)
# ---------------------------------------------------------------------------------------------

#: Owners are notified of an assembly at least this many days ahead (物业管理条例 Art. 14).
ASSEMBLY_NOTICE_DAYS = 15

MATTER_LABELS = {
    Matter.RULES_OF_PROCEDURE: _("Rules of procedure of the owners' assembly"),
    Matter.MANAGEMENT_STATUTE: _("Management statute"),
    Matter.ELECT_COMMITTEE: _("Electing or replacing the owners' committee"),
    Matter.HIRE_OR_DISMISS_MANAGER: _("Hiring or dismissing the property firm or other manager"),
    Matter.USE_MAINTENANCE_FUND: _("Using the maintenance fund"),
    Matter.RAISE_MAINTENANCE_FUND: _("Raising the maintenance fund"),
    Matter.REBUILD: _("Rebuilding or reconstructing buildings and facilities"),
    Matter.CHANGE_USE_OR_OPERATE_COMMON_PARTS: _("Changing the use of common parts or using them for business"),
    Matter.OTHER_MAJOR: _("Other major matters of common ownership and management"),
}
MatterKind = models.TextChoices("MatterKind", [(m.name, (m.value, MATTER_LABELS[m])) for m in Matter])


class AssemblyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CALLED = "called", _("Called")
    PUBLISHED = "published", _("Result published")
    CANCELLED = "cancelled", _("Cancelled")


#: The one transition table of an assembly; services.assembly_transition applies it.
ASSEMBLY_TRANSITIONS = {
    AssemblyStatus.DRAFT: {AssemblyStatus.CALLED, AssemblyStatus.CANCELLED},
    AssemblyStatus.CALLED: {AssemblyStatus.PUBLISHED, AssemblyStatus.CANCELLED},
    AssemblyStatus.PUBLISHED: set(),
    AssemblyStatus.CANCELLED: set(),
}


class Assembly(ClusterableModel):
    """A meeting of the owners' assembly (业主大会) with the matters it votes on.

    Owners are notified at least 15 days before the meeting, and the residents' committee is
    informed (物业管理条例 Arts. 12–14). Owners vote online within the voting window; staff record
    paper ballots, written consultation and proxies.
    """

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="assemblies", verbose_name=_("estate"))
    # Civil Code Art. 278 for one building or entrance (e.g. adding a lift): its owners decide.
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assemblies",
        verbose_name=_("building"),
        help_text=_(
            "Only for a matter of one building or entrance (e.g. adding a lift): its owners vote. Empty: the whole estate."
        ),
    )
    entrance = models.PositiveSmallIntegerField(
        _("entrance"), null=True, blank=True, help_text=_("Only with a building: the owners of this entrance vote.")
    )
    title = models.CharField(_("title"), max_length=200)
    meeting_on = models.DateField(_("meeting date"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    notice_on = models.DateField(_("owners notified on"), help_text=_("At least 15 days before the meeting."))
    voting_opens_at = models.DateTimeField(_("voting opens"))
    voting_closes_at = models.DateTimeField(_("voting closes"))
    residents_committee_informed_on = models.DateField(_("residents' committee informed on"), null=True, blank=True)
    residents_committee_note = models.CharField(_("how the residents' committee was informed"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AssemblyStatus.choices, default=AssemblyStatus.DRAFT, editable=False
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("called by")
    )
    # Who drafted it in the back office: that person may delete the draft (services.assembly_delete).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    result_published_at = models.DateTimeField(_("result published at"), null=True, blank=True, editable=False)
    # The voter roll fixed when notice is served (SPC interpretation Arts. 8-9): units with area, owners and
    # shares; see selectors.voting_roll. The tally counts against it, whatever changes in the register later.
    roll = models.JSONField(_("voter roll"), null=True, blank=True, editable=False)
    roll_taken_at = models.DateTimeField(_("roll fixed at"), null=True, blank=True, editable=False)
    roll_total_area = models.DecimalField(
        _("roll: total exclusive area (m²)"), max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    roll_total_owners = models.PositiveIntegerField(_("roll: owners by headcount"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-meeting_on", "-pk"]
        verbose_name = _("owners' assembly")
        verbose_name_plural = _("owners' assemblies")
        indexes = [models.Index(fields=["estate", "status"], name="assembly_estate_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(voting_closes_at__gt=models.F("voting_opens_at")),
                name="assembly_voting_window_valid",
                violation_error_message="投票截止时间须晚于开始时间 / Voting must close after it opens.",
            ),
            models.CheckConstraint(
                condition=Q(meeting_on__gte=models.F("notice_on")),
                name="assembly_notice_before_meeting",
                violation_error_message="通知日期不能晚于会议日期 / Owners must be notified before the meeting.",
            ),
            models.CheckConstraint(
                condition=Q(entrance__isnull=True) | Q(building__isnull=False),
                name="assembly_entrance_needs_building",
                violation_error_message="指定单元时须同时指定楼栋 / An entrance is given only with its building.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def scope_label(self) -> str:
        """Whose assembly: the whole estate, one building, or one entrance of a building."""
        if self.building_id is None:
            return str(_("Whole estate"))
        if self.entrance is None:
            return str(_("Building %(building)s") % {"building": self.building.number})
        return str(
            _("Building %(building)s, entrance %(entrance)s") % {"building": self.building.number, "entrance": self.entrance}
        )

    scope_label.fget.short_description = _("Who votes")

    @property
    def voting_earliest_at(self) -> datetime.datetime:
        """物业管理条例 Art. 14: no ballot of any channel before the 15th day after the notice was served.

        Midnight (local time) of ``notice_on`` + 15 days; voting opens at this moment or later.
        """
        day = self.notice_on + datetime.timedelta(days=ASSEMBLY_NOTICE_DAYS)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    @property
    def effective_voting_opens_at(self) -> datetime.datetime:
        """When ballots are really accepted: the stored opening, never before ``voting_earliest_at`` (old rows too)."""
        return max(self.voting_opens_at, self.voting_earliest_at)

    def voting_is_open(self, at: datetime.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.status == AssemblyStatus.CALLED and self.effective_voting_opens_at <= at < self.voting_closes_at

    @property
    def notice_days(self) -> int:
        return (self.meeting_on - self.notice_on).days

    @property
    def result_summary(self) -> str:
        """One line per matter: passed or not, with the four Art. 278 percentages (empty until counted)."""
        lines = []
        for matter in self.matters.all():
            if not matter.is_counted:
                continue
            lines.append(
                _(
                    "%(title)s: %(outcome)s (participating area %(pa)s%%, owners %(po)s%%; yes by area %(ya)s%%, by owners %(yo)s%%)"
                )
                % {
                    "title": matter.title,
                    "outcome": _("passed") if matter.passed else _("not passed"),
                    "pa": matter.participating_area_percent,
                    "po": matter.participating_owners_percent,
                    "ya": matter.yes_area_percent,
                    "yo": matter.yes_owners_percent,
                }
            )
        return "\n".join(lines)

    result_summary.fget.short_description = _("Result")


class AssemblyStatusChange(models.Model):
    """History of an assembly's status: who moved it, when, from what to what."""

    estate_scope_path = "assembly__estate_id"

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("assembly"))
    from_status = models.CharField(_("from status"), max_length=20, choices=AssemblyStatus.choices)
    to_status = models.CharField(_("to status"), max_length=20, choices=AssemblyStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("changed by")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["assembly", "at", "pk"]
        verbose_name = _("assembly status change")
        verbose_name_plural = _("assembly status changes")

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


class AssemblyMatter(Orderable):
    """One matter put to the vote, typed by the nine items of Art. 278, with its stored tally once counted."""

    estate_scope_path = "assembly__estate_id"

    assembly = ParentalKey(Assembly, on_delete=models.CASCADE, related_name="matters", verbose_name=_("assembly"))
    matter = models.CharField(_("Art. 278 matter"), max_length=40, choices=MatterKind.choices)
    title = models.CharField(_("motion"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    # What owners read before voting (the plan, the contract, the quote): shown beside the matter in the portal.
    document = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
        help_text=_("E.g. the plan, the draft contract or the quotes the owners vote on."),
    )
    link = models.URLField(_("link"), blank=True, help_text=_("A web page with more about the matter (optional)."))
    # The stored tally (filled when the result is published).
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True, editable=False)
    total_area = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, editable=False)
    total_owners = models.PositiveIntegerField(null=True, blank=True, editable=False)
    participating_area = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, editable=False)
    participating_owners = models.PositiveIntegerField(null=True, blank=True, editable=False)
    yes_area = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, editable=False)
    yes_owners = models.PositiveIntegerField(null=True, blank=True, editable=False)
    no_area = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, editable=False)
    no_owners = models.PositiveIntegerField(null=True, blank=True, editable=False)
    abstain_area = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, editable=False)
    abstain_owners = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Units whose co-owners cast different ballots without a majority of shares: taking part without consent.
    conflicted_area = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, editable=False)
    conflicted_owners = models.PositiveIntegerField(null=True, blank=True, editable=False)
    count_notes = models.TextField(_("notes on the count"), blank=True, editable=False)
    participation_met = models.BooleanField(null=True, editable=False)
    passed = models.BooleanField(_("passed"), null=True, editable=False)

    class Meta:
        ordering = ["assembly", "sort_order", "pk"]
        verbose_name = _("assembly matter")
        verbose_name_plural = _("assembly matters")

    def __str__(self):
        return f"{self.assembly} · {self.title}"

    @property
    def matter_enum(self) -> Matter:
        return Matter(self.matter)

    @property
    def is_special(self) -> bool:
        """Items (6)-(8) need 3/4 consent; the others more than half."""
        return self.matter_enum.special

    @property
    def is_counted(self) -> bool:
        return self.counted_at is not None

    def _percent(self, part, whole) -> Decimal | None:
        if part is None or not whole:
            return None if part is None else Decimal("0.00")
        return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def participating_area_percent(self):
        return self._percent(self.participating_area, self.total_area)

    @property
    def participating_owners_percent(self):
        return self._percent(self.participating_owners, self.total_owners)

    @property
    def yes_area_percent(self):
        return self._percent(self.yes_area, self.participating_area)

    @property
    def yes_owners_percent(self):
        return self._percent(self.yes_owners, self.participating_owners)


class VoterDesignation(models.Model):
    """The co-owner whom the co-owners of a unit designated to cast its ballot (Civil Code Arts. 297-301).

    Without a designation any co-owner may cast the unit's ballot. With one, only the designated co-owner
    votes for the unit. It lapses by itself when the designated person no longer co-owns the unit.
    """

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    estate_scope_path = "unit__building__estate_id"

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="voter_designation", verbose_name=_("unit"))
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="voter_designations", verbose_name=_("voter"))
    agreement_reference = models.CharField(
        _("written agreement"), max_length=200, help_text=_("E.g. the signed designation kept on file, with its number.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        ordering = ["unit"]
        verbose_name = _("designated voter of a co-owned unit")
        verbose_name_plural = _("designated voters of co-owned units")

    def __str__(self):
        return f"{self.unit.key} · {self.owner}"


class BallotChoice(models.TextChoices):
    # A context keeps Django's own "Yes"/"No" (是/否) out: a ballot says 同意/反对/弃权.
    YES = "yes", pgettext_lazy("ballot choice", "Yes")
    NO = "no", pgettext_lazy("ballot choice", "No")
    ABSTAIN = "abstain", pgettext_lazy("ballot choice", "Abstain")


class BallotChannel(models.TextChoices):
    ONLINE = "online", _("Online, by the owner")
    PAPER = "paper", _("Paper ballot")
    WRITTEN = "written", _("Written consultation")
    PROXY = "proxy", _("By proxy")


class Ballot(models.Model):
    """An owner's vote on one matter: one per owner and matter, changeable until voting closes."""

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    estate_scope_path = "matter__assembly__estate_id"

    matter = models.ForeignKey(AssemblyMatter, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("matter"))
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("owner"))
    choice = models.CharField(_("choice"), max_length=10, choices=BallotChoice.choices)
    channel = models.CharField(_("how cast"), max_length=10, choices=BallotChannel.choices, default=BallotChannel.ONLINE)
    paper_reference = models.CharField(_("ballot paper number"), max_length=100, blank=True)
    proxy_name = models.CharField(_("proxy's name"), max_length=100, blank=True)
    proxy_document = models.CharField(_("power of attorney reference"), max_length=100, blank=True)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("entered by")
    )
    cast_at = models.DateTimeField(_("cast at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed at"), auto_now=True)

    class Meta:
        ordering = ["matter", "owner"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "owner"],
                name="ballot_one_per_owner_and_matter",
                violation_error_message="该业主已就此事项投票，请修改原选票 / This owner has already voted on this matter; change that ballot instead.",
            ),
            models.CheckConstraint(condition=Q(choice__in=["yes", "no", "abstain"]), name="ballot_choice_valid"),
            models.CheckConstraint(
                condition=~Q(channel__in=["paper", "written"]) | ~Q(paper_reference=""),
                name="ballot_paper_has_reference",
                violation_error_message="请填写表决票编号 / Give the number of the ballot paper.",
            ),
            models.CheckConstraint(
                condition=~Q(channel="proxy") | (~Q(proxy_name="") & ~Q(proxy_document="")),
                name="ballot_proxy_documented",
                violation_error_message="委托投票须填写代理人姓名和授权委托书编号 / A proxy vote needs the proxy's name and the power of attorney's reference.",
            ),
        ]

    def __str__(self):
        # Never the owner's name or the choice: this string is what lists, messages and logs show.
        return _("Ballot #%(number)s on matter %(matter)s") % {"number": self.pk or "-", "matter": self.matter_id}


# ---------------------------------------------------------------------------------------------
# Joint meetings (联席会议, seed policy 三(二)4)
# ---------------------------------------------------------------------------------------------


class OrganisationKind(models.TextChoices):
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PROVIDER = "provider", _("Property service provider")
    PROPERTY_RIGHTS_UNIT = "property_rights_unit", _("Property-rights unit")
    UTILITY = "utility", _("Utility company")
    SUBDISTRICT_OFFICE = "subdistrict_office", _("Sub-district office")
    OTHER = "other", _("Other")


class JointMeeting(ClusterableModel):
    """A joint meeting of the residents' committee, owners' committee, provider and others, with its decisions."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="joint_meetings", verbose_name=_("estate"))
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"))
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_pdf = models.FileField(_("minutes (PDF)"), upload_to="joint-meetings/%Y/", blank=True, editable=False)
    summary_published_at = models.DateTimeField(_("summary published at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")

    def __str__(self):
        return self.title


class JointMeetingParticipant(models.Model):
    """An organisation that took part in a joint meeting, and who represented it."""

    estate_scope_path = "meeting__estate_id"

    meeting = ParentalKey(JointMeeting, on_delete=models.CASCADE, related_name="participants")
    organisation_kind = models.CharField(_("organisation"), max_length=30, choices=OrganisationKind.choices)
    organisation_name = models.CharField(_("organisation name"), max_length=150)
    representative = models.CharField(_("represented by"), max_length=100, blank=True)

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("participating organisation")
        verbose_name_plural = _("participating organisations")

    def __str__(self):
        return self.organisation_name


class DecisionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


DECISION_TRANSITIONS = {
    DecisionStatus.OPEN: {DecisionStatus.DONE},
    DecisionStatus.DONE: {DecisionStatus.OPEN},
}


class JointMeetingDecision(models.Model):
    """What the meeting decided, who carries it out and by when; tracked until done."""

    estate_scope_path = "meeting__estate_id"

    meeting = ParentalKey(JointMeeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("joint meeting"))
    text = models.TextField(_("decision"))
    owner_kind = models.CharField(_("carried out by"), max_length=30, choices=OrganisationKind.choices)
    owner_name = models.CharField(_("organisation name"), max_length=150)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.OPEN, editable=False
    )
    done_on = models.DateField(_("done on"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("joint meeting decision")
        verbose_name_plural = _("joint meeting decisions")
        indexes = [models.Index(fields=["status", "due_on"], name="decision_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", done_on__isnull=True) | Q(status="done", done_on__isnull=False),
                name="decision_done_on_matches_status",
            ),
        ]

    def __str__(self):
        return self.text[:60]

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        return self.status == DecisionStatus.OPEN and self.due_on < (on or timezone.localdate())


class DecisionStatusChange(models.Model):
    """History of a decision's status."""

    estate_scope_path = "decision__meeting__estate_id"

    decision = models.ForeignKey(
        JointMeetingDecision, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("decision")
    )
    from_status = models.CharField(_("from status"), max_length=10, choices=DecisionStatus.choices)
    to_status = models.CharField(_("to status"), max_length=10, choices=DecisionStatus.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("changed by")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["decision", "at", "pk"]
        verbose_name = _("decision status change")
        verbose_name_plural = _("decision status changes")

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"
