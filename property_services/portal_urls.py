"""/portal/governance/: the owners' assemblies."""

from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("", views.assembly_list, name="assembly_list"),
    path("<int:pk>/", views.assembly_detail, name="assembly_detail"),
    path("<int:pk>/vote/", views.assembly_vote, name="assembly_vote"),
]
