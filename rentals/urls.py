from django.urls import path

from . import application_views, views

app_name = "rentals"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.listing_detail, name="listing"),
    path("<int:pk>/apply/", application_views.apply, name="apply"),
    path("application/<str:token>/", application_views.track, name="application"),
    path("application/<str:token>/withdraw/", application_views.withdraw, name="withdraw"),
    path("application/<str:token>/data/", application_views.application_data, name="application_data"),
    path("application/<str:token>/erase/", application_views.application_erase_view, name="application_erase"),
    path("photo/<int:pk>/", views.photo, name="photo"),
]
