"""The API router: every resource under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from kehu.accounts.api.views import AuditEventViewSet, LogoutView, OrgUnitViewSet, TokenView, UserViewSet
from kehu.customers.api.contacts import ContactViewSet
from kehu.customers.api.customers import CustomerViewSet
from kehu.customers.api.fields import CustomFieldViewSet
from kehu.customers.api.groups import GroupViewSet, TagViewSet
from kehu.customers.api.imports import ImportJobViewSet
from kehu.customers.api.lending import GrantViewSet
from kehu.field.api import register as register_field
from kehu.sales.api import register as register_sales

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("groups", GroupViewSet, basename="group")
router.register("tags", TagViewSet, basename="tag")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
router.register("grants", GrantViewSet, basename="grant")
router.register("imports", ImportJobViewSet, basename="import")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("users", UserViewSet, basename="user")
register_sales(router)
register_field(router)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("", include(router.urls)),
]
