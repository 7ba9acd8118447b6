from django.urls import path

from kehu.customers.views import lending

urlpatterns = [
    path("grants/", lending.grant_list, name="grants"),
    path("grants/request/", lending.grant_request, name="grant-request"),
    path("grants/<int:pk>/", lending.grant_detail, name="grant-detail"),
    path("grants/<int:pk>/decide/", lending.grant_decide, name="grant-decide"),
    path("grants/<int:pk>/revoke/", lending.grant_revoke, name="grant-revoke"),
]
