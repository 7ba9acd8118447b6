"""Django admin for the sales models: read-only (writes go through the services: validation, version
check, audit, summaries) and scoped. Every admin over a customer-owned model starts its queryset
from `Model.objects.visible_to(request.user)`, so a staff rep sees only their own customers' rows.
The catalogue and the company settings (credit policy, lifecycle rules) are not customer data.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from kehu.customers.admin import ScopedAdmin, ScopedHistoryMixin, ServiceWrittenMixin
from kehu.sales.models import (
    Allocation,
    Collection,
    CreditHold,
    CreditPolicy,
    CreditSuggestion,
    CustomerMonth,
    LifecycleRule,
    Order,
    OrderLine,
    Payment,
    PlanLine,
    PlanSupport,
    Product,
    ProductPrice,
    SalesMonth,
    SalesPlan,
)


class ScopedHistoryAdmin(ScopedHistoryMixin, ServiceWrittenMixin, SimpleHistoryAdmin):
    scoped = True
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = self.model.objects.visible_to(request.user)  # type: ignore[attr-defined]
        return queryset.select_related(*self.list_select_related) if self.list_select_related else queryset


# --- catalogue and company settings (not customer data) ---------------------------------------


class ProductPriceInline(admin.TabularInline):
    model = ProductPrice
    extra = 0
    fields = ("channel_level", "price")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    list_display = ("sku", "name", "spec", "unit", "category", "list_price", "is_active", "updated_at")
    list_filter = ("is_active", "category")
    search_fields = ("sku", "name", "search_text")
    exclude = ("search_text",)
    inlines = [ProductPriceInline]


@admin.register(ProductPrice)
class ProductPriceAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    list_display = ("product", "channel_level", "price")
    list_filter = ("channel_level",)
    search_fields = ("product__sku", "product__name")
    list_select_related = ("product",)


@admin.register(CreditPolicy)
class CreditPolicyAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    list_display = ("rating", "default_limit", "max_overdue_days", "updated_at")


@admin.register(LifecycleRule)
class LifecycleRuleAdmin(ServiceWrittenMixin, admin.ModelAdmin):
    list_display = ("tier", "dormant_after_days")


# --- customer-owned rows: scoped ---------------------------------------------------------------


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("line_no", "product", "spec", "quantity", "unit_price", "discount", "amount")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        return OrderLine.objects.visible_to(request.user).select_related("product")


@admin.register(Order)
class OrderAdmin(ScopedHistoryAdmin):
    list_display = ("number", "customer", "status", "order_date", "due_date", "total", "paid", "open_amount", "rep")
    list_filter = ("status", "settlement", "source")
    search_fields = ("number", "customer__name", "customer__code", "external_ref")
    list_select_related = ("customer", "rep")
    date_hierarchy = "order_date"
    inlines = [OrderLineInline]


@admin.register(OrderLine)
class OrderLineAdmin(ScopedAdmin):
    list_display = ("order", "line_no", "product", "quantity", "unit_price", "amount")
    search_fields = ("order__number", "product__sku", "product__name")
    list_select_related = ("order", "product")


@admin.register(Payment)
class PaymentAdmin(ScopedAdmin):
    list_display = ("customer", "kind", "date", "amount", "unallocated", "method", "reference")
    list_filter = ("kind", "method")
    search_fields = ("customer__name", "customer__code", "reference")
    list_select_related = ("customer",)
    date_hierarchy = "date"


@admin.register(Allocation)
class AllocationAdmin(ScopedAdmin):
    list_display = ("payment", "order", "amount", "created_at")
    search_fields = ("order__number",)
    list_select_related = ("payment__customer", "order")


@admin.register(Collection)
class CollectionAdmin(ScopedAdmin):
    list_display = ("customer", "order", "due_on", "amount", "status", "responsible")
    list_filter = ("status",)
    search_fields = ("customer__name", "customer__code")
    list_select_related = ("customer", "order", "responsible")


class PlanLineInline(admin.TabularInline):
    model = PlanLine
    extra = 0
    fields = ("product", "quantity", "amount")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanLine]:
        return PlanLine.objects.visible_to(request.user).select_related("product")


@admin.register(SalesPlan)
class SalesPlanAdmin(ScopedHistoryAdmin):
    list_display = ("customer", "month", "status", "total_quantity", "total_amount", "support_cost")
    list_filter = ("status",)
    search_fields = ("customer__name", "customer__code")
    list_select_related = ("customer",)
    inlines = [PlanLineInline]


@admin.register(PlanLine)
class PlanLineAdmin(ScopedAdmin):
    list_display = ("plan", "product", "quantity", "amount")
    list_select_related = ("plan__customer", "product")


@admin.register(PlanSupport)
class PlanSupportAdmin(ScopedAdmin):
    list_display = ("plan", "kind", "description", "cost")
    list_select_related = ("plan__customer",)


@admin.register(CreditHold)
class CreditHoldAdmin(ScopedAdmin):
    list_display = ("order", "customer", "status", "exposure", "credit_limit", "overdue_days", "created_at")
    list_filter = ("status",)
    search_fields = ("order__number", "customer__name", "customer__code")
    list_select_related = ("order", "customer")


@admin.register(CreditSuggestion)
class CreditSuggestionAdmin(ScopedAdmin):
    list_display = ("customer", "current_limit", "suggested_limit", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("customer",)


@admin.register(SalesMonth)
class SalesMonthAdmin(ScopedAdmin):
    list_display = ("customer", "product", "month", "quantity", "amount")
    list_select_related = ("customer", "product")


@admin.register(CustomerMonth)
class CustomerMonthAdmin(ScopedAdmin):
    list_display = ("customer", "month", "sales", "orders", "collected")
    list_select_related = ("customer",)
