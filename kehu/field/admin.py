"""Django admin for field work: read-only (writes go through the services) and scoped. Rows that
belong to a customer start from `visible_to(user)` over the customer; rows that belong to a rep
(plans, routes, handovers) from `visible_to(user)` over the users the asking user may see."""

from __future__ import annotations

from django.contrib import admin

from kehu.customers.admin import ScopedAdmin
from kehu.field.models import DayRoute, Handover, HandoverItem, TerritorySuggestion, Visit, VisitPlan


@admin.register(Visit)
class VisitAdmin(ScopedAdmin):
    list_display = ("customer", "rep", "planned_on", "sequence", "status", "reason", "is_far", "reported_at")
    list_filter = ("status", "reason", "is_far")
    search_fields = ("customer__name", "customer__code", "rep__username")
    list_select_related = ("customer", "rep")
    date_hierarchy = "planned_on"


@admin.register(VisitPlan)
class VisitPlanAdmin(ScopedAdmin):
    list_display = ("rep", "week_start", "status", "reviewed_by", "reviewed_at")
    list_filter = ("status",)
    list_select_related = ("rep", "reviewed_by")


@admin.register(DayRoute)
class DayRouteAdmin(ScopedAdmin):
    list_display = ("rep", "day", "travel_seconds", "distance_m", "service_seconds", "source", "computed_at")
    list_select_related = ("rep",)


@admin.register(TerritorySuggestion)
class TerritorySuggestionAdmin(ScopedAdmin):
    list_display = ("customer", "from_rep", "to_rep", "period_start", "period_end", "status", "travel_change_s")
    list_filter = ("status",)
    list_select_related = ("customer", "from_rep", "to_rep")


@admin.register(Handover)
class HandoverAdmin(ScopedAdmin):
    list_display = ("kind", "rep", "starts_on", "ends_on", "status", "created_by", "applied_at")
    list_filter = ("kind", "status")
    list_select_related = ("rep", "created_by")


@admin.register(HandoverItem)
class HandoverItemAdmin(ScopedAdmin):
    list_display = ("handover", "customer", "successor", "acknowledged_at")
    list_select_related = ("handover__rep", "customer", "successor")
