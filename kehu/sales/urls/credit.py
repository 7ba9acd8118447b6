"""URLs of credit control; included by kehu.sales.urls."""

from django.urls import path

from kehu.sales.views import credit

urlpatterns = [
    path("holds/", credit.hold_list, name="holds"),
    path("holds/<int:pk>/", credit.hold_detail, name="hold-detail"),
    path("holds/<int:pk>/decide/", credit.hold_decide, name="hold-decide"),
    path("credit/policy/", credit.credit_policy, name="credit-policy"),
]
