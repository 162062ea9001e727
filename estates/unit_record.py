"""The one-page record of a unit in the back office: who owns it, and what other apps know of it.

estates shows the unit and its owners (masked; the logged "reveal" page for those who may change
owners). Apps above estates add their own sections without estates naming them (DESIGN.md:
registration, not naming): a function registered with Wagtail's hook
``register_unit_record_section`` takes ``(unit, request)`` and returns a Wagtail ``Component``, or
None when the person may not see that part. Each section runs a fixed number of queries, however
many bills, payments or ballots the unit has.

Every list that shows a unit links its cell here (``UnitRecordColumn`` in lists,
``{{ unit|unit_record_link }}`` in templates). Staff of another estate get 404, like every
scoped page (``ScopedObjectMixin``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .admin_scoping import ScopedObjectMixin
from .models import Ownership, Unit

SECTION_HOOK = "register_unit_record_section"


def unit_record_url(unit) -> str:
    return reverse("estates_unit:record", args=[getattr(unit, "pk", unit)])


def unit_record_link(unit, text: str | None = None) -> str:
    """``<a href="…/record/7/">3-2-502</a>`` (building-entrance-number), or "—" without a unit."""
    if unit is None:
        return "—"
    return format_html('<a href="{}" data-unit-record="{}">{}</a>', unit_record_url(unit), unit.pk, text or unit.key)


class UnitRecordColumn(Column):
    """A list column whose cell is the unit, linking to its record. ``name`` is the path to the unit
    from the row ("unit", or "" for a list of units); the list's queryset must select the unit's
    building (``select_related("unit__building")``)."""

    cell_template_name = "estates/unit_record_cell.html"

    def __init__(self, name: str = "unit", *, label=None, full: bool = False, **kwargs):
        self.unit_path = name
        self.full = full
        kwargs.setdefault("sort_key", f"{name}__building__number" if name else None)
        super().__init__(name or "unit", label=label or _("Unit"), accessor=self._unit, **kwargs)

    def _unit(self, row):
        unit = row
        for part in filter(None, self.unit_path.split("__")):
            unit = getattr(unit, part, None)
            if unit is None:
                return None
        return unit

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        unit = self._unit(instance)
        context["link"] = unit_record_link(unit, str(unit) if (unit is not None and self.full) else None)
        return context


class UnitRecordListColumn(Column):
    """A list column with several units (e.g. those whose bills a payment paid), each linking to its record.
    ``units`` takes the row and returns its units, already loaded with their buildings."""

    cell_template_name = "estates/unit_record_cell.html"

    def __init__(self, name: str, *, units, label=None, **kwargs):
        self.units = units
        super().__init__(name, label=label or _("Units"), **kwargs)

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        units = list({unit.pk: unit for unit in self.units(instance) if unit is not None}.values())
        context["link"] = format_html_join(", ", "{}", ((unit_record_link(unit),) for unit in units)) if units else "—"
        return context


class UnitRecordSection(Component):
    """Base of a section another app adds to the unit record (``register_unit_record_section``):
    it is built for one unit and the person looking, and renders its own template."""

    name = ""
    order = 100

    def __init__(self, *, unit: Unit, user):
        self.unit = unit
        self.user = user


def unit_for_record(*, pk: int) -> Unit:
    """The unit with its estate and every ownership (current first, then by start), owners joined. Two queries."""
    ownerships = Ownership.objects.select_related("owner").order_by("until", "-since", "pk")
    return get_object_or_404(
        Unit.objects.select_related("building__estate").prefetch_related(
            Prefetch("ownerships", queryset=ownerships, to_attr="ownership_history")
        ),
        pk=pk,
    )


def unit_record_sections(*, unit: Unit, request) -> list:
    sections = [fn(unit, request) for fn in hooks.get_hooks(SECTION_HOOK)]
    return sorted((s for s in sections if s is not None), key=lambda s: getattr(s, "order", 100))


class UnitRecordView(ScopedObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """One page per unit: the unit, its owners (masked) and the sections other apps register."""

    model = Unit
    template_name = "estates/unit_record.html"
    header_icon = "doc-empty"

    def get_page_title(self):
        return _("Unit record")

    def get_page_subtitle(self):
        return str(self.unit) if getattr(self, "unit", None) else ""

    def get_breadcrumbs_items(self):
        # The page's own title (not only "Home"): Home › Units › Unit record.
        return [
            *self.breadcrumbs_items,
            {"url": reverse("estates_unit:index"), "label": Unit._meta.verbose_name_plural},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get(self, request, pk):
        if not request.user.has_perm("estates.view_unit"):
            raise PermissionDenied
        self.unit = unit_for_record(pk=pk)
        ownerships = self.unit.ownership_history
        context = self.get_context_data(
            unit=self.unit,
            current=[o for o in ownerships if o.until is None],
            past=[o for o in ownerships if o.until is not None],
            can_reveal=request.user.has_perm("estates.change_owner"),
            can_edit=request.user.has_perm("estates.change_unit"),
            sections=unit_record_sections(unit=self.unit, request=request),
        )
        return self.render_to_response(context)
