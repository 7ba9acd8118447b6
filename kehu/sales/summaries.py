"""Keeping the monthly summaries true on every write (and rebuilding them from scratch).

Every service that books, cancels or re-books an order calls `order_booked(order, sign)`; every
service that records or voids money in calls `money_collected(...)`. Both are one upsert per row
(`INSERT … ON CONFLICT DO UPDATE`, on SQLite and PostgreSQL alike), inside the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection

from kehu.sales.models import BOOKED, CustomerMonth, Order, OrderLine, SalesMonth

_SALES_UPSERT = (
    f"INSERT INTO {SalesMonth._meta.db_table} (customer_id, product_id, month, quantity, amount) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (customer_id, month, product_id) DO UPDATE SET "
    f"quantity = {SalesMonth._meta.db_table}.quantity + excluded.quantity, "
    f"amount = {SalesMonth._meta.db_table}.amount + excluded.amount"
)
_CUSTOMER_UPSERT = (
    f"INSERT INTO {CustomerMonth._meta.db_table} (customer_id, month, sales, orders, collected) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (customer_id, month) DO UPDATE SET "
    f"sales = {CustomerMonth._meta.db_table}.sales + excluded.sales, "
    f"orders = {CustomerMonth._meta.db_table}.orders + excluded.orders, "
    f"collected = {CustomerMonth._meta.db_table}.collected + excluded.collected"
)


def month_of(day: date) -> date:
    return day.replace(day=1)


def order_booked(order: Order, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) a booked order's lines from the summaries."""
    assert sign in (1, -1)
    month = month_of(order.order_date)
    per_product: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for product_id, qty, amount in order.lines.values_list("product_id", "quantity", "amount"):
        per_product[product_id][0] += qty
        per_product[product_id][1] += amount
    with connection.cursor() as cursor:
        cursor.executemany(
            _SALES_UPSERT,
            [(order.customer_id, pid, month, sign * q, sign * a) for pid, (q, a) in per_product.items()],
        )
        cursor.execute(_CUSTOMER_UPSERT, (order.customer_id, month, sign * order.total, sign, Decimal(0)))


def money_collected(*, customer_id: int, day: date, amount: Decimal) -> None:
    """Money in (positive) or back out (negative: a refund, a voided payment) on `day`."""
    with connection.cursor() as cursor:
        cursor.execute(_CUSTOMER_UPSERT, (customer_id, month_of(day), Decimal(0), 0, amount))


def summaries_rebuild() -> None:
    """Recompute both summaries from orders, lines and payments (demo data, bench seed, repair)."""
    from kehu.sales.models import Payment, PaymentKind

    SalesMonth.objects.all().delete()
    CustomerMonth.objects.all().delete()
    booked = list(BOOKED)
    lines = OrderLine.objects.filter(order__status__in=booked)
    sales: dict[tuple[int, int, date], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for customer_id, product_id, day, qty, amount in lines.values_list(
        "order__customer_id", "product_id", "order__order_date", "quantity", "amount"
    ).iterator(chunk_size=5000):
        key = (customer_id, product_id, month_of(day))
        sales[key][0] += qty
        sales[key][1] += amount
    SalesMonth.objects.bulk_create(
        (SalesMonth(customer_id=c, product_id=p, month=m, quantity=q, amount=a) for (c, p, m), (q, a) in sales.items()),
        batch_size=2000,
    )
    months: dict[tuple[int, date], list] = defaultdict(lambda: [Decimal(0), 0, Decimal(0)])
    for customer_id, day, total in Order.objects.filter(status__in=booked).values_list(
        "customer_id", "order_date", "total"
    ).iterator(chunk_size=5000):
        row = months[(customer_id, month_of(day))]
        row[0] += total
        row[1] += 1
    for customer_id, day, kind, amount in Payment.objects.exclude(kind=PaymentKind.CREDIT_NOTE).values_list(
        "customer_id", "date", "kind", "amount"
    ).iterator(chunk_size=5000):
        months[(customer_id, month_of(day))][2] += -amount if kind == PaymentKind.REFUND else amount
    CustomerMonth.objects.bulk_create(
        (CustomerMonth(customer_id=c, month=m, sales=s, orders=n, collected=col) for (c, m), (s, n, col) in months.items()),
        batch_size=2000,
    )
