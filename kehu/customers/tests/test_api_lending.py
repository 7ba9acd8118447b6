"""/api/v1/grants/: a loan (借阅) from request to approval, reading, revocation and refusal."""

from __future__ import annotations

from kehu.accounts.models import AccessGrant, AuditAction, AuditEvent, GrantStatus
from kehu.testing import *  # noqa: F403  (fixtures)
from kehu.testing import api_as

URL = "/api/v1/grants/"


def ids(user, state: str = "") -> list[int]:
    response = api_as(user).get(URL, {"state": state} if state else {})
    assert response.status_code == 200, response.json()
    return [g["id"] for g in response.json()["results"]]


def test_loan_end_to_end(world):
    card_url = f"/api/v1/customers/{world.alice_card.pk}/"
    carol = api_as(world.carol)
    assert carol.get(card_url).status_code == 404

    asked = carol.post(
        URL, {"customer_code": world.alice_card.code, "reason": "covering Alice's route", "days": 5}
    )
    assert asked.status_code == 201, asked.json()
    grant = asked.json()
    assert (grant["status"], grant["customer_code"], grant["customer_name"]) == ("pending", "T00001", "")
    assert carol.get(card_url).status_code == 404

    # The card's manager (Mia, Beijing) decides; Tom (Tianjin) neither sees nor decides it.
    assert ids(world.mia, "pending") == [grant["id"]]
    assert ids(world.tom) == []
    assert api_as(world.tom).post(f"{URL}{grant['id']}/approve/", {}).status_code == 404
    assert carol.post(f"{URL}{grant['id']}/approve/", {}).status_code == 403

    approved = api_as(world.mia).post(f"{URL}{grant['id']}/approve/", {"days": 3, "note": "ok"})
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert (body["status"], body["days"], body["decided_by"], body["is_active"]) == (
        "approved",
        3,
        world.mia.pk,
        True,
    )

    card = carol.get(card_url)
    assert (card.status_code, card.json()["masked"]) == (200, True)
    assert ids(world.carol, "active") == [grant["id"]]
    assert carol.get(f"{URL}{grant['id']}/").json()["customer_name"] == "北京海淀区单氏副食店"

    revoked = api_as(world.cathy).post(f"{URL}{grant['id']}/revoke/", {"note": "route back to Alice"})
    assert revoked.json()["status"] == "revoked"
    assert carol.get(card_url).status_code == 404
    assert ids(world.carol, "past") == [grant["id"]]
    assert ids(world.carol, "active") == []

    actions = list(
        AuditEvent.objects.filter(object_type="accessgrant").order_by("id").values_list("action", flat=True)
    )
    assert actions == [AuditAction.GRANT_REQUEST, AuditAction.GRANT_APPROVE, AuditAction.GRANT_REVOKE]


def test_refusal_and_validation(world):
    carol = api_as(world.carol)
    bad = carol.post(URL, {"customer_code": "NOPE", "reason": "x", "days": 500})
    assert bad.status_code == 400
    assert set(bad.json()) == {"customer_code", "reason", "days"}
    mine = carol.post(URL, {"customer_code": world.carol_card.code, "reason": "my own card", "days": 1})
    assert mine.json() == {"customer_code": ["You can already see this card."]}
    grant = carol.post(URL, {"customer_code": world.bob_card.code, "reason": "joint visit", "days": 2}).json()
    refused = api_as(world.mia).post(f"{URL}{grant['id']}/refuse/", {"note": "not needed"})
    assert (refused.json()["status"], refused.json()["decision_note"]) == ("refused", "not needed")
    again = api_as(world.mia).post(f"{URL}{grant['id']}/approve/", {})
    assert again.json() == {"status": ["This request was already decided."]}
    assert AccessGrant.objects.get().status == GrantStatus.REFUSED


def test_grants_of_others_are_invisible(world):
    grant = api_as(world.carol).post(
        URL, {"customer_code": world.bob_card.code, "reason": "joint visit", "days": 2}
    )
    grant_id = grant.json()["id"]
    assert api_as(world.alice).get(f"{URL}{grant_id}/").status_code == 404
    assert api_as(world.alice).post(f"{URL}{grant_id}/refuse/", {}).status_code == 404
    assert ids(world.cathy) == [grant_id]
    assert api_as(world.alice).get(URL, {"state": "soon"}).status_code == 400
