"""The ledger hooks as the order services call them: confirming plans the collection and spends the
customer's credit; a held order is planned when finance approves it; cancelling gives the money back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.sales.models import Collection, CollectionStatus, CreditHold, OrderStatus, Payment
from kehu.sales.services.credit import hold_approve
from kehu.sales.services.orders import LineInput, order_cancel, order_create
from kehu.sales.services.receivables import payment_record
from kehu.sales.testing import make_product

D = Decimal


@pytest.fixture
def soda(world):
    world.alice_card.credit_limit = D("1000.00")
    world.alice_card.payment_terms_days = 30
    world.alice_card.save()
    return make_product("S1", "Soda", "10.00")


def test_confirming_an_order_spends_prepaid_credit_and_plans_the_rest(world, soda):
    prepaid = payment_record(actor=world.fiona, customer=world.alice_card, amount="30.00", allocate="none")
    order = order_create(actor=world.alice, customer=world.alice_card, confirm=True,
                         lines=[LineInput(product_id=soda.pk, quantity=D("10"), unit_price=D("10.00"))])
    assert order.status == OrderStatus.CONFIRMED
    order.refresh_from_db()
    assert (order.total, order.paid, order.open_amount) == (D("100.00"), D("30.00"), D("70.00"))
    prepaid.refresh_from_db()
    assert prepaid.unallocated == 0
    collection = Collection.objects.get(order=order)
    assert (collection.amount, collection.due_on, collection.responsible) == (D("70.00"), order.due_date, world.alice)


def test_a_held_order_is_planned_when_finance_approves_it(world, soda):
    order = order_create(actor=world.alice, customer=world.alice_card, confirm=True,
                         lines=[LineInput(product_id=soda.pk, quantity=D("200"), unit_price=D("10.00"))])
    assert order.status == OrderStatus.HELD and not Collection.objects.exists()
    hold_approve(actor=world.fiona, hold=CreditHold.objects.get(order=order), reason="good customer")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.open_amount == D("2000.00")
    assert Collection.objects.get(order=order).amount == D("2000.00")


def test_cancelling_a_paid_order_returns_the_money_as_credit(world, soda):
    order = order_create(actor=world.alice, customer=world.alice_card, confirm=True,
                         lines=[LineInput(product_id=soda.pk, quantity=D("5"), unit_price=D("10.00"))])
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="50.00")
    assert Collection.objects.get(order=order).status == CollectionStatus.DONE
    order.refresh_from_db()
    order_cancel(actor=world.alice, order=order, version=order.version, reason="wrong customer")
    order.refresh_from_db()
    assert (order.status, order.paid, order.open_amount) == (OrderStatus.CANCELLED, 0, 0)
    assert Payment.objects.get(pk=payment.pk).unallocated == D("50.00") and not payment.allocations.exists()
