"""Back-office screens of the car park: the visitor tariff, the stays the gates recorded, and the gates' key.

The key is shown only to whoever may rotate it, and only on its own page; rotating it stops the old
one at once (the gates must be given the new one).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from estates.admin_scoping import ScopedAdminModelForm, ScopedModelViewSet, ScopedReadOnlyViewSet, estate_filterset
from estates.selectors import estates_visible_to

from ..models import GateKey, ParkingRate, ParkingStay
from ..services.parking import gate_key_rotate


def _gate_key_link(estate_id: int) -> str:
    return format_html('<a href="{}">{}</a>', reverse("property_services_parkingrate:gate_key", args=[estate_id]), _("Gate key"))


class ParkingRateViewSet(ScopedModelViewSet):
    model = ParkingRate
    icon = "time"
    menu_label = _("Visitor parking tariffs")
    list_display = [
        "estate",
        "valid_from",
        "free_minutes",
        "first_fee",
        "interval_fee",
        "cap",
        "cap_window",
        Column("gate_key", label=_("Gate key"), accessor=lambda rate: _gate_key_link(rate.estate_id)),
    ]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(ParkingRate)
    inspect_view_fields = [
        "estate",
        "valid_from",
        "free_minutes",
        "free_per",
        "first_minutes",
        "first_fee",
        "interval_minutes",
        "interval_fee",
        "cap",
        "cap_window",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("valid_from")]),
            FieldRowPanel([FieldPanel("free_minutes"), FieldPanel("free_per")]),
            FieldRowPanel([FieldPanel("first_minutes"), FieldPanel("first_fee")]),
            FieldRowPanel([FieldPanel("interval_minutes"), FieldPanel("interval_fee")]),
            FieldRowPanel([FieldPanel("cap"), FieldPanel("cap_window")]),
        ],
        base_form_class=ScopedAdminModelForm,
    )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [path("gate-key/<int:estate_pk>/", GateKeyView.as_view(), name="gate_key")]


class ParkingStayViewSet(ScopedReadOnlyViewSet):
    model = ParkingStay
    icon = "list-ul"
    menu_label = _("Parking stays")
    list_display = ["plate", "estate", "entered_at", "left_at", "amount", "enter_gate", "leave_gate"]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(ParkingStay)
    search_fields = ["plate"]


class GateKeyView(WagtailAdminTemplateMixin, TemplateView):
    """The estate's gate key, and the button that rotates it (POST)."""

    page_title = _("Gate key")
    template_name = "property_services/admin/gate_key.html"
    header_icon = "key"

    def _estate(self, request, estate_pk):
        estate = estates_visible_to(user=request.user).filter(pk=estate_pk).first()
        if estate is None:
            raise Http404
        if not request.user.has_perm("property_services.change_gatekey"):
            raise PermissionDenied
        return estate

    def get(self, request, estate_pk):
        estate = self._estate(request, estate_pk)
        key = GateKey.objects.filter(estate=estate).first()
        return self.render_to_response(self.get_context_data(estate=estate, key=key))

    def post(self, request, estate_pk):
        estate = self._estate(request, estate_pk)
        gate_key_rotate(estate=estate)
        messages.success(request, _("A new gate key is in force; give it to the gates now (the old one no longer works)."))
        return redirect(reverse("property_services_parkingrate:gate_key", args=[estate.pk]))
