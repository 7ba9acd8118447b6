"""Static groups and saved segments: who may change them, what members they take, what filters they keep."""

import pytest

from kehu.core.errors import Forbidden, NotFound
from kehu.customers.models import CustomerGroup, GroupKind
from kehu.customers.services import (
    group_add_members,
    group_create,
    group_delete,
    group_remove_members,
    group_update,
)
from kehu.testing import errors_of


def member_names(group) -> set[str]:
    return set(group.members.values_list("name", flat=True))


@pytest.fixture
def key_accounts(world) -> CustomerGroup:
    return group_create(actor=world.mia, data={"name": "重点客户", "kind": GroupKind.STATIC})


# --- who may change groups -----------------------------------------------------------------


@pytest.mark.parametrize("username", ["mia", "tom", "dora", "cathy", "ada"])
def test_managers_director_custodian_and_admin_create_groups(world, username):
    group = group_create(actor=world.everyone[username], data={"name": " 夜市 ", "description": "晚上营业"})
    assert (group.name, group.kind, group.description, group.created_by) == (
        "夜市",
        "static",
        "晚上营业",
        world.everyone[username],
    )


@pytest.mark.parametrize("username", ["alice", "bob", "carol", "fiona", "aud"])
def test_reps_finance_and_the_auditor_may_not_change_groups(world, key_accounts, username):
    user = world.everyone[username]
    with pytest.raises(Forbidden):
        group_create(actor=user, data={"name": "不许建"})
    with pytest.raises(Forbidden):
        group_update(actor=user, group_id=key_accounts.pk, data={"name": "改名"})
    with pytest.raises(Forbidden):
        group_add_members(actor=user, group_id=key_accounts.pk, customer_ids=[world.alice_card.pk])
    with pytest.raises(Forbidden):
        group_delete(actor=user, group_id=key_accounts.pk)
    assert list(CustomerGroup.objects.values_list("name", flat=True)) == ["重点客户"]


def test_a_group_needs_a_unique_name(world, key_accounts):
    assert errors_of(group_create, actor=world.tom, data={"name": "重点客户"}) == {
        "name": ["Customer group with this Name already exists."]
    }
    assert errors_of(group_create, actor=world.tom, data={"name": "  "}) == {
        "name": ["This field cannot be blank."]
    }


def test_a_group_kind_must_be_static_or_segment(world):
    assert errors_of(group_create, actor=world.tom, data={"name": "x", "kind": "smart"}) == {
        "kind": ["Value 'smart' is not a valid choice."]
    }


def test_groups_are_renamed_and_deleted(world, key_accounts):
    group_update(actor=world.tom, group_id=key_accounts.pk, data={"name": "大客户"})
    assert CustomerGroup.objects.get(pk=key_accounts.pk).name == "大客户"
    group_delete(actor=world.tom, group_id=key_accounts.pk)
    assert CustomerGroup.objects.count() == 0


def test_a_missing_group_is_not_found(world):
    for call, kwargs in [
        (group_update, {"data": {"name": "x"}}),
        (group_delete, {}),
        (group_add_members, {"customer_ids": []}),
        (group_remove_members, {"customer_ids": []}),
    ]:
        with pytest.raises(NotFound):
            call(actor=world.ada, group_id=987654, **kwargs)


# --- static membership ---------------------------------------------------------------------


def test_members_are_added_only_from_the_cards_the_actor_sees(world, key_accounts):
    added = group_add_members(
        actor=world.mia,
        group_id=key_accounts.pk,
        customer_ids=[world.alice_card.pk, world.bob_card.pk, world.carol_card.pk, 987654],
    )
    assert added == 2
    assert member_names(key_accounts) == {"北京海淀区单氏副食店", "朝阳区百货批发部"}


def test_adding_a_member_twice_keeps_one_membership(world, key_accounts):
    group_add_members(actor=world.mia, group_id=key_accounts.pk, customer_ids=[world.alice_card.pk])
    group_add_members(actor=world.mia, group_id=key_accounts.pk, customer_ids=[world.alice_card.pk])
    assert key_accounts.members.count() == 1


def test_members_are_removed_only_among_the_cards_the_actor_sees(world, key_accounts):
    group_add_members(
        actor=world.dora,
        group_id=key_accounts.pk,
        customer_ids=[world.alice_card.pk, world.bob_card.pk, world.carol_card.pk],
    )
    removed = group_remove_members(
        actor=world.mia, group_id=key_accounts.pk, customer_ids=[world.alice_card.pk, world.carol_card.pk]
    )
    assert removed == 1
    assert member_names(key_accounts) == {"朝阳区百货批发部", "天津河西区便利店"}


def test_a_static_group_keeps_no_filters(world):
    group = group_create(actor=world.mia, data={"name": "静态", "kind": "static", "filters": {"tier": ["A"]}})
    assert group.filters == {}


# --- saved segments ------------------------------------------------------------------------


def test_a_segment_keeps_its_non_empty_filters(world):
    group = group_create(
        actor=world.mia,
        data={
            "name": "A级重点",
            "kind": GroupKind.SEGMENT,
            "filters": {"tier": ["A"], "is_key": "true", "q": "", "province": None, "status": []},
        },
    )
    group.refresh_from_db()
    assert (group.kind, group.filters) == ("segment", {"tier": ["A"], "is_key": "true"})


