"""Login/logout (top-level names `login` and `logout`, as settings.LOGIN_URL expects) and the `web` pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from kehu.web import views

web_patterns = [
    path("", views.home, name="home"),
]

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include((web_patterns, "web"))),
]
