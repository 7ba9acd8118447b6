"""The field-work pages under /field/: one module per area."""

from kehu.field.urls import day, handover, map, plans, review

app_name = "field"
urlpatterns = [
    *plans.urlpatterns,
    *day.urlpatterns,
    *map.urlpatterns,
    *review.urlpatterns,
    *handover.urlpatterns,
]
