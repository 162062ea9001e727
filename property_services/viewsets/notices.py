"""Back-office screens of notices (公示) of an estate, or city-wide for platform administrators.

The form edits a notice's text and period; a new one is a draft. Publishing and withdrawing are
actions (``admin_views.NoticeStatusView``) that go through the services, never a form field.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList

from estates.admin_scoping import (
    ScopedAdminModelForm,
    ScopedEditView,
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
    estate_filterset,
)
from estates.selectors import scope_queryset

from .. import admin_views, services
from ..models import Notice, NoticeKind, NoticeStatus

NoticeFilterSet = estate_filterset(
    Notice,
    kind=django_filters.ChoiceFilter(choices=NoticeKind.choices, label=_("Kind")),
    status=django_filters.ChoiceFilter(choices=NoticeStatus.choices, label=_("Status")),
)


class NoticeIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        return super().get_list_more_buttons(instance) + admin_views.notice_action_buttons(instance, self.request.user)


class NoticeEditView(ScopedEditView):
    @property
    def header_more_buttons(self):
        return super().header_more_buttons + admin_views.notice_action_buttons(self.object, self.request.user)


class NoticeInspectView(ScopedInspectView):
    """A notice's page: its PDF is a link to the scoped download below, not the file's storage name."""

    def get_pdf_display_value(self):
        if not self.object.pdf:
            return "—"
        url = reverse("property_services_notice:pdf", args=[self.object.pk])
        return format_html('<a href="{}" data-testid="notice-pdf-file">{}</a>', url, _("Download the PDF"))


def notice_pdf(request, pk: int):
    """A notice's PDF for whoever may see the notice in the back office (404 outside the user's estates)."""
    notice = scope_queryset(Notice.objects.all(), user=request.user).filter(pk=pk).first()
    if notice is None or not notice.pdf:
        raise Http404
    if not request.user.has_perm("property_services.view_notice"):
        raise PermissionDenied
    return FileResponse(
        notice.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=f"notice-{notice.pk}.pdf"
    )


class NoticeViewSet(ScopedModelViewSet):
    model = Notice
    icon = "doc-full"
    menu_label = _("Notices")
    index_view_class = NoticeIndexView
    edit_view_class = NoticeEditView
    inspect_view_class = NoticeInspectView
    list_display = ["title", "estate", "kind", "display_from", "display_until", "status"]
    list_select_related = ("estate",)
    filterset_class = NoticeFilterSet
    search_fields = ["title", "body"]
    inspect_view_fields = ["estate", "kind", "title", "body", "display_from", "display_until", "pdf", "status"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("kind")]),
            FieldPanel("title"),
            FieldPanel("body"),
            FieldRowPanel([FieldPanel("display_from"), FieldPanel("display_until")]),
            FieldPanel("pdf"),
        ],
        base_form_class=ScopedAdminModelForm,
    )

    def save_object(self, *, form, request, created):
        return services.notice_save(notice=form.save(commit=False), by=request.user)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("status/<int:pk>/<str:to>/", admin_views.NoticeStatusView.as_view(), name="status"),
            path("pdf/<int:pk>/", notice_pdf, name="pdf"),
        ]
