from django.urls import path

from kehu.customers.views import fields

urlpatterns = [
    path("fields/", fields.field_list, name="fields"),
    path("fields/new/", fields.field_create, name="field-create"),
    path("fields/<int:pk>/edit/", fields.field_edit, name="field-edit"),
    path("fields/<int:pk>/deactivate/", fields.field_deactivate, name="field-deactivate"),
]
