"""The route review on a small hand-made month: exact counts, distances, the share travelling; query
count that does not grow with the visits; who may see which reps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.field.models import DayRoute, FieldProfile, VisitStatus
from kehu.field.routing.matrix import haversine_m
from kehu.field.selectors.review import period_parse, route_review
from kehu.field.testing import BEIJING, make_visit, place
from kehu.testing import World, api_as, make_customer

pytestmark = pytest.mark.django_db
OCTOBER = period_parse(period="2026-10")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    # Shanghai is UTC+8.
    return datetime(2026, 10, day, hour - 8, minute, tzinfo=UTC)


def _card(world: World, name: str, point: str, tier: str = "C") -> Customer:
    card = make_customer(name, world.alice, world.beijing, tier=tier)
    return place(card, *BEIJING[point])


@pytest.fixture
def month(world: World) -> dict[str, Customer]:
    """Alice's October: two field days (one with a day route), a planned and a cancelled visit."""
    base = BEIJING["tiananmen"]
    FieldProfile.objects.create(user=world.alice, base_lat=Decimal(f"{base[0]:.6f}"),
                                base_lng=Decimal(f"{base[1]:.6f}"), service_minutes=20)
    Customer.objects.filter(pk=world.alice_card.pk).update(tier="C")
    cards = {
        "a": place(world.alice_card, *BEIJING["haidian"]),
        "b": _card(world, "朝阳二店", "chaoyang"),
        "c": _card(world, "丰台三店", "fengtai", tier="A"),
        "never": _card(world, "从未拜访店", "dongcheng", tier="A"),
        "d_ok": _card(world, "季度店", "dongcheng", tier="D"),
        "c_late": _card(world, "月度店", "dongcheng"),
    }
    Customer.objects.filter(owner=world.alice).update(created_at=datetime(2026, 1, 5, tzinfo=UTC))
    hd = BEIJING["haidian"]
    make_visit(cards["a"], world.alice, date(2026, 10, 5), status=VisitStatus.DONE, checkin_at=at(5, 9),
               checkout_at=at(5, 9, 30), checkin_lat=Decimal(f"{hd[0]:.6f}"), checkin_lng=Decimal(f"{hd[1]:.6f}"))
    make_visit(cards["b"], world.alice, date(2026, 10, 5), status=VisitStatus.DONE, checkin_at=at(5, 10))
    make_visit(cards["c"], world.alice, date(2026, 10, 6), status=VisitStatus.DONE, checkin_at=at(6, 9),
               checkout_at=at(6, 9, 40))
    make_visit(cards["a"], world.alice, date(2026, 10, 6))  # planned, never done
    make_visit(cards["b"], world.alice, date(2026, 10, 7), status=VisitStatus.CANCELLED)
    make_visit(cards["c"], world.alice, date(2026, 10, 8))  # planned, never done
    make_visit(cards["d_ok"], world.alice, date(2026, 9, 1), status=VisitStatus.DONE)  # due 2026-11-30
    make_visit(cards["c_late"], world.alice, date(2026, 9, 10), status=VisitStatus.DONE)  # due 2026-10-10
    DayRoute.objects.create(rep=world.alice, day=date(2026, 10, 6), distance_m=12000, travel_seconds=1440)
    make_visit(world.bob_card, world.bob, date(2026, 10, 5), status=VisitStatus.DONE, checkin_at=at(5, 11))
    return cards


def _alice(world: World) -> object:
    rows = route_review(user=world.mia, period=OCTOBER, today=date(2026, 11, 27))
    return next(r for r in rows if r.rep == world.alice)


def test_it_counts_a_hand_made_month(world: World, month: dict[str, Customer]):
    row = _alice(world)
    estimate = round(1.3 * (haversine_m(BEIJING["tiananmen"], BEIJING["haidian"])
                            + haversine_m(BEIJING["haidian"], BEIJING["chaoyang"])
                            + haversine_m(BEIJING["chaoyang"], BEIJING["tiananmen"])))
    estimate_s = round(estimate / (30 * 1000 / 3600))
    assert (row.working_days, row.field_days, row.planned, row.done, row.missed, row.customers) == (22, 2, 5, 3, 2, 3)
    assert 20_000 < estimate < 40_000
    assert row.distance_m == estimate + 12000
    assert row.travel_s == estimate_s + 1440
    assert row.service_s == 1800 + 1200 + 2400
    assert row.km_per_day == round((estimate + 12000) / 1000 / 2, 1)
    assert row.customers_per_day == 1.5
    assert row.travel_share == round((estimate_s + 1440) / (estimate_s + 1440 + 5400), 3)
    days = {d.day.day: d for d in row.days}
    assert sorted(days) == [5, 6, 8]
    assert (days[5].source, days[6].source, days[8].source) == ("estimate", "route", "")
    assert (days[6].planned, days[6].done, days[6].distance_m) == (2, 1, 12000)


