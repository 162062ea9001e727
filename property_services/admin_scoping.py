"""Back-office plumbing that keeps every property-services view inside the user's estates.

The same rules as estates.admin_scoping (out-of-scope objects answer 404 before any permission
check, lists and choice fields are narrowed), but through ``selectors.scope_for_user``, which also
knows providers (no estate of their own) and city-wide notices.
"""

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet

from estates.admin_scoping import ScopedAdminModelForm
from estates.spreadsheets import SafeSpreadsheetExportMixin

from .models import AssemblyMatter, Provider
from .selectors import scope_for_user

OWN_SCOPED_MODELS = {Provider, AssemblyMatter}


def narrow_choice_field(field, user) -> None:
    if isinstance(field, forms.ModelChoiceField) and field.queryset.model in OWN_SCOPED_MODELS:
        queryset = scope_for_user(field.queryset, user=user)
        if queryset.model is AssemblyMatter:
            queryset = queryset.select_related("assembly")
        field.queryset = queryset


class PSAdminModelForm(ScopedAdminModelForm):
    """Narrows estates' and this app's choice fields, on the form and on every inline child form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is None:
            return
        from estates.admin_scoping import SCOPED_MODELS
        from estates.selectors import scope_queryset

        for field in self.fields.values():
            narrow_choice_field(field, user)
        parent = self.instance
        for formset in getattr(self, "formsets", {}).values():
            base = formset.form

            def init(child, *a, _base=base, **kw):
                _base.__init__(child, *a, **kw)
                for child_field in child.fields.values():
                    if isinstance(child_field, forms.ModelChoiceField) and child_field.queryset.model in SCOPED_MODELS:
                        queryset = scope_queryset(child_field.queryset, user=user)
                        estate_id = getattr(parent, "estate_id", None)
                        if estate_id and hasattr(queryset.model, "estate_id"):
                            queryset = queryset.filter(estate_id=estate_id)
                        child_field.queryset = queryset
                    narrow_choice_field(child_field, user)

            formset.form = type(base.__name__, (base,), {"__init__": init})


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field where the form has one, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ServiceErrorsMixin:
    """Create/edit views whose save goes through a service: its ValidationError comes back as form errors."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            self.produced_error_code = "invalid"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class PSScopedObjectMixin:
    def dispatch(self, request, *args, **kwargs):
        pk = kwargs.get(getattr(self, "pk_url_kwarg", "pk"))
        if pk is not None:
            visible = scope_for_user(self.model._default_manager.all(), user=request.user)
            if not visible.filter(pk=unquote(str(pk))).exists():
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not scope_for_user(type(obj)._default_manager.filter(pk=obj.pk), user=self.request.user).exists():
            raise Http404
        return obj


class PSIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    list_select_related: tuple[str, ...] = ()
    list_prefetch_related: tuple[str, ...] = ()

    def get_base_queryset(self):
        queryset = scope_for_user(super().get_base_queryset(), user=self.request.user)
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        if self.list_prefetch_related:
            queryset = queryset.prefetch_related(*self.list_prefetch_related)
        return self.annotate(queryset)

    def annotate(self, queryset):
        return queryset


class PSCreateView(ServiceErrorsMixin, generic.CreateView):
    pass


class PSEditView(ServiceErrorsMixin, PSScopedObjectMixin, generic.EditView):
    pass


class PSDeleteView(PSScopedObjectMixin, generic.DeleteView):
    pass


class PSInspectView(PSScopedObjectMixin, generic.InspectView):
    pass


class PSHistoryView(PSScopedObjectMixin, history.HistoryView):
    pass


class PSUsageView(PSScopedObjectMixin, usage.UsageView):
    pass


class PSModelViewSet(ModelViewSet):
    """A ModelViewSet whose every view respects ``scope_for_user``."""

    index_view_class = PSIndexView
    add_view_class = PSCreateView
    edit_view_class = PSEditView
    delete_view_class = PSDeleteView
    inspect_view_class = PSInspectView
    history_view_class = PSHistoryView
    usage_view_class = PSUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_admin_menu = False
    list_select_related: tuple[str, ...] = ()
    list_prefetch_related: tuple[str, ...] = ()

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            list_select_related=self.list_select_related, list_prefetch_related=self.list_prefetch_related, **kwargs
        )
