"""Joint meetings: storing them, tracking their decisions, publishing the summary and the minutes."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.errors import refuse
from accounts.formats import local_instant
from estates.status import transition

from ..models import (
    DecisionStatus,
    JointMeeting,
    JointMeetingDecision,
    Notice,
    NoticeKind,
)
from .notices import notice_attach_pdf, notice_publish

SUMMARY_NOTICE_DAYS = 30
MEETING_MINUTES_PDF_TASK = "property_services.tasks.joint_meeting_minutes_pdf_render"


@transaction.atomic
def joint_meeting_save(*, meeting: JointMeeting) -> JointMeeting:
    """Store a joint meeting with its participants and decisions (from the back-office form or code)."""
    if not (meeting.agenda or "").strip():
        raise refuse("请填写会议议程", "Give the agenda.", field="agenda")
    for decision in meeting.decisions.all():
        if decision.due_on < meeting.held_on:
            raise refuse(
                f"决定事项的完成期限 {decision.due_on:%Y-%m-%d} 早于会议日期",
                f"A decision is due {decision.due_on:%Y-%m-%d}, before the meeting was held.",
                field="decisions",
            )
    meeting.save()
    return meeting


@transaction.atomic
def decision_transition(
    *, decision: JointMeetingDecision, to: str, by=None, note: str = "", on: datetime.date | None = None
) -> JointMeetingDecision:
    """Mark a decision done (or reopen it) along DECISION_TRANSITIONS, with a guard and a history row."""
    done_on = (on or timezone.localdate()) if to == DecisionStatus.DONE else None
    transition(decision, to=to, by=by, note=note, done_on=done_on)
    return decision


def _summary_body(meeting: JointMeeting) -> str:
    lines = [
        _("Joint meeting held on %(date)s.") % {"date": f"{meeting.held_on:%Y-%m-%d}"},
        _("Participants: %(names)s") % {"names": "、".join(p.organisation_name for p in meeting.participants.all())},
        _("Agenda:"),
        meeting.agenda,
        _("Decisions:"),
    ]
    for number, decision in enumerate(meeting.decisions.all(), start=1):
        lines.append(
            _("%(n)s. %(text)s (by %(owner)s, due %(due)s)")
            % {"n": number, "text": decision.text, "owner": decision.owner_name, "due": f"{decision.due_on:%Y-%m-%d}"}
        )
    return "\n".join(lines)


@transaction.atomic
def joint_meeting_summary_publish(*, meeting: JointMeeting, by=None, at: datetime.datetime | None = None) -> Notice:
    """Publish the meeting's summary as a notice; the minutes PDF follows from a task after commit."""
    at = at or timezone.now()
    meeting = JointMeeting.objects.select_for_update().select_related("estate").get(pk=meeting.pk)
    meeting.summary_published_at = at
    meeting.save(update_fields=["summary_published_at"])
    local_day = local_instant(at).date()
    with override(settings.LANGUAGE_CODE):
        title = _("Joint meeting of %(estate)s: %(title)s") % {"estate": meeting.estate.name, "title": meeting.title}
        body = _summary_body(meeting)
    notice = notice_publish(
        kind=NoticeKind.JOINT_MEETING_SUMMARY,
        title=title,
        body=body,
        estate=meeting.estate,
        display_from=local_day,
        display_until=local_day + datetime.timedelta(days=SUMMARY_NOTICE_DAYS),
        source=meeting,
        by=by,
    )
    from django_q.tasks import async_task

    pk = meeting.pk
    transaction.on_commit(lambda: async_task(MEETING_MINUTES_PDF_TASK, pk))
    return notice


@transaction.atomic
def joint_meeting_minutes_store(*, meeting: JointMeeting, pdf_bytes: bytes) -> JointMeeting:
    """Keep the rendered minutes PDF on the meeting and on its summary notice (if published)."""
    meeting = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.minutes_pdf:
        meeting.minutes_pdf.delete(save=False)
    meeting.minutes_pdf.save(f"joint-meeting-{meeting.pk}-{meeting.held_on:%Y%m%d}.pdf", ContentFile(pdf_bytes), save=False)
    meeting.save(update_fields=["minutes_pdf"])
    notice = Notice.objects.filter(
        source_type=ContentType.objects.get_for_model(JointMeeting), source_id=meeting.pk, kind=NoticeKind.JOINT_MEETING_SUMMARY
    ).first()
    if notice is not None:
        notice_attach_pdf(notice=notice, pdf_bytes=pdf_bytes)
    return meeting
