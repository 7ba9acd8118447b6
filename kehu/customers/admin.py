"""Django admin for customer data. Cards and contacts are scoped like everywhere else and read-only
here: their writes go through the services (validation, version check, audit), i.e. the app or API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from kehu.accounts import scope
from kehu.customers.models import Contact, Customer, CustomerGroup, CustomField, ImportJob, ImportMapping, Tag
from kehu.customers.selectors import contact_mask, customer_mask


class ScopedHistoryMixin:
    """SimpleHistoryAdmin reads history unscoped; answer 404 unless the row is visible to the user."""

    def _require_visible(self, request: HttpRequest, object_id: str) -> None:
        if self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]
            raise Http404

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: Any = None) -> Any:
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]


class ServiceWrittenMixin:
    """No add/change/delete in the admin: one write path per operation."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScopedAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    """Read-only admin of rows the user may see, nothing else (the same rule as every list and the API):
    the queryset starts from `Model.objects.visible_to(request.user)`, customer- or rep-scoped alike."""

    scoped = True
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = self.model.objects.visible_to(request.user)  # type: ignore[attr-defined]
        return queryset.select_related(*self.list_select_related) if self.list_select_related else queryset


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("name", "title", "is_primary", "version")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(ScopedHistoryMixin, ServiceWrittenMixin, SimpleHistoryAdmin):
    scoped = True
    list_display = ("code", "name", "status", "tier", "is_key", "channel_level", "owner", "org_unit",
                    "completeness", "updated_at")
    list_filter = ("status", "tier", "is_key", "channel_level")
    search_fields = ("code", "name", "short_name", "phone")
    list_select_related = ("owner", "org_unit")
    inlines = [ContactInline]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return Customer.objects.visible_to(request.user).select_related("owner", "org_unit")

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        customer = super().get_object(request, object_id, from_field)
        if customer is not None and not scope.can_see_sensitive(request.user, customer):
            customer_mask(customer)
        return customer

@admin.register(Contact)
class ContactAdmin(ScopedHistoryMixin, ServiceWrittenMixin, SimpleHistoryAdmin):
    scoped = True
    list_display = ("name", "customer", "title", "is_primary")
    search_fields = ("name", "customer__name", "customer__code")
    list_select_related = ("customer",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        return Contact.objects.visible_to(request.user).select_related("customer__org_unit")

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        contact = super().get_object(request, object_id, from_field)
        if contact is not None and not scope.can_see_sensitive(request.user, contact.customer):
            contact_mask(contact)
        return contact


@admin.register(CustomField)
class CustomFieldAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    list_display = ("key", "label_zh", "label_en", "field_type", "is_required", "is_active", "position")


@admin.register(CustomerGroup)
class CustomerGroupAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "created_by", "created_at")
    exclude = ("members",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope.can_edit_groups(request.user) and super().has_view_permission(request, obj)


@admin.register(ImportJob)
class ImportJobAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    """Read-only: imports are driven by the import services (wizard, API, `kehu import`)."""

    list_display = ("original_name", "created_by", "status", "mode", "total_rows", "created_at")
    list_filter = ("status", "mode")
    exclude = ("file",)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope.can_import(request.user) and super().has_view_permission(request, obj)


@admin.register(ImportMapping)
class ImportMappingAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    list_display = ("user", "signature", "updated_at")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return scope.can_import(request.user) and super().has_view_permission(request, obj)
