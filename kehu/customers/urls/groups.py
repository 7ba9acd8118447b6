from django.urls import path

from kehu.customers.views import groups

urlpatterns = [
    path("groups/", groups.group_list, name="groups"),
    path("groups/new/", groups.group_create, name="group-create"),
    path("groups/<int:pk>/", groups.group_detail, name="group-detail"),
    path("groups/<int:pk>/edit/", groups.group_edit, name="group-edit"),
    path("groups/<int:pk>/delete/", groups.group_delete, name="group-delete"),
    path("groups/<int:pk>/members/add/", groups.group_members_add, name="group-members-add"),
    path("groups/<int:pk>/members/remove/", groups.group_members_remove, name="group-members-remove"),
]
