"""/api/v1/customers/: who sees what, validation, versions, archive/restore/purge, history, lists."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.models import Customer, CustomField
from kehu.customers.services import grant_decide, grant_request
from kehu.testing import *  # noqa: F403  (fixtures)
from kehu.testing import api_as, make_customer

URL = "/api/v1/customers/"


def detail(card: Customer) -> str:
    return f"{URL}{card.pk}/"


def names(response) -> list[str]:
    return sorted(row["name"] for row in response.json()["results"])


# --- visibility --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", ["北京海淀区单氏副食店"]),
        ("bob", ["朝阳区百货批发部"]),
        ("carol", ["天津河西区便利店"]),
        ("mia", ["北京海淀区单氏副食店", "朝阳区百货批发部"]),
        ("tom", ["天津河西区便利店"]),
        ("dora", ["北京海淀区单氏副食店", "天津河西区便利店", "朝阳区百货批发部"]),
        ("fiona", ["北京海淀区单氏副食店", "天津河西区便利店", "朝阳区百货批发部"]),
        ("aud", ["北京海淀区单氏副食店", "天津河西区便利店", "朝阳区百货批发部"]),
    ],
)
def test_list_shows_each_role_its_cards(world, who, expected):
    response = api_as(world.everyone[who]).get(URL)
    assert response.status_code == 200
    assert names(response) == expected
    assert response.json()["count"] == len(expected)
    assert set(response.json()) == {"count", "count_capped", "next", "previous", "results"}


def test_anonymous_gets_401(world, api):
    assert api.get(URL).status_code == 401


def test_owner_reads_card_with_contract_fields(world):
    response = api_as(world.alice).get(detail(world.alice_card))
    assert response.status_code == 200
    card = response.json()
    contract = (
        "id code name short_name status tier is_key channel_level upstream owner org_unit province city "
        "district adcode address lat lng geo_precision phone credit_code credit_rating credit_limit "
        "payment_terms_days custom completeness version created_at updated_at"
    ).split()
    assert set(contract) <= set(card)
    assert card["owner"] == world.alice.pk
    assert card["org_unit"] == world.beijing.pk
    assert card["credit_code"] == "91110108MA01C8XK22"
    assert card["masked"] is False
    assert card["can_edit"] is True
    assert card["tags"] == []


def test_another_rep_gets_404_like_a_missing_card(world):
    client = api_as(world.carol)
    assert client.get(detail(world.alice_card)).status_code == 404
    assert client.get(f"{URL}999999/").status_code == 404
    assert client.get(f"{URL}abc/").status_code == 404
    assert client.get(f"{URL}99999999999999999999999999/").status_code == 404


def test_manager_sees_subtree_but_not_other_area(world):
    client = api_as(world.mia)
    assert client.get(detail(world.bob_card)).status_code == 200
    assert client.get(detail(world.carol_card)).status_code == 404


def test_card_view_is_audited(world):
    api_as(world.alice).get(detail(world.alice_card))
    event = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (event.actor, event.object_type, event.object_id) == (world.alice, "customer", world.alice_card.pk)


def test_finance_and_auditor_read_masked(world):
    for user in (world.fiona, world.aud):
        card = api_as(user).get(detail(world.alice_card)).json()
        assert card["credit_code"] == "911****XK22"
        assert card["masked"] is True
        assert card["can_edit"] is False


def test_lent_card_is_readable_and_masked(world):
    code = world.alice_card.code
    grant = grant_request(actor=world.carol, customer_code=code, reason="cover visit", days=3)
    grant_decide(actor=world.mia, grant_id=grant.pk, approve=True)
    card = api_as(world.carol).get(detail(world.alice_card)).json()
    assert card["masked"] is True
    assert card["credit_code"] == "911****XK22"
    assert names(api_as(world.carol).get(URL)) == ["北京海淀区单氏副食店", "天津河西区便利店"]


# --- writes ------------------------------------------------------------------------------------


def test_rep_creates_card_owned_by_themselves(world):
    body = {"name": "海淀区永辉副食店", "phone": "010-62345679", "tier": "B", "tags": ["夜市"]}
    response = api_as(world.alice).post(URL, body)
    assert response.status_code == 201, response.json()
    card = response.json()
    assert (card["owner"], card["org_unit"], card["tier"], card["version"]) == (
        world.alice.pk, world.beijing.pk, "B", 1)
    assert card["code"].startswith("KH")
    assert card["tags"] == ["夜市"]
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=card["id"]).count() == 1


def test_unknown_field_is_a_400(world):
    response = api_as(world.alice).post(URL, {"name": "x", "colour": "red"})
    assert response.status_code == 400
    assert response.json() == {"colour": ["Unknown field."]}


def test_read_only_fields_sent_back_are_ignored(world):
    client = api_as(world.alice)
    card = client.get(detail(world.alice_card)).json()
    card["short_name"] = "单氏"
    response = client.put(detail(world.alice_card), card)
    assert response.status_code == 200, response.json()
    assert (response.json()["short_name"], response.json()["version"]) == ("单氏", 2)


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"credit_code": "91110108MA01C8XK23"}, "credit_code", "check character"),
        ({"phone": "12345"}, "phone", "Enter a mobile"),
        ({"lat": "91.5"}, "lat", "Latitude must be between -90 and 90."),
        ({"credit_limit": "-1.00"}, "credit_limit", "Must be zero or more."),
        ({"status": "sleeping"}, "status", "is not a valid choice"),
        ({"upstream": 999999}, "upstream", "No such customer."),
    ],
)
def test_validation_answers_field_messages(world, body, field, fragment):
    response = api_as(world.alice).patch(detail(world.alice_card), {**body, "version": 1})
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert fragment in errors[field][0]


def test_required_custom_field_error_is_nested(world):
    CustomField.objects.create(key="freezers", label_zh="冰柜数", label_en="Freezers", field_type="number",
                               is_required=True)
    response = api_as(world.alice).post(URL, {"name": "新店"})
    assert response.status_code == 400
    assert response.json() == {"custom": {"freezers": ["Freezers is required."]}}
    response = api_as(world.alice).post(URL, {"name": "新店", "custom": {"freezers": "many"}})
    assert response.json() == {"custom": {"freezers": ["'many' is not a number."]}}
    response = api_as(world.alice).post(URL, {"name": "新店", "custom": {"freezers": 2}})
    assert response.status_code == 201
    assert response.json()["custom"] == {"freezers": 2}


def test_stale_version_answers_409_with_current_record(world):
    client = api_as(world.alice)
    assert client.patch(detail(world.alice_card), {"version": 1, "short_name": "A"}).status_code == 200
    response = client.patch(detail(world.alice_card), {"version": 1, "short_name": "B"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict"
    assert (body["current"]["version"], body["current"]["short_name"]) == (2, "A")
    world.alice_card.refresh_from_db()
    assert world.alice_card.short_name == "A"


def test_update_without_version_is_a_400(world):
    response = api_as(world.alice).patch(detail(world.alice_card), {"short_name": "A"})
    assert response.status_code == 400
    assert list(response.json()) == ["version"]


def test_finance_edits_credit_terms_only(world):
    client = api_as(world.fiona)
    response = client.patch(detail(world.alice_card), {"version": 1, "credit_limit": "50000.00"})
    assert response.status_code == 200
    assert response.json()["credit_limit"] == "50000.00"
    response = client.patch(detail(world.alice_card), {"version": 2, "name": "改名"})
    assert response.status_code == 400
    assert response.json() == {"name": ["You may not change this field."]}


def test_finance_can_put_back_a_masked_card(world):
    client = api_as(world.fiona)
    card = client.get(detail(world.alice_card)).json()
    card["payment_terms_days"] = 30
    response = client.put(detail(world.alice_card), card)
    assert response.status_code == 200, response.json()
    world.alice_card.refresh_from_db()
    assert (world.alice_card.payment_terms_days, world.alice_card.credit_code) == (30, "91110108MA01C8XK22")


def test_auditor_is_read_only(world):
    client = api_as(world.aud)
    assert client.patch(detail(world.alice_card), {"version": 1, "tier": "A"}).status_code == 403
    assert client.delete(detail(world.alice_card)).status_code == 403
    assert client.post(URL, {"name": "x"}).status_code == 403


def test_other_rep_cannot_write(world):
    client = api_as(world.carol)
    assert client.patch(detail(world.alice_card), {"version": 1, "tier": "A"}).status_code == 404
    assert client.delete(detail(world.alice_card)).status_code == 404


def test_archive_restore_purge_with_audit_rows(world):
    card = world.alice_card
    assert api_as(world.alice).delete(detail(card)).status_code == 204
    assert api_as(world.alice).get(detail(card)).status_code == 404
    assert names(api_as(world.alice).get(URL)) == []
    archived = api_as(world.cathy).get(URL, {"archived": "true"})
    assert names(archived) == ["北京海淀区单氏副食店"]
    assert api_as(world.alice).post(f"{detail(card)}restore/").status_code == 404
    restored = api_as(world.cathy).post(f"{detail(card)}restore/")
    assert restored.status_code == 200
    assert restored.json()["is_archived"] is False
    assert api_as(world.ada).post(f"{detail(card)}purge/", {"reason": "duplicate"}).json() == {
        "archived_at": ["Archive the card before purging it."]}
    api_as(world.alice).delete(detail(card))
    assert api_as(world.cathy).post(f"{detail(card)}purge/", {"reason": "dup"}).status_code == 403
    assert api_as(world.ada).post(f"{detail(card)}purge/", {"reason": ""}).status_code == 400
    assert api_as(world.ada).post(f"{detail(card)}purge/", {"reason": "duplicate"}).status_code == 204
    assert not Customer.objects.filter(pk=card.pk).exists()
    actions = list(AuditEvent.objects.filter(object_type="customer", object_id=card.pk)
                   .exclude(action=AuditAction.VIEW).order_by("id").values_list("action", flat=True))
    assert actions == ["archive", "restore", "archive", "purge"]
    purge = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert purge.detail == {"code": card.code, "name": card.name, "reason": "duplicate"}


def test_history_lists_field_changes(world):
    client = api_as(world.alice)
    client.patch(detail(world.alice_card), {"version": 1, "tier": "A", "credit_code": "91350100M000100Y43"})
    entries = client.get(f"{detail(world.alice_card)}history/").json()["results"]
    change = entries[0]
    assert (change["kind"], change["user"], change["subject"]) == ("~", "Alice 艾丽", "")
    by_field = {c["field"]: (c["old"], c["new"]) for c in change["changes"]}
    assert by_field == {"tier": ("C", "A"), "credit_code": ("91110108MA01C8XK22", "91350100M000100Y43")}
    masked = api_as(world.fiona).get(f"{detail(world.alice_card)}history/").json()["results"][0]
    assert {c["field"]: c["new"] for c in masked["changes"]}["credit_code"] == "913****0Y43"
    assert api_as(world.carol).get(f"{detail(world.alice_card)}history/").status_code == 404


# --- the list: filters, search, sort, pages, queries -------------------------------------------------


def test_filters_and_search(world):
    client = api_as(world.dora)
    assert names(client.get(URL, {"tier": "A"})) == ["天津河西区便利店"]
    assert names(client.get(URL, {"channel_level": "wholesaler"})) == ["朝阳区百货批发部"]
    beijing = names(client.get(URL, {"org_unit": world.beijing.pk}))
    assert beijing == ["北京海淀区单氏副食店", "朝阳区百货批发部"]
    assert names(client.get(URL, {"q": "bjhd"})) == ["北京海淀区单氏副食店"]
    assert names(client.get(URL, {"is_key": "true"})) == ["天津河西区便利店"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"tier": "Z"}, "tier"), ({"owner": "abc"}, "owner"), ({"owner": "999999"}, "owner"),
     ({"is_key": "perhaps"}, "is_key"), ({"ordering": "password"}, "ordering"),
     ({"upstream": "1e400"}, "upstream"), ({"completeness_min": "x"}, "completeness_min")],
)
def test_invalid_filter_values_answer_400(world, params, field):
    response = api_as(world.dora).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_cursor_pages_walk_every_card_once(world):
    client = api_as(world.dora)
    seen, url = [], f"{URL}?page_size=1&ordering=tier"
    while url:
        body = client.get(url).json()
        assert body["count"] == 3
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == 3 and len(set(seen)) == 3
    back = client.get(client.get(f"{URL}?page_size=2&ordering=name").json()["next"]).json()["previous"]
    assert len(client.get(back).json()["results"]) == 2


def test_sort_on_an_empty_column_pages_too(world):
    client = api_as(world.dora)
    seen, url = [], f"{URL}?page_size=2&ordering=-last_visited_at"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted([world.alice_card.pk, world.bob_card.pk, world.carol_card.pk])


@pytest.mark.parametrize("cursor", ["!!!", base64.b64encode(b"p=notjson").decode(),
                                    base64.b64encode(b"p=%5B%22x%22%2C1%5D").decode(),
                                    base64.b64encode(b"p=%5B%222020-01-01%22%2C99999999999999999999999%5D").decode()])
def test_bad_cursor_is_a_404(world, cursor):
    assert api_as(world.dora).get(URL, {"cursor": cursor}).status_code == 404


def test_list_runs_a_constant_number_of_queries(world, django_assert_num_queries):
    client = api_as(world.mia)
    for i in range(3):
        make_customer(f"测试店{i}", world.mia, world.beijing).tags.create(name=f"t{i}")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(URL, {"page_size": 50}).json()["results"]) == 5
    for i in range(3, 30):
        make_customer(f"测试店{i}", world.mia, world.beijing).tags.create(name=f"t{i}")
    with django_assert_num_queries(len(few)):
        assert len(client.get(URL, {"page_size": 50}).json()["results"]) == 32
