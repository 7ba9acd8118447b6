"""/api/v1/ contacts, groups (static and segments), tags and custom fields."""

from __future__ import annotations

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.models import Contact, CustomerGroup, CustomField, GroupKind, Tag
from kehu.testing import *  # noqa: F403  (fixtures)
from kehu.testing import api_as, results

# --- contacts ----------------------------------------------------------------------------------


def test_contacts_follow_card_visibility(world):
    assert [c["name"] for c in results(api_as(world.alice).get("/api/v1/contacts/"))] == ["单立新"]
    assert results(api_as(world.bob).get("/api/v1/contacts/")) == []
    assert results(api_as(world.carol).get("/api/v1/contacts/", {"customer": world.alice_card.pk})) == []
    contact = Contact.objects.get()
    assert api_as(world.carol).get(f"/api/v1/contacts/{contact.pk}/").status_code == 404


def test_contact_values_are_masked_for_those_who_cannot_edit(world):
    contact = Contact.objects.get()
    mine = api_as(world.alice).get(f"/api/v1/contacts/{contact.pk}/").json()
    assert (mine["mobile"], mine["masked"]) == ("13812345678", False)
    for user in (world.fiona, world.aud):
        theirs = api_as(user).get(f"/api/v1/contacts/{contact.pk}/").json()
        assert (theirs["mobile"], theirs["masked"]) == ("138****5678", True)


def test_contact_filter_refuses_junk(world):
    response = api_as(world.alice).get("/api/v1/contacts/", {"customer": "abc"})
    assert response.status_code == 400
    assert list(response.json()) == ["customer"]


def test_owner_adds_edits_and_deletes_a_contact(world):
    client = api_as(world.alice)
    bad = client.post(
        "/api/v1/contacts/", {"customer": world.alice_card.pk, "name": "王五", "mobile": "1234"}
    )
    assert bad.status_code == 400
    assert list(bad.json()) == ["mobile"]
    created = client.post(
        "/api/v1/contacts/",
        {"customer": world.alice_card.pk, "name": "王五", "mobile": "13900001111", "is_primary": True},
    )
    assert created.status_code == 201, created.json()
    contact_id = created.json()["id"]
    changed = client.patch(f"/api/v1/contacts/{contact_id}/", {"version": 1, "title": "店长"})
    assert (changed.status_code, changed.json()["title"], changed.json()["version"]) == (200, "店长", 2)
    stale = client.patch(f"/api/v1/contacts/{contact_id}/", {"version": 1, "title": "老板"})
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "店长"
    moved = client.patch(f"/api/v1/contacts/{contact_id}/", {"version": 2, "customer": world.bob_card.pk})
    assert moved.json() == {"customer": ["A contact cannot move to another card."]}
    assert client.delete(f"/api/v1/contacts/{contact_id}/").status_code == 204
    assert Contact.objects.filter(pk=contact_id).count() == 0
    actions = AuditEvent.objects.filter(object_type="contact", object_id=contact_id).values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["create", "delete", "update"]


def test_contact_writes_refused_to_readers_and_strangers(world):
    contact = Contact.objects.get()
    body = {"customer": world.alice_card.pk, "name": "X"}
    assert api_as(world.aud).post("/api/v1/contacts/", body).status_code == 403
    assert api_as(world.carol).post("/api/v1/contacts/", body).status_code == 404
    assert (
        api_as(world.fiona).patch(f"/api/v1/contacts/{contact.pk}/", {"version": 1, "name": "Y"}).status_code
        == 403
    )
    assert api_as(world.carol).delete(f"/api/v1/contacts/{contact.pk}/").status_code == 404


# --- groups and segments ------------------------------------------------------------------------


