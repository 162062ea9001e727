from django.contrib.auth import views as auth_views
from django.urls import path

from .forms import MobileLoginForm
from .views import login_by_code

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", authentication_form=MobileLoginForm),
        name="login",
    ),
    path("login/code/", login_by_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
