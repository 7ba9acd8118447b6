"""Writing orders (sales records): entry, editing drafts, confirmation through the credit check,
delivery, cancellation, copying, bulk confirmation.

Every way into CONFIRMED goes through `order_confirm` (which runs the credit check with the
customer's row locked) or through a hold's approval (`services.credit.hold_approve`); both book
the order with `order_book`, the one place that updates summaries, the ledger and the lifecycle.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, checks_run, parse_version
from kehu.customers.models import Customer, PaymentHabit
from kehu.sales import summaries
from kehu.sales.models import (
    ZERO,
    CreditHold,
    HoldStatus,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    Settlement,
)
from kehu.sales.selectors.products import product_prices
from kehu.sales.services import ledger
from kehu.sales.services.credit import credit_check
from kehu.sales.services.lifecycle import customer_order_booked
from kehu.sales.services.order_input import (
    CENT,
    LineInput,
    _build_lines,
    _clean_choice,
    _clean_date,
    _clean_rep,
    _clean_seller,
    _clean_text,
)

CHANGE_REASON_MAX = 100  # django-simple-history's history_change_reason column
NUMBER_PREFIX = "SO"
NUMBER_DIGITS = 6
UPDATABLE = frozenset({"order_date", "settlement", "note", "seller", "rep", "external_ref"})
HABIT_SETTLEMENT = {
    PaymentHabit.CASH_ON_DELIVERY: Settlement.CASH,
    PaymentHabit.PREPAID: Settlement.PREPAID,
}


# --- checks -------------------------------------------------------------------------------------


def _check_can_take_orders(actor: User, customer: Customer) -> None:
    if scope.can_take_orders(actor, customer):
        return
    if not scope.can_view(actor, customer):
        raise NotFound
    raise Forbidden(_("You may not take orders for this customer."))


def _locked(order: Order) -> Order:
    """The order re-read under a row lock (its status may have changed since the caller read it)."""
    found = (
        Order.objects.select_for_update(of=("self",)).select_related("customer", "customer__org_unit")
        .filter(pk=order.pk).first()
    )
    if found is None:
        raise NotFound
    return found


def customer_then_order_locked(order: Order) -> Order:
    """The order's customer, then the order, locked in that order: the order every money write uses
    (receivables lock the customer, then its orders and payments), so a confirmation, a cancellation,
    a hold decision and a payment of one customer queue up instead of deadlocking.
    `order.customer` is the locked customer row (with its org unit)."""
    for _attempt in range(3):
        customer = (
            Customer.objects.select_for_update(of=("self",)).select_related("org_unit")
            .filter(pk=order.customer_id).first()
        )
        found = Order.objects.select_for_update(of=("self",)).filter(pk=order.pk).first()
        if found is None or customer is None:
            raise NotFound
        if found.customer_id == customer.pk:
            found.customer = customer
            return found
        order = found  # moved to another card by a merge meanwhile: lock that one
    raise NotFound


def _check_version(order: Order, version: Any) -> None:
    if version is not None and parse_version(version) != order.version:
        raise VersionConflict(order)


def _save(order: Order, actor: User, reason: str = "") -> None:
    order.version += 1
    order.updated_at = timezone.now()
    order._history_user = actor  # type: ignore[attr-defined]
    if reason:
        order._change_reason = reason[:CHANGE_REASON_MAX]  # type: ignore[attr-defined]
    order.save()


def _status_audit(actor: User, order: Order, before: str, **detail: Any) -> None:
    audit_record(actor=actor, action=AuditAction.STATUS_CHANGE, obj=order, detail={
        "customer": order.customer_id, "from": before, "to": order.status, "total": str(order.total), **detail,
    })


# --- numbers ------------------------------------------------------------------------------------


def _next_number(day: date) -> str:
    """SO + yyyymm + a 6-digit sequence within the month (read from the unique index)."""
    prefix = f"{NUMBER_PREFIX}{day:%Y%m}"
    top = (
        Order.objects.filter(number__gte=f"{prefix}{'0' * NUMBER_DIGITS}", number__lte=f"{prefix}{'9' * NUMBER_DIGITS}")
        .order_by("-number").values_list("number", flat=True).first()
    )
    return f"{prefix}{(int(top[len(prefix):]) + 1 if top else 1):0{NUMBER_DIGITS}d}"


def _insert_numbered(order: Order) -> None:
    """Save a new order under the next free number; a concurrent insert of the same number retries."""
    for _attempt in range(10):
        order.number = _next_number(order.order_date)
        try:
            with transaction.atomic():
                order.save()
            return
        except IntegrityError:
            order.pk = None
    raise ValidationError({"number": [_("No free order number was found; please save again.")]})


# --- entry --------------------------------------------------------------------------------------


def _write_lines(order: Order, built: list[OrderLine]) -> None:
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)


def _total(built: list[OrderLine]) -> Decimal:
    return sum((line.amount for line in built), ZERO)


@transaction.atomic
def order_create(
    *, actor: User, customer: Customer, lines: list[LineInput], order_date: date | None = None,
    settlement: str | None = None, note: str = "", seller: Customer | None = None, rep: User | None = None,
    source: str = OrderSource.WEB, external_ref: str = "", confirm: bool = False,
) -> Order:
    """A new draft order; with `confirm=True` it is then confirmed through the credit check
    (and may come back HELD)."""
    order = _create(
        actor=actor, customer=customer, lines=lines, order_date=order_date, settlement=settlement, note=note,
        seller=seller, rep=rep, source=source, external_ref=external_ref, audit_detail={},
    )
    if confirm:
        return order_confirm(actor=actor, order=order)
    return order


def _create(
    *, actor: User, customer: Customer, lines: list[LineInput], order_date: date | None, settlement: str | None,
    note: str, seller: Customer | None, rep: User | None, source: str, external_ref: str, audit_detail: dict[str, Any],
) -> Order:
    _check_can_take_orders(actor, customer)
    checks = {
        "order_date": lambda: _clean_date("order_date", order_date) if order_date else timezone.localdate(),
        "settlement": lambda: _clean_choice(
            "settlement", settlement, Settlement, HABIT_SETTLEMENT.get(customer.payment_habit, Settlement.CREDIT)
        ),
        "source": lambda: _clean_choice("source", source, OrderSource, OrderSource.WEB),
        "note": lambda: _clean_text("note", note, 300),
        "external_ref": lambda: _clean_text("external_ref", external_ref, 64),
        "seller": lambda: _clean_seller(actor, customer, seller),
        "rep_id": lambda: _clean_rep(actor, customer, rep),
        "lines": lambda: _build_lines(customer, lines),
    }
    values = checks_run(checks)
    built = values.pop("lines")
    order = Order(customer=customer, created_by=actor, status=OrderStatus.DRAFT, total=_total(built), **values)
    order._history_user = actor  # type: ignore[attr-defined]
    _insert_numbered(order)
    _write_lines(order, built)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=order, detail={
        "customer": customer.pk, "total": str(order.total), "lines": len(built), "source": order.source,
        **audit_detail,
    })
    return order


@transaction.atomic
def order_update(*, actor: User, order: Order, version: int, data: dict[str, Any], lines: list[LineInput] | None = None) -> Order:
    """Change a draft's header fields and (when `lines` is given) replace all its lines."""
    current = _locked(order)
    _check_can_take_orders(actor, current.customer)
    if version is None:
        raise ValidationError({"version": [_("Send the version you edited so concurrent edits are caught.")]})
    _check_version(current, version)
    if not current.is_editable:
        raise ValidationError({"status": [_not_editable_message(current)]})
    unknown = set(data) - UPDATABLE
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    customer = current.customer
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    checks = {
        "order_date": lambda v: _clean_date("order_date", v) if v not in (None, "") else current.order_date,
        "settlement": lambda v: _clean_choice("settlement", v, Settlement, current.settlement),
        "note": lambda v: _clean_text("note", v, 300),
        "external_ref": lambda v: _clean_text("external_ref", v, 64),
        "seller": lambda v: _clean_seller(actor, customer, v),
        "rep": lambda v: _clean_rep(actor, customer, v),
    }
    for name, value in data.items():
        try:
            changes["rep_id" if name == "rep" else name] = checks[name](value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    built: list[OrderLine] | None = None
    if lines is not None:
        try:
            built = _build_lines(customer, lines)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, changes[name])
    if built is not None:
        OrderLine.objects.filter(order=current).delete()
        _write_lines(current, built)
        current.total = _total(built)
        changed.append("lines")
    if not changed:
        return current
    _save(current, actor)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=current, detail={
        "fields": [name.removesuffix("_id") for name in changed], "total": str(current.total),
    })
    return current


