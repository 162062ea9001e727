"""The renovation-project chooser used on case study pages, scoped to what the editor may link."""

from django import forms
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet

from .selectors import projects_choosable_by


class ProjectFilterForm(BaseFilterForm):
    """Search by project or estate name (projects are not in the search index: a plain filter)."""

    q = forms.CharField(
        label=_("Search term"), required=False, widget=forms.TextInput(attrs={"placeholder": _("Project or estate name")})
    )

    def filter(self, objects):
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(Q(name__icontains=query) | Q(estate__name__icontains=query))
        return objects


class ScopedProjectsMixin:
    def get_object_list(self):
        return projects_choosable_by(user=self.request.user)

    @property
    def columns(self):
        return [
            self.title_column,
            Column("estate", label=_("Estate"), accessor="estate"),
            Column("year", label=_("Plan year"), accessor="year"),
            Column("status", label=_("Status"), accessor="get_status_display"),
        ]

    filter_form_class = ProjectFilterForm


class ProjectChooseView(ScopedProjectsMixin, chooser_views.ChooseView):
    pass


class ProjectChooseResultsView(ScopedProjectsMixin, chooser_views.ChooseResultsView):
    pass


class ProjectChosenView(chooser_views.ChosenView):
    def get_object(self, pk):
        project = projects_choosable_by(user=self.request.user).filter(pk=pk).first()
        if project is None:
            raise Http404
        return project


class RenovationProjectChooserViewSet(ChooserViewSet):
    model = "estates.RenovationProject"
    icon = "home"
    choose_one_text = _("Choose a renovation project")
    choose_another_text = _("Choose another project")
    edit_item_text = _("Edit this project")
    choose_view_class = ProjectChooseView
    choose_results_view_class = ProjectChooseResultsView
    chosen_view_class = ProjectChosenView
    # Only the case study form uses this widget; other apps' forms keep their own.
    register_widget = False


renovation_project_chooser = RenovationProjectChooserViewSet("cms_project_chooser", url_prefix="cms/project-chooser")
