from django.urls import path

from kehu.customers.views import duplicates

urlpatterns = [
    path("duplicates/", duplicates.duplicate_report, name="duplicates"),
]
