from django.urls import path

from . import dunning, portal_views

app_name = "portal_billing"

urlpatterns = [
    path("bills/", portal_views.bills, name="bills"),
    path("bills/checkout/", portal_views.checkout, name="checkout"),
    path("payments/<int:pk>/", portal_views.payment_result, name="payment_result"),
    path("payments/<int:pk>/cancel/", portal_views.payment_cancel, name="payment_cancel"),
    path("receipts/<int:pk>.pdf", portal_views.receipt_download, name="receipt"),
    path("reminders/<int:pk>/letter.pdf", dunning.demand_letter_download, name="demand_letter"),
]
