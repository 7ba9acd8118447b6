"""Handover pages under /field/handovers/ (namespace `field`)."""

from django.urls import path

from kehu.field.views import handover as views

urlpatterns = [
    path("handovers/", views.handover_list, name="handovers"),
    path("handovers/new/leave/", views.handover_new_leave, name="handover-new-leave"),
    path("handovers/new/departure/", views.handover_new_departure, name="handover-new-departure"),
    path("handovers/<int:pk>/", views.handover_detail, name="handover"),
    path("handovers/<int:pk>/do/<str:action>/", views.handover_action, name="handover-action"),
    path("handovers/<int:pk>/report.pdf", views.handover_report, name="handover-report"),
]
