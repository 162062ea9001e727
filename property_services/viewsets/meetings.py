"""Back-office screens of joint meetings (联席会议) and their decisions, tracked until done."""

import django_filters
from django.db.models import Count, Q
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import Column

from estates.admin_scoping import (
    ScopedAdminModelForm,
    ScopedEditView,
    ScopedIndexView,
    ScopedModelViewSet,
    estate_filter,
    estate_filterset,
)

from .. import admin_views, services
from ..models import DecisionStatus, JointMeeting, JointMeetingDecision

JointMeetingFilterSet = estate_filterset(JointMeeting)


class JointMeetingIndexView(ScopedIndexView):
    def annotate(self, queryset):
        today = timezone.localdate()
        return queryset.annotate(
            decision_count=Count("decisions", distinct=True),
            overdue_count=Count(
                "decisions", filter=Q(decisions__status=DecisionStatus.OPEN, decisions__due_on__lt=today), distinct=True
            ),
        )

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        return buttons + admin_views.meeting_action_buttons(instance, self.request.user)


class JointMeetingEditView(ScopedEditView):
    @property
    def header_more_buttons(self):
        return super().header_more_buttons + admin_views.meeting_action_buttons(self.object, self.request.user)


class JointMeetingViewSet(ScopedModelViewSet):
    model = JointMeeting
    icon = "calendar-alt"
    menu_label = _("Joint meetings")
    index_view_class = JointMeetingIndexView
    edit_view_class = JointMeetingEditView
    list_display = [
        "title",
        "estate",
        "held_on",
        Column("decision_count", label=_("Decisions")),
        Column("overdue_count", label=_("Overdue")),
        "summary_published_at",
    ]
    list_select_related = ("estate",)
    filterset_class = JointMeetingFilterSet
    search_fields = ["title", "estate__name", "agenda"]
    inspect_view_fields = ["estate", "title", "held_on", "location", "agenda", "minutes", "summary_published_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldPanel("title"),
            FieldRowPanel([FieldPanel("held_on"), FieldPanel("location")]),
            InlinePanel(
                "participants",
                heading=_("Participating organisations"),
                label=_("Organisation"),
                min_num=1,
                panels=[FieldPanel("organisation_kind"), FieldPanel("organisation_name"), FieldPanel("representative")],
            ),
            FieldPanel("agenda"),
            FieldPanel("minutes"),
            InlinePanel(
                "decisions",
                heading=_("Decisions"),
                label=_("Decision"),
                panels=[
                    FieldPanel("text"),
                    FieldRowPanel([FieldPanel("owner_kind"), FieldPanel("owner_name"), FieldPanel("due_on")]),
                ],
            ),
        ],
        base_form_class=ScopedAdminModelForm,
    )

    def save_object(self, *, form, request, created):
        return services.joint_meeting_save(meeting=form.save(commit=False))

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("publish/<int:pk>/", admin_views.JointMeetingPublishView.as_view(), name="publish"),
            path("minutes/<int:pk>/", admin_views.JointMeetingMinutesView.as_view(), name="minutes"),
        ]


class DecisionFilterSet(WagtailFilterSet):
    estate = estate_filter("meeting__estate")
    status = django_filters.ChoiceFilter(choices=DecisionStatus.choices, label=_("Status"))
    # Choices, not a BooleanFilter: the active-filter chip then reads 逾期：是, never "True".
    overdue = django_filters.ChoiceFilter(
        choices=[("true", _("Yes")), ("false", _("No"))], label=_("Overdue"), method="filter_overdue"
    )

    class Meta:
        model = JointMeetingDecision
        fields = ["estate", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=DecisionStatus.OPEN, due_on__lt=timezone.localdate())
        if value not in ("true", "false"):
            return queryset
        return queryset.filter(overdue) if value == "true" else queryset.exclude(overdue)


class DecisionIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        return buttons + admin_views.decision_action_buttons(instance, self.request.user)


class DecisionViewSet(ScopedModelViewSet):
    """Decisions are written on the meeting's form; here they are tracked to done."""

    model = JointMeetingDecision
    icon = "tasks"
    menu_label = _("Meeting decisions")
    index_view_class = DecisionIndexView
    add_view_enabled = False
    delete_view_enabled = False
    list_display = ["text", "meeting", "owner_name", "due_on", "status", "done_on"]
    list_select_related = ("meeting__estate",)
    filterset_class = DecisionFilterSet
    search_fields = ["text", "owner_name"]
    inspect_view_fields = ["meeting", "text", "owner_kind", "owner_name", "due_on", "status", "done_on"]
    edit_handler = ObjectList(
        [FieldPanel("text"), FieldRowPanel([FieldPanel("owner_kind"), FieldPanel("owner_name"), FieldPanel("due_on")])],
        base_form_class=ScopedAdminModelForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("status/<int:pk>/<str:to>/", admin_views.DecisionStatusView.as_view(), name="status"),
        ]