def test_static_group_members_are_limited_to_visible_cards(world):
    group = api_as(world.mia).post("/api/v1/groups/", {"name": "重点批发", "kind": "static"})
    assert group.status_code == 201, group.json()
    group_id = group.json()["id"]
    added = api_as(world.mia).post(
        f"/api/v1/groups/{group_id}/members/",
        {"customer_ids": [world.alice_card.pk, world.bob_card.pk, world.carol_card.pk]},
    )
    assert added.json() == {"changed": 2}  # Carol's card is outside Mia's area
    api_as(world.dora).post(f"/api/v1/groups/{group_id}/members/", {"customer_ids": [world.carol_card.pk]})
    counts = {
        who: api_as(world.everyone[who]).get(f"/api/v1/groups/{group_id}/").json()["member_count"]
        for who in ("alice", "bob", "carol", "mia", "dora")
    }
    assert counts == {"alice": 1, "bob": 1, "carol": 1, "mia": 2, "dora": 3}
    members = api_as(world.alice).get(f"/api/v1/groups/{group_id}/members/").json()
    assert ([m["name"] for m in members["results"]], members["count"]) == (["北京海淀区单氏副食店"], 1)
    removed = api_as(world.mia).delete(
        f"/api/v1/groups/{group_id}/members/", {"customer_ids": [world.bob_card.pk]}
    )
    assert removed.json() == {"changed": 1}


def test_segment_is_its_filter_over_visible_cards(world):
    response = api_as(world.dora).post(
        "/api/v1/groups/", {"name": "A级客户", "kind": "segment", "filters": {"tier": ["A"]}}
    )
    assert response.status_code == 201, response.json()
    segment = response.json()
    assert (segment["filters"], segment["member_count"], segment["created_by"]) == (
        {"tier": ["A"]},
        1,
        world.dora.pk,
    )
    assert api_as(world.alice).get(f"/api/v1/groups/{segment['id']}/").json()["member_count"] == 0
    listed = results(api_as(world.tom).get("/api/v1/groups/"))
    assert [(g["name"], g["member_count"]) for g in listed] == [("A级客户", 1)]
    refused = api_as(world.dora).post(f"/api/v1/groups/{segment['id']}/members/", {"customer_ids": [1]})
    assert refused.status_code == 400


def test_group_writes_need_a_group_editor_and_valid_filters(world):
    assert api_as(world.alice).post("/api/v1/groups/", {"name": "mine"}).status_code == 403
    bad = api_as(world.dora).post(
        "/api/v1/groups/", {"name": "bad", "kind": "segment", "filters": {"tier": ["Z"]}}
    )
    assert bad.status_code == 400
    assert "filters" in bad.json()
    group = CustomerGroup.objects.create(name="old", kind=GroupKind.STATIC)
    renamed = api_as(world.cathy).patch(f"/api/v1/groups/{group.pk}/", {"name": "new"})
    assert renamed.json()["name"] == "new"
    assert api_as(world.cathy).delete(f"/api/v1/groups/{group.pk}/").status_code == 204
    assert api_as(world.cathy).get(f"/api/v1/groups/{group.pk}/").status_code == 404


# --- tags -----------------------------------------------------------------------------------------


def test_tags_count_only_visible_cards(world):
    vip, night = Tag.objects.create(name="VIP"), Tag.objects.create(name="夜市")
    world.alice_card.tags.add(vip)
    world.carol_card.tags.add(vip, night)
    Tag.objects.create(name="unused")

    def tags(user):
        return [(t["name"], t["customer_count"]) for t in results(api_as(user).get("/api/v1/tags/"))]

    assert tags(world.alice) == [("VIP", 1)]
    assert tags(world.bob) == []
    assert tags(world.dora) == [("VIP", 2), ("夜市", 1)]


# --- custom fields ------------------------------------------------------------------------------


