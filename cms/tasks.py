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


def case_studies_search_refresh(project_ids: list[int]) -> int:
    return services.case_studies_search_refresh(project_ids=project_ids)


def case_studies_search_refresh_queue(*, project_ids: list[int]) -> None:
    """Registered with estates.hooks (cms.apps): runs after the project's change has committed."""
    from django_q.tasks import async_task

    async_task("cms.tasks.case_studies_search_refresh", list(project_ids))
