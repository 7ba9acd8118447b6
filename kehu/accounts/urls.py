from django.urls import path

from kehu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("audit/flags/", views.audit_flags, name="audit-flags"),
]