def test_admin_defines_custom_fields_with_validation(world):
    client = api_as(world.ada)
    no_choices = client.post(
        "/api/v1/custom-fields/",
        {"key": "shelf", "label_zh": "货架", "label_en": "Shelf", "field_type": "choice"},
    )
    assert no_choices.status_code == 400
    assert list(no_choices.json()) == ["choices"]
    bad_key = client.post(
        "/api/v1/custom-fields/",
        {"key": "Shelf-1", "label_zh": "货架", "label_en": "Shelf", "field_type": "text"},
    )
    assert list(bad_key.json()) == ["key"]
    no_label = client.post(
        "/api/v1/custom-fields/", {"key": "shelf", "label_zh": "货架", "label_en": "", "field_type": "text"}
    )
    assert list(no_label.json()) == ["label_en"]
    choices = [{"value": "big", "label_zh": "大", "label_en": "Big"}, {"value": "small", "label_zh": "小"}]
    created = client.post(
        "/api/v1/custom-fields/",
        {"key": "shelf", "label_zh": "货架", "label_en": "Shelf", "field_type": "choice", "choices": choices},
    )
    assert created.status_code == 201, created.json()
    assert created.json()["choices"][1] == {"value": "small", "label_zh": "小", "label_en": "小"}
    field_id = created.json()["id"]
    assert client.patch(f"/api/v1/custom-fields/{field_id}/", {"key": "shelves"}).json() == {
        "key": ["The key cannot change: stored values are kept under it. Add a new field."]
    }
    assert AuditEvent.objects.filter(action=AuditAction.SETTINGS, object_type="customfield").count() == 1
    assert client.delete(f"/api/v1/custom-fields/{field_id}/").status_code == 204
    assert CustomField.objects.get(pk=field_id).is_active is False
    assert [f["key"] for f in results(client.get("/api/v1/custom-fields/"))] == ["shelf"]
    assert results(api_as(world.alice).get("/api/v1/custom-fields/")) == []


def test_only_admins_write_custom_fields(world):
    body = {"key": "shelf", "label_zh": "货架", "label_en": "Shelf", "field_type": "text"}
    for user in (world.alice, world.cathy, world.dora):
        assert api_as(user).post("/api/v1/custom-fields/", body).status_code == 403
    field = CustomField.objects.create(key="x", label_zh="x", label_en="x", field_type="text")
    assert [f["key"] for f in results(api_as(world.alice).get("/api/v1/custom-fields/"))] == ["x"]
    assert (
        api_as(world.alice).patch(f"/api/v1/custom-fields/{field.pk}/", {"label_en": "y"}).status_code == 403
    )


def test_a_choice_value_with_a_comma_is_refused(world):
    from kehu.testing import api_as

    response = api_as(world.ada).post("/api/v1/custom-fields/", {
        "key": "shop_kind", "label_zh": "门店类型", "label_en": "Shop kind", "field_type": "multi_choice",
        "choices": [{"value": "a,b", "label_zh": "甲乙", "label_en": "AB"}],
    }, format="json")
    assert response.status_code == 400
    assert response.json() == {"choices": ["Choice 1: a value cannot contain a comma or a double quote."]}


def test_group_list_counts_all_segments_in_constant_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.customers.services import customer_archive
    from kehu.testing import make_customer

    archived = make_customer("北京海淀区归档店", world.alice, world.alice.org_unit, tier="A")
    customer_archive(actor=world.dora, customer_id=archived.pk)
    client = api_as(world.dora)
    for tier in "ABC":
        client.post("/api/v1/groups/", {"name": f"{tier}级", "kind": "segment", "filters": {"tier": [tier]}})
    with CaptureQueriesContext(connection) as three:
        listed = {g["name"]: g["member_count"] for g in results(client.get("/api/v1/groups/"))}
    for n in range(5):
        client.post("/api/v1/groups/", {"name": f"more {n}", "kind": "segment", "filters": {"tier": ["D"]}})
    with CaptureQueriesContext(connection) as eight:
        client.get("/api/v1/groups/")
    assert len(eight) == len(three)
    for group in CustomerGroup.objects.filter(name__in=listed):
        one = client.get(f"/api/v1/groups/{group.pk}/").json()["member_count"]
        members = client.get(f"/api/v1/groups/{group.pk}/members/").json()["count"]
        assert listed[group.name] == one == members, group.name
