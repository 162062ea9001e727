"""The dashboard of one estate in the back office: what other apps report about it, in one page.

estates shows the estate's inventory counts; apps above estates add their own sections without
estates naming them (DESIGN.md: registration, not naming): a function registered with Wagtail's hook
``register_estate_dashboard_section`` takes ``(estate, request)`` and returns an
``EstateDashboardSection`` (a Wagtail ``Component``), or None when the person may not see that part.
Each section runs a fixed number of queries, however large the estate.

Staff of another estate get 404, like every scoped page (``ScopedObjectMixin``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .admin_scoping import ScopedObjectMixin
from .models import Estate
from .selectors import scope_queryset

SECTION_HOOK = "register_estate_dashboard_section"


def estate_dashboard_url(estate) -> str:
    return reverse("estates_estate:dashboard", args=[getattr(estate, "pk", estate)])


class EstateDashboardSection(Component):
    """Base of a section another app adds to the estate dashboard: built for one estate, the person
    looking and the day, and rendering its own template."""

    name = ""
    order = 100

    def __init__(self, *, estate: Estate, user, today=None):
        self.estate = estate
        self.user = user
        self.today = today or timezone.localdate()


def estate_dashboard_sections(*, estate: Estate, request) -> list:
    sections = [fn(estate, request) for fn in hooks.get_hooks(SECTION_HOOK)]
    return sorted((s for s in sections if s is not None), key=lambda s: getattr(s, "order", 100))


class EstateDashboardView(ScopedObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """One page per estate: its size and the sections other apps register (common parts, …)."""

    model = Estate
    template_name = "estates/estate_dashboard.html"
    header_icon = "home"

    def get_page_title(self):
        return _("Estate dashboard")

    def get_page_subtitle(self):
        return self.estate.name if getattr(self, "estate", None) else ""

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("estates_estate:dashboards"), "label": _("Estate dashboards")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get(self, request, pk):
        if not request.user.has_perm("estates.view_estate"):
            raise PermissionDenied
        self.estate = get_object_or_404(
            Estate.objects.select_related("community__subdistrict").annotate(
                n_buildings=Count("buildings", distinct=True),
                n_units=Count("buildings__units", distinct=True),
            ),
            pk=pk,
        )
        context = self.get_context_data(
            estate=self.estate,
            sections=estate_dashboard_sections(estate=self.estate, request=request),
        )
        return self.render_to_response(context)


class EstateDashboardIndexView(WagtailAdminTemplateMixin, TemplateView):
    """The estates whose dashboard the person may open; with one estate, straight to it."""

    template_name = "estates/estate_dashboard_index.html"
    header_icon = "home"
    page_title = _("Estate dashboards")

    def get(self, request):
        if not request.user.has_perm("estates.view_estate"):
            raise PermissionDenied
        estates = scope_queryset(Estate.objects.all(), user=request.user).order_by("code")
        query = (request.GET.get("q") or "").strip()
        if query:
            estates = estates.filter(Q(name__icontains=query) | Q(code__icontains=query))
        shown = list(estates[:101])
        if len(shown) == 1 and not query:
            return redirect(estate_dashboard_url(shown[0]))
        return self.render_to_response(self.get_context_data(estates=shown[:100], more=len(shown) > 100, q=query))


__all__ = [
    "SECTION_HOOK",
    "EstateDashboardIndexView",
    "EstateDashboardSection",
    "EstateDashboardView",
    "estate_dashboard_sections",
    "estate_dashboard_url",
]
