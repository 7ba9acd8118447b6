"""Reads of the card's Sales tab: the latest orders with their lines, monthly and cumulative totals, products.

Built for a card with years of orders and millions of lines company-wide: every figure comes from
the monthly summaries (`CustomerMonth`, `SalesMonth`) or from one page of orders, so the tab costs
the same fixed handful of queries whatever the card's history (asserted in the tests).

Visibility: the card is one the user can already see, but each read still goes through
`Customer.objects.visible_to(user)`, as a subquery, so a hidden card's figures read as empty. One
subquery shared by all reads costs one look-up of the user's loans instead of one per read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from kehu.core.pagination import Page, keyset_page
from kehu.customers.models import Customer
from kehu.sales.models import BOOKED, ZERO, CustomerMonth, Order, OrderLine, SalesMonth

ORDERS_PAGE = 20
ORDERING = "-order_date"


@dataclass(frozen=True)
class MonthRow:
    month: int  # 1..12
    this_year: Decimal
    last_year: Decimal
    orders_this_year: int
    orders_last_year: int
    cumulative_this_year: Decimal | None  # None for months still to come
    cumulative_last_year: Decimal

    @property
    def change(self) -> Decimal | None:
        """This year against last year in per cent, when both exist (None: nothing to compare)."""
        if not self.last_year or self.cumulative_this_year is None:
            return None
        return ((self.this_year - self.last_year) / self.last_year * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class YearToDate:
    through: date  # the day both periods run to (this year's date; last year's is the same day)
    this_year: Decimal
    last_year: Decimal

    @property
    def change(self) -> Decimal | None:
        if not self.last_year:
            return None
        return ((self.this_year - self.last_year) / self.last_year * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class ProductRow:
    product_id: int
    sku: str
    name: str
    spec: str
    unit: str
    quantity: Decimal
    amount: Decimal
    last_year_amount: Decimal


def visible_card(user: Any, customer_id: int) -> QuerySet[Customer]:
    """The card as a one-row subquery, empty when `user` may not see it."""
    return Customer.objects.visible_to(user).filter(pk=customer_id).values("pk")


def card_orders(*, user: Any, customer_id: int, cursor: str | None = None, size: int = ORDERS_PAGE,
                card: QuerySet[Customer] | None = None) -> Page:
    """One page of the card's orders, newest first, each with its lines and their products (2 queries)."""
    card = visible_card(user, customer_id) if card is None else card
    lines = OrderLine.objects.select_related("product").order_by("line_no")
    orders = (
        Order.objects.filter(customer__in=card)
        .select_related("rep")
        .prefetch_related(Prefetch("lines", queryset=lines))
    )
    return keyset_page(orders, ordering=ORDERING, cursor=cursor, size=size)


def _same_day_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def monthly_totals(
    *, user: Any, customer_id: int, today: date | None = None, card: QuerySet[Customer] | None = None
) -> tuple[list[MonthRow], YearToDate]:
    """Sales per month of this year and last year side by side, cumulative, and the year to date.

    Reads `CustomerMonth` (at most 24 rows). The current month of last year is only partly "the same
    period": its part up to the same day is read from last year's orders of that one month (an
    indexed range of the card's orders, never their lines).
    """
    today = today or timezone.localdate()
    year = today.year
    card = visible_card(user, customer_id) if card is None else card
    rows = CustomerMonth.objects.filter(
        customer__in=card, month__gte=date(year - 1, 1, 1), month__lt=date(year + 1, 1, 1)
    ).values_list("month", "sales", "orders")
    sales: dict[tuple[int, int], tuple[Decimal, int]] = {(m.year, m.month): (s, n) for m, s, n in rows}
    months: list[MonthRow] = []
    running_this, running_last = ZERO, ZERO
    for month in range(1, 13):
        this_sales, this_orders = sales.get((year, month), (ZERO, 0))
        last_sales, last_orders = sales.get((year - 1, month), (ZERO, 0))
        running_last += last_sales
        is_past = month <= today.month
        if is_past:
            running_this += this_sales
        months.append(
            MonthRow(month, this_sales, last_sales, this_orders, last_orders,
                     running_this if is_past else None, running_last)
        )
    ytd_this = months[today.month - 1].cumulative_this_year or ZERO
    before_month_last = months[today.month - 2].cumulative_last_year if today.month > 1 else ZERO
    same_day = _same_day_last_year(today)
    partial = Order.objects.filter(
        customer__in=card, status__in=BOOKED, order_date__gte=same_day.replace(day=1), order_date__lte=same_day
    ).aggregate(total=Sum("total"))["total"] or ZERO
    return months, YearToDate(today, ytd_this, before_month_last + partial)


def product_totals(
    *, user: Any, customer_id: int, today: date | None = None, limit: int = 50, card: QuerySet[Customer] | None = None
) -> list[ProductRow]:
    """This year's quantity and amount per product (from `SalesMonth`), with last year's amount beside it."""
    today = today or timezone.localdate()
    card = visible_card(user, customer_id) if card is None else card
    this_year = date(today.year, 1, 1)
    last_year = date(today.year - 1, 1, 1)
    in_this_year = Q(month__gte=this_year)
    rows = (
        SalesMonth.objects.filter(
            customer__in=card, month__gte=last_year, month__lt=date(today.year + 1, 1, 1)
        )
        .values("product_id", "product__sku", "product__name", "product__spec", "product__unit")
        .annotate(
            qty_this=Sum("quantity", filter=in_this_year),
            amount_this=Sum("amount", filter=in_this_year),
            amount_last=Sum("amount", filter=~in_this_year),
        )
        .filter(amount_this__isnull=False)
        .exclude(qty_this=0, amount_this=0)
        .order_by("-amount_this", "product__sku")[:limit]
    )
    return [
        ProductRow(
            r["product_id"], r["product__sku"], r["product__name"], r["product__spec"], r["product__unit"],
            r["qty_this"] or ZERO, r["amount_this"] or ZERO, r["amount_last"] or ZERO,
        )
        for r in rows
    ]


def sales_tab(*, user: Any, customer: Customer, today: date | None = None) -> dict[str, Any]:
    """Everything the Sales tab shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    card = visible_card(user, customer.pk)  # the user's loans are read once, here
    months, ytd = monthly_totals(user=user, customer_id=customer.pk, today=today, card=card)
    return {
        "orders_page": card_orders(user=user, customer_id=customer.pk, card=card),
        "months": months,
        "ytd": ytd,
        "ytd_last_year_through": _same_day_last_year(today),
        "products": product_totals(user=user, customer_id=customer.pk, today=today, card=card),
        "this_year": today.year,
        "last_year": today.year - 1,
        "year_total": sum((m.this_year for m in months), ZERO),
        "last_year_total": months[-1].cumulative_last_year,
    }
