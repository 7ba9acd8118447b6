"""Money in and out: payments, credit notes and refunds, and their allocation to booked orders.

One write path per operation (web, API, demo, tasks all call these). Every write locks the
customer's row first and then the payment and order rows it changes (`select_for_update`), so two
concurrent allocations of one customer's money run one after the other and can never
over-allocate; the database's check constraints (`paid`, `open_amount`, `unallocated` never
negative) are the last guard. Amounts are Decimal yuan with 2 places.

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
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, AuditEvent, User
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.models import Customer
from kehu.sales import summaries
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
SYSTEM = "system"  # the audit username of writes the ledger hooks make on an order's behalf

AllocateMode = Literal["oldest", "none"] | Sequence[tuple[int, Decimal]]


@dataclass(frozen=True)
class Applied:
    """One allocation made: which order got how much."""

    order_id: int
    amount: Decimal


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


def _text(value: Any, field: str, limit: int) -> str:
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


def oldest_first(orders: Any) -> Any:
    """Orders in the order money settles them: earliest due date (order date if none) first."""
    return orders.order_by(Coalesce("due_date", "order_date"), "order_date", "id")


# --- the one place allocations are made and undone -------------------------------------------


def _allocate(payment: Payment, order: Order, amount: Decimal, actor: User | None) -> Allocation:
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
        _allocate(payment, order, part, actor)
        collections_follow(order, grow=False)
        applied.append(Applied(order.pk, part))
    return applied


# --- services --------------------------------------------------------------------------------


def _check_may(actor: User, customer: Customer, kind: str) -> None:
    if kind == PaymentKind.PAYMENT:
        if not scope.can_record_money(actor, customer):
            raise Forbidden(_("You may not record payments for this customer."))
    elif not scope.can_issue_credit_notes(actor) or customer.is_archived:
        raise Forbidden(_("Only finance can issue credit notes and refunds."))


def _received_by(value: Any, actor: User) -> User:
    if value is None or value == "":
        return actor
    pk = value.pk if isinstance(value, User) else value
    user = User.objects.filter(pk=pk, is_active=True).first() if str(pk).isdigit() else None
    if user is None:
        raise ValidationError({"received_by": [_("This user does not exist or is inactive.")]})
    return user


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
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, check in (
        ("amount", lambda: money_clean(amount)),
        ("date", lambda: _day(date)),
        ("method", lambda: _choice(method or PaymentMethod.TRANSFER, PaymentMethod, "method")),
        ("reference", lambda: _text(reference, "reference", 64)),
        ("note", lambda: _text(note, "note", 300)),
        ("received_by", lambda: _received_by(received_by, actor)),
    ):
        try:
            values[name] = check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if kind == PaymentKind.REFUND:
        if allocate not in ("oldest", "none", None):
            raise ValidationError({"allocations": [_("A refund pays credit back; it is not allocated to orders.")]})
        return _refund(actor=actor, customer=locked, values=values, request=request)
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


def refund_issue(
    *, actor: User, customer: Customer | int, amount: Any, date: Date | None = None,
    method: str = PaymentMethod.TRANSFER, reference: str = "", note: str = "", request: HttpRequest | None = None,
) -> Payment:
    """Pay a customer's unallocated credit back (never more than there is)."""
    return payment_record(
        actor=actor, customer=customer, amount=amount, date=date, method=method, reference=reference, note=note,
        kind=PaymentKind.REFUND, allocate="none", request=request,
    )


