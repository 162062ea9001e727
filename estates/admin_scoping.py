"""The one back-office base: every ModelViewSet of every app stays inside the user's estates.

A model states its scope once — an ``estate`` foreign key, an ``estate_scope_path`` attribute, or a
rule registered with ``estates.selectors.register_scope`` (providers, city-wide notices, billing
runs over all estates) — and ``ScopedModelViewSet`` does the rest:

- lists are narrowed with ``scope_queryset``;
- every view that loads one object (edit, delete, inspect, history, usage, copy) answers 404 for an
  object outside the scope, before any permission check, so staff of one estate cannot even learn
  that another estate's record exists;
- every choice field of the form (and of its inline child forms) lists only what the user sees;
- a viewset that saves through a service says so once, in ``save_object``; create and edit views
  both call it, log the change, and show a service's ValidationError on the form.

New apps subclass ``ScopedModelViewSet`` (or ``ScopedReadOnlyViewSet`` for records that only
services write) and add no scoping code of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters import Filter
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from .models import Estate
from .selectors import estates_visible_to, has_scope, scope_queryset
from .spreadsheets import SafeSpreadsheetExportMixin


def estate_filter(field_name: str = "estate") -> django_filters.ModelChoiceFilter:
    """A list filter by estate offering only the estates the user sees."""
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        label=_("Estate"),
        queryset=lambda request: estates_visible_to(user=request.user) if request else Estate.objects.none(),
    )


def estate_filterset(
    model: type[Model], estate: str | None = "estate", /, *, model_fields: tuple[str, ...] = (), **filters: Filter
) -> type[WagtailFilterSet]:
    """A list's filter set: by estate (only the estates the user sees) through the ``estate`` path,
    then the given ``filters``, then plain filters on ``model_fields``."""
    declared: dict[str, Filter] = ({"estate": estate_filter(estate)} if estate else {}) | filters
    meta = type("Meta", (), {"model": model, "fields": [*declared, *model_fields]})
    return type(f"{model.__name__}FilterSet", (WagtailFilterSet,), {**declared, "Meta": meta})


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field where the form has one, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


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


class ServiceSaveMixin:
    """Create and edit views: save through the viewset's ``save_object`` when it has one.

    A service's ValidationError comes back as form errors (nothing is saved: the service is atomic).
    """

    save_object: Any = None  # set by ScopedModelViewSet: callable(form=, request=, created=) -> instance

    def save_instance(self):
        if self.save_object is None:
            return super().save_instance()
        created = self.form.instance.pk is None
        instance = self.save_object(form=self.form, request=self.request, created=created)
        log(instance, "wagtail.create" if created else "wagtail.edit", user=self.request.user)
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            self.produced_error_code = "invalid"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class ScopedIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    list_select_related: tuple[str, ...] = ()
    list_prefetch_related: tuple[str, ...] = ()

    def get_base_queryset(self):
        queryset = scope_queryset(super().get_base_queryset(), user=self.request.user)
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        if self.list_prefetch_related:
            queryset = queryset.prefetch_related(*self.list_prefetch_related)
        return self.annotate(queryset)

    def annotate(self, queryset):
        """Counts and other figures a list shows, added in the same query."""
        return queryset


class ScopedCreateView(ServiceSaveMixin, generic.CreateView):
    pass


class ScopedEditView(ServiceSaveMixin, ScopedObjectMixin, generic.EditView):
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


def _narrow(field, user, *, estate_id=None) -> None:
    if not isinstance(field, forms.ModelChoiceField) or not has_scope(field.queryset.model):
        return
    queryset = scope_queryset(field.queryset, user=user)
    if estate_id and hasattr(queryset.model, "estate_id"):
        # An inline child of an estate's record chooses among that estate's records.
        queryset = queryset.filter(estate_id=estate_id)
    field.queryset = queryset


class ScopedAdminModelForm(WagtailAdminModelForm):
    """Every choice of a scoped model (estate, building, unit, owner, provider, matter, ...) lists only
    what the user sees, on the form and on each inline child form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is None:
            return
        for field in self.fields.values():
            _narrow(field, user)
        parent = self.instance
        for formset in getattr(self, "formsets", {}).values():
            base = formset.form

            def init(child, *a, _base=base, **kw):
                _base.__init__(child, *a, **kw)
                for child_field in child.fields.values():
                    _narrow(child_field, user, estate_id=getattr(parent, "estate_id", None))

            formset.form = type(base.__name__, (base,), {"__init__": init})


class ScopedModelViewSet(ModelViewSet):
    """A ModelViewSet whose every view respects the user's scope (see the module docstring).

    Override ``save_object(*, form, request, created)`` to save through a service.
    """

    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
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
    list_prefetch_related: tuple[str, ...] = ()

    save_object: Any = None

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            list_select_related=self.list_select_related, list_prefetch_related=self.list_prefetch_related, **kwargs
        )

    def get_add_view_kwargs(self, **kwargs):
        if self.save_object is not None and "save_object" not in kwargs:
            kwargs["save_object"] = self.save_object
        return super().get_add_view_kwargs(**kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        if self.save_object is not None and "save_object" not in kwargs:
            kwargs["save_object"] = self.save_object
        return super().get_edit_view_kwargs(**kwargs)


class ScopedReadOnlyViewSet(ScopedModelViewSet):
    """A scoped list and record page with no generic add/edit/delete: only services write these
    records (bills, payments, ledger). ``add_view`` and ``extra_urls`` add pages that call services."""

    add_view: Callable[..., HttpResponse] | None = None  # a view for "new/" (e.g. record a payment)
    detail_view: Callable[..., HttpResponse] | None = None  # replaces the generic inspect page

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            edit_url_name=None,
            delete_url_name=None,
            add_url_name=self.get_url_name("add") if self.add_view else None,
            **kwargs,
        )

    def extra_urls(self) -> list:
        return []

    @cached_property
    def url_finder_class(self):
        """Pages that link to "edit this object" (Wagtail's usage and history views) get the read-only
        record instead: there is no edit page to reverse, and reversing one answered 500."""
        return type("_ReadOnlyURLFinder", (ModelAdminURLFinder,), {"edit_url_name": self.get_url_name("inspect")})

    def get_urlpatterns(self):
        urls = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.detail_view or self.inspect_view, name="inspect"),
        ]
        if self.add_view:
            urls.append(path("new/", self.add_view, name="add"))
        return urls + self.extra_urls()
