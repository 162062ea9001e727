"""Owners' assemblies (业主大会) and their votes (Civil Code Art. 278): matters, ballots, designated voters."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from estates.models import Building, Estate, Owner, Unit
from estates.status import StatusChange, StatusFlow, register_flow

from ..voting import Matter

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


#: The one transition table of an assembly; ``estates.status.transition`` applies it.
ASSEMBLY_TRANSITIONS: dict[str, frozenset[str]] = {
    AssemblyStatus.DRAFT: frozenset({AssemblyStatus.CALLED, AssemblyStatus.CANCELLED}),
    AssemblyStatus.CALLED: frozenset({AssemblyStatus.PUBLISHED, AssemblyStatus.CANCELLED}),
    AssemblyStatus.PUBLISHED: frozenset(),
    AssemblyStatus.CANCELLED: frozenset(),
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


class AssemblyStatusChange(StatusChange):
    """History of an assembly's status: who moved it, when, from what to what."""

    estate_scope_path = "assembly__estate_id"

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("assembly"))
    from_status = models.CharField(_("from status"), max_length=20, choices=AssemblyStatus.choices)
    to_status = models.CharField(_("to status"), max_length=20, choices=AssemblyStatus.choices)

    class Meta:
        ordering = ["assembly", "at", "pk"]
        verbose_name = _("assembly status change")
        verbose_name_plural = _("assembly status changes")


register_flow(
    StatusFlow(
        model=Assembly,
        history=AssemblyStatusChange,
        subject="assembly",
        transitions=ASSEMBLY_TRANSITIONS,
        noun_zh="业主大会",
        noun_en="assembly",
        choices=AssemblyStatus,
    )
)


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
