"""Money in: payments and credit notes, and their allocation to booked orders.

One write path per operation (web, API, demo, tasks all call these). Refunds and voiding are in
`services.refunds`; the input checks, locking and allocation primitives both use are in
`services.money` (which also describes the locking order).

Bookkeeping rules (see docs/architecture.md, "Sales, receivables and credit"):
- `Order.paid` = Σ its allocations; `Order.open_amount` = total − paid.
- `Payment.unallocated` = amount − Σ its allocations − what refunds drew from it.
- A refund pays unallocated money back: it draws on the customer's payments and credit notes,
  newest first, and is never allocated. What it drew is kept in its audit row, so voiding the
  refund gives the money back to exactly those payments.
- Payments add to `CustomerMonth.collected` in their month, refunds subtract; credit notes are
  not money in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date as Date
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import NotFound
from kehu.customers.models import Customer
from kehu.sales import summaries
from kehu.sales.models import (
    BOOKED,
    ZERO,
    Allocation,
    Order,
    Payment,
    PaymentKind,
    PaymentMethod,
)
from kehu.sales.services.money import (
    ALLOCATABLE,
    _check_may,
    _choice,
    _locked_order,
    _locked_payment,
    _unallocate,
    _visible_payment,
    allocate_to,
    collections_follow,
    customer_lock,
    money_clean,
    payment_values,
)
from kehu.sales.services.refunds import refund_write

SYSTEM = "system"  # the audit username of writes the ledger hooks make on an order's behalf

AllocateMode = Literal["oldest", "none"] | Sequence[tuple[int, Decimal]]


@dataclass(frozen=True)
class Applied:
    """One allocation made: which order got how much."""

    order_id: int
    amount: Decimal


def oldest_first(orders: Any) -> Any:
    """Orders in the order money settles them: earliest due date (order date if none) first."""
    return orders.order_by(Coalesce("due_date", "order_date"), "order_date", "id")


# --- allocation plans ------------------------------------------------------------------------


def _plan_by_hand(customer: Customer, amount: Decimal, wanted: Iterable[Any]) -> list[tuple[Order, Decimal]]:
    """Check a hand-made allocation [(order id, amount), …] against the customer's open orders."""
    per_order: dict[int, Decimal] = {}
    try:
        pairs = list(wanted)
    except TypeError:
        raise ValidationError({"allocations": [_("List the orders and amounts to allocate.")]}) from None
    for pair in pairs:
        try:
            order_id, part = pair
            order_id = int(order_id)
        except (TypeError, ValueError):
            raise ValidationError({"allocations": [_("Each allocation needs an order and an amount.")]}) from None
        part = money_clean(part, "allocations")
        per_order[order_id] = per_order.get(order_id, ZERO) + part
    if sum(per_order.values(), ZERO) > amount:
        raise ValidationError({"allocations": [_("The allocations add up to more than the amount.")]})
    orders = {
        o.pk: o
        for o in Order.objects.select_for_update(of=("self",)).filter(
            pk__in=list(per_order), customer=customer, status__in=BOOKED
        )
    }
    plan = []
    for order_id, part in per_order.items():
        order = orders.get(order_id)
        if order is None:
            raise ValidationError({"allocations": [_("Order %(id)s is not a booked order of this customer.") % {"id": order_id}]})
        if part > order.open_amount:
            raise ValidationError({"allocations": [
                _("Order %(number)s has only %(open)s open.") % {"number": order.number, "open": order.open_amount}
            ]})
        plan.append((order, part))
    return sorted(plan, key=lambda pair: (pair[0].due_date or pair[0].order_date, pair[0].order_date, pair[0].pk))


def _plan_oldest(customer: Customer, amount: Decimal) -> list[tuple[Order, Decimal]]:
    plan, left = [], amount
    for order in oldest_first(
        Order.objects.select_for_update(of=("self",)).filter(customer=customer, status__in=BOOKED, open_amount__gt=0)
    ):
        if left <= 0:
            break
        part = min(left, order.open_amount)
        plan.append((order, part))
        left -= part
    return plan


def _plan(customer: Customer, amount: Decimal, allocate: Any) -> list[tuple[Order, Decimal]]:
    if allocate == "oldest":
        return _plan_oldest(customer, amount)
    if allocate == "none" or allocate is None:
        return []
    if isinstance(allocate, str):
        raise ValidationError({"allocations": [_('Allocate "oldest", "none", or a list of orders and amounts.')]})
    return _plan_by_hand(customer, amount, allocate)


def _apply(payment: Payment, plan: list[tuple[Order, Decimal]], actor: User | None) -> list[Applied]:
    applied = []
    for order, part in plan:
        allocate_to(payment, order, part, actor)
        collections_follow(order, grow=False)
        applied.append(Applied(order.pk, part))
    return applied


