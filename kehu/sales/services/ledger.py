"""Hooks the order services call when an order starts or stops being a receivable.

Owned by the receivables area: `on_order_booked` plans the collection of a newly booked order
(after applying the customer's unallocated credit to it, oldest credit first); `on_order_cancelled`
gives the order's allocations back to their payments and cancels its open planned collections.
Both run inside the caller's transaction and do not check permissions (the caller did).

Both lock the customer's row (as every money write does) and update the `order` instance they are
given as well as its row, so a caller that saves the instance afterwards keeps the right
`paid` / `open_amount`.
"""

from __future__ import annotations

from django.db.models import F, Sum
from django.utils import timezone

from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction
from kehu.sales.models import ZERO, Allocation, Collection, CollectionStatus, Order, Payment
from kehu.sales.services.money import ALLOCATABLE, allocate_to, customer_lock
from kehu.sales.services.receivables import SYSTEM


def on_order_booked(order: Order) -> None:
    """Called once when `order` becomes confirmed (directly or by a hold's approval).

    The customer's unallocated credit (prepayments, credit notes, money left over) settles the
    order first, oldest payment first; a collection is planned for what is still open, on the due
    date, for the card's owner.
    """
    customer = customer_lock(actor=None, customer_id=order.customer_id)
    paid = Allocation.objects.filter(order_id=order.pk).aggregate(s=Sum("amount"))["s"] or ZERO
    order.paid, order.open_amount = paid, order.total - paid
    Order.objects.filter(pk=order.pk).update(paid=order.paid, open_amount=order.open_amount)
    applied = []
    if order.open_amount > 0:
        credits = Payment.objects.select_for_update().filter(
            customer_id=customer.pk, kind__in=ALLOCATABLE, unallocated__gt=0
        ).order_by("date", "id")
        for payment in credits:
            if order.open_amount <= 0:
                break
            part = min(order.open_amount, payment.unallocated)
            allocate_to(payment, order, part, None)
            applied.append([payment.pk, str(part)])
    if applied:
        audit_record(
            actor=None, username=SYSTEM, action=AuditAction.ALLOCATE, obj=order,
            detail={"reason": "order booked: customer credit applied", "allocations": applied},
        )
    already_planned = Collection.objects.filter(order_id=order.pk, status=CollectionStatus.OPEN).exists()
    if order.open_amount > 0 and not already_planned:
        Collection.objects.create(
            customer_id=customer.pk, order_id=order.pk, due_on=order.due_date or order.order_date,
            amount=order.open_amount, responsible_id=customer.owner_id,
        )


def on_order_cancelled(order: Order) -> None:
    """Called when a booked order is cancelled, before its status changes.

    Every allocation on the order goes back to its payment (the customer's credit again, for
    finance to allocate elsewhere or refund); open planned collections of the order are cancelled.
    """
    customer_lock(actor=None, customer_id=order.customer_id)
    allocations = list(Allocation.objects.select_for_update().filter(order_id=order.pk).order_by("id"))
    payments = Payment.objects.select_for_update().in_bulk({a.payment_id for a in allocations})
    for allocation in allocations:
        payment = payments[allocation.payment_id]
        payment.unallocated += allocation.amount  # Decimal here: SQL arithmetic is floating point on SQLite
        Payment.objects.filter(pk=payment.pk).update(unallocated=payment.unallocated)
    returned = [[a.payment_id, str(a.amount)] for a in allocations]
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    now = timezone.now()
    # Nothing is owed on a cancelled order (`on_order_booked` recomputes both if it is ever booked again).
    order.paid, order.open_amount, order.updated_at = ZERO, ZERO, now
    Order.objects.filter(pk=order.pk).update(paid=ZERO, open_amount=ZERO, updated_at=now)
    Collection.objects.filter(order_id=order.pk, status=CollectionStatus.OPEN).update(
        status=CollectionStatus.CANCELLED, version=F("version") + 1, updated_at=now
    )
    if returned:
        audit_record(
            actor=None, username=SYSTEM, action=AuditAction.ALLOCATE, obj=order,
            detail={"reason": "order cancelled: allocations returned", "returned": returned},
        )
