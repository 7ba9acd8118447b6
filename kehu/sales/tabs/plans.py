"""The card's Plans tab: this month's and recent months' plans, per-line actual vs plan, support items."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from kehu.accounts import scope
from kehu.sales.selectors.plans import customer_plan_months

RECENT_MONTHS = 5  # besides next month and this one


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def context(user: Any, customer: Any) -> dict[str, Any]:
    today = timezone.localdate()
    this_month = today.replace(day=1)
    months = [_shift(this_month, by) for by in range(1, -RECENT_MONTHS - 1, -1)]
    plans = customer_plan_months(user=user, customer=customer, months=months, today=today)
    shown = [m for m in plans if m["plan"] is not None or m["month"] == this_month or m["actual_amount"]]
    return {
        "plan_months": shown,
        "plan_this_month": f"{this_month:%Y-%m}",
        "plan_next_month": f"{_shift(this_month, 1):%Y-%m}",
        "plan_may_edit": scope.can_edit_plan(user, customer),
    }