def _refund(*, actor: User, customer: Customer, values: dict[str, Any], request: HttpRequest | None) -> Payment:
    amount: Decimal = values["amount"]
    sources = list(
        Payment.objects.select_for_update()
        .filter(customer=customer, kind__in=ALLOCATABLE, unallocated__gt=0)
        .order_by("-date", "-id")
    )
    credit = sum((p.unallocated for p in sources), ZERO)
    if amount > credit:
        raise ValidationError({"amount": [
            _("Only %(credit)s of this customer's money is unallocated; a refund cannot be larger.") % {"credit": credit}
        ]})
    drawn: list[list[Any]] = []
    left = amount
    for source in sources:
        if left <= 0:
            break
        take = min(left, source.unallocated)
        Payment.objects.filter(pk=source.pk).update(unallocated=source.unallocated - take)
        drawn.append([source.pk, str(take)])
        left -= take
    refund = Payment.objects.create(
        customer=customer, kind=PaymentKind.REFUND, amount=amount, unallocated=ZERO, date=values["date"],
        method=values["method"], reference=values["reference"], note=values["note"],
        received_by=values["received_by"], created_by=actor,
    )
    summaries.money_collected(customer_id=customer.pk, day=refund.date, amount=-amount)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=refund, request=request,
        detail={"kind": PaymentKind.REFUND, "amount": str(amount), "customer": customer.pk, "drawn": drawn},
    )
    return refund


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
    allocation = _allocate(payment, order, amount, actor)
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


@transaction.atomic
def payment_void(*, actor: User, payment_id: Any, reason: str, request: HttpRequest | None = None) -> None:
    """Undo a payment, credit note or refund entered by mistake, exactly: its allocations are taken back,
    its effect on the monthly money-in is reversed, a refund's money returns to the payments it drew on.
    The row is deleted; the audit row keeps what it was and why."""
    seen = _visible_payment(actor, payment_id)
    customer = customer_lock(actor=actor, customer_id=seen.customer_id)
    payment = _locked_payment(seen.pk)
    _check_may(actor, customer, payment.kind)
    reason = _text(reason, "reason", 300)
    if not reason:
        raise ValidationError({"reason": [_("Say why this is voided; the reason is kept in the audit log.")]})
    allocations = list(Allocation.objects.select_for_update().filter(payment=payment).order_by("id"))
    allocated = sum((a.amount for a in allocations), ZERO)
    if payment.kind in ALLOCATABLE and payment.amount - allocated - payment.unallocated > 0:
        raise ValidationError({"payment": [_("A refund paid part of this back; void the refund first.")]})
    detail: dict[str, Any] = {
        "kind": payment.kind, "amount": str(payment.amount), "date": payment.date.isoformat(),
        "customer": customer.pk, "reference": payment.reference, "reason": reason,
        "allocations": [[a.order_id, str(a.amount)] for a in allocations],
    }
    if payment.kind == PaymentKind.REFUND:
        detail["returned"] = _refund_return(payment)
    for allocation in allocations:
        order = _locked_order(allocation.order_id)
        _unallocate(allocation, payment, order)
        collections_follow(order, grow=True)
    if payment.kind != PaymentKind.CREDIT_NOTE:
        sign = -1 if payment.kind == PaymentKind.PAYMENT else 1
        summaries.money_collected(customer_id=customer.pk, day=payment.date, amount=sign * payment.amount)
    audit_record(actor=actor, action=AuditAction.DELETE, obj=payment, request=request, detail=detail)
    payment.delete()


def _refund_return(refund: Payment) -> list[list[Any]]:
    """Give a voided refund's money back to the payments it drew on (recorded in its audit row)."""
    event = (
        AuditEvent.objects.filter(object_type="payment", object_id=refund.pk, action=AuditAction.CREATE)
        .order_by("-id").first()
    )
    drawn = [(int(pk), Decimal(amount)) for pk, amount in (event.detail.get("drawn", []) if event else [])]
    sources = {p.pk: p for p in Payment.objects.select_for_update().filter(pk__in=[pk for pk, _a in drawn])}
    returned = []
    for pk, amount in drawn:
        if pk in sources:
            sources[pk].unallocated += amount
            Payment.objects.filter(pk=pk).update(unallocated=sources[pk].unallocated)
            returned.append([pk, str(amount)])
    if sum((Decimal(a) for _p, a in returned), ZERO) != refund.amount:
        # Written outside this service (no record of what it drew on): refuse rather than guess.
        raise ValidationError({"payment": [_("The payments this refund drew on have changed; it cannot be voided.")]})
    return returned


def customer_credit(customer_id: int) -> Decimal:
    """The customer's unallocated money (payments and credit notes not yet allocated or refunded)."""
    total = Payment.objects.filter(customer_id=customer_id, kind__in=ALLOCATABLE).aggregate(s=Sum("unallocated"))["s"]
    return total or ZERO
