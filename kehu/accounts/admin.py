"""Django admin for the organisation and the (read-only) audit log and card loans."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kehu.accounts import scope
from kehu.accounts.models import AccessGrant, AuditEvent, OrgUnit, User
from kehu.accounts.services import org_unit_create, org_unit_update


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "path")
    search_fields = ("code", "name")
    readonly_fields = ("path",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return scope.can_manage_custom_fields(request.user)  # administrators only, as in the API

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope.can_manage_custom_fields(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # units own users and customers (PROTECT); retire by moving, not deleting

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        """Through the same audited service as the API, which keeps the subtree's paths right."""
        data = {"code": obj.code, "name": obj.name, "parent": obj.parent_id}
        if change:
            saved = org_unit_update(actor=request.user, unit_id=obj.pk, data=data, request=request)
        else:
            saved = org_unit_create(actor=request.user, data=data, request=request)
        obj.pk, obj.path = saved.pk, saved.path


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "role", "org_unit", "is_active", "is_staff")
    list_filter = ("role", "org_unit", "is_active", "is_staff")
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Kehu"), {"fields": ("display_name", "role", "org_unit")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Kehu"), {"fields": ("display_name", "role", "org_unit")}),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (with their checks and audit rows): the admin only shows them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    """Loans the admin user may decide or asked for (the same lists as the lending pages)."""

    scoped = True
    list_display = ("customer", "grantee", "status", "days", "requested_at", "decided_by", "expires_at")
    list_filter = ("status",)
    list_select_related = ("customer", "grantee", "decided_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessGrant]:
        decidable = scope.grants_decidable_q(request.user)
        mine = AccessGrant.objects.filter(grantee=request.user)
        others = AccessGrant.objects.all() if decidable is None else AccessGrant.objects.filter(decidable)
        return (mine | others).distinct()


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The append-only audit log: shown to auditors, custodians and administrators only."""

    scoped = True
    list_display = ("at", "username", "action", "object_type", "object_id", "object_repr", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_repr")
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        events = AuditEvent.objects.all()
        return events if scope.can_read_audit_log(request.user) else events.none()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope.can_read_audit_log(request.user) and super().has_view_permission(request, obj)
