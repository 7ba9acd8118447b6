"""/api/v1/ auth, users, org units and the audit log."""

from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework.authtoken.models import Token

from kehu.accounts.models import AuditAction, AuditEvent, OrgUnit, User
from kehu.testing import *  # noqa: F403  (fixtures)
from kehu.testing import PASSWORD, api_as, make_customer, results

# --- token login and logout ---------------------------------------------------------------------


def test_token_login_works_and_is_audited(world, api):
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=world.alice).key == token
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=world.alice).count() == 1
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/customers/").json()["count"] == 1


def test_wrong_password_is_a_400_and_audited(world, api):
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "nope"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Wrong username or password, or the account is disabled."]
    }
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (failed.username, failed.actor) == ("alice", None)
    assert api.post("/api/v1/auth/token/", {"username": "alice"}, format="json").status_code == 400


def test_disabled_user_gets_no_token(world, api):
    User.objects.filter(pk=world.bob.pk).update(is_active=False)
    response = api.post("/api/v1/auth/token/", {"username": "bob", "password": PASSWORD}, format="json")
    assert response.status_code == 400


def test_logout_deletes_the_token(world):
    client = api_as(world.alice)
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert Token.objects.filter(user=world.alice).count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=world.alice).count() == 1
    assert client.get("/api/v1/customers/").status_code == 401


# --- users and org units ----------------------------------------------------------------------


def test_users_are_listed_per_scope(world):
    def usernames(user):
        return sorted(u["username"] for u in results(api_as(user).get("/api/v1/users/", {"page_size": 100})))

    assert usernames(world.alice) == ["alice"]
    assert usernames(world.mia) == ["alice", "bob", "mia"]
    assert len(usernames(world.dora)) == 10
    assert api_as(world.alice).get(f"/api/v1/users/{world.bob.pk}/").status_code == 404
    user = api_as(world.mia).get(f"/api/v1/users/{world.bob.pk}/").json()
    assert user == {
        "id": world.bob.pk,
        "username": "bob",
        "display_name": "Bob 鲍勃",
        "role": "rep",
        "org_unit": world.beijing.pk,
        "is_active": True,
    }


def test_admin_creates_and_changes_users(world):
    client = api_as(world.ada)
    body = {
        "username": "dan",
        "display_name": "Dan 丹",
        "role": "rep",
        "org_unit": world.tianjin.pk,
        "password": "a-long-enough-pass-77",
    }
    created = client.post("/api/v1/users/", body)
    assert created.status_code == 201, created.json()
    assert "password" not in created.json()
    dan = User.objects.get(username="dan")
    assert dan.check_password("a-long-enough-pass-77")
    changed = client.patch(f"/api/v1/users/{dan.pk}/", {"role": "manager", "is_active": False})
    assert (changed.json()["role"], changed.json()["is_active"]) == ("manager", False)
    assert client.post("/api/v1/users/", {**body, "username": "eve", "password": "123"}).status_code == 400
    assert client.post("/api/v1/users/", {**body, "role": "king"}).json()["role"] == [
        '"king" is not a valid choice.'
    ]
    assert client.patch(f"/api/v1/users/{world.ada.pk}/", {"role": "rep"}).status_code == 400
    assert AuditEvent.objects.filter(action=AuditAction.SETTINGS, object_type="user").count() == 2


def test_only_admins_write_users_and_units(world):
    for user in (world.mia, world.cathy, world.dora):
        client = api_as(user)
        assert (
            client.post("/api/v1/users/", {"username": "x", "password": "a-long-enough-pass-77"}).status_code
            == 403
        )
        assert client.post("/api/v1/org-units/", {"code": "X", "name": "X"}).status_code == 403


def test_org_units_read_by_all_and_moved_with_their_subtree(world):
    units = results(api_as(world.alice).get("/api/v1/org-units/"))
    assert [(u["code"], u["parent"]) for u in units] == [
        ("HQ", None),
        ("N", world.hq.pk),
        ("BJ", world.north.pk),
        ("TJ", world.north.pk),
    ]
    client = api_as(world.ada)
    east = client.post("/api/v1/org-units/", {"code": "E", "name": "华东大区", "parent": world.hq.pk})
    assert east.status_code == 201, east.json()
    moved = client.patch(f"/api/v1/org-units/{world.north.pk}/", {"parent": east.json()["id"]})
    assert moved.status_code == 200
    world.beijing.refresh_from_db()
    assert world.beijing.path == f"/{world.hq.pk}/{east.json()['id']}/{world.north.pk}/{world.beijing.pk}/"
    loop = client.patch(f"/api/v1/org-units/{world.north.pk}/", {"parent": world.beijing.pk})
    assert loop.json() == {"parent": ["A unit cannot move under itself or its own sub-units."]}
    assert client.post("/api/v1/org-units/", {"code": "BJ", "name": "dup"}).status_code == 400
    # Mia still manages Beijing after the move: the subtree moved as a whole.
    assert api_as(world.mia).get("/api/v1/customers/").json()["count"] == 2
    assert OrgUnit.objects.count() == 5


