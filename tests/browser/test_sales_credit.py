"""The issue's story at the browser: a rep enters an order over the credit limit and sees it held;
finance approves it from the queue; the card's Receivables tab shows it open; a payment clears it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.sales.models import CreditHold, HoldStatus, Order, OrderStatus
from kehu.sales.testing import make_product
from kehu.testing import World
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_out(page: Any) -> None:
    page.context.clear_cookies()


def test_an_order_over_the_limit_is_held_approved_shown_and_cleared_by_a_payment(page: Any, world: World):
    make_product("QS550", "清泉矿泉水", "30.00", spec="550ml×24")
    Customer.objects.filter(pk=world.alice_card.pk).update(credit_limit=Decimal("1000"), payment_terms_days=30)
    card = world.alice_card

    # The rep enters 50 cases (1,500.00) against a limit of 1,000.00 and confirms: it is held.
    log_in(page, "alice")
    page.goto(f"{page.base_url}/sales/orders/new/?customer={card.pk}")
    page.keyboard.type("qqk")  # 清泉矿… by pinyin initials
    expect(page.locator(".product-options:visible li[role=option]").first).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.type("50")
    expect(page.locator(".js-total")).to_have_text(re.compile(r"1,?500\.00"))
    page.locator("button[name=confirm]").click()
    notice = page.locator(".hold-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(re.compile(r"1,?500\.00"))
    order = Order.objects.get(customer=card)
    assert order.status == OrderStatus.HELD

    # Finance finds it in the queue and approves it with a reason.
    log_out(page)
    log_in(page, "fiona")
    page.goto(f"{page.base_url}/sales/holds/")
    row = page.locator("tr", has_text=order.number)
    expect(row).to_be_visible()
    row.locator("input[name=reason]").fill("老客户，月底回款")
    row.locator("button[value=approve]").click()
    expect(page.locator("tr", has_text=order.number).locator("button[value=approve]")).to_have_count(0)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert CreditHold.objects.get(order=order).status == HoldStatus.APPROVED

    # The card's Receivables tab shows the order open.
    page.goto(f"{page.base_url}/customers/{card.pk}/?tab=receivables")
    expect(page.locator("[data-testid=rx-open]")).to_have_text(re.compile(r"1,?500\.00"))
    expect(page.locator("table", has_text=order.number).first).to_be_visible()

    # Finance records the customer's payment, allocated oldest first: the order is cleared.
    page.locator(f"a[href='/sales/payments/new/?customer={card.pk}']").click()
    page.fill("#id_amount", "1500")
    page.fill("#id_reference", "BANK-20261127-01")
    page.locator("form.card-form button[type=submit]").click()
    page.goto(f"{page.base_url}/customers/{card.pk}/?tab=receivables")
    expect(page.locator("[data-testid=rx-open]")).to_have_text("0.00")
    order.refresh_from_db()
    assert (order.paid, order.open_amount) == (Decimal("1500.00"), Decimal("0.00"))
