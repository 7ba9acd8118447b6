"""Concurrent allocations on PostgreSQL (real transactions in threads) never over-allocate a payment
or an order: every money write locks the customer's row, then the payment and order rows.

SQLite serialises writers on the whole database, so the race cannot happen there; skipped on it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from kehu.accounts.db_triggers import install_append_only_triggers, remove_append_only_triggers
from kehu.sales.models import Allocation, Order, Payment
from kehu.sales.services import ledger
from kehu.sales.services.receivables import allocation_create, payment_record
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _flushable_audit_log() -> Iterator[None]:
    """These tests commit; the audit log's append-only triggers are lifted for the flush after each."""
    install_append_only_triggers(connection)
    yield
    remove_append_only_triggers(connection)


@pytest.fixture(scope="module", autouse=True)
def _database_as_before(django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        serialized = getattr(connection, "_test_serialized_contents", None)
        if serialized:
            connection.creation.deserialize_db_from_string(serialized)
        install_append_only_triggers(connection)


def in_threads(jobs: list[Any]) -> list[str]:
    barrier, outcomes = threading.Barrier(len(jobs)), [""] * len(jobs)

    def run(i: int, job: Any) -> None:
        try:
            barrier.wait()
            job()
            outcomes[i] = "ok"
        except Exception as exc:  # noqa: BLE001 - the refusals are the point
            outcomes[i] = type(exc).__name__
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def book(world: World, amount: str) -> Order:
    product = make_product(f"C{Order.objects.count()}", "Cola", "1.00")
    with transaction.atomic():
        order = make_booked_order(world.alice_card, [(product, 1, amount)])
        ledger.on_order_booked(order)
    return order


def test_one_payment_allocated_to_four_orders_at_once_covers_only_what_it_has():
    world = World()
    orders = [book(world, "100.00") for _ in range(4)]
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="150.00", allocate="none")
    outcomes = in_threads([
        (lambda o=o: allocation_create(actor=world.fiona, payment_id=payment.pk, order_id=o.pk, amount="100.00"))
        for o in orders
    ])
    assert sorted(outcomes) == ["ValidationError"] * 3 + ["ok"]
    assert Payment.objects.get(pk=payment.pk).unallocated == Decimal("50.00")
    assert sum(a.amount for a in Allocation.objects.all()) == Decimal("100.00")


def test_four_payments_on_one_order_at_once_never_pay_it_twice():
    world = World()
    order = book(world, "100.00")
    payments = [payment_record(actor=world.fiona, customer=world.alice_card, amount="80.00", allocate="none")
                for _ in range(4)]
    outcomes = in_threads([
        (lambda p=p: allocation_create(actor=world.fiona, payment_id=p.pk, order_id=order.pk, amount="80.00"))
        for p in payments
    ])
    assert sorted(outcomes) == ["ValidationError"] * 3 + ["ok"]
    order.refresh_from_db()
    assert (order.paid, order.open_amount) == (Decimal("80.00"), Decimal("20.00"))
