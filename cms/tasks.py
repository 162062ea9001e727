"""django-q tasks of the public site. They take ids, load fresh rows and call services."""

from property_services.models import Notice

from . import services


def notice_pages_sync() -> dict[str, int]:
    """Scheduled every few minutes (see services.notice_sync_schedule_ensure)."""
    return services.notice_pages_sync()


def notice_page_sync(notice_id: int) -> str:
    notice = Notice.objects.select_related("estate").filter(pk=notice_id).first()
    if notice is None:
        return "missing"
    return services.notice_page_sync(notice=notice)
