"""Concurrent writes on PostgreSQL (real transactions in threads): order numbers stay unique, and two
confirmations for one customer cannot both pass a credit check that only one of them fits in.

SQLite serialises writers on the whole database, so these races cannot happen there; the tests
skip on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from kehu.accounts.db_triggers import install_append_only_triggers, remove_append_only_triggers
from kehu.sales.models import BOOKED, CreditHold, CustomerMonth, HoldStatus, Order, OrderStatus
from kehu.sales.services.orders import LineInput, order_confirm, order_create
from kehu.sales.testing import in_threads, make_product
from kehu.testing import World

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the seeded policy rows come back after flushes (conftest)
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent inserts: PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _flushable_audit_log() -> Iterator[None]:
    """These tests commit, so the database is flushed after each; the audit log's append-only
    triggers would refuse that, so they are lifted for the flush (as the browser tests do)."""
    install_append_only_triggers(connection)
    yield
    remove_append_only_triggers(connection)


@pytest.fixture(scope="module", autouse=True)
def _database_as_before(django_db_blocker: Any) -> Iterator[None]:
    """The flush after the last test here also empties rows the migrations seeded (credit policies,
    lifecycle rules); put them back and the triggers too, so later tests (and a --reuse-db run) find
    the database as migrated."""
    yield
    with django_db_blocker.unblock():
        serialized = getattr(connection, "_test_serialized_contents", None)
        if serialized:
            connection.creation.deserialize_db_from_string(serialized)
        install_append_only_triggers(connection)


def test_concurrent_entries_get_distinct_numbers(world: World) -> None:
    beer = make_product("BEER-01", "青岛啤酒", "3.00")

    def enter() -> str:
        return order_create(actor=world.alice, customer=world.alice_card, order_date=date(2026, 11, 3),
                            lines=[LineInput(product_id=beer.pk, quantity=Decimal(1))]).number

    numbers = in_threads([enter] * 8)
    assert all(isinstance(n, str) for n in numbers), numbers
    assert sorted(numbers) == [f"SO202611{i:06d}" for i in range(1, 9)]


def test_two_confirmations_cannot_both_use_the_same_credit_room(world: World) -> None:
    beer = make_product("BEER-01", "青岛啤酒", "10.00")
    world.alice_card.credit_limit = Decimal("150")
    world.alice_card.save()
    drafts = [
        order_create(actor=world.alice, customer=world.alice_card, lines=[LineInput(product_id=beer.pk, quantity=Decimal(10))])
        for _ in range(4)
    ]  # 100 each: one fits in 150, two do not

    results = in_threads([lambda o=o: order_confirm(actor=world.alice, order=o).status for o in drafts])
    assert sorted(results) == [OrderStatus.CONFIRMED] + [OrderStatus.HELD] * 3, results
    assert Order.objects.filter(status=OrderStatus.CONFIRMED).count() == 1
    exposures = sorted(CreditHold.objects.values_list("exposure", flat=True))
    assert exposures == [Decimal("200.00")] * 3  # each saw the confirmed one


def test_decisions_cancellations_and_confirmations_of_one_customer_queue_up_without_deadlock(world: World) -> None:
    from django.core.exceptions import ValidationError

    from kehu.sales.services.credit import hold_approve
    from kehu.sales.services.orders import order_cancel, orders_confirm_bulk

    beer = make_product("BEER-01", "青岛啤酒", "10.00")
    for card in (world.alice_card, world.bob_card):
        card.credit_limit = Decimal("150")
        card.save()

    def draft(card: Any, actor: Any) -> Order:
        return order_create(actor=actor, customer=card, lines=[LineInput(product_id=beer.pk, quantity=Decimal(10))])

    booked = order_confirm(actor=world.alice, order=draft(world.alice_card, world.alice))
    held = CreditHold.objects.get(order=order_confirm(actor=world.alice, order=draft(world.alice_card, world.alice)))
    singles = [draft(world.alice_card, world.alice), draft(world.bob_card, world.bob)]
    bulk = [draft(world.bob_card, world.mia), draft(world.alice_card, world.mia)]
    jobs = [
        lambda: hold_approve(actor=world.fiona, hold=held, reason="ok"),
        lambda: order_cancel(actor=world.alice, order=booked, reason="错单"),
        lambda: order_cancel(actor=world.alice, order=held.order, reason="不要了"),
        lambda: order_confirm(actor=world.alice, order=singles[0]),
        lambda: order_confirm(actor=world.bob, order=singles[1]),
        lambda: orders_confirm_bulk(actor=world.mia, orders=bulk),
    ]
    outcomes = in_threads(jobs)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ValidationError)]
    assert not unexpected, outcomes
    # Approved then cancelled, cancelled (hold closed) then the approval refused: never half of both.
    held.refresh_from_db()
    assert (held.status, held.order.status) in (
        (HoldStatus.APPROVED, OrderStatus.CANCELLED), (HoldStatus.REJECTED, OrderStatus.CANCELLED))
    month = CustomerMonth.objects.filter(customer=world.alice_card).values_list("orders", flat=True).first() or 0
    assert month == Order.objects.filter(customer=world.alice_card, status__in=BOOKED).count()
