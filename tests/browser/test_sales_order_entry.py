"""The order entry grid in Chromium: keyboard only, product search by pinyin initials and SKU,
channel prices filled in, live amounts and total, Ctrl+Enter saves; an order over the limit is held."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.sales.models import Order, OrderStatus, ProductPrice
from kehu.sales.testing import make_product
from kehu.testing import World
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pick(page: Any, text: str) -> None:
    """Type into the focused product cell, wait for the suggestions, Enter picks the first."""
    page.keyboard.type(text)
    expect(page.locator(".product-options:visible li[role=option]").first).to_be_visible()
    page.keyboard.press("Enter")


def test_a_rep_enters_an_order_with_the_keyboard_only(page: Any, world: World):
    soy = make_product("P1", "酱油", "10.00", spec="500ml")
    make_product("P2", "香醋", "5.00")
    ProductPrice.objects.create(product=soy, channel_level="wholesaler", price=Decimal("8.00"))
    Customer.objects.filter(pk=world.bob_card.pk).update(credit_limit=Decimal("100000"))
    log_in(page, "bob")
    page.goto(f"{page.base_url}/sales/orders/new/?customer={world.bob_card.pk}")
    expect(page.locator("[name=lines-0-product_text]")).to_be_focused()

    pick(page, "jy")  # 酱油 by its pinyin initials
    expect(page.locator("[name=lines-0-quantity]")).to_be_focused()
    expect(page.locator("[name=lines-0-unit_price]")).to_have_value("8.00")  # the wholesaler price list
    page.keyboard.type("3")
    expect(page.locator("#line-0 .js-amount")).to_have_text("24.00")
    page.keyboard.press("Enter")
    expect(page.locator("[name=lines-1-product_text]")).to_be_focused()

    pick(page, "P2")
    page.keyboard.type("2")
    page.keyboard.press("Tab")  # to the price: edit it
    page.keyboard.press("Control+A")
    page.keyboard.type("4.55")
    page.keyboard.press("Tab")
    page.keyboard.type("0.1")  # discount
    expect(page.locator("#line-1 .js-amount")).to_have_text("9.00")
    expect(page.locator(".js-total")).to_have_text("33.00")

    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/sales/orders/\d+/$"))
    order = Order.objects.get()
    assert (order.status, order.total) == (OrderStatus.DRAFT, Decimal("33.00"))
    assert list(order.lines.values_list("product__sku", "quantity", "unit_price", "discount")) == [
        ("P1", Decimal("3.000"), Decimal("8.00"), Decimal("0.00")),
        ("P2", Decimal("2.000"), Decimal("4.55"), Decimal("0.10")),
    ]


def test_an_order_over_the_limit_is_shown_on_hold(page: Any, world: World):
    make_product("P1", "酱油", "10.00")
    Customer.objects.filter(pk=world.alice_card.pk).update(credit_limit=Decimal("50"))
    log_in(page, "alice")
    page.goto(f"{page.base_url}/sales/orders/new/?customer={world.alice_card.pk}")
    pick(page, "P1")
    page.keyboard.type("10")
    page.locator("button[name=confirm]").click()
    expect(page.locator(".hold-notice")).to_be_visible()
    expect(page.locator(".hold-notice")).to_contain_text("100.00")
    assert Order.objects.get().status == OrderStatus.HELD


def test_changing_the_product_of_a_saved_line_takes_the_new_price(page: Any, world: World):
    from kehu.sales.services.orders import LineInput, order_create

    soy = make_product("P1", "酱油", "10.00")
    make_product("P2", "香醋", "5.00")
    order = order_create(actor=world.alice, customer=world.alice_card, lines=[LineInput(soy.pk, Decimal(1))])
    log_in(page, "alice")
    page.goto(f"{page.base_url}/sales/orders/{order.pk}/edit/")
    product = page.locator("[name=lines-0-product_text]")
    product.click()
    page.keyboard.press("Control+A")
    pick(page, "xc")  # 香醋
    expect(page.locator("[name=lines-0-unit_price]")).to_have_value("5.00")
    page.keyboard.type("4")
    expect(page.locator(".js-total")).to_have_text("20.00")
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(rf"/sales/orders/{order.pk}/$"))
    order.refresh_from_db()
    assert order.total == Decimal("20.00")
    assert list(order.lines.values_list("product__sku", "quantity")) == [("P2", Decimal("4.000"))]
