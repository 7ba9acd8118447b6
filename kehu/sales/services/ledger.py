"""Hooks the order services call when an order starts or stops being a receivable.

Owned by the receivables area: `on_order_booked` plans the collection of a newly booked order
(and applies the customer's unallocated credit, oldest order first); `on_order_cancelled` gives
the order's allocations back to their payments and cancels its open planned collections.
Both run inside the caller's transaction and do not check permissions (the caller did).
"""

from __future__ import annotations

from kehu.sales.models import Order


def on_order_booked(order: Order) -> None:
    """Called once when `order` becomes confirmed (directly or by a hold's approval)."""


def on_order_cancelled(order: Order) -> None:
    """Called when a booked order is cancelled, before its status changes."""