def _not_editable_message(order: Order) -> str:
    if order.status == OrderStatus.HELD:
        return _("Order %(number)s is waiting for a credit decision; it cannot be changed until it is rejected.") % {
            "number": order.number}
    return _("Order %(number)s is %(status)s; only drafts can be changed.") % {
        "number": order.number, "status": order.get_status_display()}


# --- status changes -----------------------------------------------------------------------------


def order_book(*, actor: User, order: Order, reason: str = "") -> Order:
    """Make a locked DRAFT or HELD order CONFIRMED and count it: summaries, ledger, the card's lifecycle.

    Internal: no permission or credit check (callers did both); runs in the caller's transaction."""
    before = order.status
    now = timezone.now()
    order.status = OrderStatus.CONFIRMED
    order.confirmed_at = now
    order.due_date = order.order_date + timedelta(days=order.customer.payment_terms_days)
    order.open_amount = max(order.total - order.paid, ZERO)
    _save(order, actor, reason)
    summaries.order_booked(order, 1)
    ledger.on_order_booked(order)  # may apply unallocated credit: it updates `order` (paid, open_amount) too
    customer_order_booked(actor=actor, customer=order.customer, order=order)
    _status_audit(actor, order, before, due_date=str(order.due_date))
    return order


@transaction.atomic
def order_confirm(*, actor: User, order: Order, version: int | None = None) -> Order:
    """Confirm a draft through the credit check: CONFIRMED (booked), or HELD with a pending CreditHold."""
    # The customer's row stays locked until commit: two confirmations for one customer queue up,
    # and the second one's check sees the first one's order.
    current = customer_then_order_locked(order)
    customer = current.customer
    _check_can_take_orders(actor, customer)
    _check_version(current, version)
    if current.status != OrderStatus.DRAFT:
        raise ValidationError({"status": [_confirm_refusal(current)]})
    if current.total <= 0 and not current.lines.exists():  # the services never write a draft without lines
        raise ValidationError({"lines": [_("An order needs at least one line.")]})
    hold = credit_check(actor=actor, order=current, customer=customer)
    if hold is None:
        return order_book(actor=actor, order=current)
    current.status = OrderStatus.HELD
    _save(current, actor)
    _status_audit(actor, current, OrderStatus.DRAFT, hold=hold.pk)
    return current


