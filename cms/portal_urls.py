"""/portal/notices/: the estate's notices inside the owners' portal (公告 tab)."""

from django.urls import path

from . import portal_views

app_name = "portal_notices"

urlpatterns = [
    path("", portal_views.notice_list, name="list"),
]
