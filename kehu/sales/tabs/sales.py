"""The card's Sales tab: what it shows the asking user."""

from __future__ import annotations

from typing import Any

from kehu.accounts import scope
from kehu.sales.selectors.sales_tab import sales_tab


def context(user: Any, customer: Any) -> dict[str, Any]:
    """Latest orders with lines, monthly totals this year vs last, year to date, products this year."""
    return {
        "sales": sales_tab(user=user, customer=customer),
        "can_take_orders": scope.can_take_orders(user, customer),
    }