def _confirm_refusal(order: Order) -> str:
    if order.status == OrderStatus.HELD:
        return _("Order %(number)s is already waiting for a credit decision.") % {"number": order.number}
    if order.status == OrderStatus.CANCELLED:
        return _("Order %(number)s was cancelled; copy it to order again.") % {"number": order.number}
    return _("Order %(number)s is already confirmed.") % {"number": order.number}


@transaction.atomic
def order_deliver(*, actor: User, order: Order, version: int | None = None) -> Order:
    current = _locked(order)
    _check_can_take_orders(actor, current.customer)
    _check_version(current, version)
    if current.status != OrderStatus.CONFIRMED:
        if current.status == OrderStatus.DELIVERED:
            message = _("Order %(number)s was already delivered.")
        else:
            message = _("Only a confirmed order can be delivered; order %(number)s is not confirmed.")
        raise ValidationError({"status": [message % {"number": current.number}]})
    current.status = OrderStatus.DELIVERED
    current.delivered_at = timezone.now()
    _save(current, actor)
    _status_audit(actor, current, OrderStatus.CONFIRMED)
    return current


@transaction.atomic
def order_cancel(*, actor: User, order: Order, version: int | None = None, reason: str = "") -> Order:
    """Cancel a draft, a held or a confirmed order. A booked order leaves the receivables (its
    allocations go back to their payments) and the summaries. A delivered order is not cancelled:
    the goods are with the customer, so returns are a credit note."""
    current = customer_then_order_locked(order)
    _check_can_take_orders(actor, current.customer)
    _check_version(current, version)
    reason = _clean_text("reason", reason, 300)
    if current.status == OrderStatus.DELIVERED:
        raise ValidationError({"status": [_(
            "Order %(number)s was delivered: the goods are with the customer, so it cannot be cancelled. "
            "Record returned goods as a credit note instead."
        ) % {"number": current.number}]})
    if current.status == OrderStatus.CANCELLED:
        raise ValidationError({"status": [_("Order %(number)s is already cancelled.") % {"number": current.number}]})
    before = current.status
    if current.is_booked:
        ledger.on_order_cancelled(current)
        summaries.order_booked(current, -1)
        current.refresh_from_db(fields=["paid", "version"])
    elif current.status == OrderStatus.HELD:
        CreditHold.objects.filter(order=current, status=HoldStatus.PENDING).update(
            status=HoldStatus.REJECTED, decided_by=actor, decided_at=timezone.now(),
            decision_reason=(_("Order cancelled: %(reason)s") % {"reason": reason} if reason else _("Order cancelled"))[:300],
        )
    current.status = OrderStatus.CANCELLED
    current.cancelled_at = timezone.now()
    current.open_amount = ZERO
    _save(current, actor, reason)
    _status_audit(actor, current, before, reason=reason)
    return current


