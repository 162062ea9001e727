"""/property/: public property-services pages (notices are published through the CMS)."""

app_name = "property_services"

urlpatterns: list = []
