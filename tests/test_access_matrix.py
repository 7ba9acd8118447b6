"""Every role against every page and endpoint: what each may see, edit and reach — and what not.

Cards: alice_card (rep Alice, Beijing), bob_card (rep Bob, Beijing), carol_card (rep Carol, Tianjin).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kehu.testing import World, api_as

# Which cards each user sees (by card attribute name on the world).
SEES: dict[str, set[str]] = {
    "alice": {"alice_card"},
    "bob": {"bob_card"},
    "carol": {"carol_card"},
    "mia": {"alice_card", "bob_card"},
    "tom": {"carol_card"},
    "dora": {"alice_card", "bob_card", "carol_card"},
    "fiona": {"alice_card", "bob_card", "carol_card"},
    "cathy": {"alice_card", "bob_card", "carol_card"},
    "aud": {"alice_card", "bob_card", "carol_card"},
    "ada": {"alice_card", "bob_card", "carol_card"},
}
# Who may open the edit form of alice_card (finance: only the credit fields are enabled).
EDITS_ALICE_CARD = {"alice", "mia", "dora", "cathy", "ada", "fiona"}
READS_AUDIT = {"cathy", "aud", "ada"}
MANAGES_FIELDS = {"ada"}
USERS = list(SEES)
CARDS = ["alice_card", "bob_card", "carol_card"]


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("username", USERS)
def test_card_pages_answer_by_visibility(world: World, username: str):
    client = browser_as(getattr(world, username))
    for card_name in CARDS:
        card = getattr(world, card_name)
        expected = 200 if card_name in SEES[username] else 404
        for route in ("customers:detail", "customers:print"):
            response = client.get(reverse(route, args=[card.pk]))
            assert response.status_code == expected, (username, card_name, route)


@pytest.mark.parametrize("username", USERS)
def test_card_api_answers_by_visibility(world: World, username: str):
    client = api_as(getattr(world, username))
    for card_name in CARDS:
        card = getattr(world, card_name)
        expected = 200 if card_name in SEES[username] else 404
        assert client.get(f"/api/v1/customers/{card.pk}/").status_code == expected, (username, card_name)
        assert client.get(f"/api/v1/customers/{card.pk}/history/").status_code == expected, (username, card_name)


@pytest.mark.parametrize("username", USERS)
def test_lists_show_exactly_the_visible_cards(world: World, username: str):
    user = getattr(world, username)
    expected_ids = {getattr(world, name).pk for name in SEES[username]}
    api_ids = {row["id"] for row in api_as(user).get("/api/v1/customers/").json()["results"]}
    assert api_ids == expected_ids
    assert api_as(user).get("/api/v1/customers/").json()["count"] == len(expected_ids)
    page = browser_as(user).get(reverse("customers:list")).content.decode()
    for name in CARDS:
        card = getattr(world, name)
        assert (card.name in page) == (name in SEES[username]), (username, name)


@pytest.mark.parametrize("username", USERS)
def test_search_and_autocomplete_never_reveal_invisible_cards(world: World, username: str):
    user = getattr(world, username)
    sees_alice_card = "alice_card" in SEES[username]
    api = api_as(user).get("/api/v1/customers/", {"q": "bjhd"}).json()["results"]
    assert [row["id"] for row in api] == ([world.alice_card.pk] if sees_alice_card else [])
    page = browser_as(user).get(reverse("customers:autocomplete"), {"q": "单氏"}).content.decode()
    assert (world.alice_card.name in page) == sees_alice_card


@pytest.mark.parametrize("username", USERS)
def test_contacts_follow_the_card(world: World, username: str):
    user = getattr(world, username)
    rows = api_as(user).get("/api/v1/contacts/", {"customer": world.alice_card.pk}).json()["results"]
    assert len(rows) == (1 if "alice_card" in SEES[username] else 0)
    if rows:
        full = username in EDITS_ALICE_CARD - {"fiona"}
        assert rows[0]["mobile"] == ("13812345678" if full else "138****5678")


@pytest.mark.parametrize("username", USERS)
def test_edit_form_by_role(world: World, username: str):
    response = browser_as(getattr(world, username)).get(reverse("customers:edit", args=[world.alice_card.pk]))
    if username in EDITS_ALICE_CARD:
        assert response.status_code == 200
    else:
        assert response.status_code == (404 if "alice_card" not in SEES[username] else 403)


@pytest.mark.parametrize("username", USERS)
def test_api_writes_by_role(world: World, username: str):
    client = api_as(getattr(world, username))
    response = client.patch(
        f"/api/v1/customers/{world.alice_card.pk}/", {"version": 1, "short_name": "单氏"}, format="json"
    )
    if username in EDITS_ALICE_CARD - {"fiona"}:
        assert response.status_code == 200
    elif username == "fiona":
        assert response.status_code == 400
        assert "short_name" in response.json()
    elif "alice_card" in SEES[username]:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("username", USERS)
def test_audit_log_and_custom_fields_by_role(world: World, username: str):
    user = getattr(world, username)
    browser, api = browser_as(user), api_as(user)
    audit = 200 if username in READS_AUDIT else 403
    fields = 200 if username in MANAGES_FIELDS else 403
    assert browser.get(reverse("accounts:audit")).status_code == audit
    assert browser.get(reverse("accounts:audit-flags")).status_code == audit
    assert api.get("/api/v1/audit-events/").status_code == audit
    assert browser.get(reverse("customers:fields")).status_code == fields
    assert api.get("/api/v1/custom-fields/").status_code == 200
    created = api.post("/api/v1/custom-fields/", {
        "key": f"f_{username}", "label_zh": "字段", "label_en": "Field", "field_type": "text",
    }, format="json")
    assert created.status_code == (201 if username in MANAGES_FIELDS else 403)


@pytest.mark.parametrize("username", USERS)
def test_everyone_reaches_the_shared_pages(world: World, username: str):
    browser = browser_as(getattr(world, username))
    for route in ("web:home", "customers:list", "customers:groups", "customers:grants"):
        assert browser.get(reverse(route)).status_code == 200, route


def test_anonymous_users_reach_nothing(world: World):
    client = Client()
    for route in ("customers:list", "customers:groups", "customers:grants", "accounts:audit"):
        response = client.get(reverse(route))
        assert response.status_code == 302 and "/login" in response["Location"], route
    response = client.get(reverse("customers:detail", args=[world.alice_card.pk]))
    assert response.status_code == 302
    for path in ("/api/v1/customers/", f"/api/v1/customers/{world.alice_card.pk}/", "/api/v1/audit-events/"):
        assert api_anonymous(path) in (401, 403), path


def api_anonymous(path: str) -> int:
    from rest_framework.test import APIClient

    return APIClient().get(path).status_code


EXPORTS = {"mia", "tom", "dora", "fiona", "cathy", "ada"}


@pytest.mark.parametrize("username", USERS)
def test_exports_by_role_hold_exactly_the_visible_cards(world: World, username: str):
    user = getattr(world, username)
    response = api_as(user).get("/api/v1/customers/export/")
    if username not in EXPORTS:
        assert response.status_code == 403
        return
    body = b"".join(response.streaming_content).decode("utf-8").splitlines()[1:]
    codes = {line.split(",")[0] for line in body}
    assert codes == {getattr(world, name).code for name in SEES[username]}


MERGES = {"cathy", "ada"}


@pytest.mark.parametrize("username", USERS)
def test_merge_wizard_and_api_by_role(world: World, username: str):
    user = getattr(world, username)
    allowed = username in MERGES
    sees_both = {"alice_card", "bob_card"} <= SEES[username]
    wizard = reverse("customers:merge", args=[world.alice_card.pk, world.bob_card.pk])
    assert browser_as(user).get(wizard).status_code == (200 if allowed else 403 if sees_both else 404)
    pick = reverse("customers:merge-pick", args=[world.alice_card.pk])
    sees_alice_card = "alice_card" in SEES[username]
    assert browser_as(user).get(pick).status_code == (200 if allowed else 403 if sees_alice_card else 404)
    stale = {"merged": world.bob_card.pk, "version": 0, "merged_version": 1}  # 409 for who may: nothing merged
    response = api_as(user).post(f"/api/v1/customers/{world.alice_card.pk}/merge/", stale)
    assert response.status_code == (409 if allowed else 403 if sees_both else 404)
    world.bob_card.refresh_from_db()
    assert world.bob_card.merged_into is None


IMPORTS = {"cathy", "ada"}


@pytest.mark.parametrize("username", USERS)
def test_import_by_role(world: World, username: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kehu.accounts.scope import can_import
    from kehu.core.errors import Forbidden
    from kehu.customers.imports import import_jobs_visible_to, import_upload

    user = getattr(world, username)
    assert can_import(user) == (username in IMPORTS)
    upload = SimpleUploadedFile("c.csv", "名称\n甲\n".encode())
    if username in IMPORTS:
        job = import_upload(user, upload)
        assert list(import_jobs_visible_to(user)) == [job]
    else:
        with pytest.raises(Forbidden):
            import_upload(user, upload)
        assert not import_jobs_visible_to(user).exists()


@pytest.mark.parametrize("username", USERS)
def test_import_pages_and_api_by_role(world: World, username: str):
    from kehu.customers.imports import import_upload
    from kehu.customers.models import ImportJob

    user = getattr(world, username)
    job = import_upload(world.cathy, SimpleUploadedFile("c.csv", "名称\n甲\n".encode()))
    expected = 200 if username in IMPORTS else 403
    browser, api = browser_as(user), api_as(user)
    for route in ("customers:import-list", "customers:import-new", "customers:import-template"):
        assert browser.get(reverse(route)).status_code == expected, route
    for route in ("customers:import-detail", "customers:import-progress"):
        assert browser.get(reverse(route, args=[job.pk])).status_code == expected, route
    for path in ("/api/v1/imports/", f"/api/v1/imports/{job.pk}/", f"/api/v1/imports/{job.pk}/problems/",
                 "/api/v1/imports/template/"):
        assert api.get(path).status_code == expected, path
    assert api.post(f"/api/v1/imports/{job.pk}/cancel/").status_code == (400 if username in IMPORTS else 403)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.UPLOADED
