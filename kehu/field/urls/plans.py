"""Visit-plan pages under /field/ (namespace `field`)."""

from django.urls import path

from kehu.field.views import plans as views

urlpatterns = [
    path("plans/", views.plan_index, name="plans"),
    path("plans/open/", views.plan_open, name="plan-open"),
    path("plans/<int:rep_id>/<str:week>/", views.plan_week, name="plan-week"),
    path("plans/<int:rep_id>/<str:week>/generate/", views.plan_generate, name="plan-generate"),
    path("plans/do/<int:pk>/<str:action>/", views.plan_action, name="plan-action"),
    path("plans/<int:rep_id>/day/<str:day>/", views.plan_day, name="plan-day"),
    path("profile/", views.profile_edit, name="profile"),
    path("profile/<int:rep_id>/", views.profile_edit, name="profile-rep"),
]
