from django.urls import path

from . import views

app_name = "rentals"

# Until listings and applications are built, /rentals/ says what is coming (the home page links here).
urlpatterns = [
    path("", views.coming_soon, name="index"),
]
