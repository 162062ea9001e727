from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as account_views
from accounts.personal_data import my_data_download

urlpatterns = [
    path("healthz", account_views.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("language/", account_views.language_choose, name="language_choose"),
    path("accounts/", include("accounts.urls")),
    path("portal/", account_views.portal_home, name="portal_home"),
    path("portal/me/", account_views.portal_me, name="portal_me"),
    path("portal/me/data/", my_data_download, name="portal_my_data"),
    path("portal/notices/", include("cms.portal_urls")),
    path("portal/", include("billing.portal_urls")),
    path("portal/governance/", include("property_services.portal_urls")),
    path("portal/parking/", include("property_services.parking_portal")),
    path("portal/fund/", include("property_services.fund_portal")),
    path("portal/records/", include("property_services.records_portal")),
    path("portal/repairs/", include("property_services.repairs_portal")),
    path("portal/surveys/", include("property_services.surveys_portal")),
    path("portal/rentals/", include("rentals.portal_urls")),
    path("billing/", include("billing.urls")),
    path("property/", include("property_services.urls")),
    path("parking/", include("property_services.parking_pay")),
    path("rentals/", include("rentals.urls")),
    path("", include("cms.urls")),
    path("sitemap.xml", sitemap),
]

if settings.DEBUG:
    from django.urls import re_path

    from config.security import serve_media

    urlpatterns += [re_path(r"^{}(?P<path>.*)$".format(settings.MEDIA_URL.lstrip("/")), serve_media)]

urlpatterns += [path("", include(wagtail_urls))]
