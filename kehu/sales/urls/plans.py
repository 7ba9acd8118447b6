"""URLs of monthly plans; included by kehu.sales.urls (namespace `sales`, under /sales/)."""

from django.urls import path

from kehu.sales.views import plans as views

urlpatterns = [
    path("plans/", views.plan_overview, name="plans"),
    path("plans/new/", views.plan_new, name="plan-new"),
    path("plans/approvals/", views.plan_approvals, name="plan-approvals"),
    path("plans/copy/", views.plan_copy, name="plan-copy"),
    path("plans/import/", views.plan_import, name="plan-import"),
    path("plans/import/template/", views.plan_import_template_download, name="plan-import-template"),
    path("plans/<int:customer_id>/<str:month>/", views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/do/<str:action>/", views.plan_action, name="plan-action"),
]
