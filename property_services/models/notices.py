"""Notices (公示): public disclosures with a display period, produced by assemblies, meetings and staff."""

import datetime

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.uploads import validate_pdf
from estates.models import Estate
from estates.status import StatusChange, StatusFlow, register_flow


class NoticeKind(models.TextChoices):
    ASSEMBLY_CALL = "assembly_call", _("Owners' assembly call")
    ASSEMBLY_RESULT = "assembly_result", _("Owners' assembly result")
    JOINT_MEETING_SUMMARY = "joint_meeting_summary", _("Joint meeting summary")
    PUBLIC_INCOME_STATEMENT = "public_income_statement", _("Public income statement")
    MAINTENANCE_FUND_USE = "maintenance_fund_use", _("Maintenance fund use")
    SURVEY_RESULT = "survey_result", _("Resident survey result")
    OTHER = "other", _("Other")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: The one transition table of a notice; ``estates.status.transition`` applies it. A notice taken off
#: display is withdrawn, never deleted (its period and text were public); it may be published again.
NOTICE_TRANSITIONS: dict[str, frozenset[str]] = {
    NoticeStatus.DRAFT: frozenset({NoticeStatus.PUBLISHED}),
    NoticeStatus.PUBLISHED: frozenset({NoticeStatus.WITHDRAWN}),
    NoticeStatus.WITHDRAWN: frozenset({NoticeStatus.PUBLISHED}),
}


class Notice(models.Model):
    """A public disclosure (公示) with a display period, e.g. an assembly call or its result.

    Other apps produce notices through ``services.notice_publish``; staff write a draft in the back
    office and publish or withdraw it there (``services.notice_release``, ``services.notice_withdraw``).
    The public site lists published ones through ``selectors.notices_published``. ``source`` points at
    the record that produced the notice, so re-publishing the same record updates the notice instead
    of adding another.
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
    status = models.CharField(
        _("status"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-display_from", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["status", "display_from"], name="notice_status_from")]
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

    @property
    def is_published(self) -> bool:
        """On public display (its period permitting): published and not withdrawn."""
        return self.status == NoticeStatus.PUBLISHED

    def is_current(self, on: datetime.date | None = None) -> bool:
        """Whether the notice is on display on the given day (today by default)."""
        on = on or timezone.localdate()
        return self.is_published and self.display_from <= on <= self.display_until

    @property
    def has_ended(self) -> bool:
        return self.display_until < timezone.localdate()


class NoticeStatusChange(StatusChange):
    """History of a notice's status: published, withdrawn, published again."""

    estate_scope_path = "notice__estate_id"

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("notice"))
    from_status = models.CharField(_("from status"), max_length=20, choices=NoticeStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=NoticeStatus.choices)

    class Meta:
        ordering = ["notice", "at", "pk"]
        verbose_name = _("notice status change")
        verbose_name_plural = _("notice status changes")


register_flow(
    StatusFlow(
        model=Notice,
        history=NoticeStatusChange,
        subject="notice",
        transitions=NOTICE_TRANSITIONS,
        noun_zh="公示",
        noun_en="notice",
        choices=NoticeStatus,
    )
)
