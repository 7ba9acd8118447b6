"""Order services: entry, exact totals, every status transition allowed and refused, booking effects."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import CustomerStatus
from kehu.sales.models import (
    CreditHold,
    CustomerMonth,
    HoldStatus,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    ProductPrice,
    SalesMonth,
    Settlement,
)
from kehu.sales.services.orders import (
    LineInput,
    order_cancel,
    order_confirm,
    order_copy,
    order_create,
    order_deliver,
    order_update,
    orders_confirm_bulk,
)
from kehu.sales.testing import make_product
from kehu.testing import World, errors_of, make_customer

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def goods(world: World) -> dict:
    beer = make_product("BEER-01", "青岛啤酒", "3.35", spec="500ml×12")
    water = make_product("WATER-01", "农夫山泉", "1.10", spec="550ml×24")
    ProductPrice.objects.create(product=beer, channel_level="wholesaler", price=D("3.05"))
    # Room on the card so the credit check passes unless a test says otherwise.
    for card in (world.alice_card, world.bob_card, world.carol_card):
        card.credit_limit = D("100000")
        card.payment_terms_days = 30
        card.save()
    return {"beer": beer, "water": water}


def draft(w: World, goods: dict, **kw: object) -> Order:
    lines = kw.pop("lines", None) or [LineInput(product_id=goods["beer"].pk, quantity=D("10"))]
    return order_create(actor=kw.pop("actor", w.alice), customer=kw.pop("customer", w.alice_card), lines=lines, **kw)


# --- entry ---------------------------------------------------------------------------------------


def test_a_draft_gets_a_number_lines_priced_from_the_customers_level_and_an_exact_total(world: World, goods: dict) -> None:
    w = world
    order = order_create(actor=w.bob, customer=w.bob_card, order_date=date(2026, 11, 3), lines=[
        LineInput(product_id=goods["beer"].pk, quantity=D("7")),  # wholesaler price 3.05
        LineInput(product_id=goods["water"].pk, quantity=D("3.333"), unit_price=D("1.15"), discount=D("0.10")),
    ])
    assert order.number == "SO202611000001"
    assert order.status == OrderStatus.DRAFT and order.rep == w.bob and order.created_by == w.bob
    lines = list(order.lines.order_by("line_no").values_list("line_no", "unit_price", "spec", "amount"))
    # 3.333 × 1.15 = 3.83295 → 3.83, less 0.10 discount
    assert lines == [(1, D("3.05"), "500ml×12", D("21.35")), (2, D("1.15"), "550ml×24", D("3.73"))]
    order.refresh_from_db()
    assert order.total == D("25.08") and order.open_amount == D("0.00") and order.due_date is None
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="order", object_id=order.pk).count() == 1


def test_numbers_count_up_within_the_month_of_the_order_date(world: World, goods: dict) -> None:
    numbers = [draft(world, goods, order_date=date(2026, 11, d)).number for d in (1, 2)]
    numbers.append(draft(world, goods, order_date=date(2026, 12, 1)).number)
    assert numbers == ["SO202611000001", "SO202611000002", "SO202612000001"]


def test_bad_lines_are_reported_per_line_and_nothing_is_written(world: World, goods: dict) -> None:
    goods["water"].is_active = False
    goods["water"].save()
    errors = errors_of(order_create, actor=world.alice, customer=world.alice_card, lines=[
        LineInput(product_id=goods["beer"].pk, quantity=D("0")),
        LineInput(product_id=999999, quantity=D("1")),
        LineInput(product_id=goods["water"].pk, quantity=D("1")),
        LineInput(product_id=goods["beer"].pk, quantity=D("1"), discount=D("5.00")),
        LineInput(product_id=goods["beer"].pk, quantity=D("1.0001")),
        LineInput(product_id=goods["beer"].pk, quantity=D("1"), unit_price=D("-1")),
    ], settlement="barter", seller=world.alice_card)
    assert errors["lines"] == [
        "Line 1: the quantity must be a number above zero (at most 3 decimal places).",
        "Line 2: no such product.",
        "Line 3: 农夫山泉 550ml×24 is no longer sold.",
        "Line 4: the discount 5.00 is more than the line's value 3.35.",
        "Line 5: the quantity must be a number above zero (at most 3 decimal places).",
        "Line 6: the unit price must be zero or more, in yuan with at most 2 decimal places.",
    ]
    assert errors["settlement"] == ["Choose one of: cash, prepaid, credit."]
    assert errors["seller"] == ["A customer cannot sell to itself."]
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_an_order_needs_a_line(world: World, goods: dict) -> None:
    assert errors_of(order_create, actor=world.alice, customer=world.alice_card, lines=[]) == {
        "lines": ["An order needs at least one line."]
    }


def test_seller_must_be_a_card_the_actor_can_see(world: World, goods: dict) -> None:
    w = world
    assert errors_of(draft, w=w, goods=goods, seller=w.bob_card) == {"seller": ["No such customer."]}
    order = draft(w, goods, actor=w.mia, seller=w.bob_card)  # the manager sees both Beijing cards
    assert order.seller == w.bob_card


def test_who_may_take_orders(world: World, goods: dict) -> None:
    w = world
    with pytest.raises(NotFound):
        draft(w, goods, actor=w.carol)  # not her card, not visible
    for user in (w.fiona, w.aud, w.cathy):
        with pytest.raises(Forbidden):
            draft(w, goods, actor=user)
    for user in (w.alice, w.mia, w.dora, w.ada):
        assert draft(w, goods, actor=user).rep == w.alice  # the card's owner by default


def test_settlement_follows_the_payment_habit_unless_given(world: World, goods: dict) -> None:
    world.alice_card.payment_habit = "cod"
    world.alice_card.save()
    assert draft(world, goods).settlement == Settlement.CASH
    assert draft(world, goods, settlement="credit").settlement == Settlement.CREDIT


# --- update --------------------------------------------------------------------------------------


def test_a_draft_is_updated_with_its_version_and_lines_replaced(world: World, goods: dict) -> None:
    order = draft(world, goods)
    updated = order_update(actor=world.alice, order=order, version=order.version, data={"note": "送到后门"},
                           lines=[LineInput(product_id=goods["water"].pk, quantity=D("2"), unit_price=D("1.25"))])
    assert (updated.version, updated.note, updated.total) == (2, "送到后门", D("2.50"))
    assert list(updated.lines.values_list("product__sku", flat=True)) == ["WATER-01"]
    with pytest.raises(VersionConflict) as stale:
        order_update(actor=world.alice, order=order, version=1, data={"note": "x"})
    assert stale.value.current.version == 2
    assert errors_of(order_update, actor=world.alice, order=order, version=2, data={"total": "1"}) == {
        "total": ["This field cannot be set."]
    }


def test_only_drafts_can_be_updated(world: World, goods: dict) -> None:
    order = order_confirm(actor=world.alice, order=draft(world, goods))
    errors = errors_of(order_update, actor=world.alice, order=order, version=order.version, data={"note": "x"})
    assert errors == {"status": [f"Order {order.number} is Confirmed; only drafts can be changed."]}


# --- confirmation and booking --------------------------------------------------------------------


def test_confirming_books_the_order(world: World, goods: dict) -> None:
    w = world
    order = draft(w, goods, order_date=date(2026, 11, 3))
    assert w.alice_card.status == CustomerStatus.POTENTIAL
    order = order_confirm(actor=w.alice, order=order, version=1)
    assert order.status == OrderStatus.CONFIRMED and order.confirmed_at is not None
    assert order.due_date == date(2026, 12, 3)
    assert order.open_amount == D("33.50")
    assert CustomerMonth.objects.get(customer=w.alice_card, month=date(2026, 11, 1)).sales == D("33.50")
    assert SalesMonth.objects.get(customer=w.alice_card, product=goods["beer"]).quantity == D("10")
    w.alice_card.refresh_from_db()
    assert w.alice_card.status == CustomerStatus.ACTIVE and w.alice_card.last_ordered_at is not None
    record = w.alice_card.history_records.first()
    assert record.history_change_reason == f"active: booked order {order.number}"
    assert record.history_user == w.alice
    assert AuditEvent.objects.filter(action=AuditAction.STATUS_CHANGE, object_type="customer").count() == 1


def test_confirm_refusals(world: World, goods: dict) -> None:
    order = order_confirm(actor=world.alice, order=draft(world, goods))
    assert errors_of(order_confirm, actor=world.alice, order=order) == {
        "status": [f"Order {order.number} is already confirmed."]
    }
    with pytest.raises(VersionConflict):
        order_confirm(actor=world.alice, order=draft(world, goods), version=7)
    with pytest.raises(Forbidden):
        order_confirm(actor=world.fiona, order=draft(world, goods))


def test_create_with_confirm_goes_through_the_check(world: World, goods: dict) -> None:
    world.alice_card.credit_limit = D("10.00")
    world.alice_card.save()
    order = draft(world, goods, confirm=True)
    assert order.status == OrderStatus.HELD
    assert CreditHold.objects.get(order=order).status == HoldStatus.PENDING


def test_deliver_and_cancel_transitions(world: World, goods: dict) -> None:
    w = world
    order = order_confirm(actor=w.alice, order=draft(w, goods))
    with pytest.raises(ValidationError):
        order_deliver(actor=w.alice, order=draft(w, goods))  # a draft cannot be delivered
    delivered = order_deliver(actor=w.alice, order=order)
    assert delivered.status == OrderStatus.DELIVERED and delivered.delivered_at is not None
    assert errors_of(order_deliver, actor=w.alice, order=order) == {
        "status": [f"Order {order.number} was already delivered."]
    }
    errors = errors_of(order_cancel, actor=w.alice, order=order, reason="customer changed mind")
    assert "cannot be cancelled" in errors["status"][0]


def test_cancelling_a_booked_order_takes_it_out_of_the_summaries(world: World, goods: dict) -> None:
    w = world
    order = order_confirm(actor=w.alice, order=draft(w, goods, order_date=date(2026, 11, 3)))
    cancelled = order_cancel(actor=w.alice, order=order, reason="错单")
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.open_amount == D("0.00")
    month = CustomerMonth.objects.get(customer=w.alice_card, month=date(2026, 11, 1))
    assert (month.sales, month.orders) == (D("0.00"), 0)
    assert cancelled.history_records.first().history_change_reason == "错单"
    long_reason = "客户" * 150  # 300 characters: kept whole in the audit row, cut to 100 in the history
    other = order_cancel(actor=w.alice, order=order_confirm(actor=w.alice, order=draft(w, goods)), reason=long_reason)
    assert other.history_records.first().history_change_reason == long_reason[:100]
    events = AuditEvent.objects.filter(object_id=other.pk, object_type="order", action=AuditAction.STATUS_CHANGE)
    assert events.order_by("id").last().detail["reason"] == long_reason
    assert errors_of(order_cancel, actor=w.alice, order=order) == {
        "status": [f"Order {order.number} is already cancelled."]
    }


def test_cancelling_a_draft_touches_no_summary(world: World, goods: dict) -> None:
    order_cancel(actor=world.alice, order=draft(world, goods))
    assert not CustomerMonth.objects.exists()


def test_copy_makes_a_draft_at_todays_prices(world: World, goods: dict) -> None:
    w = world
    order = draft(w, goods, lines=[LineInput(product_id=goods["beer"].pk, quantity=D("4"), unit_price=D("2.00"),
                                             discount=D("1.00"))])
    goods["beer"].list_price = D("3.50")
    goods["beer"].save()
    copy = order_copy(actor=w.alice, order=order)
    assert copy.pk != order.pk and copy.status == OrderStatus.DRAFT and copy.source == OrderSource.COPY
    assert list(copy.lines.values_list("unit_price", "discount", "amount")) == [(D("3.50"), D("1.00"), D("13.00"))]
    event = AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=copy.pk, object_type="order").get()
    assert event.detail["copied_from"] == order.number


def test_bulk_confirm_checks_each_order_against_the_ones_before(world: World, goods: dict) -> None:
    w = world
    w.alice_card.credit_limit = D("70.00")
    w.alice_card.save()
    orders = [draft(w, goods) for _ in range(3)]  # 33.50 each
    done = orders_confirm_bulk(actor=w.alice, orders=orders)
    assert [o.status for o in done] == [OrderStatus.CONFIRMED, OrderStatus.CONFIRMED, OrderStatus.HELD]


def test_bulk_confirm_is_all_or_nothing(world: World, goods: dict) -> None:
    w = world
    good, confirmed = draft(w, goods), order_confirm(actor=w.alice, order=draft(w, goods))
    cancelled = order_cancel(actor=w.alice, order=draft(w, goods))
    errors = errors_of(orders_confirm_bulk, actor=w.alice, orders=[cancelled, good, confirmed, good])
    assert errors == {"orders": [
        f"{confirmed.number}: Order {confirmed.number} is already confirmed.",
        f"{cancelled.number}: Order {cancelled.number} was cancelled; copy it to order again.",
    ]}
    good.refresh_from_db()
    assert good.status == OrderStatus.DRAFT
    assert [o.pk for o in orders_confirm_bulk(actor=w.alice, orders=[good, good])] == [good.pk]


def test_due_date_uses_payment_terms(world: World, goods: dict) -> None:
    world.alice_card.payment_terms_days = 0
    world.alice_card.save()
    order = order_confirm(actor=world.alice, order=draft(world, goods, order_date=date.today() - timedelta(days=2)))
    assert order.due_date == date.today() - timedelta(days=2)


def test_confirming_is_a_fixed_handful_of_queries(world: World, goods: dict, django_assert_max_num_queries: object) -> None:
    """Locks (order, customer), the credit check (policy + one query of three index reads), the
    booking writes, the ledger hook, the audit row: the same count however much the customer bought."""
    from kehu.sales.testing import make_booked_order

    for _ in range(30):
        make_booked_order(world.alice_card, [(goods["beer"], 1, "1.00")])
    order = draft(world, goods, lines=[LineInput(product_id=goods["beer"].pk, quantity=D(1)) for _ in range(20)])
    with django_assert_max_num_queries(22):  # type: ignore[operator]
        assert order_confirm(actor=world.alice, order=order).status == OrderStatus.CONFIRMED


line_strategy = st.tuples(
    st.integers(1, 10**7).map(lambda n: D(n) / 1000),  # quantity, 3 places
    st.integers(0, 10**6).map(lambda n: D(n) / 100),  # unit price, 2 places
    st.integers(0, 100),  # discount as a share (%) of the line's value
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(line_strategy, min_size=1, max_size=6))
def test_totals_are_exact_and_the_summaries_get_exactly_them(world: World, goods: dict, rows: list) -> None:
    customer = make_customer("假设客户", world.alice, world.beijing, credit_limit=D("999999999999"))
    lines, expected = [], []
    for quantity, price, share in rows:
        gross = (quantity * price).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        discount = (gross * share / 100).quantize(D("0.01"), rounding=ROUND_DOWN)
        lines.append(LineInput(product_id=goods["beer"].pk, quantity=quantity, unit_price=price, discount=discount))
        expected.append(gross - discount)
    order = order_create(actor=world.alice, customer=customer, lines=lines, order_date=date(2026, 11, 3), confirm=True)
    order.refresh_from_db()
    assert list(order.lines.order_by("line_no").values_list("amount", flat=True)) == expected
    assert order.total == sum(expected, D(0)) == order.open_amount
    month = CustomerMonth.objects.get(customer=customer, month=date(2026, 11, 1))
    assert (month.sales, month.orders) == (order.total, 1)
    assert SalesMonth.objects.get(customer=customer).amount == order.total


def test_out_of_range_values_are_field_errors_not_database_errors(world: World, goods: dict) -> None:
    beer = goods["beer"].pk
    errors = errors_of(order_create, actor=world.alice, customer=world.alice_card, order_date=date(9999, 12, 31),
                       note="a\x00b", lines=[
                           LineInput(product_id=beer, quantity=D("1e12")),
                           LineInput(product_id=beer, quantity=D(1), unit_price=D("1e13")),
                           LineInput(product_id=beer, quantity=D(1), discount=D("NaN")),
                           LineInput(product_id=2**70, quantity=D(1)),
                       ])
    last = (date.today() + timedelta(days=366)).isoformat()
    assert errors["order_date"] == [f"Enter a date from 2000-01-01 to {last}."]
    assert errors["note"] == ["Text cannot contain NUL (\\x00) characters."]
    assert errors["lines"] == [
        "Line 1: the quantity must be a number above zero (at most 3 decimal places).",
        "Line 2: the unit price must be zero or more, in yuan with at most 2 decimal places.",
        "Line 3: the discount must be zero or more, in yuan with at most 2 decimal places.",
        "Line 4: no such product.",
    ]
    assert errors_of(order_create, actor=world.alice, customer=world.alice_card, order_date="1999-12-31",
                     lines=[LineInput(product_id=beer, quantity=D(1))])["order_date"][0].startswith("Enter a date from")