@transaction.atomic
def order_copy(*, actor: User, order: Order) -> Order:
    """A new draft for the same customer with the same products, quantities and specs at today's prices
    (a discount larger than the new line value is cut to it)."""
    customer = order.customer
    _check_can_take_orders(actor, customer)
    source_lines = list(OrderLine.objects.filter(order=order).order_by("line_no"))
    prices = product_prices([line.product_id for line in source_lines], customer.channel_level)
    lines = []
    for line in source_lines:
        price = prices.get(line.product_id, ZERO)
        gross = (line.quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append(LineInput(
            product_id=line.product_id, quantity=line.quantity, unit_price=price,
            discount=min(line.discount, gross), spec=line.spec,
        ))
    return _create(
        actor=actor, customer=customer, lines=lines, order_date=None, settlement=order.settlement,
        note=order.note, seller=order.seller, rep=None, source=OrderSource.COPY, external_ref="",
        audit_detail={"copied_from": order.number},
    )


@transaction.atomic
def orders_confirm_bulk(*, actor: User, orders: list[Order]) -> list[Order]:
    """Confirm several drafts, one after another through the same credit check (so a later order
    sees the exposure of the earlier ones); returned in the order given, some perhaps HELD.
    All or nothing: if any order is refused, none is confirmed and every refusal is reported.
    Customers are taken in id order, so two bulk confirmations cannot wait on each other."""
    unique = list({order.pk: order for order in orders}.values())
    done: dict[int, Order] = {}
    errors: list[str] = []
    for order in sorted(unique, key=lambda o: (o.customer_id, o.pk)):
        try:
            done[order.pk] = order_confirm(actor=actor, order=order)
        except ValidationError as exc:
            errors += [f"{order.number}: {m}" for ms in exc.message_dict.values() for m in ms]
    if errors:
        raise ValidationError({"orders": errors})
    return [done[order.pk] for order in unique]
