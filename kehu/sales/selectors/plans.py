"""Reads of monthly plans for the asking user: the plans, their approval queue and history, and the
card's Plans tab. Progress against plans (the reports) is in `selectors.plan_progress`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from kehu.core.errors import NotFound
from kehu.customers.models import Customer
from kehu.sales.models import CustomerMonth, PlanStatus, SalesMonth, SalesPlan
from kehu.sales.selectors.plan_progress import ZERO, elapsed_days, share_percent

# isort: split
# Kept importable from here for bench/bench_sales.py, which imports them from this module (bench/ is
# owned elsewhere); everything in kehu/ and tests/ imports them from selectors.plan_progress.
from kehu.sales.selectors.plan_progress import plan_progress, plan_progress_cumulative  # noqa: F401

# --- plans ------------------------------------------------------------------------------------

def plan_queryset(*, user: Any) -> QuerySet[SalesPlan]:
    return SalesPlan.objects.visible_to(user).select_related("customer", "customer__owner", "decided_by")


def _check_id(value: int) -> None:
    if not 0 < value < 2**63:  # out of the database's range: as missing
        raise NotFound


def plan_get(*, user: Any, plan_id: int) -> SalesPlan:
    _check_id(plan_id)
    plan = plan_queryset(user=user).prefetch_related("lines__product", "supports").filter(pk=plan_id).first()
    if plan is None:
        raise NotFound
    return plan


def plan_for_month(*, user: Any, customer_id: int, month: date) -> tuple[Customer, SalesPlan | None]:
    """The visible customer and its plan for `month` (None when not drafted yet)."""
    _check_id(customer_id)
    customer = Customer.objects.visible_to(user).select_related("org_unit", "owner").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound
    plan = plan_queryset(user=user).prefetch_related("lines__product", "supports").filter(
        customer=customer, month=month).first()
    return customer, plan


def plan_approval_queue(*, user: Any) -> QuerySet[SalesPlan]:
    """Submitted plans the user may decide: the manager's subtree; everything for director and admin."""
    from kehu.accounts.models import Role
    from kehu.accounts.scope import subtree_unit_ids

    plans = plan_queryset(user=user).filter(status=PlanStatus.SUBMITTED).order_by("submitted_at", "id")
    if user.role in (Role.DIRECTOR, Role.ADMIN):
        return plans.filter(customer__archived_at__isnull=True)
    if user.role == Role.MANAGER and user.org_unit_id:
        return plans.filter(customer__org_unit__in=subtree_unit_ids(user), customer__archived_at__isnull=True)
    return plans.none()


def plan_history(*, plan: SalesPlan) -> list[Any]:
    """Who changed the plan's status or totals, newest first (the plan itself is visible already)."""
    return list(plan.history.select_related("history_user").order_by("-history_date", "-history_id")[:30])


def plan_actuals(*, user: Any, plan: SalesPlan) -> dict[int, tuple[Decimal, Decimal]]:
    """Booked (quantity, amount) per product of the plan's customer in the plan's month."""
    rows = SalesMonth.objects.visible_to(user).filter(customer_id=plan.customer_id, month=plan.month)
    return {r[0]: (r[1], r[2]) for r in rows.values_list("product_id", "quantity", "amount")}


def customer_plan_months(*, user: Any, customer: Customer, months: list[date], today: date | None = None) -> list[dict[str, Any]]:
    """The card's Plans tab: each month's plan (or None) with per-line actuals; five queries in all."""
    today = today or timezone.localdate()
    plans = {p.month: p for p in SalesPlan.objects.visible_to(user).filter(customer=customer, month__in=months)
             .select_related("decided_by").prefetch_related("lines__product", "supports")}
    sold: dict[tuple[date, int], tuple[Decimal, Decimal]] = {}
    for month, product_id, qty, amount in SalesMonth.objects.visible_to(user).filter(
            customer=customer, month__in=months).values_list("month", "product_id", "quantity", "amount"):
        sold[(month, product_id)] = (qty, amount)
    totals = dict(CustomerMonth.objects.visible_to(user).filter(customer=customer, month__in=months)
                  .values_list("month", "sales"))
    out = []
    for month in months:
        plan = plans.get(month)
        e, d = elapsed_days(month, month, today)
        lines = []
        for line in plan.lines.all() if plan else []:
            qty, amount = sold.get((month, line.product_id), (Decimal("0.000"), ZERO))
            lines.append({"line": line, "actual_quantity": qty, "actual_amount": amount,
                          "attainment": share_percent(amount, line.amount),
                          "is_behind": line.amount > 0 and amount * d < line.amount * e})
        actual = totals.get(month, ZERO)
        planned = plan.total_amount if plan else ZERO
        out.append({
            "month": month, "plan": plan, "lines": lines, "actual_amount": actual,
            "attainment": share_percent(actual, planned), "elapsed_share": share_percent(e, d),
            "is_behind": planned > 0 and actual * d < planned * e,
        })
    return out


def plan_status_counts(*, user: Any, month: date) -> dict[str, int]:
    rows = SalesPlan.objects.visible_to(user).filter(month=month).order_by().values_list("status").annotate(
        n=Count("id"))
    return {status: n for status, n in rows}
