"""Test helpers shared by the sales tests: products and booked orders written straight to the models.

They bypass the services on purpose, so a test of receivables or plans does not depend on order
entry; tests of the services themselves go through the services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from django.db import connections

from kehu.customers.models import Customer
from kehu.sales import summaries
from kehu.sales.models import Order, OrderLine, OrderStatus, Product
from kehu.sales.selectors.products import product_search_text

_numbers = count(1)


def make_product(sku: str, name: str, price: str | Decimal = "10.00", spec: str = "", **extra: Any) -> Product:
    product = Product(sku=sku, name=name, spec=spec, list_price=Decimal(price), **extra)
    product.search_text = product_search_text(product)
    product.save()
    return product


def make_booked_order(
    customer: Customer,
    lines: list[tuple[Product, str | int | Decimal, str | Decimal]],
    *,
    order_date: date | None = None,
    due_date: date | None = None,
    status: str = OrderStatus.CONFIRMED,
    rep: Any = None,
) -> Order:
    """A confirmed (or delivered) order with lines (product, quantity, unit price), counted in the summaries."""
    day = order_date or date.today()
    total = sum((Decimal(q) * Decimal(p) for _, q, p in lines), Decimal("0.00"))
    order = Order.objects.create(
        number=f"T{next(_numbers):06d}", customer=customer, status=status, order_date=day,
        due_date=due_date or day + timedelta(days=customer.payment_terms_days),
        total=total, open_amount=total, rep=rep or customer.owner,
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, line_no=i, product=product, quantity=Decimal(q), unit_price=Decimal(p),
                  amount=Decimal(q) * Decimal(p))
        for i, (product, q, p) in enumerate(lines, start=1)
    )
    if status in (OrderStatus.CONFIRMED, OrderStatus.DELIVERED):
        summaries.order_booked(order, 1)
    return order


def in_threads(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run each job in its own thread and connection, all released at once; results or exceptions
    (concurrency tests on PostgreSQL)."""
    barrier = threading.Barrier(len(jobs))
    out: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            out[i] = job()
        except Exception as exc:  # noqa: BLE001 (reported to the test)
            out[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return out
