"""The weekly visit plan in Chromium: alice generates her week, moves a visit to another day and
submits; mia, her manager, finds it waiting for review and approves it."""

from __future__ import annotations

import os
import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.field.models import FieldProfile, PlanState, Visit, VisitPlan
from kehu.field.testing import BEIJING, place
from kehu.testing import World, make_customer
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("KEHU_SCREENSHOTS", "")
WEEK = date(2030, 1, 7)


def shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_week_is_generated_edited_submitted_and_approved(page: Any, settings: Any) -> None:
    settings.KEHU_ROUTE_TIME_LIMIT = 0.2
    settings.KEHU_WEEK_PLAN_TIME_LIMIT = 0.3
    world = World()
    FieldProfile.objects.create(user=world.alice, work_days="123", max_visits_per_day=2,
                                base_lat=BEIJING["tiananmen"][0], base_lng=BEIJING["tiananmen"][1])
    for name in ("haidian", "chaoyang", "fengtai", "dongcheng"):
        place(make_customer(f"{name}店", world.alice, world.beijing), *BEIJING[name])
    place(world.alice_card, *BEIJING["haidian"])

    log_in(page, "alice")
    page.goto(f"{page.base_url}/field/plans/{world.alice.pk}/{WEEK.isoformat()}/")
    page.locator("form[action$='/generate/'] button").click()
    expect(page.locator("#week-grid .stop")).to_have_count(5)
    shot(page, "plans-week")
    plan = VisitPlan.objects.get(rep=world.alice)
    visit = Visit.objects.filter(plan=plan, planned_on=WEEK).order_by("sequence").first()
    assert visit is not None
    form = page.locator(f"form[action$='/move/']:has(input[name=visit][value='{visit.pk}'])")
    form.locator("select[name=day]").select_option("2030-01-09")
    form.locator("button").click()
    expect(page.locator("section[data-day='2030-01-09'] .stop")).to_have_count(2)
    page.locator("form[action$='/submit/'] button").click()
    expect(page.locator("#plan-status")).not_to_have_text(re.compile("^$"))
    plan.refresh_from_db()
    assert plan.status == PlanState.SUBMITTED

    log_in(page, "mia")
    page.goto(f"{page.base_url}/field/plans/")
    shot(page, "plans-index")
    page.locator(f"a[href$='/field/plans/{world.alice.pk}/{WEEK.isoformat()}/']").first.click()
    page.locator("form[action$='/approve/'] button").click()
    expect(page.locator("form[action$='/approve/']")).to_have_count(0)
    plan.refresh_from_db()
    assert plan.status == PlanState.APPROVED
    page.goto(f"{page.base_url}/field/plans/{world.alice.pk}/day/2030-01-09/")
    expect(page.locator("#route-stops tbody tr")).to_have_count(2)
    shot(page, "plans-day")
