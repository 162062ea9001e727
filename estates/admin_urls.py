"""Inventory import/export in the back office; the lead mounts these under /admin/inventory/."""

from django.urls import path

from . import admin_views

urlpatterns = [
    path("import/", admin_views.inventory_import_view, name="inventory_import"),
    path("export/", admin_views.inventory_export_view, name="inventory_export"),
]