# --- services --------------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    actor: User,
    customer: Customer | int,
    amount: Any,
    date: Date | None = None,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    note: str = "",
    kind: str = PaymentKind.PAYMENT,
    allocate: AllocateMode = "oldest",
    received_by: User | int | None = None,
    request: HttpRequest | None = None,
) -> Payment:
    """Record money in (a payment), a credit note, or a refund, and allocate it.

    `allocate`: "oldest" (the default: open orders, earliest due first), "none" (all of it stays
    the customer's credit), or [(order id, amount), …] by hand; what is not allocated stays as
    credit. A refund is never allocated: it pays back credit (see `refund_issue`).
    """
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    locked = customer_lock(actor=actor, customer_id=customer_id)
    kind = _choice(kind, PaymentKind, "kind")
    _check_may(actor, locked, kind)
    values = payment_values(
        actor=actor, amount=amount, date=date, method=method, reference=reference, note=note, received_by=received_by,
    )
    if kind == PaymentKind.REFUND:
        if allocate not in ("oldest", "none", None):
            raise ValidationError({"allocations": [_("A refund pays credit back; it is not allocated to orders.")]})
        return refund_write(actor=actor, customer=locked, values=values, request=request)
    payment = Payment.objects.create(
        customer=locked, kind=kind, amount=values["amount"], unallocated=values["amount"], date=values["date"],
        method=values["method"], reference=values["reference"], note=values["note"],
        received_by=values["received_by"], created_by=actor,
    )
    applied = _apply(payment, _plan(locked, payment.amount, allocate), actor)
    if kind == PaymentKind.PAYMENT:
        summaries.money_collected(customer_id=locked.pk, day=payment.date, amount=payment.amount)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=payment, request=request,
        detail={"kind": kind, "amount": str(payment.amount), "customer": locked.pk,
                "allocations": [[a.order_id, str(a.amount)] for a in applied]},
    )
    return payment


def credit_note_issue(
    *, actor: User, customer: Customer | int, amount: Any, date: Date | None = None, reference: str = "",
    note: str = "", allocate: AllocateMode = "oldest", request: HttpRequest | None = None,
) -> Payment:
    """Reduce what a customer owes without money in (a return, a rebate, a price correction)."""
    return payment_record(
        actor=actor, customer=customer, amount=amount, date=date, method=PaymentMethod.OTHER, reference=reference,
        note=note, kind=PaymentKind.CREDIT_NOTE, allocate=allocate, request=request,
    )


@transaction.atomic
def allocation_create(
    *, actor: User, payment_id: Any, order_id: Any, amount: Any, request: HttpRequest | None = None
) -> Allocation:
    """Allocate part of a payment's (or credit note's) unallocated money to one of the customer's open orders."""
    seen = _visible_payment(actor, payment_id)
    customer = customer_lock(actor=actor, customer_id=seen.customer_id)
    payment = _locked_payment(seen.pk)
    _check_may(actor, customer, PaymentKind.PAYMENT if payment.kind == PaymentKind.PAYMENT else PaymentKind.CREDIT_NOTE)
    if payment.kind not in ALLOCATABLE:
        raise ValidationError({"payment": [_("A refund is not allocated to orders.")]})
    amount = money_clean(amount)
    try:
        order_pk = int(order_id)
    except (TypeError, ValueError):
        raise ValidationError({"order": [_("Choose an order.")]}) from None
    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_pk, customer=customer).first()
    if order is None or order.status not in BOOKED:
        raise ValidationError({"order": [_("Choose a booked order of this customer.")]})
    errors = {}
    if amount > payment.unallocated:
        errors["amount"] = [_("Only %(left)s of this payment is unallocated.") % {"left": payment.unallocated}]
    elif amount > order.open_amount:
        errors["amount"] = [_("Only %(open)s is open on order %(number)s.") % {"open": order.open_amount, "number": order.number}]
    if errors:
        raise ValidationError(errors)
    allocation = allocate_to(payment, order, amount, actor)
    collections_follow(order, grow=False)
    audit_record(
        actor=actor, action=AuditAction.ALLOCATE, obj=allocation, request=request,
        detail={"payment": payment.pk, "order": order.pk, "amount": str(amount)},
    )
    return allocation


@transaction.atomic
def allocation_delete(*, actor: User, allocation_id: Any, request: HttpRequest | None = None) -> Order:
    """Take an allocation back: the money is the customer's credit again and the order re-opens."""
    try:
        pk = int(allocation_id)
    except (TypeError, ValueError):
        raise NotFound from None
    seen = Allocation.objects.visible_to(actor).select_related("payment").filter(pk=pk).first()
    if seen is None:
        raise NotFound
    customer = customer_lock(actor=actor, customer_id=seen.payment.customer_id)
    allocation = Allocation.objects.select_for_update().filter(pk=pk).first()
    if allocation is None:  # taken back by someone else meanwhile
        raise NotFound
    payment = _locked_payment(allocation.payment_id)
    _check_may(actor, customer, PaymentKind.PAYMENT if payment.kind == PaymentKind.PAYMENT else PaymentKind.CREDIT_NOTE)
    order = _locked_order(allocation.order_id)
    detail = {"payment": payment.pk, "order": order.pk, "amount": str(allocation.amount), "undone": True}
    audit_record(actor=actor, action=AuditAction.ALLOCATE, obj=allocation, request=request, detail=detail)
    _unallocate(allocation, payment, order)
    collections_follow(order, grow=True)
    return order


def customer_credit(customer_id: int) -> Decimal:
    """The customer's unallocated money (payments and credit notes not yet allocated or refunded)."""
    total = Payment.objects.filter(customer_id=customer_id, kind__in=ALLOCATABLE).aggregate(s=Sum("unallocated"))["s"]
    return total or ZERO
