"""Order pages: entry grid (with and without JavaScript), detail, actions, list filters, conflicts, holds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.sales.models import CreditHold, Order, OrderLine, OrderStatus, ProductPrice
from kehu.sales.services.orders import LineInput, order_create, order_update
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import PASSWORD

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def goods(world):
    soy = make_product("P1", "酱油", "10.00", spec="500ml")
    vinegar = make_product("P2", "香醋", "5.00")
    ProductPrice.objects.create(product=soy, channel_level="wholesaler", price=Decimal("8.00"))
    return soy, vinegar


@pytest.fixture
def alice(client, world):
    client.login(username="alice", password=PASSWORD)
    return client


def set_limit(card: Customer, limit: str) -> None:
    Customer.objects.filter(pk=card.pk).update(credit_limit=Decimal(limit))
    card.refresh_from_db()


def lines_post(*rows: dict[str, str], **head: str) -> dict[str, str]:
    data = {"order_date": "2025-03-01", "settlement": "credit", "note": "", "lines-TOTAL": str(len(rows)), **head}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def draft(world, goods, card=None, actor=None) -> Order:
    soy, vinegar = goods
    return order_create(actor=actor or world.alice, customer=card or world.alice_card,
                        lines=[LineInput(soy.pk, Decimal(2)), LineInput(vinegar.pk, Decimal(1))])


# --- entry ------------------------------------------------------------------------------------------


def test_the_new_order_page_shows_the_grid_for_the_customer(alice, world, goods):
    page = alice.get(reverse("sales:order-new") + f"?customer={world.alice_card.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="lines-TOTAL" id="lines-total" value="5"' in html
    assert "order_entry.js" in html and f'data-channel-level="{world.alice_card.channel_level}"' in html


def test_without_a_customer_the_page_asks_for_one_among_the_users_cards(alice, world):
    page = alice.get(reverse("sales:order-new") + "?q=" + world.alice_card.code)
    assert page.status_code == 200
    assert world.alice_card.name in page.content.decode()
    page = alice.get(reverse("sales:order-new") + "?q=" + world.carol_card.code)
    assert world.carol_card.name not in page.content.decode()


def test_a_draft_is_saved_from_typed_skus_with_the_channel_price(client, world, goods):
    client.login(username="bob", password=PASSWORD)  # bob_card is a wholesaler: soy costs 8.00
    data = lines_post({"product_text": "p1", "quantity": "3"}, {"product_text": "P2", "quantity": "2", "discount": "1"},
                      {"product_text": "", "quantity": ""}, customer=str(world.bob_card.pk))
    response = client.post(reverse("sales:order-new"), data)
    order = Order.objects.get(customer=world.bob_card)
    assert response.status_code == 302 and response["Location"] == reverse("sales:order-detail", args=[order.pk])
    assert order.status == OrderStatus.DRAFT and order.total == Decimal("33.00")
    assert list(order.lines.values_list("product__sku", "quantity", "unit_price", "discount", "amount")) == [
        ("P1", Decimal("3.000"), Decimal("8.00"), Decimal("0.00"), Decimal("24.00")),
        ("P2", Decimal("2.000"), Decimal("5.00"), Decimal("1.00"), Decimal("9.00")),
    ]


def test_a_picked_product_id_and_an_edited_price_are_kept(alice, world, goods):
    soy, _ = goods
    data = lines_post({"product": str(soy.pk), "product_text": f"P1 {soy}", "quantity": "1.5", "unit_price": "9.99"},
                      customer=str(world.alice_card.pk))
    assert alice.post(reverse("sales:order-new"), data).status_code == 302
    line = OrderLine.objects.get()
    assert (line.quantity, line.unit_price, line.amount) == (Decimal("1.500"), Decimal("9.99"), Decimal("14.99"))


def test_recalculate_fills_prices_and_amounts_without_saving(alice, world, goods):
    data = lines_post({"product_text": "P1", "quantity": "3"}, {"product_text": "P2", "quantity": "4"},
                      customer=str(world.alice_card.pk), recalculate="1")
    page = alice.post(reverse("sales:order-new"), data)
    assert page.status_code == 200 and Order.objects.count() == 0
    html = page.content.decode()
    assert 'name="lines-0-unit_price" value="10"' in html and "30.00" in html and "50.00" in html


def test_more_lines_adds_empty_rows(alice, world, goods):
    data = lines_post({"product_text": "P1", "quantity": "3"}, customer=str(world.alice_card.pk), add_lines="1")
    page = alice.post(reverse("sales:order-new"), data)
    assert 'name="lines-TOTAL" id="lines-total" value="6"' in page.content.decode()


def test_errors_show_on_their_line_and_field_and_keep_everything_typed(alice, world, goods):
    data = lines_post({"product_text": "P1", "quantity": "abc", "unit_price": "12.345"},
                      {"product_text": "no-such-thing", "quantity": "2"},
                      {"product_text": "P2", "quantity": "-1"},
                      customer=str(world.alice_card.pk), order_date="not a date")
    page = alice.post(reverse("sales:order-new"), data)
    assert page.status_code == 400 and Order.objects.count() == 0
    rows = page.context["grid"].rows
    assert rows[0].errors == {"quantity": ["Enter a number."], "unit_price": ["Use at most 2 decimal places."]}
    assert rows[1].errors == {"product": ["No product matches “no-such-thing”."]}
    assert rows[2].errors == {"quantity": ["Must be more than zero."]}
    assert page.context["form"].errors["order_date"]
    html = page.content.decode()
    assert 'value="abc"' in html and 'value="12.345"' in html and 'value="no-such-thing"' in html


def test_an_ambiguous_product_lists_the_candidates(alice, world, goods):
    make_product("P3", "酱油 大瓶", "20.00")
    page = alice.post(reverse("sales:order-new"), lines_post({"product_text": "酱油", "quantity": "1"},
                                                             customer=str(world.alice_card.pk)))
    assert page.status_code == 400
    (message,) = page.context["grid"].rows[0].errors["product"]
    assert "P1" in message and "P3" in message


def test_a_service_refusal_lands_on_its_line(alice, world, goods):
    _, vinegar = goods
    vinegar.is_active = False
    vinegar.save()
    data = lines_post({"product_text": "P1", "quantity": "1"}, {"product": str(vinegar.pk), "product_text": "P2",
                                                                 "quantity": "1"}, customer=str(world.alice_card.pk))
    page = alice.post(reverse("sales:order-new"), data)
    assert page.status_code == 400 and Order.objects.count() == 0
    assert page.context["grid"].rows[1].errors["service"] == ["Line 2: 香醋 is no longer sold."]


def test_an_order_without_lines_is_refused(alice, world, goods):
    page = alice.post(reverse("sales:order-new"), lines_post(customer=str(world.alice_card.pk)))
    assert page.status_code == 400 and page.context["grid"].non_line_errors == ["Add at least one line."]


def test_save_and_confirm_within_the_limit_books_the_order(alice, world, goods):
    set_limit(world.alice_card, "100000")
    response = alice.post(reverse("sales:order-new"), lines_post({"product_text": "P1", "quantity": "1"},
                                                                 customer=str(world.alice_card.pk), confirm="1"))
    order = Order.objects.get()
    assert response.status_code == 302 and order.status == OrderStatus.CONFIRMED


def test_over_the_limit_the_order_is_held_and_the_page_says_so(alice, world, goods):
    set_limit(world.alice_card, "5")
    response = alice.post(reverse("sales:order-new"), lines_post({"product_text": "P1", "quantity": "1"},
                                                                 customer=str(world.alice_card.pk), confirm="1"),
                          follow=True)
    order = Order.objects.get()
    assert order.status == OrderStatus.HELD
    html = response.content.decode()
    assert "On credit hold — waiting for finance" in html
    assert "Exposure 10.00 would exceed the credit limit 5.00 by 5.00." in html


# --- edit, conflicts --------------------------------------------------------------------------------


def test_editing_a_draft_replaces_its_lines(alice, world, goods):
    order = draft(world, goods)
    page = alice.get(reverse("sales:order-edit", args=[order.pk]))
    assert page.status_code == 200 and 'name="lines-0-product_text" value="P1 酱油 500ml"' in page.content.decode()
    data = lines_post({"product_text": "P2", "quantity": "7"}, version=str(order.version), note="call first")
    assert alice.post(reverse("sales:order-edit", args=[order.pk]), data).status_code == 302
    order.refresh_from_db()
    assert order.total == Decimal("35.00") and order.note == "call first" and order.lines.count() == 1


def test_a_stale_edit_answers_409_with_the_saved_order_and_keeps_the_input(alice, world, goods):
    soy, _ = goods
    order = draft(world, goods)
    stale = order.version
    order_update(actor=world.mia, order=order, version=stale, data={"note": "by someone else"},
                 lines=[LineInput(soy.pk, Decimal(9))])
    data = lines_post({"product_text": "P2", "quantity": "7"}, version=str(stale), note="mine")
    page = alice.post(reverse("sales:order-edit", args=[order.pk]), data)
    assert page.status_code == 409
    html = page.content.decode()
    assert "Someone else saved this order" in html and "90.00" in html  # the saved total
    assert 'value="mine"' in html and 'name="lines-0-quantity" value="7"' in html
    assert page.context["form"]["version"].value() == str(stale + 1)
    order.refresh_from_db()
    assert order.note == "by someone else"


def test_a_confirmed_order_cannot_be_edited(alice, world, goods):
    soy, _ = goods
    order = make_booked_order(world.alice_card, [(soy, 1, "10.00")])
    response = alice.get(reverse("sales:order-edit", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("sales:order-detail", args=[order.pk])


# --- detail and actions -----------------------------------------------------------------------------


def test_the_detail_shows_lines_and_the_actions_of_a_draft(alice, world, goods):
    order = draft(world, goods)
    html = alice.get(reverse("sales:order-detail", args=[order.pk])).content.decode()
    assert order.number in html and "酱油" in html and "25.00" in html
    for name in ("sales:order-confirm", "sales:order-cancel", "sales:order-copy", "sales:order-edit"):
        assert reverse(name, args=[order.pk]) in html
    assert reverse("sales:order-deliver", args=[order.pk]) not in html


def test_confirm_deliver_and_copy(alice, world, goods):
    set_limit(world.alice_card, "100000")
    order = draft(world, goods)
    url = reverse("sales:order-confirm", args=[order.pk])
    assert alice.post(url, {"version": order.version}).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert alice.post(reverse("sales:order-deliver", args=[order.pk]), {"version": order.version}).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    response = alice.post(reverse("sales:order-copy", args=[order.pk]), {})
    copy = Order.objects.exclude(pk=order.pk).get()
    assert response["Location"] == reverse("sales:order-detail", args=[copy.pk])
    assert copy.status == OrderStatus.DRAFT and copy.total == order.total


def test_cancel_with_a_reason(alice, world, goods):
    order = draft(world, goods)
    alice.post(reverse("sales:order-cancel", args=[order.pk]), {"version": order.version, "reason": "duplicate"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_an_action_with_a_stale_version_answers_409_and_does_nothing(alice, world, goods):
    order = draft(world, goods)
    page = alice.post(reverse("sales:order-confirm", args=[order.pk]), {"version": order.version - 1 + 5})
    assert page.status_code == 409 and "This order changed since you opened it." in page.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


def test_a_refused_action_answers_400_with_the_reason(alice, world, goods):
    soy, _ = goods
    order = make_booked_order(world.alice_card, [(soy, 1, "10.00")], status=OrderStatus.DELIVERED)
    page = alice.post(reverse("sales:order-cancel", args=[order.pk]), {"version": order.version})
    assert page.status_code == 400 and "cannot be cancelled" in page.content.decode()


def test_a_held_order_shows_the_hold_and_its_reasons(alice, world, goods):
    set_limit(world.alice_card, "1")
    order = draft(world, goods)
    alice.post(reverse("sales:order-confirm", args=[order.pk]), {"version": order.version})
    order.refresh_from_db()
    assert order.status == OrderStatus.HELD and CreditHold.objects.filter(order=order).exists()
    html = alice.get(reverse("sales:order-detail", args=[order.pk])).content.decode()
    assert "On credit hold — waiting for finance" in html and "would exceed the credit limit 1.00" in html
    assert reverse("sales:order-confirm", args=[order.pk]) not in html


# --- list ---------------------------------------------------------------------------------------------


def test_the_list_filters_by_status_customer_rep_and_dates(client, world, goods):
    soy, _ = goods
    a = make_booked_order(world.alice_card, [(soy, 1, "10.00")], order_date=date(2025, 1, 5))
    b = make_booked_order(world.bob_card, [(soy, 1, "10.00")], order_date=date(2025, 2, 5))
    c = make_booked_order(world.bob_card, [(soy, 1, "10.00")], order_date=date(2025, 3, 5), status=OrderStatus.DRAFT)
    client.login(username="mia", password=PASSWORD)

    def numbers(**params: str) -> set[str]:
        page = client.get(reverse("sales:orders"), params)
        assert page.status_code == 200
        return {o.number for o in page.context["page"].rows}

    assert numbers() == {a.number, b.number, c.number}
    assert numbers(status="draft") == {c.number}
    assert numbers(customer=str(world.bob_card.pk)) == {b.number, c.number}
    assert numbers(rep=str(world.alice.pk)) == {a.number}
    assert numbers(date_from="2025-02-01", date_to="2025-02-28") == {b.number}
    assert numbers(q=world.alice_card.code) == {a.number}
    assert numbers(status="nonsense") == {a.number, b.number, c.number}  # an invalid filter is shown, not applied


def test_the_list_pages_by_keyset(alice, world, goods):
    soy, _ = goods
    for i in range(55):
        make_booked_order(world.alice_card, [(soy, 1, "10.00")], order_date=date(2025, 1, 1 + i % 28))
    first = alice.get(reverse("sales:orders"))
    assert len(first.context["page"].rows) == 50 and first.context["next_url"]
    second = alice.get(reverse("sales:orders") + first.context["next_url"])
    assert len(second.context["page"].rows) == 5
    assert not {o.pk for o in first.context["page"].rows} & {o.pk for o in second.context["page"].rows}
    assert alice.get(reverse("sales:orders"), **HTMX).templates[0].name == "sales/orders/list_results.html"


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_costs_the_same_queries_for_3_or_40_orders(client, world, goods, count, django_assert_num_queries):
    soy, _ = goods
    for i in range(count):
        make_booked_order(world.alice_card if i % 2 else world.bob_card, [(soy, 1, "10.00")])
    client.login(username="mia", password=PASSWORD)
    # Exactly the same 8 queries (session, user, loans, subtree, reps, page, count …) for 3 or 40 orders.
    with django_assert_num_queries(8):
        page = client.get(reverse("sales:orders"))
    assert len(page.context["page"].rows) == count


def test_bulk_confirm_confirms_the_selected_drafts_and_reports_holds(alice, world, goods):
    set_limit(world.alice_card, "30")
    first, second = draft(world, goods), draft(world, goods)  # 25.00 each: the second goes over 30
    response = alice.post(reverse("sales:orders-confirm-bulk"), {"order": [first.pk, second.pk]}, follow=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (OrderStatus.CONFIRMED, OrderStatus.HELD)
    html = response.content.decode()
    assert "1 orders confirmed." in html and f"On credit hold, waiting for finance: {second.number}." in html


def test_bulk_confirm_ignores_orders_the_user_cannot_see(alice, world, goods):
    hidden = draft(world, goods, card=world.carol_card, actor=world.carol)
    response = alice.post(reverse("sales:orders-confirm-bulk"), {"order": [hidden.pk]}, follow=True)
    hidden.refresh_from_db()
    assert hidden.status == OrderStatus.DRAFT and "Select the draft orders to confirm." in response.content.decode()


def test_the_date_field_is_filled_in_the_format_a_date_input_reads_in_chinese_too(alice, world):
    from django.utils import timezone, translation

    with translation.override("zh-hans"):
        page = alice.get(reverse("sales:order-new") + f"?customer={world.alice_card.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert f'value="{timezone.localdate().isoformat()}"' in page.content.decode()


def test_nul_characters_and_nonsense_in_the_grid_never_break_the_page(alice, world, goods):
    data = lines_post({"product_text": "P1\x00", "quantity": "1\x00", "spec": "a\x00b"},
                      {"product_text": "\x00酱", "quantity": "1e999999"},
                      customer=str(world.alice_card.pk))
    data["lines-TOTAL"] = "99999999999999999999"
    page = alice.post(reverse("sales:order-new"), data)
    assert page.status_code == 400 and Order.objects.count() == 0
    assert page.context["grid"].rows[1].errors == {"quantity": ["This number is too large."]}
    data["lines-1-quantity"] = "2"
    assert alice.post(reverse("sales:order-new"), data).status_code == 302
    assert list(OrderLine.objects.values_list("spec", flat=True)) == ["ab", "500ml"]  # empty: the product's


def test_finance_is_led_from_a_held_order_to_its_hold(client, world, goods):
    set_limit(world.alice_card, "1")
    order = draft(world, goods)
    from kehu.sales.services.orders import order_confirm

    order_confirm(actor=world.alice, order=order)
    hold = CreditHold.objects.get(order=order)
    hold_url, order_url = reverse("sales:hold-detail", args=[hold.pk]), reverse("sales:order-detail", args=[order.pk])
    client.login(username="fiona", password=PASSWORD)
    assert hold_url in client.get(order_url).content.decode()
    client.login(username="alice", password=PASSWORD)
    assert hold_url not in client.get(order_url).content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_bulk_confirm_never_sends_the_user_off_site(alice, world, goods, target):
    response = alice.post(reverse("sales:orders-confirm-bulk"), {"order": [], "next": target})
    assert response["Location"] == reverse("sales:orders")
