"""The visit-plan pages: list, week grid with edits and review, day route, profile; who may open what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from kehu.field.models import FieldProfile, PlanState, Visit, VisitPlan
from kehu.field.services import plans as services
from kehu.field.testing import make_visit, place
from kehu.field.tests.test_plans_services import MON, TUE, WEEK, profile
from kehu.testing import PASSWORD, make_customer

pytestmark = pytest.mark.usefixtures("_fast")


@pytest.fixture
def _fast(settings: Any) -> None:
    settings.KEHU_ROUTE_TIME_LIMIT = 0.1
    settings.KEHU_WEEK_PLAN_TIME_LIMIT = 0.2


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def week_url(rep: Any) -> str:
    return f"/field/plans/{rep.pk}/{WEEK.isoformat()}/"


def test_the_rep_generates_edits_and_submits_a_week(world: Any) -> None:
    profile(world.alice)
    place(world.alice_card, 39.91, 116.31)
    alice = client_for(world.alice)
    r = alice.post(f"{week_url(world.alice)}generate/")
    assert r.status_code == 302 and r["Location"] == week_url(world.alice)
    plan = VisitPlan.objects.get(rep=world.alice, week_start=WEEK)
    visit = Visit.objects.get(plan=plan)
    page = alice.get(week_url(world.alice))
    assert page.status_code == 200 and world.alice_card.name in page.content.decode()
    r = alice.post(f"/field/plans/do/{plan.pk}/move/", {"version": plan.version, "visit": visit.pk, "day": TUE})
    visit.refresh_from_db()
    assert r.status_code == 302 and visit.planned_on == TUE
    stale = alice.post(f"/field/plans/do/{plan.pk}/submit/", {"version": plan.version}, follow=True)
    assert "Someone changed this plan" in stale.content.decode()
    plan.refresh_from_db()
    alice.post(f"/field/plans/do/{plan.pk}/submit/", {"version": plan.version})
    plan.refresh_from_db()
    assert plan.status == PlanState.SUBMITTED
    mia = client_for(world.mia)
    assert "Waiting for your review" in mia.get("/field/plans/").content.decode()
    mia.post(f"/field/plans/do/{plan.pk}/approve/", {"version": plan.version, "note": ""})
    plan.refresh_from_db()
    assert plan.status == PlanState.APPROVED


def test_add_by_code_and_remove(world: Any) -> None:
    profile(world.alice)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    Visit.objects.filter(plan=plan).delete()
    alice = client_for(world.alice)
    found = alice.get(week_url(world.alice), {"q": world.alice_card.code})
    assert world.alice_card.name in found.content.decode()
    alice.post(f"/field/plans/do/{plan.pk}/add/", {"version": plan.version, "customer": world.alice_card.code, "day": MON})
    visit = Visit.objects.get(plan=plan)
    assert visit.planned_on == MON and visit.reason == "manual"
    plan.refresh_from_db()
    r = alice.post(f"/field/plans/do/{plan.pk}/add/", {"version": plan.version, "customer": world.bob_card.code,
                                                       "day": MON}, follow=True)
    assert "exactly one of the rep" in r.content.decode()
    alice.post(f"/field/plans/do/{plan.pk}/remove/", {"version": plan.version, "visit": visit.pk})
    assert not Visit.objects.filter(plan=plan).exists()


def test_day_route_page_lists_stops_and_what_did_not_fit(world: Any) -> None:
    profile(world.alice)
    place(world.alice_card, 39.91, 116.31)
    make_visit(world.alice_card, world.alice, MON)
    make_visit(make_customer("无坐标店", world.alice, world.beijing), world.alice, MON)  # no position
    alice = client_for(world.alice)
    assert alice.post(f"/field/plans/{world.alice.pk}/day/{MON.isoformat()}/").status_code == 302
    page = alice.get(f"/field/plans/{world.alice.pk}/day/{MON.isoformat()}/").content.decode()
    assert "route-stops" in page and "The card has no position" in page


def test_profile_page(world: Any) -> None:
    alice = client_for(world.alice)
    assert alice.get("/field/profile/").status_code == 200
    data = {"work_days": ["1", "3", "5"], "day_starts_at": "09:00", "day_ends_at": "18:00", "base_label": "仓库",
            "base_lat": "39.9", "base_lng": "116.3", "service_minutes": 25, "max_visits_per_day": 7, "version": 1}
    r = alice.post("/field/profile/", data)
    assert r.status_code == 302
    p = FieldProfile.objects.get(user=world.alice)
    assert (p.work_days, p.max_visits_per_day, p.version) == ("135", 7, 2)
    r = alice.post("/field/profile/", {**data, "day_ends_at": "08:00", "version": 2})
    assert r.status_code == 400
    r = client_for(world.mia).post(f"/field/profile/{world.alice.pk}/", {**data, "version": 1}, follow=True)
    assert "Someone changed this profile" in r.content.decode()


@pytest.mark.parametrize(("name", "status"), [
    ("alice", 200), ("mia", 200), ("dora", 200), ("fiona", 200), ("aud", 200), ("bob", 404), ("carol", 404),
    ("tom", 404),
])
def test_who_may_open_alices_week(world: Any, name: str, status: int) -> None:
    profile(world.alice)
    services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    client = client_for(getattr(world, name))
    assert client.get(week_url(world.alice)).status_code == status
    assert client.get(f"/field/plans/{world.alice.pk}/day/{MON.isoformat()}/").status_code == status
    assert client.get(f"/field/profile/{world.alice.pk}/").status_code == status


def test_read_only_roles_cannot_change_plans(world: Any) -> None:
    profile(world.alice)
    plan = services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    for user in (world.fiona, world.aud):
        client = client_for(user)
        page = client.get(week_url(world.alice)).content.decode()
        assert "Submit for review" not in page and "Generate again" not in page
        assert client.post(f"/field/plans/do/{plan.pk}/submit/", {"version": plan.version}).status_code == 403
        assert client.post(f"{week_url(world.alice)}generate/").status_code == 403
        assert client.post(f"/field/profile/{world.alice.pk}/", {"version": 1}).status_code == 403
    assert client_for(world.tom).post(f"/field/plans/do/{plan.pk}/submit/", {"version": plan.version}).status_code == 404
    plan.refresh_from_db()
    assert plan.status == PlanState.DRAFT


def test_the_list_shows_only_visible_weeks(world: Any) -> None:
    for rep in (world.alice, world.carol):
        profile(rep)
        services.visit_plan_generate(actor=rep, rep=rep, week_start=WEEK)
    page = client_for(world.mia).get("/field/plans/").content.decode()
    assert str(world.alice) in page and str(world.carol) not in page
    assert str(world.carol) not in client_for(world.alice).get("/field/plans/").content.decode()
    assert client_for(world.alice).get("/field/plans/", {"week": "bad"}).status_code == 200
    assert client_for(world.alice).get(f"/field/plans/{world.alice.pk}/2030-01-08/").status_code == 404


def test_lists_do_not_query_per_plan(world: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.testing import api_as

    def counts() -> tuple[int, int]:
        mia, api = client_for(world.mia), api_as(world.mia)
        with CaptureQueriesContext(connection) as page:
            assert mia.get("/field/plans/").status_code == 200
        with CaptureQueriesContext(connection) as listing:
            assert api.get("/api/v1/visit-plans/").status_code == 200
        return len(page), len(listing)

    profile(world.alice)
    services.visit_plan_generate(actor=world.alice, rep=world.alice, week_start=WEEK)
    one = counts()
    profile(world.bob)
    for rep in (world.alice, world.bob):
        for week in (1, 2):
            services.visit_plan_generate(actor=rep, rep=rep, week_start=WEEK + timedelta(days=7 * week))
    services.visit_plan_generate(actor=world.bob, rep=world.bob, week_start=WEEK)
    assert counts() == one


def test_open_a_week_goes_to_its_monday(world: Any) -> None:
    mia = client_for(world.mia)
    r = mia.get("/field/plans/open/", {"rep": world.alice.pk, "week": "2030-01-09"})
    assert r.status_code == 302 and r["Location"] == week_url(world.alice)
    assert mia.get("/field/plans/open/", {"rep": world.carol.pk, "week": "2030-01-09"}).status_code == 404
    assert mia.get("/field/plans/open/", {"rep": "x", "week": "2030-01-09"}).status_code == 404
    assert client_for(world.alice).get("/field/plans/open/", {"week": "2030-01-10"})["Location"] == week_url(world.alice)
