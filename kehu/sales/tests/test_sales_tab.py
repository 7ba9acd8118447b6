"""The card's Sales tab: orders with lines, monthly totals this year vs last, year to date, products."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.sales.models import OrderStatus
from kehu.sales.selectors.sales_tab import card_orders, monthly_totals, product_totals, sales_tab
from kehu.sales.tabs.sales import context as tab_context
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import PASSWORD

TODAY = date(2025, 6, 15)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def goods(world):
    return make_product("P1", "酱油", "10.00", spec="500ml"), make_product("P2", "醋", "5.00")


def tab_url(card) -> str:
    return reverse("customers:detail", args=[card.pk]) + "?tab=sales"


def test_monthly_totals_put_this_year_beside_last_year(world, goods):
    soy, vinegar = goods
    card = world.alice_card
    make_booked_order(card, [(soy, 3, "10.00")], order_date=date(2024, 2, 10))  # 30
    make_booked_order(card, [(vinegar, 2, "5.00")], order_date=date(2024, 6, 20))  # 10, after 15 June
    make_booked_order(card, [(soy, 1, "10.00")], order_date=date(2024, 6, 1))  # 10, before 15 June
    make_booked_order(card, [(soy, 5, "10.00")], order_date=date(2025, 2, 3))  # 50
    make_booked_order(card, [(vinegar, 4, "5.00")], order_date=date(2025, 6, 2))  # 20
    make_booked_order(world.bob_card, [(soy, 100, "10.00")], order_date=date(2025, 2, 3))  # another card

    months, ytd = monthly_totals(user=world.alice, customer_id=card.pk, today=TODAY)

    assert [(m.month, m.this_year, m.last_year) for m in months if m.this_year or m.last_year] == [
        (2, Decimal("50.00"), Decimal("30.00")), (6, Decimal("20.00"), Decimal("20.00")),
    ]
    assert months[1].orders_this_year == 1 and months[5].orders_last_year == 2
    assert months[5].cumulative_this_year == Decimal("70.00")
    assert months[6].cumulative_this_year is None  # July is still to come
    assert months[11].cumulative_last_year == Decimal("50.00")
    # Same period last year: January–May 2024 plus 1–15 June 2024 (the 20 June order is later).
    assert (ytd.this_year, ytd.last_year) == (Decimal("70.00"), Decimal("40.00"))
    assert ytd.change == Decimal("75.0")
    assert months[1].change == Decimal("66.7")


def test_cancelled_and_draft_orders_do_not_count(world, goods):
    soy, _ = goods
    make_booked_order(world.alice_card, [(soy, 2, "10.00")], order_date=date(2025, 3, 1), status=OrderStatus.DRAFT)
    make_booked_order(world.alice_card, [(soy, 1, "10.00")], order_date=date(2025, 3, 1))
    months, ytd = monthly_totals(user=world.alice, customer_id=world.alice_card.pk, today=TODAY)
    assert months[2].this_year == Decimal("10.00") and ytd.this_year == Decimal("10.00")


def test_product_totals_this_year_with_last_years_amount(world, goods):
    soy, vinegar = goods
    card = world.alice_card
    make_booked_order(card, [(soy, 3, "10.00"), (vinegar, 1, "5.00")], order_date=date(2024, 2, 10))
    make_booked_order(card, [(soy, 2, "9.50")], order_date=date(2025, 1, 5))
    make_booked_order(card, [(soy, 1, "10.00"), (vinegar, 6, "5.00")], order_date=date(2025, 5, 5))

    rows = product_totals(user=world.alice, customer_id=card.pk, today=TODAY)

    assert [(r.sku, r.quantity, r.amount, r.last_year_amount) for r in rows] == [
        ("P2", Decimal("6.000"), Decimal("30.00"), Decimal("5.00")),
        ("P1", Decimal("3.000"), Decimal("29.00"), Decimal("30.00")),
    ]


def test_a_product_sold_only_last_year_is_not_listed(world, goods):
    soy, _ = goods
    make_booked_order(world.alice_card, [(soy, 3, "10.00")], order_date=date(2024, 2, 10))
    assert product_totals(user=world.alice, customer_id=world.alice_card.pk, today=TODAY) == []


def test_orders_come_newest_first_twenty_at_a_time_with_their_lines(world, goods):
    soy, vinegar = goods
    orders = [make_booked_order(world.alice_card, [(soy, 1, "10.00"), (vinegar, i + 1, "5.00")],
                                order_date=date(2025, 1, 1 + i)) for i in range(23)]
    first = card_orders(user=world.alice, customer_id=world.alice_card.pk)
    assert [o.pk for o in first.rows] == [o.pk for o in reversed(orders)][:20]
    assert [(line.line_no, line.product.sku) for line in first.rows[0].lines.all()] == [(1, "P1"), (2, "P2")]
    second = card_orders(user=world.alice, customer_id=world.alice_card.pk, cursor=first.next_cursor)
    assert [o.pk for o in second.rows] == [o.pk for o in reversed(orders)][20:]
    assert second.next_cursor is None


def test_a_hidden_card_reads_as_empty(world, goods):
    soy, _ = goods
    make_booked_order(world.carol_card, [(soy, 1, "10.00")], order_date=date(2025, 1, 1))
    tab = sales_tab(user=world.alice, customer=world.carol_card, today=TODAY)
    assert tab["orders_page"].rows == [] and tab["products"] == [] and tab["ytd"].this_year == 0


@pytest.mark.parametrize("name", ["alice", "mia", "fiona", "dora"])
def test_the_tab_costs_a_fixed_number_of_queries(world, goods, name, django_assert_max_num_queries):
    soy, vinegar = goods
    for i in range(25):
        make_booked_order(world.alice_card, [(soy, 1, "10.00"), (vinegar, 2, "5.00")], order_date=date(2025, 1 + i % 5, 1))
    user = world.everyone[name]
    # loans (+ subtree and org unit for a manager), months, last June's part, orders, lines, products.
    with django_assert_max_num_queries(7):
        tab = tab_context(user, world.alice_card)
    assert len(tab["sales"]["orders_page"].rows) == 20


def test_the_tab_renders_on_the_card(client, world, goods):
    soy, _ = goods
    order = make_booked_order(world.alice_card, [(soy, 2, "10.00")])
    client.login(username="alice", password=PASSWORD)
    page = client.get(tab_url(world.alice_card), **HTMX)
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html and "酱油" in html and "20.00" in html
    assert reverse("sales:order-new") + f"?customer={world.alice_card.pk}" in html


def test_the_tab_offers_no_new_order_to_who_may_not_take_orders(client, world, goods):
    client.login(username="fiona", password=PASSWORD)
    html = client.get(tab_url(world.alice_card), **HTMX).content.decode()
    assert reverse("sales:order-new") not in html


def test_more_orders_continue_after_the_first_twenty(client, world, goods):
    soy, _ = goods
    orders = [make_booked_order(world.alice_card, [(soy, 1, "10.00")], order_date=date(2025, 1, 1 + i)) for i in range(21)]
    client.login(username="alice", password=PASSWORD)
    first = card_orders(user=world.alice, customer_id=world.alice_card.pk)
    url = reverse("sales:card-orders", args=[world.alice_card.pk]) + f"?cursor={first.next_cursor}"
    more = client.get(url, **HTMX)
    assert more.status_code == 200
    assert orders[0].number in more.content.decode() and orders[1].number not in more.content.decode()
    assert client.get(url).status_code == 200  # without htmx: a page


def test_more_orders_of_a_hidden_card_is_not_found(client, world):
    client.login(username="alice", password=PASSWORD)
    assert client.get(reverse("sales:card-orders", args=[world.carol_card.pk])).status_code == 404
