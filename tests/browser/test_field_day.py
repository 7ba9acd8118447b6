"""The rep's day on a phone in Chromium: alice opens today's route, checks in with the phone's position
(geolocation granted to the browser context), files the report with a card update; then mia, her manager,
sees the visit reported and the card changed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.field.models import Visit, VisitStatus
from kehu.field.testing import BEIJING, make_visit, place
from kehu.testing import World, make_customer
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("KEHU_SCREENSHOTS", "")
TAM = BEIJING["tiananmen"]


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A phone that lets the page read its position: 55 m north of the card."""
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        device_scale_factor=2, geolocation={"latitude": TAM[0] + 0.0005, "longitude": TAM[1], "accuracy": 15},
        permissions=["geolocation"],
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.base_url = live_server.url
    yield tab
    context.close()


@pytest.fixture
def desk(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.base_url = live_server.url
    yield tab
    context.close()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_rep_checks_in_reports_with_a_card_update_and_the_manager_sees_it(phone: Any, desk: Any):
    world = World()
    place(world.alice_card, *TAM)
    other = make_customer("海淀区第二家便利店", world.alice, world.beijing, address="海淀路88号")
    second = make_visit(other, world.alice, sequence=2)
    visit = make_visit(world.alice_card, world.alice, sequence=1)
    make_visit(world.carol_card, world.carol)  # someone else's day: never shown

    log_in(phone, "alice")
    phone.goto(f"{phone.base_url}/field/today/")
    stops = phone.get_by_test_id("stop")
    expect(stops).to_have_count(2)
    expect(stops.nth(0)).to_contain_text(world.alice_card.name)
    expect(stops.nth(1)).to_contain_text(other.name)
    expect(phone.locator("main")).not_to_contain_text(world.carol_card.name)
    assert phone.locator("svg.route-map circle").count() == 1  # only the placed card is drawn
    shot(phone, "day-route")

    stops.nth(0).locator("a.stop-link").click()
    expect(phone).to_have_url(re.compile(rf"/field/today/visit/{visit.pk}/$"))
    phone.get_by_test_id("check-in").click()  # day.js asks the phone for its position, then posts it
    expect(phone.get_by_test_id("distance")).to_contain_text("56")
    expect(phone.get_by_test_id("far")).to_have_count(0)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED_IN
    assert (float(visit.checkin_lat), float(visit.checkin_lng), visit.checkin_accuracy_m) == (
        pytest.approx(TAM[0] + 0.0005), pytest.approx(TAM[1]), 15)
    shot(phone, "day-checked-in")

    phone.get_by_test_id("report").click()
    phone.select_option("#id_purpose", "order")
    phone.select_option("#id_outcome", "ordered")
    phone.fill("#id_summary", "老板要求周五前补货")
    phone.fill("#id_orders_taken", "1880.00")
    phone.fill("#id_card-opens_at", "07:30")
    phone.fill("#id_card-brands_carried", "燕京啤酒, 青岛啤酒")
    shot(phone, "day-report")
    phone.get_by_test_id("file-report").click()
    expect(phone).to_have_url(re.compile(r"/field/today/$"))
    expect(phone.get_by_test_id("day-summary")).to_contain_text("1")
    expect(phone.get_by_test_id("stop").nth(0).locator(".visit-done")).to_have_count(1)

    visit.refresh_from_db()
    card = Customer.objects.get(pk=world.alice_card.pk)
    assert (visit.status, str(visit.orders_taken), visit.summary) == (VisitStatus.DONE, "1880.00", "老板要求周五前补货")
    assert (card.opens_at, card.brands_carried, card.last_visited_at) == (time(7, 30), "燕京啤酒, 青岛啤酒", visit.checkin_at)
    assert Visit.objects.get(pk=second.pk).status == VisitStatus.PLANNED

    log_in(desk, "mia")
    desk.goto(f"{desk.base_url}/customers/{card.pk}/?tab=visits")
    row = desk.get_by_test_id("card-visit").first
    expect(row).to_contain_text("老板要求周五前补货")
    expect(row).to_contain_text("Alice")
    expect(row).to_contain_text("1880.00")
    desk.goto(f"{desk.base_url}/customers/{card.pk}/")
    expect(desk.locator("main")).to_contain_text("燕京啤酒, 青岛啤酒")
    expect(desk.locator("main")).to_contain_text("07:30")
    desk.goto(f"{desk.base_url}/field/unreturned/")
    expect(desk.locator("main")).not_to_contain_text(card.name)
    shot(desk, "manager-card-visits")