# --- audit log ---------------------------------------------------------------------------------


def test_audit_log_is_for_auditors_custodians_and_admins(world):
    for user in (world.alice, world.mia, world.dora, world.fiona):
        assert api_as(user).get("/api/v1/audit-events/").status_code == 403
        assert api_as(user).get("/api/v1/audit-events/flags/").status_code == 403
    for user in (world.aud, world.cathy, world.ada):
        assert api_as(user).get("/api/v1/audit-events/").status_code == 200
    assert api_as(world.aud).post("/api/v1/audit-events/", {}).status_code == 405


def test_audit_log_filters(world):
    api_as(world.alice).get(f"/api/v1/customers/{world.alice_card.pk}/")
    api_as(world.mia).get(f"/api/v1/customers/{world.bob_card.pk}/")
    AuditEvent.objects.create(
        actor=world.bob,
        username="bob",
        action=AuditAction.VIEW,
        object_type="customer",
        object_id=world.bob_card.pk,
        object_repr="old view",
    )
    client = api_as(world.aud)

    def found(**params):
        return [
            (e["username"], e["action"], e["object_id"])
            for e in results(client.get("/api/v1/audit-events/", params))
        ]

    assert found(actor=world.alice.pk) == [("alice", "view", world.alice_card.pk)]
    assert found(action="view", object_id=world.bob_card.pk) == [
        ("bob", "view", world.bob_card.pk),
        ("mia", "view", world.bob_card.pk),
    ]
    assert found(q="old vi") == [("bob", "view", world.bob_card.pk)]
    today = timezone.localdate()
    assert len(found(since=today.isoformat(), until=today.isoformat())) == 3
    assert found(until=(today - datetime.timedelta(days=1)).isoformat()) == []
    assert found(object_type="customer", actor=world.mia.pk) == [("mia", "view", world.bob_card.pk)]
    for params in ({"since": "yesterday"}, {"action": "dance"}, {"actor": "x"}, {"object_id": "1e99"}):
        response = client.get("/api/v1/audit-events/", params)
        assert response.status_code == 400
        assert list(response.json()) == list(params)


def test_bulk_viewing_is_flagged_once(world, settings):
    settings.KEHU_BULK_VIEW_THRESHOLD = 2
    cards = [world.alice_card, world.bob_card, world.carol_card]
    cards += [make_customer(f"店{i}", world.carol, world.tianjin) for i in range(2)]
    client = api_as(world.dora)
    for card in cards:
        assert client.get(f"/api/v1/customers/{card.pk}/").status_code == 200
    flags = results(api_as(world.cathy).get("/api/v1/audit-events/flags/"))
    assert [(f["username"], f["action"], f["detail"]) for f in flags] == [
        ("dora", "bulk_view_flag", {"distinct_cards_last_hour": 3, "threshold": 2})
    ]
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, actor=world.dora).count() == 5
    assert results(api_as(world.cathy).get("/api/v1/audit-events/", {"action": "bulk_view_flag"})) == flags


def test_password_guessing_through_the_token_endpoint_is_throttled(world):
    from rest_framework.test import APIClient

    client = APIClient()
    guesses = [{"username": "alice", "password": f"guess{i}"} for i in range(21)]
    answers = [client.post("/api/v1/auth/token/", body, format="json").status_code for body in guesses]
    assert answers == [400] * 20 + [429]


def test_the_api_docs_load_their_assets_from_this_server(world):
    from django.test import Client

    client = Client()
    client.force_login(world.alice)
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "jsdelivr" not in page.lower()


def test_the_last_possible_day_as_until_means_no_limit(world):
    from kehu.testing import api_as

    response = api_as(world.aud).get("/api/v1/audit-events/", {"until": "9999-12-31"})
    assert response.status_code == 200
