"""The visit-plans, routes and field-profiles API: shapes, errors, access."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kehu.field.models import FieldProfile, Visit, VisitPlan
from kehu.field.testing import make_visit, place
from kehu.field.tests.test_plans_services import MON, WEEK, profile
from kehu.testing import api_as, results

pytestmark = pytest.mark.usefixtures("_fast")


@pytest.fixture
def _fast(settings: Any) -> None:
    settings.KEHU_ROUTE_TIME_LIMIT = 0.1
    settings.KEHU_WEEK_PLAN_TIME_LIMIT = 0.2


def generate(user: Any, rep: Any) -> Any:
    return api_as(user).post("/api/v1/visit-plans/generate/", {"rep": rep.pk, "week_start": WEEK.isoformat()},
                             format="json")


def test_generate_edit_and_review_through_the_api(world: Any) -> None:
    profile(world.alice)
    place(world.alice_card, 39.91, 116.31)
    r = generate(world.alice, world.alice)
    assert r.status_code == 200, r.data
    plan = r.data
    assert plan["status"] == "draft" and plan["rep"] == world.alice.pk and plan["week_start"] == WEEK.isoformat()
    assert [(v["customer"], v["reason"], v["sequence"]) for v in plan["visits"]] == [(world.alice_card.pk, "due", 1)]
    visit = plan["visits"][0]["id"]
    alice = api_as(world.alice)
    r = alice.post(f"/api/v1/visit-plans/{plan['id']}/move/", {"visit": visit, "day": "2030-01-09",
                                                                "version": plan["version"]}, format="json")
    assert r.status_code == 200 and r.data["visits"][0]["planned_on"] == "2030-01-09"
    stale = alice.post(f"/api/v1/visit-plans/{plan['id']}/submit/", {"version": plan["version"]}, format="json")
    assert stale.status_code == 409 and stale.data["current"]["version"] == r.data["version"]
    r = alice.post(f"/api/v1/visit-plans/{plan['id']}/submit/", {"version": r.data["version"]}, format="json")
    assert r.status_code == 200 and r.data["status"] == "submitted"
    assert alice.post(f"/api/v1/visit-plans/{plan['id']}/approve/", {"version": r.data["version"]},
                      format="json").status_code == 403
    mia = api_as(world.mia)
    r = mia.post(f"/api/v1/visit-plans/{plan['id']}/return/", {"version": r.data["version"], "note": "再加两家"},
                 format="json")
    assert r.status_code == 200 and r.data["status"] == "draft" and r.data["review_note"] == "再加两家"
    r = alice.post(f"/api/v1/visit-plans/{plan['id']}/remove/", {"visit": visit, "version": r.data["version"]},
                   format="json")
    assert r.status_code == 200 and r.data["visits"] == []


def test_bad_input_answers_400_and_invisible_reps_404(world: Any) -> None:
    alice = api_as(world.alice)
    r = alice.post("/api/v1/visit-plans/generate/", {"rep": world.alice.pk, "week_start": "2030-13-01"}, format="json")
    assert r.status_code == 400 and list(r.data) == ["week_start"]
    r = alice.post("/api/v1/visit-plans/generate/", {"rep": world.alice.pk, "week_start": "2030-01-08"}, format="json")
    assert r.status_code == 400 and list(r.data) == ["week_start"]
    r = alice.post("/api/v1/visit-plans/generate/", {"rep": world.alice.pk, "week_start": "2030-01-07", "x": 1},
                   format="json")
    assert r.status_code == 400 and list(r.data) == ["x"]
    assert generate(world.alice, world.bob).status_code == 404
    assert alice.post("/api/v1/visit-plans/generate/", {"rep": 999999, "week_start": "2030-01-07"},
                      format="json").status_code == 404
    assert alice.post("/api/v1/routes/compute/", {"rep": world.bob.pk, "day": "2030-01-07"},
                      format="json").status_code == 404
    assert alice.post("/api/v1/routes/compute/", {"rep": world.alice.pk, "day": "tomorrow"},
                      format="json").status_code == 400
    assert alice.get("/api/v1/visit-plans/?week_start=nope").status_code == 400
    assert alice.get("/api/v1/visit-plans/abc/").status_code == 404


def test_who_sees_which_plans(world: Any) -> None:
    for rep in (world.alice, world.bob, world.carol):
        profile(rep)
        assert generate(rep, rep).status_code == 200
    expected = {
        "alice": {"alice"}, "bob": {"bob"}, "carol": {"carol"}, "mia": {"alice", "bob"}, "tom": {"carol"},
        "dora": {"alice", "bob", "carol"}, "fiona": {"alice", "bob", "carol"}, "aud": {"alice", "bob", "carol"},
    }
    for name, reps in expected.items():
        user = getattr(world, name)
        seen = {VisitPlan.objects.get(pk=p["id"]).rep.username for p in results(api_as(user).get("/api/v1/visit-plans/"))}
        assert seen == reps, name
    carol_plan = VisitPlan.objects.get(rep=world.carol)
    assert api_as(world.mia).get(f"/api/v1/visit-plans/{carol_plan.pk}/").status_code == 404
    # Finance and the auditor read, but change nothing.
    for user in (world.fiona, world.aud):
        r = api_as(user).post(f"/api/v1/visit-plans/{carol_plan.pk}/submit/", {"version": carol_plan.version},
                              format="json")
        assert r.status_code == 403
        assert generate(user, world.carol).status_code == 403


def test_routes_compute_and_list(world: Any) -> None:
    profile(world.alice)
    place(world.alice_card, 39.91, 116.31)
    visit = make_visit(world.alice_card, world.alice, MON)
    r = api_as(world.alice).post("/api/v1/routes/compute/", {"rep": world.alice.pk, "day": MON.isoformat()},
                                 format="json")
    assert r.status_code == 200
    assert [(s["id"], s["sequence"]) for s in r.data["stops"]] == [(visit.pk, 1)]
    assert r.data["service_seconds"] == 1200 and r.data["unserved"] == []
    assert [x["id"] for x in results(api_as(world.mia).get(f"/api/v1/routes/?rep={world.alice.pk}"))] == [r.data["id"]]
    assert results(api_as(world.tom).get("/api/v1/routes/")) == []
    assert api_as(world.bob).get(f"/api/v1/routes/{r.data['id']}/").status_code == 404
    assert api_as(world.mia).post("/api/v1/routes/compute/", {"rep": world.alice.pk, "day": MON.isoformat()},
                                  format="json").status_code == 200
    assert api_as(world.fiona).post("/api/v1/routes/compute/", {"rep": world.alice.pk, "day": MON.isoformat()},
                                    format="json").status_code == 403


def test_field_profiles(world: Any) -> None:
    r = api_as(world.alice).get(f"/api/v1/field-profiles/{world.alice.pk}/")
    assert r.status_code == 200 and r.data["work_days"] == "12345" and r.data["version"] == 1
    r = api_as(world.mia).patch(f"/api/v1/field-profiles/{world.alice.pk}/",
                                {"max_visits_per_day": 6, "base_lat": "39.9", "base_lng": "116.3", "version": 1},
                                format="json")
    assert r.status_code == 200 and r.data["max_visits_per_day"] == 6 and r.data["version"] == 2
    assert FieldProfile.objects.get(user=world.alice).base_lat == Decimal("39.900000")
    r = api_as(world.alice).patch(f"/api/v1/field-profiles/{world.alice.pk}/", {"work_days": "", "version": 2},
                                  format="json")
    assert r.status_code == 400 and list(r.data) == ["work_days"]
    r = api_as(world.alice).patch(f"/api/v1/field-profiles/{world.alice.pk}/", {"service_minutes": 30, "version": 1},
                                  format="json")
    assert r.status_code == 409 and r.data["current"]["version"] == 2
    assert api_as(world.bob).get(f"/api/v1/field-profiles/{world.alice.pk}/").status_code == 404
    assert api_as(world.tom).patch(f"/api/v1/field-profiles/{world.alice.pk}/", {"version": 2},
                                   format="json").status_code == 404
    assert api_as(world.aud).patch(f"/api/v1/field-profiles/{world.alice.pk}/", {"version": 2},
                                   format="json").status_code == 403
    assert Visit.objects.count() == 0
