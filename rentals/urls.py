from django.urls import path

from . import views

app_name = "rentals"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.listing_detail, name="listing"),
    path("photo/<int:pk>/", views.photo, name="photo"),
]
