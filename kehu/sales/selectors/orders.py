"""Reads of orders for the asking user: the list with its filters, one order with its lines."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kehu.core.errors import NotFound
from kehu.customers.filters import CustomerFilter
from kehu.customers.models import Customer
from kehu.sales.models import CreditHold, HoldStatus, Order, OrderLine, OrderStatus

FILTERS = frozenset({"customer", "status", "rep", "date_from", "date_to", "q", "seller", "source"})


def order_get(*, user: Any, order_id: Any) -> Order:
    """One visible order with customer, seller, rep, lines and their products, and its pending hold
    (`order.pending_holds`, a list of at most one). Hidden or missing: NotFound."""
    try:
        pk = int(str(order_id))
    except (TypeError, ValueError):
        raise NotFound from None
    if not 0 < pk < 2**63:
        raise NotFound
    order = (
        Order.objects.visible_to(user)
        .select_related("customer", "seller", "rep", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("line_no")),
            Prefetch("holds", queryset=CreditHold.objects.filter(status=HoldStatus.PENDING), to_attr="pending_holds"),
        )
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise NotFound
    return order


def _int(name: str, value: Any) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 2**63:
        raise ValidationError({name: [_("Select a valid choice.")]})
    return number


def _date(name: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({name: [_("Enter a date as YYYY-MM-DD.")]}) from None


def _statuses(value: Any) -> list[str]:
    values = [value] if isinstance(value, str) else list(value)
    bad = [v for v in values if v not in OrderStatus.values]
    if bad:
        raise ValidationError({"status": [_("Choose one of: %(values)s.") % {"values": ", ".join(OrderStatus.values)}]})
    return values


def order_search_q(q: str) -> Q:
    """The search box: the start of an order number, or the customer as the customer list's search box
    finds it (name, code, phone, pinyin, initials; through the same indexes)."""
    text = q.strip()
    customers = Customer.objects.all()
    matching = CustomerFilter(queryset=customers).filter_q(customers, "q", text)
    return Q(number__startswith=text.upper()) | Q(customer_id__in=matching.values("pk"))


def order_list(*, user: Any, filters: dict[str, Any]) -> QuerySet[Order]:
    """Visible orders, newest first, filtered by: customer, seller, rep (ids), status (one or a list),
    source, date_from/date_to (order date, inclusive), q. A bad value is a ValidationError."""
    unknown = set(filters) - FILTERS
    if unknown:
        raise ValidationError({name: [_("Unknown filter.")] for name in sorted(unknown)})
    orders = Order.objects.visible_to(user)
    errors: dict[str, list[str]] = {}
    conditions: dict[str, Any] = {}
    parsers = {
        "customer": lambda v: ("customer_id", _int("customer", v)),
        "seller": lambda v: ("seller_id", _int("seller", v)),
        "rep": lambda v: ("rep_id", _int("rep", v)),
        "status": lambda v: ("status__in", _statuses(v)),
        "source": lambda v: ("source", str(v)),
        "date_from": lambda v: ("order_date__gte", _date("date_from", v)),
        "date_to": lambda v: ("order_date__lte", _date("date_to", v)),
    }
    for name, value in filters.items():
        if value in (None, "", []) or name == "q":
            continue
        try:
            key, parsed = parsers[name](value)
            conditions[key] = parsed
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    orders = orders.filter(**conditions)
    q = str(filters.get("q") or "").strip()
    if q:
        orders = orders.filter(order_search_q(q))
    return orders.order_by("-order_date", "-id")
