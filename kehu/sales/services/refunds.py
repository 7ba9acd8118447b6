"""Money back out: refunds of a customer's unallocated credit, and voiding a payment, credit note or
refund entered by mistake.

A refund pays unallocated money back: it draws on the customer's payments and credit notes, newest
first, and is never allocated. What it drew is kept in its audit row, so voiding the refund gives the
money back to exactly those payments. Refunds subtract from `CustomerMonth.collected` in their month.
Locking follows `services.money`: the customer's row first, then the payments and orders.
"""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, AuditEvent, User
from kehu.customers.models import Customer
from kehu.sales import summaries
from kehu.sales.models import ZERO, Allocation, Payment, PaymentKind, PaymentMethod
from kehu.sales.services.money import (
    ALLOCATABLE,
    _check_may,
    _locked_order,
    _locked_payment,
    _unallocate,
    _visible_payment,
    collections_follow,
    customer_lock,
    payment_values,
    text_clean,
)


@transaction.atomic
def refund_issue(
    *, actor: User, customer: Customer | int, amount: Any, date: Date | None = None,
    method: str = PaymentMethod.TRANSFER, reference: str = "", note: str = "", request: HttpRequest | None = None,
) -> Payment:
    """Pay a customer's unallocated credit back (never more than there is)."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    locked = customer_lock(actor=actor, customer_id=customer_id)
    _check_may(actor, locked, PaymentKind.REFUND)
    values = payment_values(
        actor=actor, amount=amount, date=date, method=method, reference=reference, note=note, received_by=None,
    )
    return refund_write(actor=actor, customer=locked, values=values, request=request)


def refund_write(*, actor: User, customer: Customer, values: dict[str, Any], request: HttpRequest | None) -> Payment:
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
def payment_void(*, actor: User, payment_id: Any, reason: str, request: HttpRequest | None = None) -> None:
    """Undo a payment, credit note or refund entered by mistake, exactly: its allocations are taken back,
    its effect on the monthly money-in is reversed, a refund's money returns to the payments it drew on.
    The row is deleted; the audit row keeps what it was and why."""
    seen = _visible_payment(actor, payment_id)
    customer = customer_lock(actor=actor, customer_id=seen.customer_id)
    payment = _locked_payment(seen.pk)
    _check_may(actor, customer, payment.kind)
    reason = text_clean(reason, "reason", 300)
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
