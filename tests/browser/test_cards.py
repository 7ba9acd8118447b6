"""A person at the browser: log in, search by initials, open a card, edit it, see the history,
and a rep who cannot find another rep's card."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.testing import World
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_wrong_password_is_refused_and_the_ui_is_chinese(page: Any, world: World):
    page.goto(f"{page.base_url}/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator(".errorlist, .error, .form-errors").first).to_be_visible()


def test_a_rep_finds_a_card_by_pinyin_initials_and_opens_it(page: Any, world: World):
    log_in(page, "alice")
    page.goto(f"{page.base_url}/customers/")
    page.fill("#id_q", "bjhd")
    page.keyboard.press("Enter")
    rows = page.locator(".customer-table td.name-cell a")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text(world.alice_card.name)
    rows.first.click()
    expect(page.locator("h1")).to_contain_text(world.alice_card.name)
    expect(page.get_by_text("13812345678")).to_have_count(0)  # contacts tab not open yet


def test_an_edit_shows_up_in_the_history_tab(page: Any, world: World):
    log_in(page, "alice")
    page.goto(f"{page.base_url}/customers/{world.alice_card.pk}/edit/")
    page.fill("#id_short_name", "单氏副食")
    page.fill("#id_credit_limit", "30000")
    page.click("button[type=submit].primary")
    expect(page).to_have_url(re.compile(rf"/customers/{world.alice_card.pk}/$"))
    page.locator("nav.tabs a", has_text=re.compile("History|历史")).click()
    entry = page.locator(".history-entry").first
    expect(entry).to_contain_text("单氏副食")
    expect(entry.locator(".history-user")).to_contain_text("Alice")
    expect(entry).to_contain_text("30000")
    card = Customer.objects.get(pk=world.alice_card.pk)
    assert (card.short_name, card.version, str(card.credit_limit)) == ("单氏副食", 2, "30000.00")


def test_a_rep_cannot_find_or_open_another_reps_card(page: Any, world: World):
    log_in(page, "carol")
    page.goto(f"{page.base_url}/customers/?q=bjhd")
    expect(page.locator(".customer-table td.name-cell a")).to_have_count(0)
    response = page.goto(f"{page.base_url}/customers/{world.alice_card.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_text(world.alice_card.name)).to_have_count(0)


def test_the_second_of_two_concurrent_edits_is_refused_with_the_current_values(
    browser: Any, page: Any, world: World
):
    log_in(page, "alice")
    other = browser.new_context(locale="zh-CN").new_page()
    other.base_url = page.base_url
    log_in(other, "mia")
    edit_url = f"{page.base_url}/customers/{world.alice_card.pk}/edit/"
    page.goto(edit_url)
    other.goto(edit_url)
    other.fill("#id_short_name", "米娅改的")
    other.click("button[type=submit].primary")
    expect(other).to_have_url(re.compile(rf"/customers/{world.alice_card.pk}/$"))
    page.fill("#id_short_name", "艾丽改的")
    page.click("button[type=submit].primary")
    expect(page.get_by_text("米娅改的").first).to_be_visible()
    assert Customer.objects.get(pk=world.alice_card.pk).short_name == "米娅改的"
    other.context.close()


def test_the_list_works_on_a_phone(phone_page: Any, world: World):
    log_in(phone_page, "mia")
    phone_page.goto(f"{phone_page.base_url}/customers/")
    rows = phone_page.locator(".customer-table td.name-cell a")
    expect(rows).to_have_count(2)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
