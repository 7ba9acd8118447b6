from django.urls import path

from kehu.customers.views import merge

urlpatterns = [
    path("<int:pk>/merge/", merge.merge_pick, name="merge-pick"),
    path("<int:pk>/merge/<int:merged_pk>/", merge.merge_wizard, name="merge"),
]
