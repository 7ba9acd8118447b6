"""The merge wizard pages, and how a merged-away card's pages, search and list lead to the survivor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.accounts.models import AuditEvent
from kehu.customers.models import Contact, Customer
from kehu.customers.services import customer_merge
from kehu.testing import World, make_customer

pytestmark = pytest.mark.django_db


def twin(w: World, **fields: object) -> Customer:
    return make_customer("北京海淀区单氏副食店（重复）", w.bob, w.beijing, **fields)


def wizard(survivor: Customer, merged: Customer) -> str:
    return reverse("customers:merge", args=[survivor.pk, merged.pk])


def merged_away(w: World) -> Customer:
    gone = twin(w)
    customer_merge(w.cathy, survivor=w.alice_card, merged=gone, choices={}, survivor_version=1, merged_version=1)
    return gone


def test_wizard_shows_only_differing_fields_with_the_default_pick(client, world: World) -> None:
    gone = twin(world, industry="副食")
    Contact.objects.create(customer=gone, name="李四")
    client.force_login(world.cathy)
    response = client.get(wizard(world.alice_card, gone))
    assert response.status_code == 200
    rows = {row["diff"].name: row for row in response.context["rows"]}
    assert {"name", "owner", "industry", "phone"} <= set(rows)
    assert "channel_level" not in rows  # the same on both cards
    assert rows["industry"]["field"].value() == "merged"
    assert rows["name"]["field"].value() == "survivor"
    assert ("contacts", 1) in response.context["moves"]
    body = response.content.decode()
    assert 'name="choice_industry" value="merged" checked' in body
    assert reverse("customers:merge", args=[gone.pk, world.alice_card.pk]) in body  # swap


def test_confirming_merges_and_lands_on_the_survivor(client, world: World) -> None:
    gone = twin(world, tier="A")
    client.force_login(world.cathy)
    response = client.post(
        wizard(world.alice_card, gone),
        {"version": 1, "merged_version": 1, "choice_tier": "merged", "choice_name": "survivor"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("customers:detail", args=[world.alice_card.pk]), 302)]
    assert f"{gone.code} was merged into this card." in [str(m) for m in response.context["messages"]]
    world.alice_card.refresh_from_db()
    gone.refresh_from_db()
    assert world.alice_card.tier == "A" and gone.merged_into == world.alice_card
    assert AuditEvent.objects.filter(actor=world.cathy, detail__merge__merged=gone.code).count() == 1


def test_a_stale_version_shows_the_current_values_with_409(client, world: World) -> None:
    gone = twin(world)
    client.force_login(world.cathy)
    Customer.objects.filter(pk=gone.pk).update(version=2, tier="B")
    response = client.post(wizard(world.alice_card, gone), {"version": 1, "merged_version": 1})
    assert response.status_code == 409
    assert response.context["conflict"] is True
    assert response.context["form"]["merged_version"].value() == 2
    assert "changed by someone else" in response.content.decode()
    gone.refresh_from_db()
    assert gone.merged_into is None


@pytest.mark.parametrize("data", [
    {}, {"version": "x", "merged_version": 1}, {"version": 1, "merged_version": 1, "choice_name": "both"},
])
def test_bad_form_input_is_a_400(client, world: World, data: dict[str, object]) -> None:
    gone = twin(world)
    client.force_login(world.cathy)
    assert client.post(wizard(world.alice_card, gone), data).status_code == 400
    gone.refresh_from_db()
    assert gone.merged_into is None


def test_merging_a_card_into_itself_is_refused_on_the_page(client, world: World) -> None:
    client.force_login(world.cathy)
    response = client.get(wizard(world.alice_card, world.alice_card))
    assert response.status_code == 400
    assert "cannot be merged into itself" in response.content.decode()
    assert client.post(wizard(world.alice_card, world.alice_card), {"version": 1, "merged_version": 1}).status_code == 400


def test_merging_into_a_tombstone_is_refused_on_the_page(client, world: World) -> None:
    gone = merged_away(world)
    client.force_login(world.cathy)
    response = client.get(wizard(gone, world.bob_card))
    assert response.status_code == 400
    assert "already merged" in response.content.decode()


@pytest.mark.parametrize("name", ["alice", "mia", "dora", "fiona", "aud"])
def test_only_custodians_and_admins_reach_the_wizard(client, world: World, name: str) -> None:
    client.force_login(getattr(world, name))
    denied = 404 if name == "alice" else 403  # alice cannot see bob_card: not found before not allowed
    assert client.get(wizard(world.alice_card, world.bob_card)).status_code == denied
    assert client.post(wizard(world.alice_card, world.bob_card), {"version": 1, "merged_version": 1}).status_code == denied
    assert client.get(reverse("customers:merge-pick", args=[world.alice_card.pk])).status_code == 403
    world.bob_card.refresh_from_db()
    assert world.bob_card.merged_into is None


def test_an_unknown_card_is_a_404(client, world: World) -> None:
    client.force_login(world.ada)
    assert client.get(reverse("customers:merge", args=[world.alice_card.pk, 999999])).status_code == 404


def test_pick_by_code_leads_to_the_wizard(client, world: World) -> None:
    client.force_login(world.cathy)
    pick = reverse("customers:merge-pick", args=[world.alice_card.pk])
    assert client.get(pick).status_code == 200
    response = client.get(pick, {"code": f" {world.bob_card.code.lower()} "})
    assert response.status_code == 302 and response["Location"] == wizard(world.alice_card, world.bob_card)
    missing = client.get(pick, {"code": "NOPE"})
    assert missing.status_code == 400 and "No card you can see has this code." in missing.content.decode()


def test_card_page_and_duplicates_report_offer_the_merge(client, world: World) -> None:
    twin(world, phone=world.alice_card.phone)
    client.force_login(world.cathy)
    card = client.get(reverse("customers:detail", args=[world.alice_card.pk])).content.decode()
    assert reverse("customers:merge-pick", args=[world.alice_card.pk]) in card
    report = client.get(reverse("customers:duplicates"), {"min_score": 70})
    pair = report.context["pairs"][0]
    assert reverse("customers:merge", args=[pair.first.pk, pair.second.pk]) in report.content.decode()
    client.force_login(world.alice)
    card = client.get(reverse("customers:detail", args=[world.alice_card.pk])).content.decode()
    assert "/merge/" not in card


@pytest.mark.parametrize("route", ["customers:detail", "customers:edit", "customers:print"])
def test_a_merged_away_card_leads_to_its_survivor(client, world: World, route: str) -> None:
    gone = merged_away(world)
    client.force_login(world.alice)  # cannot see the archived tombstone, can see the survivor
    response = client.get(reverse(route, args=[gone.pk]), {"tab": "history"})
    assert response.status_code == 302
    assert response["Location"] == reverse(route, args=[world.alice_card.pk]) + "?tab=history"
    page = client.get(response["Location"])
    assert f"{gone.code} was merged into this card." in [str(m) for m in page.context["messages"]]


def test_a_merged_away_card_is_still_a_404_for_who_cannot_see_the_survivor(client, world: World) -> None:
    gone = merged_away(world)
    client.force_login(world.carol)
    assert client.get(reverse("customers:detail", args=[gone.pk])).status_code == 404


def test_restoring_a_tombstone_changes_nothing(client, world: World) -> None:
    gone = merged_away(world)
    client.force_login(world.cathy)
    response = client.post(reverse("customers:restore", args=[gone.pk]), follow=True)
    assert "nothing was changed" in " ".join(str(m) for m in response.context["messages"])
    gone.refresh_from_db()
    assert gone.is_archived


def test_history_tab_shows_the_merge(client, world: World) -> None:
    gone = merged_away(world)
    client.force_login(world.cathy)
    response = client.get(reverse("customers:detail", args=[world.alice_card.pk]), {"tab": "history"})
    notes = [entry.note for entry in response.context["history"]]
    assert f"merged {gone.code} into this card" in notes
    assert f"merged into {world.alice_card.code}" in notes  # the merged card's own record
    assert f"merged {gone.code} into this card" in response.content.decode()


def test_searching_the_old_code_finds_the_survivor(client, world: World) -> None:
    gone = merged_away(world)
    client.force_login(world.alice)
    response = client.get(reverse("customers:list"), {"q": gone.code})
    assert [c.pk for c in response.context["page"].rows] == [world.alice_card.pk]


def test_the_archived_list_marks_tombstones_as_merged(client, world: World) -> None:
    gone = merged_away(world)
    client.force_login(world.cathy)
    response = client.get(reverse("customers:list"), {"archived": "true"})
    assert [c.pk for c in response.context["page"].rows] == [gone.pk]
    assert "Merged into another card" in response.content.decode()
    assert gone.name not in client.get(reverse("customers:list")).content.decode()


def test_pick_page_suggests_the_likely_duplicates(client, world: World) -> None:
    gone = twin(world, phone=world.alice_card.phone, province="北京市", city="北京市", district="海淀区")
    client.force_login(world.cathy)
    response = client.get(reverse("customers:merge-pick", args=[world.alice_card.pk]))
    assert [m.customer.pk for m in response.context["suggestions"]] == [gone.pk]
    assert wizard(world.alice_card, gone) in response.content.decode()


def test_a_custom_field_is_chosen_key_by_key(client, world: World) -> None:
    gone = twin(world)
    Customer.objects.filter(pk=world.alice_card.pk).update(custom={"shelf": "3"})
    Customer.objects.filter(pk=gone.pk).update(custom={"shelf": "5"})
    client.force_login(world.cathy)
    page = client.get(wizard(world.alice_card, gone))
    assert 'name="choice_custom.shelf"' in page.content.decode()
    client.post(wizard(world.alice_card, gone), {"version": 1, "merged_version": 1, "choice_custom.shelf": "merged"})
    world.alice_card.refresh_from_db()
    assert world.alice_card.custom == {"shelf": "5"}
