"""`/api/v1/visits/`: shapes, filters, cursor pages, ad-hoc create, check-in/out, report with card changes,
set-position, `today/`; 400 field maps, 409 with the current record, 404 for what the user cannot see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.field.models import Visit, VisitStatus
from kehu.field.testing import BEIJING, make_visit, place
from kehu.testing import World, api_as, results

pytestmark = pytest.mark.django_db
URL = "/api/v1/visits/"
TAM = BEIJING["tiananmen"]
REPORT = {"purpose": "collect", "outcome": "collected", "summary": "收回货款", "money_collected": "800.00"}


def test_list_shape_and_scope(world: World):
    visit = make_visit(world.alice_card, world.alice, sequence=1)
    make_visit(world.carol_card, world.carol)
    rows = results(api_as(world.alice).get(URL))
    assert [r["id"] for r in rows] == [visit.pk]
    assert set(rows[0]) == {
        "id", "customer", "customer_name", "rep", "planned_on", "sequence", "planned_arrival", "reason", "status",
        "checkin_at", "checkin_lat", "checkin_lng", "checkin_accuracy_m", "checkin_distance_m", "is_far",
        "checkout_at", "checkout_lat", "checkout_lng", "checkout_distance_m", "purpose", "outcome", "summary",
        "orders_taken", "money_collected", "next_steps", "next_visit_on", "reported_at", "has_check_in",
        "offer_set_position", "version", "created_at", "updated_at",
    }
    assert (rows[0]["customer"], rows[0]["rep"], rows[0]["status"], rows[0]["orders_taken"]) == (
        world.alice_card.pk, world.alice.pk, "planned", "0.00")
    assert len(results(api_as(world.mia).get(URL))) == 1  # BJ only
    assert len(results(api_as(world.dora).get(URL))) == 2


def test_filters_and_cursor_pages(world: World):
    day = timezone.localdate()
    for offset in range(3):
        make_visit(world.bob_card, world.bob, day - timedelta(days=offset), status=VisitStatus.DONE if offset else "planned")
    bob = api_as(world.bob)
    assert len(results(bob.get(URL, {"planned_on": f"{day:%Y-%m-%d}"}))) == 1
    assert len(results(bob.get(URL, {"planned_on__gte": f"{day - timedelta(days=1):%Y-%m-%d}"}))) == 2
    assert len(results(bob.get(URL, {"planned_on__lte": f"{day - timedelta(days=1):%Y-%m-%d}", "status": "done"}))) == 2
    assert len(results(bob.get(URL, {"rep": world.bob.pk, "customer": world.bob_card.pk}))) == 3
    first = bob.get(URL, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    assert len(bob.get(first["next"]).json()["results"]) == 1
    assert bob.get(URL, {"status": "nope"}).status_code == 400
    assert bob.get(URL, {"planned_on": "2026-02-30"}).status_code == 400


def test_retrieve_is_404_when_invisible(world: World):
    visit = make_visit(world.alice_card, world.alice)
    assert api_as(world.alice).get(f"{URL}{visit.pk}/").status_code == 200
    assert api_as(world.carol).get(f"{URL}{visit.pk}/").status_code == 404
    assert api_as(world.alice).get(f"{URL}999999/").status_code == 404


def test_create_ad_hoc(world: World):
    alice = api_as(world.alice)
    made = alice.post(URL, {"customer": world.alice_card.pk, "purpose": "order"})
    assert made.status_code == 201, made.json()
    assert (made.json()["status"], made.json()["reason"], made.json()["planned_on"]) == (
        "planned", "manual", f"{timezone.localdate():%Y-%m-%d}")
    assert alice.post(URL, {"customer": world.alice_card.pk}).json() == {
        "customer": ["This customer is already on your list for that day."]}
    assert alice.post(URL, {"customer": world.carol_card.pk}).status_code == 404
    assert alice.post(URL, {"customer": world.alice_card.pk, "status": "done"}).json() == {"status": ["Unknown field."]}
    assert api_as(world.aud).post(URL, {"customer": world.alice_card.pk}).status_code == 403


def test_check_in_out_and_set_position(world: World):
    visit = make_visit(world.alice_card, world.alice)
    alice = api_as(world.alice)
    url = f"{URL}{visit.pk}/"
    errors = alice.post(f"{url}check-in/", {"lat": "100", "lng": "abc", "version": 1}).json()
    assert set(errors) == {"lat", "lng"}
    body = alice.post(f"{url}check-in/", {"lat": TAM[0], "lng": TAM[1], "accuracy": 9.6, "version": 1}).json()
    assert (body["status"], body["checkin_accuracy_m"], body["checkin_distance_m"], body["offer_set_position"]) == (
        "checked_in", 10, None, True)
    conflict = alice.post(f"{url}check-in/", {"lat": TAM[0], "lng": TAM[1], "version": 1})
    assert conflict.status_code == 409
    assert conflict.json()["current"]["version"] == 2 and conflict.json()["current"]["id"] == visit.pk
    stale_card = alice.post(f"{url}set-position/", {"card_version": 0})
    assert stale_card.status_code == 409 and stale_card.json()["current"]["code"] == world.alice_card.code
    moved = alice.post(f"{url}set-position/", {"card_version": world.alice_card.version}).json()
    assert (moved["offer_set_position"], moved["checkin_distance_m"]) == (False, 0)
    out = alice.post(f"{url}check-out/", {"version": moved["version"]}).json()
    assert out["status"] == "checked_out" and out["checkout_lat"] is None


def test_only_the_reps_own_visit_may_be_checked_in(world: World):
    visit = make_visit(world.alice_card, world.alice)
    body = {"lat": TAM[0], "lng": TAM[1], "version": 1}
    assert api_as(world.bob).post(f"{URL}{visit.pk}/check-in/", body).status_code == 404
    assert api_as(world.carol).post(f"{URL}{visit.pk}/check-in/", body).status_code == 404
    for user in (world.fiona, world.aud, world.mia):
        assert api_as(user).post(f"{URL}{visit.pk}/check-in/", body).status_code == 403
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.PLANNED


def test_report_with_card_changes(world: World):
    place(world.alice_card, *TAM)
    visit = make_visit(world.alice_card, world.alice)
    alice = api_as(world.alice)
    url = f"{URL}{visit.pk}/report/"
    card = {"brands_carried": "青岛", "closes_at": "21:30"}
    assert alice.post(url, {**REPORT, "version": 1, "card": card}).json() == {
        "card_version": ["Send the card's version you read with the card's changes."]}
    assert alice.post(url, {**REPORT, "version": 1, "card_version": 1, "card": {"tier": "A"}}).json() == {
        "card": {"tier": ["This card field is not updated from a visit."]}}
    assert alice.post(url, {**REPORT, "version": 1, "card_version": 1, "card": {"phone": "abc"}}).status_code == 400
    stale = alice.post(url, {**REPORT, "version": 1, "card_version": 0, "card": card})
    assert stale.status_code == 409 and stale.json()["current"]["id"] == world.alice_card.pk
    assert alice.post(url, {**REPORT, "version": 7}).status_code == 409
    version = world.alice_card.version
    done = alice.post(url, {**REPORT, "version": 1, "card_version": version, "card": card})
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["money_collected"], done.json()["has_check_in"]) == (
        "done", "800.00", False)
    card_now = alice.get(f"/api/v1/customers/{world.alice_card.pk}/").json()
    assert (card_now["version"], card_now.get("brands_carried"), card_now.get("closes_at")) == (version + 1, "青岛", "21:30:00")
    assert alice.post(url, {**REPORT, "version": 2}).status_code == 400
    assert alice.post(url, {"version": 1}).json().keys() == {"purpose", "outcome"}
    assert alice.post(url, {**REPORT, "version": 1, "extra": 1}).json() == {"extra": ["Unknown field."]}


def test_today_lists_the_asking_reps_day(world: World):
    day = timezone.localdate()
    second = make_visit(world.alice_card, world.alice, sequence=2)
    from kehu.testing import make_customer

    other = make_customer("另一家店", world.alice, world.beijing)
    first = make_visit(other, world.alice, sequence=1)
    carried = make_visit(other, world.alice, day - timedelta(days=1), status=VisitStatus.CHECKED_IN)
    make_visit(world.bob_card, world.bob)
    make_visit(other, world.alice, day + timedelta(days=1))
    rows = api_as(world.alice).get(f"{URL}today/").json()
    assert [r["id"] for r in rows] == [carried.pk, first.pk, second.pk]
    assert api_as(world.mia).get(f"{URL}today/").json() == []
