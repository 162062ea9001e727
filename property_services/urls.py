"""/property/: public property-services endpoints (notices are published through the CMS)."""

from django.urls import path

from . import gates

app_name = "property_services"

urlpatterns: list = [
    path("gates/<str:estate_code>/records/", gates.gate_records, name="gate_records"),
]
