"""`POST /api/v1/customers/{id}/merge/`, and a merged-away id or code over the API."""

from __future__ import annotations

from typing import Any

import pytest

from kehu.accounts.models import AuditEvent
from kehu.customers.models import Contact, Customer
from kehu.customers.services import customer_merge
from kehu.testing import World, api_as, make_customer, results

pytestmark = pytest.mark.django_db


def twin(w: World, **fields: Any) -> Customer:
    return make_customer("北京海淀区单氏副食店（重复）", w.bob, w.beijing, **fields)


def merge_url(card: Customer) -> str:
    return f"/api/v1/customers/{card.pk}/merge/"


def body(merged: Customer, **extra: Any) -> dict[str, Any]:
    return {"merged": merged.pk, "version": 1, "merged_version": merged.version, **extra}


def test_merge_answers_the_survivor_with_the_chosen_values(world: World) -> None:
    gone = twin(world, tier="A", industry="副食")
    Contact.objects.create(customer=gone, name="李四")
    response = api_as(world.cathy).post(merge_url(world.alice_card), body(gone, choices={"tier": "merged"}))
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["id"], data["tier"], data["industry"], data["version"]) == (world.alice_card.pk, "A", "副食", 2)
    gone.refresh_from_db()
    assert gone.merged_into_id == world.alice_card.pk
    assert world.alice_card.contacts.count() == 2
    assert AuditEvent.objects.get(actor=world.cathy).detail["merge"]["merged"] == gone.code


@pytest.mark.parametrize("name", ["alice", "mia", "dora", "fiona", "aud"])
def test_who_may_not_merge_gets_403_or_404(world: World, name: str) -> None:
    response = api_as(getattr(world, name)).post(merge_url(world.alice_card), body(world.bob_card))
    # alice cannot see bob_card: not found; the others see both cards: not allowed
    assert response.status_code == (404 if name == "alice" else 403)
    world.bob_card.refresh_from_db()
    assert world.bob_card.merged_into is None


def test_an_invisible_or_missing_card_is_a_404(world: World) -> None:
    assert api_as(world.ada).post(merge_url(world.alice_card), {**body(world.bob_card), "merged": 999999}).status_code == 404
    assert api_as(world.ada).post("/api/v1/customers/999999/merge/", body(world.bob_card)).status_code == 404


def test_a_stale_version_is_a_409_with_the_current_card(world: World) -> None:
    gone = twin(world)
    Customer.objects.filter(pk=gone.pk).update(version=5)
    response = api_as(world.cathy).post(merge_url(world.alice_card), {**body(gone), "merged_version": 4})
    assert response.status_code == 409
    assert response.json()["code"] == "version_conflict"
    assert response.json()["current"]["id"] == gone.pk and response.json()["current"]["version"] == 5


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"version": 1, "merged_version": 1}, "merged"),
        ({"merged": "x", "version": 1, "merged_version": 1}, "merged"),
        ({"merged": 2**70, "version": 1, "merged_version": 1}, "merged"),
        ({"merged": "BOB", "merged_version": 1}, "version"),
        ({"merged": "BOB", "version": 1}, "merged_version"),
        ({"merged": "BOB", "version": 1, "merged_version": 1, "choices": {"tier": "both"}}, "choices"),
        ({"merged": "BOB", "version": 1, "merged_version": 1, "choices": ["tier"]}, "choices"),
        ({"merged": "BOB", "version": 1, "merged_version": 1, "choices": {"code": "merged"}}, "choices"),
        ({"merged": "BOB", "version": 1, "merged_version": 1, "colour": "red"}, "colour"),
    ],
)
def test_bad_bodies_are_a_400_field_map(world: World, payload: dict[str, Any], field: str) -> None:
    payload = {**payload, "merged": world.bob_card.pk} if payload.get("merged") == "BOB" else payload
    response = api_as(world.cathy).post(merge_url(world.alice_card), payload)
    assert response.status_code == 400, response.json()
    assert field in response.json()
    world.bob_card.refresh_from_db()
    assert world.bob_card.merged_into is None


def test_self_merge_is_a_400(world: World) -> None:
    response = api_as(world.cathy).post(merge_url(world.alice_card), body(world.alice_card))
    assert response.status_code == 400
    assert response.json() == {"merged": ["A card cannot be merged into itself."]}


def test_a_merged_away_id_answers_the_survivor(world: World) -> None:
    gone = twin(world)
    customer_merge(world.cathy, survivor=world.alice_card, merged=gone, choices={}, survivor_version=1, merged_version=1)
    for user in (world.alice, world.cathy):  # alice cannot see the archived tombstone itself
        response = api_as(user).get(f"/api/v1/customers/{gone.pk}/")
        assert response.status_code == 200
        assert response.json()["id"] == world.alice_card.pk
    assert api_as(world.carol).get(f"/api/v1/customers/{gone.pk}/").status_code == 404


def test_the_old_code_finds_the_survivor_in_the_list(world: World) -> None:
    a, b = twin(world), make_customer("乙", world.bob, world.beijing)
    customer_merge(world.cathy, survivor=b, merged=a, choices={}, survivor_version=1, merged_version=1)
    customer_merge(world.cathy, survivor=world.alice_card, merged=b, choices={}, survivor_version=1, merged_version=2)
    client = api_as(world.alice)
    for params in ({"code": a.code}, {"code": b.code}, {"q": a.code}, {"code": world.alice_card.code}):
        assert [row["id"] for row in results(client.get("/api/v1/customers/", params))] == [world.alice_card.pk], params
    assert results(client.get("/api/v1/customers/", {"code": "NOPE"})) == []
    listed = {row["id"] for row in results(api_as(world.cathy).get("/api/v1/customers/"))}
    assert a.pk not in listed and b.pk not in listed


def test_the_history_of_the_survivor_carries_the_merge_note(world: World) -> None:
    gone = twin(world)
    customer_merge(world.cathy, survivor=world.alice_card, merged=gone, choices={}, survivor_version=1, merged_version=1)
    entries = results(api_as(world.cathy).get(f"/api/v1/customers/{world.alice_card.pk}/history/"))
    assert f"merged {gone.code} into this card" in [e["note"] for e in entries]
    followed = results(api_as(world.alice).get(f"/api/v1/customers/{gone.pk}/history/"))  # the tombstone's id
    assert [e["note"] for e in followed] == [e["note"] for e in entries]


def test_schema_documents_the_merge_action(world: World) -> None:
    schema = api_as(world.cathy).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/customers/{id}/merge/"]["post"]
    assert {"200", "409"} <= set(operation["responses"])
