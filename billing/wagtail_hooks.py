from django.urls import path
from wagtail import hooks

from .unit_record import receipt_download_staff, unit_bills_section
from .viewsets import BillingViewSetGroup


@hooks.register("register_admin_viewset")
def register_billing():
    return BillingViewSetGroup()


@hooks.register("register_admin_urls")
def register_billing_admin_urls():
    return [path("billing/receipt/<int:pk>.pdf", receipt_download_staff, name="billing_receipt_pdf")]


hooks.register("register_unit_record_section", unit_bills_section)
