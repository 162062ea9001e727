"""Back-office plumbing that keeps every inventory view inside the user's estates.

Lists are narrowed with `scope_queryset`; every view that loads one object (edit, delete, inspect,
history, usage, copy) answers 404 for an object outside the scope, so staff of one estate cannot
even learn that another estate's unit exists. Choice fields on the forms are narrowed the same way.
"""

from django import forms
from django.contrib.admin.utils import unquote
from django.http import Http404
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet

from .selectors import CONTAINER_PATHS, ESTATE_PATHS, scope_queryset
from .spreadsheets import SafeSpreadsheetExportMixin

SCOPED_MODELS = set(ESTATE_PATHS) | set(CONTAINER_PATHS)


class ScopedObjectMixin:
    def dispatch(self, request, *args, **kwargs):
        # Scope before permissions: an object outside the scope is "not found" for everyone,
        # whatever their permissions, so its existence does not leak.
        pk = kwargs.get(getattr(self, "pk_url_kwarg", "pk"))
        if pk is not None:
            visible = scope_queryset(self.model._default_manager.all(), user=request.user)
            if not visible.filter(pk=unquote(str(pk))).exists():
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not scope_queryset(type(obj)._default_manager.filter(pk=obj.pk), user=self.request.user).exists():
            raise Http404
        return obj


class ScopedIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    list_select_related: tuple[str, ...] = ()

    def get_base_queryset(self):
        queryset = scope_queryset(super().get_base_queryset(), user=self.request.user)
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    pass


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedCopyView(ScopedObjectMixin, generic.CopyView):
    pass


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class ScopedAdminModelForm(WagtailAdminModelForm):
    """Every choice of a district, estate, building, unit or owner lists only what the user sees."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is None:
            return
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model in SCOPED_MODELS:
                field.queryset = scope_queryset(field.queryset, user=self.for_user)


class ScopedModelViewSet(ModelViewSet):
    """A ModelViewSet whose every view respects `estates_visible_to`."""

    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    copy_view_class = ScopedCopyView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_admin_menu = False
    list_select_related: tuple[str, ...] = ()

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(list_select_related=self.list_select_related, **kwargs)
