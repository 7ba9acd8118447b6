"""The map's data: same cards as the customer list, only visible cards, routes and heat through scope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.customers.models import Customer, GeoPrecision
from kehu.field.models import DayRoute, FieldProfile, VisitStatus
from kehu.field.selectors.map import heat_since, map_customers
from kehu.field.testing import BEIJING, make_visit, place
from kehu.sales.models import CustomerMonth
from kehu.testing import World, api_as, make_customer

DAY = date(2026, 11, 20)


@pytest.fixture
def placed(world: World) -> World:
    """Every card placed; alice also has a district-precision card and one without any position."""
    place(world.alice_card, *BEIJING["haidian"])
    place(world.bob_card, *BEIJING["chaoyang"])
    place(world.carol_card, 39.1256, 117.1907)
    world.alice_vague = make_customer(
        "海淀区某超市", world.alice, world.beijing, tier="B", province="北京市", city="北京市", district="海淀区",
        lat=Decimal("39.959912"), lng=Decimal("116.298056"), geo_precision=GeoPrecision.DISTRICT,
    )
    world.alice_lost = make_customer("无地址小店", world.alice, world.beijing, tier="C")
    return world


def _map_ids(user: Any, params: dict[str, Any] | None = None) -> tuple[set[int], int]:
    body = api_as(user).get("/api/v1/map/customers/", params or {}).json()
    return {row[0] for row in body["rows"]}, body["unplaced"]


def _list_ids(user: Any, params: dict[str, Any] | None = None) -> set[int]:
    return {row["id"] for row in api_as(user).get("/api/v1/customers/", params or {}).json()["results"]}


# --- The set of cards ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "mia", "tom", "dora", "fiona", "aud"])
@pytest.mark.parametrize("params", [{}, {"tier": "A"}, {"tier": ["B", "C"]}, {"q": "海淀"}, {"status": "potential"}])
def test_the_map_shows_the_same_cards_as_the_customer_list(placed: World, who: str, params: dict[str, Any]):
    user = getattr(placed, who)
    plotted, unplaced = _map_ids(user, params)
    listed = _list_ids(user, params)
    unplaced_ids = {placed.alice_lost.pk} & listed
    assert plotted | unplaced_ids == listed
    assert unplaced == len(unplaced_ids)


def test_filter_by_owner_and_org_unit_match_the_list(placed: World):
    for params in ({"owner": placed.bob.pk}, {"org_unit": placed.beijing.pk}, {"owner": placed.alice.pk}):
        plotted, unplaced = _map_ids(placed.mia, params)
        assert plotted | ({placed.alice_lost.pk} if unplaced else set()) == _list_ids(placed.mia, params)


def test_each_role_sees_exactly_its_cards(placed: World):
    assert _map_ids(placed.alice, {}) == ({placed.alice_card.pk, placed.alice_vague.pk}, 1)
    assert _map_ids(placed.bob, {}) == ({placed.bob_card.pk}, 0)
    assert _map_ids(placed.mia, {}) == ({placed.alice_card.pk, placed.alice_vague.pk, placed.bob_card.pk}, 1)
    assert _map_ids(placed.tom, {}) == ({placed.carol_card.pk}, 0)
    everyone = {placed.alice_card.pk, placed.alice_vague.pk, placed.bob_card.pk, placed.carol_card.pk}
    assert _map_ids(placed.dora, {}) == (everyone, 1)


def test_a_rep_never_gets_another_reps_card_even_when_filtering_for_it(placed: World):
    assert _map_ids(placed.bob, {"owner": placed.alice.pk})[0] == set()
    assert _map_ids(placed.bob, {"q": placed.alice_card.code})[0] == set()


def test_archived_cards_stay_off_the_map(placed: World):
    Customer.objects.filter(pk=placed.bob_card.pk).update(archived_at=timezone.now())
    assert _map_ids(placed.mia, {})[0] == {placed.alice_card.pk, placed.alice_vague.pk}


def test_a_bad_filter_answers_400_with_the_field(placed: World):
    response = api_as(placed.mia).get("/api/v1/map/customers/", {"is_key": "maybe"})
    assert response.status_code == 400
    assert "is_key" in response.json()


def test_rows_carry_the_columns_in_order_and_flag_approximate_and_overdue(placed: World):
    long_ago = timezone.make_aware(datetime.combine(date.today() - timedelta(days=40), time(10)))
    Customer.objects.filter(pk=placed.alice_vague.pk).update(last_visited_at=long_ago)  # tier B: every 14 days
    Customer.objects.filter(pk=placed.alice_card.pk).update(last_visited_at=timezone.now())
    body = api_as(placed.alice).get("/api/v1/map/customers/").json()
    assert body["columns"] == ["id", "code", "name", "tier", "status", "overdue", "lat", "lng", "precision"]
    assert (body["datum"], body["total"], body["plotted"], body["unplaced"]) == ("wgs84", 3, 2, 1)
    rows = {row[0]: row for row in body["rows"]}
    card = placed.alice_card
    assert rows[card.pk] == [card.pk, card.code, card.name, "C", card.status, 0, 39.959912, 116.298056, "exact"]
    vague = rows[placed.alice_vague.pk]
    assert (vague[3], vague[5], vague[8]) == ("B", 1, "district")


def test_a_province_only_position_is_not_drawn(placed: World):
    Customer.objects.filter(pk=placed.bob_card.pk).update(geo_precision=GeoPrecision.PROVINCE)
    assert _map_ids(placed.bob, {}) == (set(), 1)


def test_the_marker_data_takes_one_query_whatever_the_number_of_cards(placed: World, django_assert_num_queries):
    queryset = Customer.objects.visible_to(placed.dora).filter(archived_at__isnull=True)
    with django_assert_num_queries(1):
        small = map_customers(queryset=queryset)
    for n in range(40):
        make_customer(f"Extra {n}", placed.bob, placed.beijing, lat=Decimal("39.9"), lng=Decimal("116.4"),
                      geo_precision=GeoPrecision.EXACT)
    with django_assert_num_queries(1):
        large = map_customers(queryset=queryset)
    assert len(large.rows) == len(small.rows) + 40


def test_the_api_and_the_page_query_counts_do_not_grow_with_the_cards(placed: World, client):
    client.force_login(placed.mia)
    api = api_as(placed.mia)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as on_api:
            assert api.get("/api/v1/map/customers/").status_code == 200
        with CaptureQueriesContext(connection) as on_page:
            assert client.get("/field/map/").status_code == 200
        return len(on_api), len(on_page)

    before = counts()
    for n in range(30):
        make_customer(f"More {n}", placed.bob, placed.beijing, lat=Decimal("39.9"), lng=Decimal("116.4"),
                      geo_precision=GeoPrecision.EXACT, district=f"区{n}")
    assert counts() == before


# --- The page ----------------------------------------------------------------------------------


def test_the_page_counts_cards_without_position_and_links_to_them(placed: World, client):
    client.force_login(placed.mia)
    response = client.get("/field/map/", {"tier": ["A", "B", "C"]})
    assert response.status_code == 200
    assert response.context["customers"]["plotted"] == 3
    assert response.context["customers"]["unplaced"] == 1
    assert response.context["unplaced_url"] == "/field/map/unplaced/?tier=A&tier=B&tier=C"
    html = response.content.decode()
    assert "1 card without a position" in html and "3 cards on the map" in html
    unplaced = client.get(response.context["unplaced_url"])
    assert [card.pk for card in unplaced.context["rows"]] == [placed.alice_lost.pk]


def test_the_page_shows_the_list_filter_form_and_its_errors(placed: World, client):
    client.force_login(placed.mia)
    response = client.get("/field/map/", {"completeness_min": "abc", "tier": "A"})
    assert response.status_code == 200
    assert "completeness_min" in response.context["filterset"].form.errors
    names = [field.name for field in response.context["filter_fields"]]
    assert {"status", "tier", "owner", "province", "district"} <= set(names)


def test_the_unplaced_list_shows_a_rep_only_own_cards(placed: World, client):
    client.force_login(placed.bob)
    assert client.get("/field/map/unplaced/").context["rows"] == []
    client.force_login(placed.alice)
    assert [c.pk for c in client.get("/field/map/unplaced/").context["rows"]] == [placed.alice_lost.pk]


def test_the_map_needs_a_login(client, world: World):
    assert client.get("/field/map/").status_code == 302
    assert api_as_anonymous("/api/v1/map/customers/") in (401, 403)


def api_as_anonymous(path: str) -> int:
    from rest_framework.test import APIClient

    return APIClient().get(path).status_code


# --- A rep's day route ---------------------------------------------------------------------------


@pytest.fixture
def day_route(placed: World) -> World:
    FieldProfile.objects.create(user=placed.bob, base_label="Depot", base_lat=Decimal("39.908722"),
                                base_lng=Decimal("116.397499"))
    extra = make_customer("朝阳第二店", placed.bob, placed.beijing)
    place(extra, *BEIJING["dongcheng"])
    third = make_customer("朝阳无址店", placed.bob, placed.beijing)
    placed.route_visits = [
        make_visit(extra, placed.bob, DAY, sequence=2, planned_arrival=time(10, 30)),
        make_visit(placed.bob_card, placed.bob, DAY, sequence=1, planned_arrival=time(9, 15)),
        make_visit(third, placed.bob, DAY),
        make_visit(placed.bob_card, placed.bob, DAY, status=VisitStatus.CANCELLED),
        make_visit(placed.bob_card, placed.bob, DAY + timedelta(days=1), sequence=1),
    ]
    DayRoute.objects.create(rep=placed.bob, day=DAY, start_lat=Decimal("39.9"), start_lng=Decimal("116.4"),
                            travel_seconds=1800, distance_m=12000)
    return placed


def test_the_route_lists_stops_in_sequence_with_the_base(day_route: World):
    body = api_as(day_route.mia).get("/api/v1/map/route/", {"rep": day_route.bob.pk, "day": "2026-11-20"}).json()
    assert body["rep"] == {"id": day_route.bob.pk, "name": str(day_route.bob)}
    assert (body["day"], body["computed"], body["travel_seconds"], body["distance_m"]) == ("2026-11-20", True, 1800, 12000)
    assert body["base"] == {"lat": 39.9, "lng": 116.4, "label": "Depot"}
    stops = [(s["number"], s["sequence"], s["customer"]["name"], s["planned_arrival"]) for s in body["stops"]]
    assert stops == [(1, 1, "朝阳区百货批发部", "09:15"), (2, 2, "朝阳第二店", "10:30"), (3, None, "朝阳无址店", None)]
    assert body["stops"][0]["lat"] == BEIJING["chaoyang"][0]
    assert body["stops"][2]["lat"] is None and body["unplaced"] == 1


def test_without_a_computed_route_the_base_comes_from_the_profile(day_route: World):
    DayRoute.objects.all().delete()
    body = api_as(day_route.bob).get("/api/v1/map/route/", {"rep": day_route.bob.pk, "day": "2026-11-20"}).json()
    assert body["computed"] is False
    assert body["base"] == {"lat": 39.908722, "lng": 116.397499, "label": "Depot"}


@pytest.mark.parametrize("who", ["alice", "carol", "tom"])
def test_a_rep_or_manager_who_may_not_see_the_rep_gets_404(day_route: World, who: str):
    response = api_as(getattr(day_route, who)).get("/api/v1/map/route/", {"rep": day_route.bob.pk, "day": "2026-11-20"})
    assert response.status_code == 404


def test_the_route_on_the_page_is_404_for_a_rep_the_user_may_not_see(day_route: World, client):
    client.force_login(day_route.alice)
    assert client.get("/field/map/", {"route": day_route.bob.pk, "day": "2026-11-20"}).status_code == 404
    assert client.get("/field/map/", {"route": "99999999", "day": "2026-11-20"}).status_code == 404
    assert client.get("/field/map/", {"route": "abc"}).status_code == 404


def test_the_page_draws_the_route_for_the_manager(day_route: World, client):
    client.force_login(day_route.mia)
    response = client.get("/field/map/", {"route": day_route.bob.pk, "day": "2026-11-20"})
    assert response.status_code == 200
    assert [s["number"] for s in response.context["route"]["stops"]] == [1, 2, 3]
    assert day_route.bob in list(response.context["reps"])
    assert day_route.carol not in list(response.context["reps"])


def test_a_bad_day_is_400_not_500(day_route: World, client):
    client.force_login(day_route.mia)
    assert client.get("/field/map/", {"route": day_route.bob.pk, "day": "2026-13-40"}).status_code == 400
    response = api_as(day_route.mia).get("/api/v1/map/route/", {"rep": day_route.bob.pk, "day": "20261120"})
    assert response.status_code == 400 and "day" in response.json()
    assert api_as(day_route.mia).get("/api/v1/map/route/", {"rep": "x"}).status_code == 400
    assert api_as(day_route.mia).get("/api/v1/map/route/", {"rep": 2**70}).status_code == 400


def test_a_manager_sees_only_the_route_stops_at_cards_they_may_see(day_route: World):
    # A visit of bob's at carol's card (e.g. lent to bob) stays hidden from mia, who may not see that card.
    make_visit(day_route.carol_card, day_route.bob, DAY, sequence=3)
    names = [s["customer"]["name"] for s in api_as(day_route.mia).get(
        "/api/v1/map/route/", {"rep": day_route.bob.pk, "day": "2026-11-20"}).json()["stops"]]
    assert day_route.carol_card.name not in names


# --- Sales by district ----------------------------------------------------------------------------


def _month(months_ago: int) -> date:
    return heat_since(months_ago + 1)


@pytest.fixture
def sales(placed: World) -> World:
    Customer.objects.filter(pk=placed.bob_card.pk).update(province="北京市", city="北京市", district="朝阳区")
    Customer.objects.filter(pk=placed.carol_card.pk).update(province="天津市", city="天津市", district="河西区")
    rows = [
        (placed.alice_card, 0, "100.00"), (placed.alice_card, 3, "50.50"), (placed.alice_vague, 1, "49.50"),
        (placed.bob_card, 0, "400.00"), (placed.carol_card, 0, "999.00"),
        (placed.bob_card, 13, "5000.00"),  # older than twelve months
    ]
    for card, ago, amount in rows:
        CustomerMonth.objects.create(customer=card, month=_month(ago), sales=Decimal(amount))
    return placed


def _heat(user: Any, **params: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    body = api_as(user).get("/api/v1/map/heat/", params).json()
    return {(r["province"], r["city"], r["district"]): r for r in body["rows"]}


def test_heat_sums_twelve_months_by_district_at_the_cards_average_position(sales: World):
    rows = _heat(sales.mia)
    assert set(rows) == {("北京市", "北京市", "海淀区"), ("北京市", "北京市", "朝阳区")}
    haidian = rows[("北京市", "北京市", "海淀区")]
    assert (haidian["sales"], haidian["customers"], haidian["weight"]) == ("200.00", 2, 0.5)
    assert (haidian["lat"], haidian["lng"]) == BEIJING["haidian"]
    chaoyang = rows[("北京市", "北京市", "朝阳区")]
    assert (chaoyang["sales"], chaoyang["weight"]) == ("400.00", 1.0)


def test_heat_counts_only_visible_sales(sales: World):
    assert set(_heat(sales.bob)) == {("北京市", "北京市", "朝阳区")}
    assert _heat(sales.bob)[("北京市", "北京市", "朝阳区")]["sales"] == "400.00"
    assert set(_heat(sales.tom)) == {("天津市", "天津市", "河西区")}
    assert len(_heat(sales.dora)) == 3


def test_heat_honours_the_list_filters_and_the_months(sales: World):
    assert set(_heat(sales.mia, owner=sales.bob.pk)) == {("北京市", "北京市", "朝阳区")}
    assert _heat(sales.mia, months=24)[("北京市", "北京市", "朝阳区")]["sales"] == "5400.00"
    assert api_as(sales.mia).get("/api/v1/map/heat/", {"months": 0}).status_code == 400


def test_a_district_without_positioned_cards_sits_at_its_centroid(sales: World):
    Customer.objects.filter(pk=sales.carol_card.pk).update(lat=None, lng=None, geo_precision=GeoPrecision.NONE)
    row = _heat(sales.tom)[("天津市", "天津市", "河西区")]
    assert abs(row["lat"] - 39.1) < 0.1 and abs(row["lng"] - 117.2) < 0.1


# --- The meta rules ------------------------------------------------------------------------------


def test_the_map_endpoints_are_on_the_router():
    from config.api import router

    assert {"map-customer", "map-route", "map-heat"} <= {basename for _p, _v, basename in router.registry}


@pytest.mark.parametrize("tier", ["A", "B", "C", "D"])
@pytest.mark.parametrize("every", [None, 3, 45])
def test_the_overdue_flag_is_cadence_is_overdue(tier: str, every: int | None):
    from types import SimpleNamespace

    from kehu.field.cadence import is_overdue
    from kehu.field.selectors.map import _Cadence, _overdue_after

    today = date(2026, 11, 20)
    flag = _overdue_after(today)
    for hours_ago in [None, *range(0, 24 * 100, 7)]:
        last = None if hours_ago is None else timezone.make_aware(datetime(2026, 11, 20, 23, 30)) - timedelta(hours=hours_ago)
        card = SimpleNamespace(tier=tier, visit_frequency_days=every, last_visited_at=last)
        assert flag(_Cadence(tier, every, last)) is is_overdue(card, today), (tier, every, last)
