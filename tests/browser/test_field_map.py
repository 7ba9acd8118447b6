"""The map in Chromium: a manager sees the team's cards clustered, switches the colour mode (the legend
follows), draws a rep's day route with numbered stops; on AMap tiles the browser shifts positions to
GCJ-02 with the same numbers as kehu.field.geo. No tiles load here (no network): the page works without."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer, GeoPrecision
from kehu.field.geo import gcj02_to_wgs84, wgs84_to_gcj02
from kehu.field.models import FieldProfile
from kehu.field.selectors.map import heat_since
from kehu.field.testing import BEIJING, make_visit, place
from kehu.sales.models import CustomerMonth
from kehu.testing import World, make_customer
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DAY = date(2026, 11, 20)
SHOTS = os.environ.get("KEHU_SCREENSHOTS", "")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    # No internet here: tile requests are refused at once instead of timing out.
    context.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"), lambda route: route.abort())
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.base_url = live_server.url
    yield tab
    context.close()


@pytest.fixture
def team(world: World) -> World:
    place(world.alice_card, *BEIJING["haidian"])
    place(world.bob_card, *BEIJING["chaoyang"])
    place(world.carol_card, 39.1256, 117.1907)  # tom's team: not on mia's map
    for n in range(24):
        make_customer(f"朝阳店{n}", world.bob, world.beijing, tier="ABCD"[n % 4],
                      lat=Decimal(f"{39.92 + n * 0.0005:.6f}"), lng=Decimal(f"{116.44 + n * 0.0005:.6f}"),
                      geo_precision=GeoPrecision.EXACT if n % 3 else GeoPrecision.DISTRICT)
    make_customer("无地址店", world.bob, world.beijing)
    return world


def test_the_manager_sees_the_teams_cards_clustered_and_switches_the_colour_mode(page: Any, team: World):
    log_in(page, "mia")
    page.goto(f"{page.base_url}/field/map/")
    expect(page.locator("#field-map")).to_have_attribute("data-markers", "26")
    expect(page.locator("#map-counts")).to_contain_text("26 cards on the map")
    expect(page.locator("#map-unplaced-link")).to_contain_text("1 card without a position")
    expect(page.locator(".marker-cluster").first).to_be_visible()
    shot(page, "field-map-clusters")

    legend = page.locator("#map-legend")
    expect(legend).to_have_attribute("data-mode", "tier")
    expect(legend.locator(".km-legend-item")).to_have_count(5)  # A B C D + approximate
    page.check("input[name=km-colour][value=status]")
    expect(legend).to_have_attribute("data-mode", "status")
    expect(legend).to_contain_text("Active")
    expect(legend.locator(".km-legend-item")).to_have_count(6)
    expect(page.locator("#map-wrap")).to_have_class(re.compile(r"\bkm-mode-status\b"))
    page.check("input[name=km-colour][value=overdue]")
    expect(legend).to_contain_text("Visit overdue")

    # Zoomed in, the clusters open into single coloured dots.
    page.evaluate("kehuFieldMap.km.map.setView(kehuFieldMap.km.point(39.959912, 116.298056), 18)")
    expect(page.locator(".km-dot.t-C").first).to_be_visible()
    shot(page, "field-map-dots")

    page.locator(".km-dot.t-C").first.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Tier C")

    page.click("#map-unplaced-link")
    expect(page.locator("#unplaced-cards")).to_contain_text("无地址店")


def test_sales_by_district_shows_as_a_heat_layer(page: Any, team: World):
    Customer.objects.filter(pk=team.bob_card.pk).update(province="北京市", city="北京市", district="朝阳区")
    CustomerMonth.objects.create(customer=team.bob_card, month=heat_since(1), sales=Decimal("1234.00"))
    log_in(page, "mia")
    page.goto(f"{page.base_url}/field/map/")
    toggle = page.locator("#map-heat-toggle")
    expect(toggle).to_be_enabled()
    toggle.check()
    expect(page.locator("#field-map")).to_have_attribute("data-heat", "on")
    expect(page.locator("canvas.leaflet-heatmap-layer")).to_have_count(1)
    toggle.uncheck()
    expect(page.locator("canvas.leaflet-heatmap-layer")).to_have_count(0)


def test_a_days_route_draws_the_base_and_numbered_stops_in_order(page: Any, team: World):
    FieldProfile.objects.create(user=team.bob, base_label="Depot", base_lat=Decimal("39.908722"),
                                base_lng=Decimal("116.397499"))
    second = make_customer("东城店", team.bob, team.beijing)
    place(second, *BEIJING["dongcheng"])
    make_visit(second, team.bob, DAY, sequence=2, planned_arrival=time(11, 0))
    make_visit(team.bob_card, team.bob, DAY, sequence=1, planned_arrival=time(9, 30))
    log_in(page, "mia")
    page.goto(f"{page.base_url}/field/map/")
    page.select_option("#map-route-rep", str(team.bob.pk))
    page.fill("#map-route-day", DAY.isoformat())
    page.click("#map-route-form button[type=submit]")
    expect(page.locator("#map-route")).to_have_attribute("data-stops", "2")
    stops = page.locator(".km-stop")
    expect(stops).to_have_count(2)
    expect(stops.nth(0)).to_have_text("1")
    expect(page.locator(".km-stop[data-number='2']")).to_be_visible()
    expect(page.locator(".km-base")).to_have_count(1)
    expect(page.locator("path.km-route-line")).to_have_count(1)
    expect(page.locator(".km-stops li").first).to_contain_text(team.bob_card.name)
    shot(page, "field-map-route")


def test_a_rep_cannot_draw_another_reps_route(page: Any, team: World):
    log_in(page, "alice")
    response = page.goto(f"{page.base_url}/field/map/?route={team.bob.pk}&day={DAY.isoformat()}")
    assert response is not None and response.status == 404


def test_on_amap_tiles_the_browser_shifts_positions_like_the_server(page: Any, team: World, settings: Any):
    settings.KEHU_MAP_TILES, settings.KEHU_MAP_TILE_URL = "amap", ""
    log_in(page, "mia")
    page.goto(f"{page.base_url}/field/map/")
    expect(page.locator("#field-map")).to_have_attribute("data-datum", "gcj02")
    shifted = page.evaluate("(() => { const p = kehuFieldMap.km.point(39.908722, 116.397499); return [p.lat, p.lng]; })()")
    expected = wgs84_to_gcj02(39.908722, 116.397499)
    assert abs(shifted[0] - expected[0]) < 1e-9 and abs(shifted[1] - expected[1]) < 1e-9
    back = page.evaluate(f"KehuMap.gcj02ToWgs84({expected[0]}, {expected[1]})")
    assert abs(back[0] - 39.908722) < 1e-8 and abs(back[1] - 116.397499) < 1e-8
    assert gcj02_to_wgs84(*expected) == pytest.approx((39.908722, 116.397499), abs=1e-8)
