"""Territory suggestions: a clear geometry gives exactly the one sensible move; accepting changes the
owner (history, audit, the old rep's planned visits), rejecting changes nothing; who may decide."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.models import Customer
from kehu.field.models import SuggestionState, TerritorySuggestion, VisitStatus
from kehu.field.services.territory import territory_suggest, territory_suggestion_accept, territory_suggestion_reject
from kehu.field.testing import BEIJING, make_visit, place
from kehu.testing import World, api_as, make_customer

pytestmark = pytest.mark.django_db
START, END = date(2026, 11, 1), date(2026, 11, 30)


def _near(point: str, d_lat: float, d_lng: float) -> tuple[float, float]:
    lat, lng = BEIJING[point]
    return lat + d_lat, lng + d_lng


@pytest.fixture
def clusters(world: World) -> Customer:
    """Alice's cards around Haidian, Bob's around Chaoyang (13 km apart), one of Alice's inside Bob's."""
    place(world.alice_card, *_near("haidian", 0, 0))
    place(world.bob_card, *_near("chaoyang", 0, 0))
    for n, offset in enumerate((0.004, -0.004)):
        place(make_customer(f"海淀{n}号店", world.alice, world.beijing), *_near("haidian", offset, offset))
        place(make_customer(f"朝阳{n}号店", world.bob, world.beijing), *_near("chaoyang", offset, -offset))
    stray = make_customer("朝阳飞地店", world.alice, world.beijing)
    return place(stray, *_near("chaoyang", 0.002, 0.003))


def test_the_card_inside_the_other_cluster_is_suggested(world: World, clusters: Customer):
    made = territory_suggest(actor=world.mia, period_start=START, period_end=END)
    assert [(s.customer_id, s.from_rep_id, s.to_rep_id) for s in made] == [(clusters.pk, world.alice.pk, world.bob.pk)]
    only = made[0]
    assert only.status == SuggestionState.PROPOSED and only.travel_change_s < -1000
    assert "km" in only.why


def test_generating_again_outdates_the_earlier_proposals(world: World, clusters: Customer):
    first = territory_suggest(actor=world.mia, period_start=START, period_end=END)[0]
    territory_suggest(actor=world.mia, period_start=START, period_end=END)
    first.refresh_from_db()
    assert first.status == SuggestionState.OUTDATED
    assert TerritorySuggestion.objects.filter(status=SuggestionState.PROPOSED).count() == 1


def test_nothing_is_suggested_for_well_separated_territories(world: World, clusters: Customer):
    place(clusters, *_near("haidian", 0.002, 0.002))
    assert territory_suggest(actor=world.mia, period_start=START, period_end=END) == []


def test_only_reviewers_generate(world: World, clusters: Customer):
    with pytest.raises(Forbidden):
        territory_suggest(actor=world.alice, period_start=START, period_end=END)
    assert territory_suggest(actor=world.tom, period_start=START, period_end=END) == []


def test_accept_moves_the_card_with_history_audit_and_visits(world: World, clusters: Customer):
    suggestion = territory_suggest(actor=world.mia, period_start=START, period_end=END)[0]
    today = timezone.localdate()
    future = make_visit(clusters, world.alice, today + timedelta(days=2))
    past = make_visit(clusters, world.alice, today - timedelta(days=20), status=VisitStatus.DONE)
    response = api_as(world.mia).post(f"/api/v1/territory-suggestions/{suggestion.pk}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    clusters.refresh_from_db()
    future.refresh_from_db()
    past.refresh_from_db()
    assert clusters.owner_id == world.bob.pk and clusters.version == 2
    assert (future.status, past.status) == (VisitStatus.CANCELLED, VisitStatus.DONE)
    assert clusters.history.first().owner_id == world.bob.pk
    event = AuditEvent.objects.get(action=AuditAction.REASSIGN)
    assert (event.actor_id, event.detail["decision"], event.detail["cancelled_visits"]) == (
        world.mia.pk, "accepted", [future.pk])
    again = api_as(world.mia).post(f"/api/v1/territory-suggestions/{suggestion.pk}/accept/")
    assert again.status_code == 409 and again.json()["current"]["status"] == "accepted"


def test_reject_leaves_the_card(world: World, clusters: Customer):
    suggestion = territory_suggest(actor=world.mia, period_start=START, period_end=END)[0]
    done = territory_suggestion_reject(actor=world.mia, suggestion_id=suggestion.pk)
    clusters.refresh_from_db()
    assert (done.status, done.decided_by, clusters.owner_id) == (SuggestionState.REJECTED, world.mia, world.alice.pk)
    assert api_as(world.mia).post(f"/api/v1/territory-suggestions/{suggestion.pk}/reject/").status_code == 409


def test_a_moved_card_outdates_the_suggestion(world: World, clusters: Customer):
    suggestion = territory_suggest(actor=world.mia, period_start=START, period_end=END)[0]
    Customer.objects.filter(pk=clusters.pk).update(owner=world.mia)
    assert api_as(world.mia).post(f"/api/v1/territory-suggestions/{suggestion.pk}/accept/").status_code == 409
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionState.OUTDATED


def test_a_manager_cannot_move_a_card_outside_their_subtree(world: World, clusters: Customer):
    to_carol = TerritorySuggestion.objects.create(customer=clusters, from_rep=world.alice, to_rep=world.carol,
                                                  period_start=START, period_end=END, why="test")
    with pytest.raises(Forbidden):
        territory_suggestion_accept(actor=world.mia, suggestion_id=to_carol.pk)
    assert api_as(world.mia).post(f"/api/v1/territory-suggestions/{to_carol.pk}/accept/").status_code == 403
    clusters.refresh_from_db()
    assert clusters.owner_id == world.alice.pk
    with pytest.raises(NotFound):  # Tom (Tianjin) does not even see Alice's card
        territory_suggestion_accept(actor=world.tom, suggestion_id=to_carol.pk)
    assert api_as(world.tom).post(f"/api/v1/territory-suggestions/{to_carol.pk}/reject/").status_code == 404
    done = territory_suggestion_accept(actor=world.dora, suggestion_id=to_carol.pk)
    assert done.customer.owner_id == world.carol.pk and done.customer.org_unit_id == world.tianjin.pk


def test_api_lists_generates_and_filters(world: World, clusters: Customer):
    made = api_as(world.mia).post("/api/v1/territory-suggestions/generate/", {"period": "2026-11"}, format="json")
    assert made.status_code == 201 and [r["customer"] for r in made.json()] == [clusters.pk]
    listed = api_as(world.mia).get("/api/v1/territory-suggestions/", {"status": "proposed", "period": "2026-11"})
    assert [r["customer"] for r in listed.json()["results"]] == [clusters.pk]
    assert api_as(world.mia).get("/api/v1/territory-suggestions/", {"period": "2026-10"}).json()["results"] == []
    assert api_as(world.tom).get("/api/v1/territory-suggestions/").json()["results"] == []
    assert api_as(world.mia).get("/api/v1/territory-suggestions/", {"status": "nope"}).status_code == 400
    bad = api_as(world.mia).post("/api/v1/territory-suggestions/generate/", {"quarter": "x"}, format="json")
    assert bad.status_code == 400


def test_the_review_page_accepts_and_rejects(world: World, clusters: Customer):
    client = api_as(world.mia)
    client.force_login(world.mia)
    assert client.post("/field/review/suggest/", {"period": "2026-11"}).status_code == 302
    suggestion = TerritorySuggestion.objects.get(status=SuggestionState.PROPOSED)
    page = client.get("/field/review/", {"period": "2026-11"}).content.decode()
    assert f'id="suggestion-{suggestion.pk}"' in page
    assert client.post(f"/field/review/suggestions/{suggestion.pk}/accept/", {"period": "2026-11"}).status_code == 302
    clusters.refresh_from_db()
    assert clusters.owner_id == world.bob.pk
    assert client.post(f"/field/review/suggestions/{suggestion.pk}/reject/", {"period": "2026-11"}).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionState.ACCEPTED
    alice = api_as(world.alice)
    alice.force_login(world.alice)
    assert alice.post(f"/field/review/suggestions/{suggestion.pk}/reject/").status_code == 403


def test_an_overloaded_rep_gives_a_border_card_to_a_light_neighbour(world: World):
    """Alice has five weekly cards around Haidian, Bob one monthly card in Chaoyang: the Alice card
    half-way towards Chaoyang (not inside Bob's cluster) goes to Bob to balance the work."""
    place(world.alice_card, *_near("haidian", 0, 0))
    Customer.objects.filter(owner=world.alice).update(tier="A")
    for n, offset in enumerate((0.003, -0.003, 0.006)):
        place(make_customer(f"海淀{n}号店", world.alice, world.beijing, tier="A"), *_near("haidian", offset, offset))
    hd, cy = BEIJING["haidian"], BEIJING["chaoyang"]
    border = place(make_customer("半路店", world.alice, world.beijing, tier="A"),
                   hd[0] + 0.55 * (cy[0] - hd[0]), hd[1] + 0.55 * (cy[1] - hd[1]))
    place(world.bob_card, *_near("chaoyang", 0, 0))
    made = territory_suggest(actor=world.mia, period_start=START, period_end=END)
    assert [(s.customer_id, s.to_rep_id) for s in made] == [(border.pk, world.bob.pk)]
    assert "visits in the period" in made[0].why
