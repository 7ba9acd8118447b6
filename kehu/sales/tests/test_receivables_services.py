"""Payments, credit notes, refunds, allocation by hand and oldest-first, voids, and the ledger hooks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound
from kehu.sales import summaries
from kehu.sales.models import Allocation, Collection, CollectionStatus, CustomerMonth, Order, OrderStatus, Payment
from kehu.sales.services import ledger
from kehu.sales.services.receivables import (
    allocation_create,
    allocation_delete,
    credit_note_issue,
    customer_credit,
    payment_record,
)
from kehu.sales.services.refunds import payment_void, refund_issue
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import errors_of

D = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def soda(db):
    return make_product("S1", "Soda", "1.00")


def book(card, amount: str, soda, days_ago: int = 0, due_in: int = 30) -> Order:
    day = TODAY - timedelta(days=days_ago)
    with transaction.atomic():  # as inside order_confirm
        order = make_booked_order(card, [(soda, 1, amount)], order_date=day, due_date=day + timedelta(days=due_in))
        ledger.on_order_booked(order)
    return order


def fresh(obj):
    obj.refresh_from_db()
    return obj


def test_a_payment_settles_the_oldest_due_orders_first_and_keeps_the_rest_as_credit(world, soda):
    newer = book(world.alice_card, "300.00", soda, days_ago=5)
    older = book(world.alice_card, "200.00", soda, days_ago=40)
    payment = payment_record(actor=world.alice, customer=world.alice_card, amount="600.00")
    assert (fresh(older).paid, fresh(older).open_amount) == (D("200.00"), D("0.00"))
    assert (fresh(newer).paid, fresh(newer).open_amount) == (D("300.00"), D("0.00"))
    assert fresh(payment).unallocated == D("100.00")
    assert list(payment.allocations.order_by("id").values_list("order_id", "amount")) == [
        (older.pk, D("200.00")), (newer.pk, D("300.00"))
    ]
    assert payment.received_by == world.alice and payment.created_by == world.alice
    assert customer_credit(world.alice_card.pk) == D("100.00")


def test_a_partial_payment_leaves_the_order_open_and_reduces_its_planned_collection(world, soda):
    order = book(world.alice_card, "500.00", soda)
    collection = Collection.objects.get(order=order)
    assert (collection.amount, collection.responsible, collection.due_on) == (D("500.00"), world.alice, order.due_date)
    payment_record(actor=world.fiona, customer=world.alice_card, amount="120.50")
    assert fresh(order).open_amount == D("379.50")
    collection = fresh(collection)
    assert (collection.status, collection.amount, collection.version) == (CollectionStatus.OPEN, D("379.50"), 2)
    payment_record(actor=world.fiona, customer=world.alice_card, amount="379.50")
    assert fresh(collection).status == CollectionStatus.DONE
    assert fresh(order).open_amount == 0


def test_allocating_by_hand_and_none(world, soda):
    first, second = book(world.alice_card, "100.00", soda, days_ago=10), book(world.alice_card, "100.00", soda)
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="150.00",
                             allocate=[(second.pk, D("80.00"))])
    assert fresh(second).open_amount == D("20.00") and fresh(first).open_amount == D("100.00")
    assert fresh(payment).unallocated == D("70.00")
    kept = payment_record(actor=world.fiona, customer=world.alice_card, amount="10.00", allocate="none")
    assert fresh(kept).unallocated == D("10.00") and not kept.allocations.exists()


@pytest.mark.parametrize(
    ("allocate", "message"),
    [
        ([(10**9, D("1.00"))], "is not a booked order of this customer"),
        ([("x", D("1.00"))], "Each allocation needs an order and an amount."),
        ("sideways", 'Allocate "oldest", "none", or a list of orders and amounts.'),
    ],
)
def test_a_bad_hand_allocation_is_refused_and_nothing_is_written(world, soda, allocate, message):
    book(world.alice_card, "100.00", soda)
    errors = errors_of(payment_record, actor=world.fiona, customer=world.alice_card, amount="50.00", allocate=allocate)
    assert message in errors["allocations"][0]
    assert not Payment.objects.exists() and not CustomerMonth.objects.filter(collected__gt=0).exists()


def test_hand_allocations_cannot_exceed_the_order_or_the_amount(world, soda):
    order = book(world.alice_card, "100.00", soda)
    other = book(world.bob_card, "100.00", soda)
    assert errors_of(payment_record, actor=world.fiona, customer=world.alice_card, amount="500.00",
                     allocate=[(order.pk, D("100.01"))])["allocations"] == [f"Order {order.number} has only 100.00 open."]
    assert "add up to more" in errors_of(payment_record, actor=world.fiona, customer=world.alice_card, amount="50.00",
                                         allocate=[(order.pk, D("60.00"))])["allocations"][0]
    assert "not a booked order" in errors_of(payment_record, actor=world.fiona, customer=world.alice_card,
                                             amount="50.00", allocate=[(other.pk, D("10.00"))])["allocations"][0]


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "greater than zero"), ("-5", "greater than zero"), ("1.001", "two decimal places"), ("abc", "such as"),
     ("1e400", "too large"), ("NaN", "such as"), (None, "Enter an amount."), ("9999999999999", "too large")],
)
def test_amounts_are_checked(world, amount, message):
    assert message in errors_of(payment_record, actor=world.fiona, customer=world.alice_card, amount=amount)["amount"][0]


def test_field_errors_are_reported_together(world):
    errors = errors_of(payment_record, actor=world.fiona, customer=world.alice_card, amount="1",
                       date=TODAY + timedelta(days=1), method="barter", reference="x" * 65)
    assert set(errors) == {"date", "method", "reference"}


def test_who_may_record_what(world, soda):
    with pytest.raises(NotFound):  # Carol cannot see Alice's card: the same as missing
        payment_record(actor=world.carol, customer=world.alice_card, amount="1.00")
    for user in (world.cathy, world.aud, world.dora):
        with pytest.raises(Forbidden):
            payment_record(actor=user, customer=world.alice_card, amount="1.00")
    payment_record(actor=world.mia, customer=world.alice_card, amount="1.00")  # manager of the subtree
    for user in (world.alice, world.mia):
        with pytest.raises(Forbidden):
            credit_note_issue(actor=user, customer=world.alice_card, amount="1.00")
        with pytest.raises(Forbidden):
            refund_issue(actor=user, customer=world.alice_card, amount="1.00")
    assert Payment.objects.count() == 1


def test_a_credit_note_settles_orders_without_counting_as_money_in(world, soda):
    order = book(world.alice_card, "100.00", soda)
    note = credit_note_issue(actor=world.fiona, customer=world.alice_card, amount="30.00", reference="RMA-1")
    assert note.kind == "credit_note" and fresh(order).open_amount == D("70.00")
    assert CustomerMonth.objects.get(customer=world.alice_card).collected == 0


def test_money_in_is_counted_in_the_payment_month_and_refunds_take_it_back(world, soda):
    day = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)  # last day of last month
    payment_record(actor=world.fiona, customer=world.alice_card, amount="500.00", date=day)
    refund_issue(actor=world.fiona, customer=world.alice_card, amount="200.00")
    months = {m.month: m.collected for m in CustomerMonth.objects.filter(customer=world.alice_card)}
    assert months == {day.replace(day=1): D("500.00"), TODAY.replace(day=1): D("-200.00")}


def test_a_refund_pays_back_credit_newest_first_and_never_more_than_there_is(world, soda):
    old = payment_record(actor=world.fiona, customer=world.alice_card, amount="100.00", date=TODAY - timedelta(days=9))
    new = payment_record(actor=world.fiona, customer=world.alice_card, amount="50.00")
    assert errors_of(refund_issue, actor=world.fiona, customer=world.alice_card, amount="150.01")["amount"] == [
        "Only 150.00 of this customer's money is unallocated; a refund cannot be larger."
    ]
    refund = refund_issue(actor=world.fiona, customer=world.alice_card, amount="70.00")
    assert (fresh(new).unallocated, fresh(old).unallocated) == (D("0.00"), D("80.00"))
    assert refund.unallocated == 0 and not refund.allocations.exists()
    event = AuditEvent.objects.get(object_type="payment", object_id=refund.pk)
    assert event.detail["drawn"] == [[new.pk, "50.00"], [old.pk, "20.00"]]


def test_allocation_by_hand_and_taking_it_back_reopens_the_order_and_its_collection(world, soda):
    order = book(world.alice_card, "100.00", soda)
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="100.00", allocate="none")
    allocation = allocation_create(actor=world.alice, payment_id=payment.pk, order_id=order.pk, amount="100.00")
    assert fresh(order).open_amount == 0 and fresh(payment).unallocated == 0
    assert Collection.objects.get(order=order).status == CollectionStatus.DONE
    assert AuditEvent.objects.filter(action=AuditAction.ALLOCATE, object_id=allocation.pk).count() == 1
    allocation_delete(actor=world.alice, allocation_id=allocation.pk)
    assert fresh(order).open_amount == D("100.00") and fresh(payment).unallocated == D("100.00")
    reopened = Collection.objects.get(order=order, status=CollectionStatus.OPEN)
    assert reopened.amount == D("100.00") and reopened.responsible == world.alice
    assert AuditEvent.objects.filter(action=AuditAction.ALLOCATE, object_id=allocation.pk).count() == 2


def test_allocation_create_checks_what_is_left_on_both_sides(world, soda):
    order = book(world.alice_card, "100.00", soda)
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="40.00", allocate="none")
    assert errors_of(allocation_create, actor=world.fiona, payment_id=payment.pk, order_id=order.pk,
                     amount="40.01")["amount"] == ["Only 40.00 of this payment is unallocated."]
    big = payment_record(actor=world.fiona, customer=world.alice_card, amount="500.00", allocate="none")
    assert errors_of(allocation_create, actor=world.fiona, payment_id=big.pk, order_id=order.pk,
                     amount="100.01")["amount"] == [f"Only 100.00 is open on order {order.number}."]
    other = book(world.bob_card, "10.00", soda)
    assert errors_of(allocation_create, actor=world.fiona, payment_id=big.pk, order_id=other.pk,
                     amount="1")["order"] == ["Choose a booked order of this customer."]
    refund = refund_issue(actor=world.fiona, customer=world.alice_card, amount="1.00")
    assert errors_of(allocation_create, actor=world.fiona, payment_id=refund.pk, order_id=order.pk,
                     amount="1")["payment"] == ["A refund is not allocated to orders."]
    with pytest.raises(NotFound):
        allocation_create(actor=world.carol, payment_id=big.pk, order_id=order.pk, amount="1")


def test_booking_applies_unallocated_credit_oldest_payment_first(world, soda):
    first = payment_record(actor=world.fiona, customer=world.alice_card, amount="30.00", date=TODAY - timedelta(days=3))
    second = payment_record(actor=world.fiona, customer=world.alice_card, amount="50.00")
    order = book(world.alice_card, "60.00", soda)
    assert (fresh(first).unallocated, fresh(second).unallocated) == (D("0.00"), D("20.00"))
    assert (order.paid, order.open_amount) == (D("60.00"), D("0.00"))  # the instance is updated too
    assert not Collection.objects.filter(order=order).exists()  # nothing left to collect
    partly = book(world.alice_card, "50.00", soda)
    assert Collection.objects.get(order=partly).amount == D("30.00")


def test_cancelling_gives_the_allocations_back_and_cancels_the_collections(world, soda):
    order = book(world.alice_card, "100.00", soda)
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="60.00")
    ledger.on_order_cancelled(order)
    assert (order.paid, order.open_amount) == (D("0.00"), D("0.00"))
    assert fresh(payment).unallocated == D("60.00")
    assert not Allocation.objects.exists()
    assert Collection.objects.get(order=order).status == CollectionStatus.CANCELLED


def test_voiding_a_payment_reverses_it_exactly(world, soda):
    order = book(world.alice_card, "100.00", soda)
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="100.00")
    assert errors_of(payment_void, actor=world.fiona, payment_id=payment.pk, reason=" ")["reason"]
    payment_void(actor=world.fiona, payment_id=payment.pk, reason="typed twice")
    assert not Payment.objects.exists()
    assert fresh(order).open_amount == D("100.00")
    assert Collection.objects.get(order=order, status=CollectionStatus.OPEN).amount == D("100.00")
    assert CustomerMonth.objects.get(customer=world.alice_card).collected == 0
    event = AuditEvent.objects.get(action=AuditAction.DELETE, object_type="payment")
    assert event.detail["allocations"] == [[order.pk, "100.00"]] and event.detail["reason"] == "typed twice"


def test_a_refunded_payment_cannot_be_voided_until_the_refund_is(world):
    payment = payment_record(actor=world.fiona, customer=world.alice_card, amount="100.00")
    refund = refund_issue(actor=world.fiona, customer=world.alice_card, amount="40.00")
    assert errors_of(payment_void, actor=world.fiona, payment_id=payment.pk, reason="x")["payment"] == [
        "A refund paid part of this back; void the refund first."
    ]
    payment_void(actor=world.fiona, payment_id=refund.pk, reason="not paid out")
    assert fresh(payment).unallocated == D("100.00")
    assert CustomerMonth.objects.get(customer=world.alice_card).collected == D("100.00")
    payment_void(actor=world.fiona, payment_id=payment.pk, reason="x")
    assert CustomerMonth.objects.get(customer=world.alice_card).collected == 0


def test_a_rep_may_not_void_a_credit_note(world):
    note = credit_note_issue(actor=world.fiona, customer=world.alice_card, amount="5.00")
    with pytest.raises(Forbidden):
        payment_void(actor=world.alice, payment_id=note.pk, reason="x")


def test_summaries_stay_true_after_cancelling_a_paid_order(world, soda):
    order = book(world.alice_card, "100.00", soda)
    payment_record(actor=world.fiona, customer=world.alice_card, amount="100.00")
    ledger.on_order_cancelled(order)
    order.status = OrderStatus.CANCELLED
    order.save()
    summaries.order_booked(order, -1)
    kept = {(m.customer_id, m.month): (m.sales, m.collected) for m in CustomerMonth.objects.all()}
    summaries.summaries_rebuild()
    assert kept == {(m.customer_id, m.month): (m.sales, m.collected) for m in CustomerMonth.objects.all()}
