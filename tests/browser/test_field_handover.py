"""A departure in Chromium: mia hands alice's cards to bob and herself, moves one card by hand,
applies; bob finds it waiting for him and acknowledges. Selectors use ids and names, not texts,
so the test survives translation."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.field.models import Handover, HandoverState
from kehu.testing import World, make_customer
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("KEHU_SCREENSHOTS", "")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_departure_is_arranged_applied_and_acknowledged(page: Any) -> None:
    world = World()
    second = make_customer("丰台西店", world.alice, world.beijing)
    log_in(page, "mia")
    page.goto(f"{page.base_url}/field/handovers/")
    page.locator("a[href$='/field/handovers/new/departure/']").click()
    page.select_option("#id_rep", str(world.alice.pk))
    page.locator(f"input[name=successors][value='{world.bob.pk}']").check()
    page.locator(f"input[name=successors][value='{world.mia.pk}']").check()
    page.locator("form.card-form button[type=submit]").click()
    expect(page.locator("#handover-items")).to_contain_text(world.alice_card.name)
    handover = Handover.objects.get()
    page.select_option(f"select[name=successor-{world.alice_card.pk}]", str(world.bob.pk))
    page.select_option(f"select[name=successor-{second.pk}]", str(world.bob.pk))
    page.locator("#save-assignments").click()
    expect(page.locator(f"select[name=successor-{second.pk}]")).to_have_value(str(world.bob.pk))
    shot(page, "handover-draft")
    page.locator("#apply").click()
    expect(page.locator("#apply")).to_have_count(0)
    assert set(Customer.objects.filter(owner=world.bob).values_list("pk", flat=True)) == {
        world.bob_card.pk, world.alice_card.pk, second.pk}

    log_in(page, "bob")
    page.goto(f"{page.base_url}/field/handovers/")
    page.locator(f"#awaiting a[href$='/field/handovers/{handover.pk}/']").click()
    shot(page, "handover-successor")
    page.locator("#acknowledge").click()
    expect(page.locator("#acknowledge")).to_have_count(0)
    handover.refresh_from_db()
    assert handover.status == HandoverState.ACKNOWLEDGED
