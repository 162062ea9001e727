"""/portal/rentals/: an owner entrusts a vacant flat (存房), follows the survey, answers the offer online and
downloads the agreement; a tenant reads their leases and downloads them."""

from django.urls import path

from . import lease_portal_views, portal_views, rent_portal_views, statement_views

app_name = "rentals_portal"
urlpatterns = [
    path("", portal_views.page, name="page"),
    path("entrust/", portal_views.entrust, name="entrust"),
    path("<int:pk>/", portal_views.detail, name="entrustment"),
    path("<int:pk>/agreement.pdf", portal_views.agreement_download, name="agreement_pdf"),
    # The owner's monthly statements: <pk> is the agreement's id here, the statement's for the PDF.
    path("<int:pk>/statements/", statement_views.portal_statements, name="statements"),
    path("statements/<int:pk>.pdf", statement_views.portal_statement_pdf, name="statement_pdf"),
    path("leases/<int:pk>/deposit.pdf", rent_portal_views.deposit_pdf, name="deposit_pdf"),
    path("leases/", lease_portal_views.leases, name="leases"),
    path("leases/<int:pk>/", lease_portal_views.lease, name="lease"),
    path("leases/<int:pk>/lease.pdf", lease_portal_views.lease_download, name="lease_pdf"),
    path("leases/<int:pk>/notice/", lease_portal_views.give_notice, name="lease_notice"),
]
