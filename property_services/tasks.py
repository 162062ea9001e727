"""django-q tasks: take ids, load fresh rows, render outside transactions, call services. Safe to run twice."""

from django.contrib.contenttypes.models import ContentType

from . import pdf, services
from .models import Assembly, AssemblyStatus, JointMeeting, Notice, NoticeKind


def assembly_result_pdf_render(assembly_id: int) -> None:
    """Render the result PDF of a published assembly and attach it to its result notice."""
    assembly = Assembly.objects.select_related("estate").filter(pk=assembly_id, status=AssemblyStatus.PUBLISHED).first()
    if assembly is None:
        return
    notice = Notice.objects.filter(
        source_type=ContentType.objects.get_for_model(Assembly), source_id=assembly.pk, kind=NoticeKind.ASSEMBLY_RESULT
    ).first()
    if notice is None:
        return
    services.notice_attach_pdf(notice=notice, pdf_bytes=pdf.assembly_result_pdf(assembly=assembly))


def joint_meeting_minutes_pdf_render(meeting_id: int) -> None:
    """Render a joint meeting's minutes PDF; keep it on the meeting and its summary notice."""
    meeting = JointMeeting.objects.select_related("estate").filter(pk=meeting_id).first()
    if meeting is None:
        return
    services.joint_meeting_minutes_store(meeting=meeting, pdf_bytes=pdf.joint_meeting_minutes_pdf(meeting=meeting))


COMMITTEE_ROLES_SCHEDULE = "property_services.committee_roles_daily"


def committee_roles_daily() -> int:
    """Daily: take the back-office role from committee members whose seat ended (term over or left). Safe to run twice."""
    return services.committee_roles_revoke_ended()


LEASE_RENT_SCHEDULE = "property_services.lease_rent_daily"


def lease_rent_daily() -> int:
    """Daily: bill the rent cycles of common-part leases that have started (Art. 282). Safe to run twice."""
    from django.utils import timezone

    from .services.leases import leases_rent_bill_due

    return leases_rent_bill_due(on=timezone.localdate())


WORK_ORDERS_OVERDUE_SCHEDULE = "property_services.work_orders_overdue_hourly"


def work_orders_overdue_hourly() -> int:
    """Hourly: flag the work orders past their response or completion time (and unflag the answered). Safe to run twice."""
    from .services.work_orders import work_orders_flag_overdue

    return work_orders_flag_overdue()


WORK_ORDERS_SETTLE_SCHEDULE = "property_services.work_orders_settle_daily"


def work_orders_settle_daily() -> dict:
    """Daily: confirm the resolutions nobody answered and close the orders confirmed long enough. Safe to run twice."""
    from .services.work_orders import work_orders_settle

    return work_orders_settle()


SURVEYS_CLOSE_SCHEDULE = "property_services.surveys_close_daily"


def surveys_close_daily() -> int:
    """Daily: close the open surveys past their last day and publish their results. Safe to run twice."""
    from .services.surveys import surveys_close_due

    return surveys_close_due()


def schedules_ensure(**kwargs) -> None:
    """Create or update the property-services schedules (post_migrate; idempotent)."""
    import datetime

    from django.utils import timezone
    from django_q.models import Schedule

    from accounts.schedules import schedule_ensure

    first_run = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=0, minute=15, second=0, microsecond=0)
    schedule_ensure(
        name=COMMITTEE_ROLES_SCHEDULE,
        func="property_services.tasks.committee_roles_daily",
        schedule_type=Schedule.DAILY,
        first_run=first_run,
    )
    schedule_ensure(
        name=LEASE_RENT_SCHEDULE,
        func="property_services.tasks.lease_rent_daily",
        schedule_type=Schedule.DAILY,
        first_run=first_run,
    )
    schedule_ensure(
        name=WORK_ORDERS_SETTLE_SCHEDULE,
        func="property_services.tasks.work_orders_settle_daily",
        schedule_type=Schedule.DAILY,
        first_run=first_run,
    )
    schedule_ensure(
        name=SURVEYS_CLOSE_SCHEDULE,
        func="property_services.tasks.surveys_close_daily",
        schedule_type=Schedule.DAILY,
        first_run=first_run,
    )
    schedule_ensure(
        name=WORK_ORDERS_OVERDUE_SCHEDULE,
        func="property_services.tasks.work_orders_overdue_hourly",
        schedule_type=Schedule.HOURLY,
        first_run=timezone.localtime().replace(minute=5, second=0, microsecond=0) + datetime.timedelta(hours=1),
    )
