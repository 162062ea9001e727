"""Back-office screens of notices (公示) of an estate, or city-wide for platform administrators.

The form edits a notice's text and period; a new one is a draft. Publishing and withdrawing are
actions (``admin_views.NoticeStatusView``) that go through the services, never a form field.
"""

import django_filters
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList

from estates.admin_scoping import ScopedAdminModelForm, ScopedEditView, ScopedIndexView, ScopedModelViewSet, estate_filterset

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


class NoticeViewSet(ScopedModelViewSet):
    model = Notice
    icon = "doc-full"
    menu_label = _("Notices")
    index_view_class = NoticeIndexView
    edit_view_class = NoticeEditView
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
        ]
