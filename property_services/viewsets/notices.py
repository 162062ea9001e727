"""Back-office screens of notices (公示) of an estate, or city-wide for platform administrators."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList

from accounts.sanitize import clean_text_or_html
from estates.admin_scoping import ScopedAdminModelForm, ScopedModelViewSet, estate_filter
from estates.selectors import user_sees_everything

from ..models import Notice, NoticeKind


class NoticeFilterSet(WagtailFilterSet):
    estate = estate_filter("estate")
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices, label=_("Kind"))
    is_published = django_filters.BooleanFilter(label=_("Published"))

    class Meta:
        model = Notice
        fields = ["estate", "kind", "is_published"]


class NoticeForm(ScopedAdminModelForm):
    class Meta:
        model = Notice
        fields = ["estate", "kind", "title", "body", "display_from", "display_until", "pdf", "is_published"]

    def clean_body(self):
        # Published on the public site, which shares its origin with the portal and back office.
        return clean_text_or_html(self.cleaned_data.get("body"))

    def clean(self):
        data = super().clean()
        start, end = data.get("display_from"), data.get("display_until")
        if start and end and end < start:
            self.add_error("display_until", "公示结束日期早于开始日期 / The display period ends before it starts.")
        if not data.get("estate") and self.for_user is not None and not user_sees_everything(self.for_user):
            self.add_error(
                "estate",
                "请选择小区；全市公告由平台管理员发布 / Choose an estate: city-wide notices are published by platform administrators.",
            )
        return data


class NoticeViewSet(ScopedModelViewSet):
    model = Notice
    icon = "doc-full"
    menu_label = _("Notices")
    list_display = ["title", "estate", "kind", "display_from", "display_until", "is_published"]
    list_select_related = ("estate",)
    filterset_class = NoticeFilterSet
    search_fields = ["title", "body"]
    inspect_view_fields = ["estate", "kind", "title", "body", "display_from", "display_until", "pdf", "is_published"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("kind")]),
            FieldPanel("title"),
            FieldPanel("body"),
            FieldRowPanel([FieldPanel("display_from"), FieldPanel("display_until")]),
            FieldPanel("pdf"),
            FieldPanel("is_published"),
        ],
        base_form_class=NoticeForm,
    )
