"""Web pages for groups and saved segments: who may change them, and who sees which members."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.customers.models import Customer, CustomerGroup, GroupKind
from kehu.testing import World, make_customer


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def static_group(world: World, *cards: Customer, name: str = "Summer promotion") -> CustomerGroup:
    group = CustomerGroup.objects.create(name=name, kind=GroupKind.STATIC, created_by=world.cathy)
    group.members.add(*cards)
    return group


def segment(world: World, filters: dict, name: str = "Wholesalers") -> CustomerGroup:
    return CustomerGroup.objects.create(
        name=name, kind=GroupKind.SEGMENT, filters=filters, created_by=world.cathy
    )


def post(user, name: str, data: dict, *args: int):
    return client_for(user).post(reverse(name, args=args), data)


def member_codes(response) -> list[str]:
    return [customer.code for customer in response.context["members"]]


def listed_counts(response) -> dict[str, int | None]:
    return {group.name: group.member_count for group in response.context["groups"]}


# --- creating, editing, deleting ----------------------------------------------------------------


def test_a_manager_creates_a_static_group(world):
    data = {"name": "Key shops", "kind": "static", "description": "For visits"}
    response = post(world.mia, "customers:group-create", data)
    group = CustomerGroup.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:group-detail", args=[group.pk])
    assert (group.name, group.kind, group.description) == ("Key shops", "static", "For visits")
    assert group.filters == {}
    assert group.created_by == world.mia


@pytest.mark.parametrize("username", ["alice", "fiona", "aud"])
def test_roles_without_group_rights_cannot_create_edit_or_delete(world, username):
    group = static_group(world, world.alice_card)
    client = client_for(getattr(world, username))
    assert client.get(reverse("customers:group-create")).status_code == 403
    assert client.post(reverse("customers:group-create"), {"name": "X", "kind": "static"}).status_code == 403
    assert client.post(reverse("customers:group-edit", args=[group.pk]),
                       {"name": "Y", "kind": "static"}).status_code == 403
    assert client.post(reverse("customers:group-delete", args=[group.pk])).status_code == 403
    assert list(CustomerGroup.objects.values_list("name", flat=True)) == ["Summer promotion"]


def test_a_duplicate_name_answers_400_with_the_message_on_the_name(world):
    static_group(world, name="Key shops")
    response = post(world.cathy, "customers:group-create", {"name": "Key shops", "kind": "static"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Customer group with this Name already exists."]
    assert CustomerGroup.objects.count() == 1


def test_a_static_group_refuses_a_filter(world):
    response = client_for(world.cathy).post(
        reverse("customers:group-create"), {"name": "Key shops", "kind": "static", "query": "tier=A"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["query"] == [
        "A static group has no filter: clear it, or choose “Saved segment”."
    ]


def test_edit_renames_and_delete_removes_the_group_but_not_its_cards(world):
    group = static_group(world, world.alice_card)
    client = client_for(world.cathy)
    response = client.post(reverse("customers:group-edit", args=[group.pk]),
                           {"name": "Autumn promotion", "kind": "static", "description": ""})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Autumn promotion"
    assert client.get(reverse("customers:group-delete", args=[group.pk])).status_code == 200
    response = client.post(reverse("customers:group-delete", args=[group.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:groups")
    assert CustomerGroup.objects.count() == 0
    assert Customer.objects.filter(pk=world.alice_card.pk).exists()


def test_an_unknown_group_answers_404(world):
    client = client_for(world.cathy)
    assert client.get(reverse("customers:group-detail", args=[999])).status_code == 404
    edit = client.post(reverse("customers:group-edit", args=[999]), {"name": "X", "kind": "static"})
    assert edit.status_code == 404


# --- members and visibility ---------------------------------------------------------------------


def test_each_user_sees_and_counts_only_the_members_they_may_see(world):
    group = static_group(world, world.alice_card, world.bob_card, world.carol_card)
    expected = {
        "alice": [world.alice_card.code],
        "carol": [world.carol_card.code],
        "mia": sorted([world.alice_card.code, world.bob_card.code]),
        "tom": [world.carol_card.code],
        "cathy": sorted([world.alice_card.code, world.bob_card.code, world.carol_card.code]),
    }
    for username, codes in expected.items():
        client = client_for(getattr(world, username))
        detail = client.get(reverse("customers:group-detail", args=[group.pk]))
        assert detail.status_code == 200
        assert sorted(member_codes(detail)) == codes, username
        assert detail.context["member_count"] == len(codes), username
        listed = listed_counts(client.get(reverse("customers:groups")))
        assert listed == {"Summer promotion": len(codes)}, username


def test_a_rep_sees_no_membership_controls(world):
    group = static_group(world, world.alice_card)
    response = client_for(world.alice).get(reverse("customers:group-detail", args=[group.pk]))
    assert response.context["can_edit_members"] is False
    assert reverse("customers:group-members-add", args=[group.pk]).encode() not in response.content


def test_archived_members_are_left_out_like_in_the_customer_list(world):
    group = static_group(world, world.alice_card, world.bob_card)
    Customer.objects.filter(pk=world.bob_card.pk).update(archived_at=world.bob_card.updated_at)
    response = client_for(world.cathy).get(reverse("customers:group-detail", args=[group.pk]))
    assert member_codes(response) == [world.alice_card.code]


def test_members_are_added_by_comma_separated_codes(world):
    group = static_group(world)
    codes = f"{world.alice_card.code}，{world.bob_card.code}, {world.alice_card.code}"
    response = post(world.mia, "customers:group-members-add", {"codes": codes}, group.pk)
    assert response.status_code == 302
    assert set(group.members.values_list("code", flat=True)) == {world.alice_card.code, world.bob_card.code}


def test_a_code_the_user_cannot_see_adds_nothing_and_says_which(world):
    group = static_group(world)
    codes = f"{world.alice_card.code},{world.carol_card.code},NOPE1"
    response = post(world.mia, "customers:group-members-add", {"codes": codes}, group.pk)
    assert response.status_code == 400
    assert response.context["add_form"].errors["codes"] == [
        f"No card you can see has the code {world.carol_card.code}, NOPE1. Nothing was added."
    ]
    assert group.members.count() == 0


def test_empty_codes_answer_400(world):
    group = static_group(world)
    response = post(world.mia, "customers:group-members-add", {"codes": " , "}, group.pk)
    assert response.status_code == 400
    assert response.context["add_form"].errors["codes"] == ["Enter at least one card code."]


def test_ticked_members_are_removed_but_only_those_the_user_may_see(world):
    group = static_group(world, world.alice_card, world.bob_card, world.carol_card)
    ids = [world.alice_card.pk, world.carol_card.pk]
    response = client_for(world.mia).post(reverse("customers:group-members-remove", args=[group.pk]),
                                          {"customer": ids})
    assert response.status_code == 302
    assert set(group.members.values_list("code", flat=True)) == {world.bob_card.code, world.carol_card.code}


def test_removing_with_nothing_ticked_or_junk_answers_400(world):
    group = static_group(world, world.alice_card)
    client = client_for(world.mia)
    url = reverse("customers:group-members-remove", args=[group.pk])
    errors = client.post(url, {}).context["remove_form"].errors
    assert errors["customer"] == ["Tick at least one card to remove."]
    response = client.post(url, {"customer": ["x"]})
    assert response.status_code == 400
    assert response.context["remove_form"].errors["customer"] == ["Choose cards from the list."]
    assert group.members.count() == 1


def test_a_segment_has_no_membership_editing(world):
    group = segment(world, {"tier": ["A"]})
    response = client_for(world.cathy).post(reverse("customers:group-members-add", args=[group.pk]),
                                            {"codes": world.alice_card.code})
    assert response.status_code == 400
    assert response.context["add_form"].non_field_errors() == [
        "A saved segment's members follow its filter; edit the filter instead."
    ]


# --- saved segments -----------------------------------------------------------------------------


def test_the_customer_list_filter_is_offered_as_a_new_segment(world):
    url = reverse("customers:group-create") + "?from=channel_level%3Dwholesaler%26cursor%3Dabc"
    form = client_for(world.mia).get(url).context["form"]
    assert form["kind"].value() == "segment"
    assert form["query"].value() == "channel_level=wholesaler&cursor=abc"


def test_a_segment_is_saved_from_a_query_string_and_reevaluated_when_opened(world):
    client = client_for(world.cathy)
    query = "/customers/?channel_level=wholesaler&cursor=abc&q="
    data = {"name": "Wholesalers", "kind": "segment", "query": query}
    response = client.post(reverse("customers:group-create"), data)
    group = CustomerGroup.objects.get()
    assert response.status_code == 302
    assert group.filters == {"channel_level": ["wholesaler"]}
    detail = reverse("customers:group-detail", args=[group.pk])
    assert member_codes(client.get(detail)) == [world.bob_card.code]

    new = make_customer("河北区二批商行", world.carol, world.tianjin, channel_level="wholesaler")
    assert sorted(member_codes(client.get(detail))) == sorted([world.bob_card.code, new.code])
    assert listed_counts(client.get(reverse("customers:groups"))) == {"Wholesalers": 2}


def test_a_segment_shows_each_user_only_their_visible_matches(world):
    group = segment(world, {"channel_level": ["wholesaler", "retailer"]})
    detail = reverse("customers:group-detail", args=[group.pk])
    assert member_codes(client_for(world.alice).get(detail)) == [world.alice_card.code]
    assert sorted(member_codes(client_for(world.mia).get(detail))) == sorted(
        [world.alice_card.code, world.bob_card.code]
    )
    assert listed_counts(client_for(world.tom).get(reverse("customers:groups"))) == {"Wholesalers": 1}


@pytest.mark.parametrize(("query", "message"), [
    ("", "A saved segment needs a filter, for example status=active."),
    ("nosuch=1&tier=A", "Unknown filter: nosuch"),
    ("status=bogus", "status: Select a valid choice. bogus is not one of the available choices."),
    ("is_key=maybe", "is_key: write true or false."),
    ("upstream=99999999999999999999999",
     "upstream: Ensure this value is less than or equal to 9223372036854775807."),
    ("completeness_min=101", "completeness_min: Ensure this value is less than or equal to 100."),
    ("group=1", "A segment cannot be built on another group; filter by the cards' own fields."),
])
def test_a_bad_segment_filter_answers_400_with_a_clear_message(world, query, message):
    response = client_for(world.cathy).post(reverse("customers:group-create"),
                                            {"name": "Broken", "kind": "segment", "query": query})
    assert response.status_code == 400
    assert response.context["form"].errors["query"] == [message]
    assert CustomerGroup.objects.count() == 0


def test_editing_a_segment_shows_and_replaces_its_filter(world):
    group = segment(world, {"channel_level": ["wholesaler"]})
    client = client_for(world.cathy)
    form = client.get(reverse("customers:group-edit", args=[group.pk])).context["form"]
    assert form["query"].value() == "channel_level=wholesaler"
    client.post(reverse("customers:group-edit", args=[group.pk]),
                {"name": group.name, "kind": "segment", "query": "tier=A&is_key=true"})
    group.refresh_from_db()
    assert group.filters == {"tier": ["A"], "is_key": "true"}
    detail = client.get(reverse("customers:group-detail", args=[group.pk]))
    assert member_codes(detail) == [world.carol_card.code]


def test_a_segment_whose_filter_broke_shows_the_problem_and_no_cards(world):
    group = segment(world, {"cf_shelf_count_min": "3"})
    client = client_for(world.cathy)
    detail = client.get(reverse("customers:group-detail", args=[group.pk]))
    assert detail.status_code == 200
    assert detail.context["problems"] == ["Unknown filter: cf_shelf_count_min"]
    assert member_codes(detail) == []
    assert listed_counts(client.get(reverse("customers:groups"))) == {"Wholesalers": None}


def test_a_stored_segment_with_an_unclear_yes_no_word_shows_the_problem_and_no_cards(world):
    group = segment(world, {"is_key": "maybe"})
    client = client_for(world.cathy)
    detail = client.get(reverse("customers:group-detail", args=[group.pk]))
    assert detail.status_code == 200
    assert detail.context["problems"] == ["is_key: write true or false."]
    assert member_codes(detail) == []
    assert listed_counts(client.get(reverse("customers:groups"))) == {"Wholesalers": None}


# --- cost ---------------------------------------------------------------------------------------


def test_the_group_list_runs_the_same_number_of_queries_for_more_groups_and_cards(world):
    client = client_for(world.mia)
    static_group(world, world.alice_card, name="G1")
    segment(world, {"tier": ["C"]}, name="S1")
    url = reverse("customers:groups")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(2, 6):
        static_group(world, world.alice_card, world.bob_card, name=f"G{n}")
        segment(world, {"tier": ["C"], "status": ["potential"], "q": "区"}, name=f"S{n}")
        make_customer(f"朝阳区门店{n}", world.bob, world.beijing)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert listed_counts(response)["S5"] == 6


def test_the_group_page_runs_the_same_number_of_queries_for_more_members(world):
    group = static_group(world, world.alice_card)
    client = client_for(world.cathy)
    url = reverse("customers:group-detail", args=[group.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    group.members.add(*[make_customer(f"门店{n}", world.bob, world.beijing) for n in range(5)])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert response.context["member_count"] == 6


@pytest.mark.parametrize("name", [
    "customers:groups", "customers:group-create", "customers:grants", "customers:grant-request",
    "customers:fields", "customers:field-create", "accounts:audit", "accounts:audit-flags",
])
def test_anonymous_visitors_are_sent_to_the_login_page(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
