"""The plan grid in Chromium: a rep finds products by pinyin initials and SKU, the amount target is
suggested from the customer's price, adds a row, saves and submits; the manager approves from the queue."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.sales.models import PlanStatus, SalesPlan
from kehu.sales.testing import make_product
from kehu.testing import World
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("KEHU_SCREENSHOTS", "")


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.base_url = live_server.url
    yield tab
    context.close()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_rep_drafts_and_submits_and_the_manager_approves(page: Any, world: World) -> None:
    make_product("P1", "酱油", "10.00", spec="500ml")
    make_product("P2", "香醋", "5.00")
    log_in(page, "alice")
    page.goto(f"{page.base_url}/sales/plans/{world.alice_card.pk}/2026-11/")
    first = page.locator("[name=line-0-product_label]")
    first.fill("jy")  # 酱油 by its pinyin initials
    page.locator(".product-options button").first.click()
    expect(page.locator("[name=line-0-product]")).not_to_have_value("")
    page.fill("[name=line-0-quantity]", "30")
    page.locator("[name=line-0-schedule]").click()  # leaving the quantity suggests the amount
    expect(page.locator("[name=line-0-amount]")).to_have_value("300.00")
    page.fill("[name=line-0-schedule]", "上旬 20，下旬 10")
    page.locator("[data-add-row=line]").click()
    page.locator("[data-rows=line] tr").last.locator("[data-product-label]").fill("P2")
    page.locator("[data-rows=line] tr").last.locator(".product-options button").first.click()
    page.locator("[data-rows=line] tr").last.locator("[data-quantity]").fill("4")
    page.keyboard.press("Tab")
    expect(page.locator("[data-rows=line] tr").last.locator("[data-amount]")).to_have_value("20.00")
    page.locator("[data-rows=line] tr").last.locator("[data-amount]").fill("18.5")  # the suggestion is only that
    page.select_option("[name=support-0-kind]", "display")
    page.fill("[name=support-0-description]", "端架陈列")
    page.fill("[name=support-0-cost]", "120")
    shot(page, "plan-grid")
    page.locator("button", has_text="Save plan").click()
    expect(page.locator(".messages")).to_contain_text("Plan saved.")
    plan = SalesPlan.objects.get()
    assert (plan.month, plan.total_amount, plan.support_cost) == (date(2026, 11, 1), Decimal("318.50"), Decimal("120.00"))
    page.locator("button", has_text="Submit for approval").click()
    expect(page.locator(".messages")).to_contain_text("Plan submitted for approval.")
    expect(page.locator("button", has_text="Save plan")).to_have_count(0)

    log_in(page, "mia")
    page.goto(f"{page.base_url}/sales/plans/approvals/")
    expect(page.locator("table")).to_contain_text(world.alice_card.name)
    shot(page, "plan-approvals")
    page.locator("button", has_text="Approve").first.click()
    expect(page.locator(".messages")).to_contain_text("Plan approved.")
    assert SalesPlan.objects.get().status == PlanStatus.APPROVED
    page.goto(f"{page.base_url}/sales/plans/{world.alice_card.pk}/2026-11/")
    expect(page.locator("button", has_text="Return for changes")).to_be_visible()  # an approved plan can go back
    expect(page.locator("table").last).to_contain_text("Approved")  # the history
    shot(page, "plan-edit-approved")
    page.goto(f"{page.base_url}/customers/{world.alice_card.pk}/?tab=plans")
    expect(page.locator(".plan-month").first).to_contain_text("318.50")
    shot(page, "plan-card-tab")
    page.goto(f"{page.base_url}/sales/plans/?month=2026-11&group_by=rep")
    expect(page.locator("table")).to_contain_text("Alice")
    shot(page, "plan-overview")
