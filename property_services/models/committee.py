"""The owners' committee (业主委员会): its terms, filing with the sub-district and its members."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from estates.models import Estate, Owner

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
