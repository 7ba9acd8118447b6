"""The card's Receivables tab: what it shows the asking user.

A fixed number of queries whatever the customer's history: open orders, ageing buckets, the
credit check (limit, exposure, unallocated), recent payments with their allocations (prefetched),
planned collections.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kehu.accounts import scope
from kehu.sales.models import Collection, CollectionStatus
from kehu.sales.selectors.credit import credit_assess
from kehu.sales.selectors.receivables import (
    BUCKET_LABELS,
    BUCKETS,
    ageing_of,
    bucket_sums,
    open_receivables,
    payment_queryset,
)

RECENT_PAYMENTS = 10
OPEN_ORDERS = 50


def context(user: Any, customer: Any) -> dict[str, Any]:
    today = timezone.localdate()
    rows = open_receivables(user=user).filter(customer=customer)
    open_orders = list(rows.order_by("due_date", "id")[:OPEN_ORDERS])
    for order in open_orders:
        order.days_overdue = max((today - order.due_date).days, 0) if order.due_date else 0
    ageing = ageing_of(rows.aggregate(**bucket_sums(today)))
    assessment = credit_assess(customer, today=today)
    payments = list(payment_queryset(user=user).filter(customer=customer).order_by("-date", "-id")[:RECENT_PAYMENTS])
    collections = list(
        Collection.objects.visible_to(user).filter(customer=customer, status=CollectionStatus.OPEN)
        .select_related("responsible", "order").order_by("due_on", "id")
    )
    return {
        "rx_open_orders": open_orders,
        "rx_open_more": len(open_orders) == OPEN_ORDERS,
        "rx_buckets": [(BUCKET_LABELS[name], ageing[name]) for name in BUCKETS],
        "rx_open_total": ageing["total"],
        "rx_credit": assessment,
        "rx_payments": payments,
        "rx_collections": collections,
        "rx_may_record": scope.can_record_money(user, customer),
        "rx_may_credit": scope.can_issue_credit_notes(user) and not customer.is_archived,
        "today": today,
    }
