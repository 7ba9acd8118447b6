"""Shared by receivables and refunds: checking money input, locking, the one place allocations are made
and undone, and keeping planned collections in step with what is open.

Every write locks the customer's row first (`customer_lock`) and then the payment and order rows it
changes (`select_for_update`), so two concurrent writes of one customer's money run one after the other
and can never over-allocate; the database's check constraints (`paid`, `open_amount`, `unallocated`
never negative) are the last guard. Amounts are Decimal yuan with 2 places.
"""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.core.errors import Forbidden, NotFound, checks_run
from kehu.customers.models import Customer
from kehu.sales.models import (
    BOOKED,
    ZERO,
    Allocation,
    Collection,
    CollectionStatus,
    Order,
    Payment,
    PaymentKind,
    PaymentMethod,
)

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # 14 digits, 2 places
ALLOCATABLE = (PaymentKind.PAYMENT, PaymentKind.CREDIT_NOTE)


# --- parsing ---------------------------------------------------------------------------------


def money_clean(value: Any, field: str = "amount") -> Decimal:
    """A positive amount with at most 2 decimal places, or a field error a person can act on."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationError({field: [_("Enter an amount.")]})
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("Enter an amount such as 1200.50.")]}) from None
    if not amount.is_finite():
        raise ValidationError({field: [_("Enter an amount such as 1200.50.")]})
    if amount <= 0:
        raise ValidationError({field: [_("The amount must be greater than zero.")]})
    if amount > MAX_MONEY:
        raise ValidationError({field: [_("The amount is too large.")]})
    if amount != amount.quantize(CENT):
        raise ValidationError({field: [_("Use at most two decimal places (fen).")]})
    return amount.quantize(CENT)


def text_clean(value: Any, field: str, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise ValidationError({field: [_("Text cannot contain NUL (\\x00) characters.")]})
    if len(text) > limit:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return text


def _day(value: Date | None) -> Date:
    today = timezone.localdate()
    if value is None:
        return today
    if not isinstance(value, Date):
        raise ValidationError({"date": [_("Enter a date as YYYY-MM-DD.")]})
    if value > today:
        raise ValidationError({"date": [_("Money cannot be dated in the future.")]})
    return value


def _choice(value: Any, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise ValidationError({field: [_("Choose one of: %(list)s.") % {"list": ", ".join(choices.values)}]})
    return str(value)


def _received_by(value: Any, actor: User) -> User:
    if value is None or value == "":
        return actor
    pk = value.pk if isinstance(value, User) else value
    user = User.objects.filter(pk=pk, is_active=True).first() if str(pk).isdigit() else None
    if user is None:
        raise ValidationError({"received_by": [_("This user does not exist or is inactive.")]})
    return user


def payment_values(
    *, actor: User, amount: Any, date: Date | None, method: str, reference: str, note: str, received_by: Any,
) -> dict[str, Any]:
    """The checked fields of a payment, credit note or refund; every field's errors at once."""
    return checks_run({
        "amount": lambda: money_clean(amount),
        "date": lambda: _day(date),
        "method": lambda: _choice(method or PaymentMethod.TRANSFER, PaymentMethod, "method"),
        "reference": lambda: text_clean(reference, "reference", 64),
        "note": lambda: text_clean(note, "note", 300),
        "received_by": lambda: _received_by(received_by, actor),
    })


# --- locking and reading ---------------------------------------------------------------------


def customer_lock(*, actor: User | None, customer_id: Any) -> Customer:
    """The customer's row, locked for this transaction; invisible to `actor` = not found."""
    rows = Customer.objects.all() if actor is None else Customer.objects.visible_to(actor)
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise NotFound from None
    customer = rows.select_for_update(of=("self",)).filter(pk=pk).first()
    if customer is None:
        raise NotFound
    return customer


def _visible_payment(actor: User, payment_id: Any) -> Payment:
    try:
        pk = int(payment_id)
    except (TypeError, ValueError):
        raise NotFound from None
    payment = Payment.objects.visible_to(actor).filter(pk=pk).first()
    if payment is None:
        raise NotFound
    return payment


def _locked_payment(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def _locked_order(order_id: int) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order_id)


def _check_may(actor: User, customer: Customer, kind: str) -> None:
    if kind == PaymentKind.PAYMENT:
        if not scope.can_record_money(actor, customer):
            raise Forbidden(_("You may not record payments for this customer."))
    elif not scope.can_issue_credit_notes(actor) or customer.is_archived:
        raise Forbidden(_("Only finance can issue credit notes and refunds."))


# --- the one place allocations are made and undone -------------------------------------------


def allocate_to(payment: Payment, order: Order, amount: Decimal, actor: User | None) -> Allocation:
    """Move `amount` of `payment`'s unallocated money onto `order`; both rows are locked by the caller."""
    assert ZERO < amount <= payment.unallocated and amount <= order.open_amount, (amount, payment, order)
    allocation = Allocation.objects.create(payment=payment, order=order, amount=amount, created_by=actor)
    _move(payment, order, -amount)
    return allocation


def _unallocate(allocation: Allocation, payment: Payment, order: Order) -> None:
    _move(payment, order, allocation.amount)
    allocation.delete()


def _move(payment: Payment, order: Order, amount: Decimal) -> None:
    """Add `amount` to the payment's unallocated money and take it off the order's paid amount.

    The new values are computed here in Decimal from the locked rows and written as they are:
    arithmetic in SQL (`F("open_amount") - x`) runs in floating point on SQLite and can leave
    3.98 − 3.98 a hair below zero.
    """
    now = timezone.now()
    payment.unallocated += amount
    order.paid -= amount
    order.open_amount += amount
    order.updated_at = now
    Payment.objects.filter(pk=payment.pk).update(unallocated=payment.unallocated)
    Order.objects.filter(pk=order.pk).update(paid=order.paid, open_amount=order.open_amount, updated_at=now)


def collections_follow(order: Order, *, grow: bool) -> None:
    """Keep the order's open planned collections in step with what is still open on it.

    Money in settles the earliest planned collection first: a collection it covers is marked
    collected, one it partly covers is reduced. With `grow` (money taken back off the order), the
    amount re-opened is planned again: added to the last open collection, or a new one on the
    order's due date (today if that has passed) for the customer's owner.
    """
    collections = list(
        Collection.objects.select_for_update().filter(order=order, status=CollectionStatus.OPEN).order_by("due_on", "id")
    )
    planned = sum((c.amount for c in collections), ZERO)
    open_amount = order.open_amount if order.status in BOOKED else ZERO
    now = timezone.now()
    if planned > open_amount:
        excess = planned - open_amount
        for collection in collections:
            if excess <= 0:
                break
            take = min(collection.amount, excess)
            excess -= take
            if take == collection.amount:
                collection.status = CollectionStatus.DONE
            else:
                collection.amount -= take
            collection.version += 1
            collection.updated_at = now
            collection.save(update_fields=["status", "amount", "version", "updated_at"])
    elif planned < open_amount and grow:
        missing = open_amount - planned
        if collections:
            last = collections[-1]
            last.amount += missing
            last.version += 1
            last.updated_at = now
            last.save(update_fields=["amount", "version", "updated_at"])
        else:
            owner_id = Customer.objects.filter(pk=order.customer_id).values_list("owner_id", flat=True).first()
            today = timezone.localdate()
            due = order.due_date or order.order_date
            Collection.objects.create(
                customer_id=order.customer_id, order=order, due_on=max(due, today), amount=missing,
                responsible_id=owner_id,
            )