def test_a_segment_cannot_have_members_added_or_removed(world):
    segment = group_create(
        actor=world.mia, data={"name": "A级", "kind": "segment", "filters": {"tier": ["A"]}}
    )
    error = {"kind": ["A saved segment's members follow its filter; edit the filter instead."]}
    assert (
        errors_of(group_add_members, actor=world.mia, group_id=segment.pk, customer_ids=[world.alice_card.pk])
        == error
    )
    assert (
        errors_of(
            group_remove_members, actor=world.mia, group_id=segment.pk, customer_ids=[world.alice_card.pk]
        )
        == error
    )
    assert segment.members.count() == 0


def test_a_segment_filter_with_an_unknown_key_is_refused(world):
    assert errors_of(
        group_create,
        actor=world.mia,
        data={
            "name": "x",
            "kind": "segment",
            "filters": {"colour": "red", "tier": ["A"], "weight": 3},
        },
    ) == {"filters": ["Unknown filter: colour, weight"]}


def test_a_segment_cannot_nest_another_group(world, key_accounts):
    assert errors_of(
        group_create,
        actor=world.mia,
        data={
            "name": "x",
            "kind": "segment",
            "filters": {"group": key_accounts.pk},
        },
    ) == {"filters": ["Unknown filter: group"]}


def test_a_segment_filter_with_a_bad_choice_is_refused(world):
    assert errors_of(
        group_create,
        actor=world.mia,
        data={
            "name": "x",
            "kind": "segment",
            "filters": {"tier": ["Z"]},
        },
    ) == {"filters.tier": ["Select a valid choice. Z is not one of the available choices."]}


def test_a_segment_filter_with_a_bad_number_is_refused(world):
    errors = errors_of(
        group_create,
        actor=world.mia,
        data={
            "name": "x",
            "kind": "segment",
            "filters": {"completeness_min": "lots", "owner": 987654},
        },
    )
    assert errors == {
        "filters.completeness_min": ["Enter a number."],
        "filters.owner": ["Select a valid choice. That choice is not one of the available choices."],
    }


def test_a_segment_filter_must_be_an_object(world):
    assert errors_of(
        group_create, actor=world.mia, data={"name": "x", "kind": "segment", "filters": ["tier"]}
    ) == {"filters": ["Filters must be an object of name → value."]}


def test_a_segment_filter_is_validated_on_update_too(world):
    segment = group_create(
        actor=world.mia, data={"name": "A级", "kind": "segment", "filters": {"tier": ["A"]}}
    )
    assert errors_of(
        group_update, actor=world.mia, group_id=segment.pk, data={"filters": {"tier": ["Q"]}}
    ) == {"filters.tier": ["Select a valid choice. Q is not one of the available choices."]}
    group_update(actor=world.mia, group_id=segment.pk, data={"filters": {"tier": ["A", "B"]}})
    assert CustomerGroup.objects.get(pk=segment.pk).filters == {"tier": ["A", "B"]}


def test_turning_a_static_group_into_a_segment_drops_its_old_members(world):
    from kehu.customers.services import group_add_members, group_create, group_update

    group = group_create(actor=world.cathy, data={"name": "冰柜客户", "kind": "static"})
    group_add_members(actor=world.cathy, group_id=group.pk, customer_ids=[world.alice_card.pk])
    group_update(actor=world.cathy, group_id=group.pk, data={"kind": "segment", "filters": {"tier": ["A"]}})
    assert group.members.count() == 0


# --- audit ---------------------------------------------------------------------------------


def test_every_group_change_is_audited_with_what_changed(world, key_accounts):
    from kehu.accounts.models import AuditAction, AuditEvent

    group_update(actor=world.mia, group_id=key_accounts.pk, data={"description": "年销售额百万以上"})
    group_add_members(actor=world.mia, group_id=key_accounts.pk, customer_ids=[world.alice_card.pk])
    group_remove_members(actor=world.mia, group_id=key_accounts.pk, customer_ids=[world.alice_card.pk])
    group_delete(actor=world.mia, group_id=key_accounts.pk)

    events = AuditEvent.objects.filter(action=AuditAction.GROUP_CHANGE).order_by("pk")
    assert [(e.detail["change"], e.actor, e.object_id) for e in events] == [
        ("create", world.mia, key_accounts.pk),
        ("update", world.mia, key_accounts.pk),
        ("add_members", world.mia, key_accounts.pk),
        ("remove_members", world.mia, key_accounts.pk),
        ("delete", world.mia, key_accounts.pk),
    ]
    assert events[1].detail["fields"] == ["description"]
    assert events[2].detail["customer_ids"] == [world.alice_card.pk]
    assert events[4].detail["name"] == "重点客户"
    assert events[0].object_type_label == "customer group"


def test_a_refused_group_change_leaves_no_audit_line(world, key_accounts):
    from kehu.accounts.models import AuditAction, AuditEvent

    before = AuditEvent.objects.filter(action=AuditAction.GROUP_CHANGE).count()
    with pytest.raises(Forbidden):
        group_update(actor=world.alice, group_id=key_accounts.pk, data={"name": "x"})
    assert AuditEvent.objects.filter(action=AuditAction.GROUP_CHANGE).count() == before