def test_the_current_month_counts_working_days_up_to_today(world: World):
    november = period_parse(period="2026-11")
    row = next(r for r in route_review(user=world.mia, period=november, today=date(2026, 11, 4)) if r.rep == world.alice)
    assert row.working_days == 3  # Mon 2, Tue 3, Wed 4


def test_query_count_does_not_grow_with_visits(world: World, month: dict[str, Customer]):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            route_review(user=world.mia, period=OCTOBER, today=date(2026, 11, 27))
        return len(ctx.captured_queries)

    before = queries()
    for day in range(12, 31):
        make_visit(month["b"], world.alice, date(2026, 10, day), status=VisitStatus.DONE, checkin_at=at(day, 9))
        make_visit(world.bob_card, world.bob, date(2026, 10, day), status=VisitStatus.DONE, checkin_at=at(day, 9))
    assert queries() == before


def test_periods_parse_months_and_quarters():
    q = period_parse(quarter="2026q4")
    assert (q.start, q.end, q.label, q.previous().label, q.next().label) == (
        date(2026, 10, 1), date(2026, 12, 31), "2026Q4", "2026Q3", "2027Q1")
    assert period_parse(period="2026-02").end == date(2026, 2, 28)
    for bad in ({"period": "2026-13"}, {"period": "26-1"}, {"quarter": "2026Q5"}):
        with pytest.raises(Exception) as info:
            period_parse(**bad)
        assert list(info.value.message_dict) == list(bad)  # type: ignore[attr-defined]


def test_manager_sees_their_subtree_reps_only(world: World, month: dict[str, Customer]):
    rows = api_as(world.mia).get("/api/v1/route-reviews/", {"period": "2026-10"}).json()
    assert rows["period"] == "2026-10"
    assert {r["rep"] for r in rows["results"]} == {world.alice.pk, world.bob.pk}
    alice = next(r for r in rows["results"] if r["rep"] == world.alice.pk)
    assert (alice["planned"], alice["done"], alice["missed"]) == (5, 3, 2)
    everyone = api_as(world.dora).get("/api/v1/route-reviews/", {"period": "2026-10"}).json()["results"]
    assert {r["rep"] for r in everyone} == {world.alice.pk, world.bob.pk, world.carol.pk}
    tom = api_as(world.tom).get("/api/v1/route-reviews/", {"period": "2026-10", "rep": world.alice.pk}).json()
    assert tom["results"] == []


def test_reps_and_other_roles_may_not_review(world: World):
    for user in (world.alice, world.fiona, world.cathy, world.aud):
        assert api_as(user).get("/api/v1/route-reviews/").status_code == 403
        assert api_as(user).get("/api/v1/territory-suggestions/").status_code == 403
    client = api_as(world.alice)
    client.force_login(world.alice)
    assert client.get("/field/review/").status_code == 403
    assert client.get(f"/field/review/rep/{world.alice.pk}/").status_code == 403


def test_bad_periods_answer_400(world: World):
    response = api_as(world.mia).get("/api/v1/route-reviews/", {"quarter": "2026Q9"})
    assert response.status_code == 400 and "quarter" in response.json()
    assert api_as(world.mia).get("/api/v1/route-reviews/", {"rep": "x"}).status_code == 400


def test_review_pages_render_for_a_manager(world: World, month: dict[str, Customer]):
    client = api_as(world.mia)
    client.force_login(world.mia)
    page = client.get("/field/review/", {"period": "2026-10"})
    assert page.status_code == 200
    text = page.content.decode()
    assert world.alice.display_name in text and world.carol.display_name not in text
    assert "review-map-data" in text
    days = client.get(f"/field/review/rep/{world.alice.pk}/", {"period": "2026-10"})
    assert days.status_code == 200 and "2026-10-05" in days.content.decode()
    assert client.get(f"/field/review/rep/{world.carol.pk}/", {"period": "2026-10"}).status_code == 404
    csv = client.get("/field/review/export.csv", {"period": "2026-10"})
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert csv.status_code == 200 and len(lines) == 3
    assert client.get("/field/review/", {"period": "2026-99"}).status_code == 400


def test_today_is_the_default_period(world: World):
    assert period_parse(today=timezone.localdate()).label == f"{timezone.localdate():%Y-%m}"
