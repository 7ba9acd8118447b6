"""The customer list's filters: each one returns exactly the cards it should, and never an invisible one."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils import timezone

from kehu.customers.filters import CustomerFilter
from kehu.customers.models import Customer, CustomerGroup, CustomField, Tag
from kehu.testing import make_customer

A, B, C, ARCHIVED = "alice_card", "bob_card", "carol_card", "archived"

CUSTOM_FIELDS = [
    ("area", "text", []),
    ("fridges", "number", []),
    ("opened", "date", []),
    ("format", "choice", ["supermarket", "kiosk"]),
    ("services", "multi_choice", ["delivery", "credit", "display"]),
    ("chain", "boolean", []),
]


@pytest.fixture
def cards(world) -> dict[str, Customer]:
    """Three cards that differ in every filtered field, and an archived fourth."""
    for key, kind, values in CUSTOM_FIELDS:
        CustomField.objects.create(
            key=key,
            label_zh=key,
            label_en=key,
            field_type=kind,
            choices=[{"value": v, "label_zh": v, "label_en": v} for v in values],
        )
    long_ago = timezone.now() - timedelta(days=200)
    Customer.objects.filter(pk=world.alice_card.pk).update(
        status="active",
        completeness=80,
        custom={
            "area": "临街旺铺",
            "fridges": 3,
            "opened": "2020-05-01",
            "format": "supermarket",
            "services": ["delivery", "credit"],
            "chain": True,
        },
    )
    Customer.objects.filter(pk=world.bob_card.pk).update(
        status="dormant",
        province="北京市",
        city="北京市",
        district="朝阳区",
        completeness=40,
        updated_at=long_ago,
        custom={
            "area": "社区小店",
            "fridges": 5.5,
            "format": "kiosk",
            "services": ["credit"],
            "chain": False,
        },
    )
    Customer.objects.filter(pk=world.carol_card.pk).update(
        status="active",
        province="天津市",
        city="天津市",
        district="河西区",
        completeness=10,
        custom={"fridges": 10, "opened": "2023-01-15", "services": ["display"]},
    )
    world.alice_card.tags.add(Tag.objects.create(name="夜市"))
    archived = make_customer("已归档店", world.alice, world.beijing, archived_at=timezone.now(), tier="A")
    return {A: world.alice_card, B: world.bob_card, C: world.carol_card, ARCHIVED: archived}


def listed(cards, user, query: str | dict) -> set[str]:
    params = QueryDict(query if isinstance(query, str) else urlencode(query, doseq=True))
    filterset = CustomerFilter(params, queryset=Customer.objects.visible_to(user))
    assert filterset.form.is_valid(), filterset.form.errors
    names = {card.pk: name for name, card in cards.items()}
    return {names[pk] for pk in filterset.qs.values_list("pk", flat=True)}


def form_errors(query: str) -> dict:
    filterset = CustomerFilter(QueryDict(query), queryset=Customer.objects.all())
    return {name: list(messages) for name, messages in filterset.form.errors.items()}


# --- plain fields --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {A, B, C}),
        ("status=active", {A, C}),
        ("status=dormant", {B}),
        ("status=active&status=dormant", {A, B, C}),
        ("status=lost", set()),
        ("tier=A", {C}),
        ("tier=C", {A, B}),
        ("tier=A&tier=C", {A, B, C}),
        ("is_key=true", {C}),
        ("is_key=false", {A, B}),
        ("channel_level=wholesaler", {B}),
        ("channel_level=retailer", {A, C}),
        ("province=北京市", {A, B}),
        ("city=天津市", {C}),
        ("district=朝阳区", {B}),
        ("district=海淀区", {A}),
        ("tag=夜市", {A}),
        ("tag=没有", set()),
        ("stale=true", {B}),
        ("stale=false", {A, C}),
        ("completeness_min=40", {A, B}),
        ("completeness_max=40", {B, C}),
        ("completeness_min=11&completeness_max=79", {B}),
        ("status=active&tier=C", {A}),
    ],
)
def test_each_filter_returns_exactly_its_cards(world, cards, query, expected):
    assert listed(cards, world.dora, query) == expected


def test_the_owner_filter(world, cards):
    assert listed(cards, world.dora, {"owner": world.alice.pk}) == {A}
    assert listed(cards, world.dora, {"owner": world.carol.pk}) == {C}
    assert listed(cards, world.dora, {"owner": world.mia.pk}) == set()


def test_the_owner_filter_offers_only_active_reps_and_managers(world, cards):
    assert form_errors(f"owner={world.dora.pk}") == {
        "owner": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_the_org_unit_filter_takes_the_whole_subtree(world, cards):
    assert listed(cards, world.dora, {"org_unit": world.hq.pk}) == {A, B, C}
    assert listed(cards, world.dora, {"org_unit": world.north.pk}) == {A, B, C}
    assert listed(cards, world.dora, {"org_unit": world.beijing.pk}) == {A, B}
    assert listed(cards, world.dora, {"org_unit": world.tianjin.pk}) == {C}


def test_the_upstream_filter(world, cards):
    Customer.objects.filter(pk=world.alice_card.pk).update(upstream=world.bob_card)
    assert listed(cards, world.dora, {"upstream": world.bob_card.pk}) == {A}


def test_a_stale_card_visited_recently_is_not_stale(world, cards):
    Customer.objects.filter(pk=world.bob_card.pk).update(last_visited_at=timezone.now() - timedelta(days=3))
    assert listed(cards, world.dora, "stale=true") == set()


def test_the_stale_threshold_follows_the_setting(world, cards, settings):
    settings.KEHU_STALE_DAYS = 365
    assert listed(cards, world.dora, "stale=true") == set()


def test_filters_never_reach_past_visibility(world, cards):
    assert listed(cards, world.mia, "") == {A, B}
    assert listed(cards, world.mia, "status=active") == {A}
    assert listed(cards, world.mia, {"org_unit": world.tianjin.pk}) == set()
    assert listed(cards, world.alice, "tier=C") == {A}


# --- archived cards ------------------------------------------------------------------------


def test_archived_cards_are_left_out_unless_asked_for(world, cards):
    assert listed(cards, world.cathy, "") == {A, B, C}
    assert listed(cards, world.cathy, "archived=true") == {ARCHIVED}
    assert listed(cards, world.cathy, "archived=false") == {A, B, C}
    assert listed(cards, world.cathy, "archived=true&tier=A") == {ARCHIVED}


def test_asking_for_archived_cards_shows_only_what_the_role_may_see(world, cards):
    assert listed(cards, world.dora, "archived=true") == set()
    assert listed(cards, world.alice, "archived=true") == set()


def test_an_invalid_filter_does_not_let_archived_cards_into_the_list(world, cards):
    filterset = CustomerFilter(QueryDict("tier=Z"), queryset=Customer.objects.visible_to(world.cathy))
    assert not filterset.form.is_valid()
    assert set(filterset.qs.values_list("name", flat=True)) == {
        "北京海淀区单氏副食店",
        "朝阳区百货批发部",
        "天津河西区便利店",
    }


def test_an_unbound_filter_leaves_archived_cards_out(world, cards):
    assert CustomerFilter(None, queryset=Customer.objects.visible_to(world.cathy)).qs.count() == 3


# --- groups and segments -------------------------------------------------------------------


def test_a_static_group_filter_lists_its_visible_members(world, cards):
    group = CustomerGroup.objects.create(name="重点", kind="static")
    group.members.add(world.alice_card, world.carol_card, cards[ARCHIVED])
    assert listed(cards, world.dora, {"group": group.pk}) == {A, C}
    assert listed(cards, world.mia, {"group": group.pk}) == {A}
    assert listed(cards, world.cathy, {"group": group.pk, "archived": "true"}) == {ARCHIVED}


def test_a_segment_filter_re_evaluates_its_stored_filter_for_each_user(world, cards):
    segment = CustomerGroup.objects.create(name="活跃", kind="segment", filters={"status": ["active"]})
    assert listed(cards, world.dora, {"group": segment.pk}) == {A, C}
    assert listed(cards, world.mia, {"group": segment.pk}) == {A}
    assert listed(cards, world.tom, {"group": segment.pk}) == {C}
    Customer.objects.filter(pk=world.bob_card.pk).update(status="active")
    assert listed(cards, world.dora, {"group": segment.pk}) == {A, B, C}


def test_a_segment_combines_with_the_list_filters(world, cards):
    segment = CustomerGroup.objects.create(name="活跃", kind="segment", filters={"status": ["active"]})
    assert listed(cards, world.dora, {"group": segment.pk, "tier": "A"}) == {C}


def test_a_segment_over_custom_fields(world, cards):
    segment = CustomerGroup.objects.create(name="多冰柜", kind="segment", filters={"cf_fridges_min": 5})
    assert listed(cards, world.dora, {"group": segment.pk}) == {B, C}


# --- custom fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cf_area=临街", {A}),
        ("cf_area=小店", {B}),
        ("cf_fridges=3", {A}),
        ("cf_fridges=5.5", {B}),
        ("cf_fridges_min=5", {B, C}),
        ("cf_fridges_max=5.5", {A, B}),
        ("cf_fridges_min=4&cf_fridges_max=6", {B}),
        ("cf_fridges_min=10", {C}),
        ("cf_opened=2020-05-01", {A}),
        ("cf_opened_min=2021-01-01", {C}),
        ("cf_opened_max=2021-01-01", {A}),
        ("cf_format=kiosk", {B}),
        ("cf_format=supermarket", {A}),
        ("cf_services=credit", {A, B}),
        ("cf_services=display", {C}),
        ("cf_services=delivery", {A}),
        ("cf_chain=true", {A}),
        ("cf_chain=false", {B}),
        ("cf_services=credit&cf_chain=false", {B}),
    ],
)
def test_custom_field_filters_return_exactly_their_cards(world, cards, query, expected):
    assert listed(cards, world.dora, query) == expected


def test_custom_field_filters_check_their_values(world, cards):
    assert form_errors("cf_fridges_min=many&cf_opened=yesterday&cf_format=stall&cf_services=fax") == {
        "cf_fridges_min": ["Enter a number."],
        "cf_opened": ["Enter a valid date."],
        "cf_format": ["Select a valid choice. stall is not one of the available choices."],
        "cf_services": ["Select a valid choice. fax is not one of the available choices."],
    }


def test_inactive_custom_fields_have_no_filter(world, cards):
    CustomField.objects.filter(key="area").update(is_active=False)
    filterset = CustomerFilter(QueryDict("cf_area=临街"), queryset=Customer.objects.all())
    assert "cf_area" not in filterset.filters
    assert {"cf_fridges", "cf_fridges_min", "cf_fridges_max", "cf_opened_min"} <= set(filterset.filters)


# --- ordering ------------------------------------------------------------------------------


def test_the_list_sorts_by_the_chosen_field(world, cards):
    def names(query):
        return list(
            CustomerFilter(QueryDict(query), queryset=Customer.objects.visible_to(world.dora)).qs.values_list(
                "code", flat=True
            )
        )

    assert names("ordering=-completeness") == ["T00001", "T00002", "T00003"]
    assert names("ordering=completeness") == ["T00003", "T00002", "T00001"]
    assert names("ordering=-code") == ["T00003", "T00002", "T00001"]


def test_an_absurd_upstream_id_is_a_field_error_not_a_crash(world):
    from kehu.testing import api_as

    response = api_as(world.dora).get("/api/v1/customers/", {"upstream": "1e30"})
    assert response.status_code == 400
    assert list(response.json()) == ["upstream"]
