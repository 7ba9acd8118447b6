"""Writing customer cards: create, update (with the version check), archive, restore and purge."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.accounts.models import AccessGrant, AuditAction, AuditEvent, GrantStatus, Role
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import Customer, CustomField, CustomFieldType
from kehu.customers.services import (
    customer_archive,
    customer_create,
    customer_purge,
    customer_restore,
    customer_update,
)
from kehu.testing import errors_of, make_user

VALID_CREDIT_CODE = "91110108MA01C8XK22"


def update(actor, card, data, version=None):
    current = Customer.objects.get(pk=card.pk).version
    return customer_update(
        actor=actor, customer_id=card.pk, data=data, version=current if version is None else version
    )


def audit_actions(card) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="customer", object_id=card.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- create --------------------------------------------------------------------------------


def test_a_rep_creates_a_card_they_own_in_their_own_area(world):
    card = customer_create(actor=world.alice, data={"name": "北京西城区新华副食店", "phone": "010-66012345"})
    card.refresh_from_db()
    assert card.code == f"KH{card.pk:07d}"
    assert (card.owner, card.org_unit, card.version) == (world.alice, world.beijing, 1)
    assert card.search_text == (
        f"北京西城区新华副食店 kh{card.pk:07d} 010-66012345 01066012345 "
        "beijingxichengquxinhuafushidian bjxcqxhfsd"
    )


def test_create_scores_completeness_from_the_fields_given(world):
    card = customer_create(actor=world.alice, data={"name": "空白店"})
    assert card.completeness == 6  # only the owner (2 of 32 points)
    full = customer_create(
        actor=world.alice, data={"name": "电话店", "phone": "13812345678", "district": "海淀区"}
    )
    assert full.completeness == 22  # owner 2 + phone 3 + district 2 = 7 of 32


def test_create_writes_one_audit_row_and_a_history_record_by_the_actor(world):
    card = customer_create(actor=world.alice, data={"name": "新店"})
    [event] = AuditEvent.objects.filter(object_type="customer", object_id=card.pk)
    assert (event.action, event.actor, event.object_repr) == (
        "create",
        world.alice,
        f"新店 (KH{card.pk:07d})",
    )
    assert [(r.history_type, r.history_user) for r in card.history_records.all()] == [("+", world.alice)]


def test_a_code_given_by_hand_is_kept_and_must_be_unique(world):
    card = customer_create(actor=world.alice, data={"name": "手工编号店", "code": "BJ-0001"})
    assert card.code == "BJ-0001"
    assert errors_of(customer_create, actor=world.alice, data={"name": "重号店", "code": "BJ-0001"}) == {
        "code": ["Another card already has the code BJ-0001."]
    }


def test_a_generated_code_skips_a_code_already_typed_in_by_hand(world):
    top = Customer.objects.order_by("-id").first().pk
    customer_create(actor=world.alice, data={"name": "手工编号店", "code": f"KH{top + 2:07d}"})
    card = customer_create(actor=world.alice, data={"name": "自动编号店"})
    assert (card.pk, card.code) == (top + 2, f"KH{top + 3:07d}")
    assert Customer.objects.get(pk=card.pk).code == f"KH{top + 3:07d}"


def test_create_sets_tags(world):
    card = customer_create(actor=world.alice, data={"name": "夜市店", "tags": ["夜市", " 重点 ", "夜市", ""]})
    assert sorted(card.tags.values_list("name", flat=True)) == ["夜市", "重点"]


def test_finance_and_the_auditor_may_not_create_cards(world):
    for user in (world.fiona, world.aud):
        with pytest.raises(Forbidden):
            customer_create(actor=user, data={"name": "不许建"})
    assert Customer.objects.count() == 3


def test_create_rejects_unknown_and_derived_fields(world):
    data = {"name": "x", "colour": "red", "version": 7, "completeness": 100, "search_text": "x"}
    assert errors_of(customer_create, actor=world.alice, data=data) == {
        "colour": ["This field cannot be set."],
        "completeness": ["This field cannot be set."],
        "search_text": ["This field cannot be set."],
        "version": ["This field cannot be set."],
    }


def test_create_requires_a_name(world):
    assert errors_of(customer_create, actor=world.alice, data={"phone": "13812345678"}) == {
        "name": ["This field cannot be blank."]
    }


# --- placement -----------------------------------------------------------------------------


def test_a_rep_can_only_own_their_own_cards(world):
    assert errors_of(customer_create, actor=world.alice, data={"name": "给鲍勃", "owner": world.bob}) == {
        "owner": ["A sales rep can only own cards they write themselves."]
    }
    assert errors_of(update, actor=world.alice, card=world.alice_card, data={"owner": world.bob.pk}) == {
        "owner": ["A sales rep can only own cards they write themselves."]
    }


def test_a_rep_cannot_push_a_card_into_another_area(world):
    assert errors_of(
        customer_create, actor=world.alice, data={"name": "去天津", "org_unit": world.tianjin}
    ) == {"org_unit": ["Choose an org unit inside your own area."]}
    assert errors_of(update, actor=world.alice, card=world.alice_card, data={"org_unit": world.tianjin}) == {
        "org_unit": ["Choose an org unit inside your own area."]
    }


def test_a_manager_places_cards_for_reps_inside_their_subtree(world):
    card = customer_create(actor=world.mia, data={"name": "给艾丽", "owner": world.alice})
    assert (card.owner, card.org_unit) == (world.alice, world.beijing)
    unowned = customer_create(actor=world.mia, data={"name": "米娅自己的"})
    assert (unowned.owner, unowned.org_unit) == (world.mia, world.beijing)


def test_a_manager_cannot_place_a_card_outside_their_subtree(world):
    outside = {"name": "天津店", "owner": world.carol, "org_unit": world.tianjin}
    assert errors_of(customer_create, actor=world.mia, data=outside) == {
        "org_unit": ["Choose an org unit inside your own area."],
        "owner": ["Choose an owner inside your own area."],
    }


def test_a_manager_cannot_place_even_their_own_card_outside_their_subtree(world):
    own_outside = {"name": "米娅天津店", "owner": world.mia, "org_unit": world.tianjin}
    assert errors_of(customer_create, actor=world.mia, data=own_outside) == {
        "org_unit": ["Choose an org unit inside your own area."]
    }
    assert errors_of(update, actor=world.mia, card=world.alice_card, data={"org_unit": world.tianjin}) == {
        "org_unit": ["Choose an org unit inside your own area."]
    }
    assert Customer.objects.filter(org_unit=world.tianjin).count() == 1


def test_a_regional_manager_moves_cards_between_their_areas(world):
    nina = make_user("nina", Role.MANAGER, world.north)
    card = update(nina, world.alice_card, {"org_unit": world.tianjin, "owner": world.carol})
    assert (card.org_unit, card.owner) == (world.tianjin, world.carol)


def test_the_director_may_place_a_card_anywhere(world):
    card = customer_create(actor=world.dora, data={"name": "总部店", "owner": world.carol})
    assert (card.owner, card.org_unit) == (world.carol, world.tianjin)


def test_the_owner_must_be_an_active_user(world):
    world.bob.is_active = False
    world.bob.save()
    assert errors_of(update, actor=world.mia, card=world.alice_card, data={"owner": world.bob}) == {
        "owner": ["This user does not exist or is inactive."]
    }


def test_the_upstream_must_be_visible_to_the_actor(world):
    assert errors_of(
        update, actor=world.alice, card=world.alice_card, data={"upstream": world.carol_card}
    ) == {"upstream": ["No such customer."]}
    assert errors_of(update, actor=world.alice, card=world.alice_card, data={"upstream": 999999}) == {
        "upstream": ["No such customer."]
    }


def test_a_card_cannot_be_its_own_upstream(world):
    assert errors_of(
        update, actor=world.alice, card=world.alice_card, data={"upstream": world.alice_card}
    ) == {"upstream": ["A customer cannot be its own upstream supplier."]}


def test_the_channel_graph_cannot_loop(world):
    update(world.mia, world.alice_card, {"upstream": world.bob_card})
    extra = customer_create(
        actor=world.mia, data={"name": "三批", "owner": world.bob, "upstream": world.alice_card}
    )
    assert extra.upstream == world.alice_card
    assert errors_of(update, actor=world.mia, card=world.bob_card, data={"upstream": extra}) == {
        "upstream": ["This supplier is already downstream of the customer (a loop)."]
    }


def test_an_upstream_chain_without_a_loop_is_accepted(world):
    update(world.mia, world.alice_card, {"upstream": world.bob_card})
    card = customer_create(actor=world.alice, data={"name": "零售", "upstream": world.alice_card})
    assert [card.upstream, card.upstream.upstream] == [world.alice_card, world.bob_card]


# --- update --------------------------------------------------------------------------------


def test_an_update_bumps_the_version_and_refreshes_derived_fields(world):
    card = update(world.alice, world.alice_card, {"short_name": "单氏", "phone": "13912345678"})
    card.refresh_from_db()
    assert (card.version, card.short_name, card.phone) == (2, "单氏", "13912345678")
    assert "13912345678" in card.search_text.split()
    assert "ss" in card.search_text.split()  # initials of the new short name
    # owner 2 + phone 3 + district 2 + credit code 2 + short name 1 + contact 3 + contact mobile 2 = 15 of 32
    assert card.completeness == 47
    [event] = AuditEvent.objects.filter(action=AuditAction.UPDATE)
    assert (event.actor, event.detail) == (world.alice, {"fields": ["short_name", "phone"]})


def test_an_update_strips_text(world):
    card = update(world.alice, world.alice_card, {"short_name": "  单氏  "})
    assert card.short_name == "单氏"


def test_it_refuses_a_stale_version_and_carries_the_current_card(world):
    update(world.alice, world.alice_card, {"short_name": "单氏"})
    with pytest.raises(VersionConflict) as caught:
        update(world.alice, world.alice_card, {"short_name": "单记"}, version=1)
    current = caught.value.current
    assert (current.pk, current.version, current.short_name) == (world.alice_card.pk, 2, "单氏")
    assert Customer.objects.get(pk=world.alice_card.pk).short_name == "单氏"


def test_an_update_must_carry_a_version(world):
    assert errors_of(
        customer_update,
        actor=world.alice,
        customer_id=world.alice_card.pk,
        data={"short_name": "x"},
        version=None,
    ) == {"version": ["Send the version you edited so concurrent edits are caught."]}


def test_two_people_editing_the_same_card_the_second_save_is_refused(world):
    version_seen_by_alice = Customer.objects.get(pk=world.alice_card.pk).version
    version_seen_by_mia = Customer.objects.get(pk=world.alice_card.pk).version
    customer_update(
        actor=world.alice, customer_id=world.alice_card.pk, data={"tier": "A"}, version=version_seen_by_alice
    )
    with pytest.raises(VersionConflict) as caught:
        customer_update(
            actor=world.mia, customer_id=world.alice_card.pk, data={"tier": "D"}, version=version_seen_by_mia
        )
    assert (caught.value.current.tier, caught.value.current.version) == ("A", 2)
    saved = Customer.objects.get(pk=world.alice_card.pk)
    assert (saved.tier, saved.version) == ("A", 2)
    assert audit_actions(world.alice_card) == ["update"]


def test_an_update_that_changes_nothing_writes_nothing(world):
    before = Customer.objects.get(pk=world.alice_card.pk)
    card = update(
        world.alice,
        world.alice_card,
        {"name": "北京海淀区单氏副食店", "phone": " 010-62345678 ", "tier": "C", "tags": []},
    )
    assert card.version == 1
    after = Customer.objects.get(pk=world.alice_card.pk)
    assert (after.version, after.updated_at) == (1, before.updated_at)
    assert audit_actions(world.alice_card) == []
    assert world.alice_card.history_records.count() == 1


def test_values_in_another_form_of_the_same_value_change_nothing(world):
    card = update(
        world.alice,
        world.alice_card,
        {
            "credit_limit": "0.00",
            "lat": None,
            "owner": world.alice.pk,
            "org_unit": world.beijing,
            "payment_terms_days": "0",
        },
    )
    assert card.version == 1
    assert audit_actions(world.alice_card) == []


def test_finance_may_change_the_credit_terms(world):
    card = update(
        world.fiona,
        world.alice_card,
        {"credit_limit": Decimal("50000"), "credit_rating": "B", "payment_terms_days": 30},
    )
    card.refresh_from_db()
    assert (card.credit_limit, card.credit_rating, card.payment_terms_days, card.version) == (
        Decimal("50000.00"),
        "B",
        30,
        2,
    )


def test_finance_gets_a_field_error_for_profile_fields(world):
    assert errors_of(
        update, actor=world.fiona, card=world.alice_card, data={"name": "改名", "credit_limit": 1}
    ) == {"name": ["You may not change this field."]}
    assert Customer.objects.get(pk=world.alice_card.pk).credit_limit == Decimal("0")


def test_finance_may_send_unchanged_profile_fields_with_the_credit_terms(world):
    card = update(world.fiona, world.alice_card, {"name": "北京海淀区单氏副食店", "credit_limit": 100})
    assert (card.credit_limit, card.version) == (100, 2)


def test_the_auditor_may_not_update(world):
    with pytest.raises(Forbidden):
        update(world.aud, world.alice_card, {"credit_limit": 1})


def test_a_rep_lent_a_card_may_read_but_not_update_it(world):
    now = timezone.now()
    AccessGrant.objects.create(
        customer=world.alice_card,
        grantee=world.carol,
        requested_by=world.carol,
        reason="covering",
        days=7,
        status=GrantStatus.APPROVED,
        starts_at=now,
        expires_at=now + timedelta(days=7),
    )
    with pytest.raises(Forbidden):
        update(world.carol, world.alice_card, {"tier": "A"})


@pytest.mark.parametrize("username", ["bob", "carol", "tom"])
def test_an_invisible_card_is_not_found(world, username):
    with pytest.raises(NotFound):
        customer_update(
            actor=world.everyone[username], customer_id=world.alice_card.pk, data={"tier": "A"}, version=1
        )


def test_a_missing_card_is_not_found(world):
    with pytest.raises(NotFound):
        customer_update(actor=world.ada, customer_id=987654, data={"tier": "A"}, version=1)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"credit_code": "91110108MA01C8XK23"},
            {
                "credit_code": [
                    "The check character of this credit code should be '2', not '3': "
                    "a character is probably mistyped."
                ]
            },
        ),
        (
            {"phone": "12345"},
            {
                "phone": [
                    "Enter a mobile (13812345678), a landline with area code (010-62345678) or a 400 number."
                ]
            },
        ),
        ({"lat": Decimal("95")}, {"lat": ["Latitude must be between -90 and 90."]}),
        ({"lng": 181}, {"lng": ["Longitude must be between -180 and 180."]}),
        ({"credit_limit": Decimal("-1")}, {"credit_limit": ["Must be zero or more."]}),
        ({"status": "asleep"}, {"status": ["Value 'asleep' is not a valid choice."]}),
        ({"lat": "north"}, {"lat": ["“north” value must be a decimal number."]}),
        ({"name": ""}, {"name": ["This field cannot be blank."]}),
        ({"colour": "red"}, {"colour": ["This field cannot be set."]}),
        ({"completeness": 100}, {"completeness": ["This field cannot be set."]}),
    ],
)
def test_invalid_values_are_reported_by_field(world, data, errors):
    assert errors_of(update, actor=world.alice, card=world.alice_card, data=data) == errors
    assert Customer.objects.get(pk=world.alice_card.pk).version == 1


def test_several_invalid_values_are_reported_together(world):
    assert set(
        errors_of(
            update,
            actor=world.alice,
            card=world.alice_card,
            data={"phone": "1", "lat": 100, "credit_limit": -5},
        )
    ) == {"phone", "lat", "credit_limit"}


def test_a_valid_credit_code_is_stored_in_upper_case(world):
    card = update(world.bob, world.bob_card, {"credit_code": VALID_CREDIT_CODE.lower()})
    assert card.credit_code == VALID_CREDIT_CODE


def test_custom_field_errors_are_keyed_by_the_custom_field(world):
    CustomField.objects.create(
        key="fridges", label_zh="冰柜数", label_en="Fridges", field_type=CustomFieldType.NUMBER
    )
    assert errors_of(
        update, actor=world.alice, card=world.alice_card, data={"custom": {"fridges": "many"}}
    ) == {"custom.fridges": ["'many' is not a number."]}
    card = update(world.alice, world.alice_card, {"custom": {"fridges": "3"}})
    assert (card.custom, card.version) == ({"fridges": 3}, 2)


def test_tags_are_set_and_cleared(world):
    card = update(world.alice, world.alice_card, {"tags": ["重点", "夜市"]})
    assert (sorted(card.tags.values_list("name", flat=True)), card.version) == (["夜市", "重点"], 2)
    card = update(world.alice, world.alice_card, {"tags": []})
    assert (list(card.tags.all()), card.version) == ([], 3)
    assert list(AuditEvent.objects.filter(action=AuditAction.UPDATE).values_list("detail", flat=True)) == [
        {"fields": ["tags"]},
        {"fields": ["tags"]},
    ]


def test_history_records_carry_the_user_who_changed_the_card(world):
    update(world.alice, world.alice_card, {"short_name": "单氏"})
    update(world.mia, world.alice_card, {"tier": "B"})
    records = world.alice_card.history_records.order_by("history_date", "history_id")
    assert [(r.history_type, r.history_user, r.short_name, r.tier) for r in records] == [
        ("+", None, "", "C"),
        ("~", world.alice, "单氏", "C"),
        ("~", world.mia, "单氏", "B"),
    ]


def test_an_owner_change_is_audited_with_old_and_new_owner(world):
    update(world.mia, world.alice_card, {"owner": world.bob})
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.detail == {"fields": ["owner"], "owner": [world.alice.pk, world.bob.pk]}


# --- archive, restore, purge ---------------------------------------------------------------


def test_the_owner_archives_a_card_and_it_leaves_daily_work(world):
    card = customer_archive(actor=world.alice, customer_id=world.alice_card.pk)
    assert card.archived_at is not None and card.version == 2
    assert not Customer.objects.visible_to(world.alice).filter(pk=card.pk).exists()
    assert audit_actions(card) == ["archive"]


@pytest.mark.parametrize(("username", "error"), [("bob", NotFound), ("fiona", Forbidden), ("aud", Forbidden)])
def test_only_editors_archive(world, username, error):
    with pytest.raises(error):
        customer_archive(actor=world.everyone[username], customer_id=world.alice_card.pk)
    assert Customer.objects.get(pk=world.alice_card.pk).archived_at is None


def test_an_archived_card_cannot_be_edited_even_by_the_custodian(world):
    customer_archive(actor=world.alice, customer_id=world.alice_card.pk)
    with pytest.raises(Forbidden):
        update(world.cathy, world.alice_card, {"tier": "A"})


@pytest.mark.parametrize("username", ["cathy", "ada"])
def test_a_custodian_or_admin_restores_an_archived_card(world, username):
    customer_archive(actor=world.alice, customer_id=world.alice_card.pk)
    card = customer_restore(actor=world.everyone[username], customer_id=world.alice_card.pk)
    assert (card.archived_at, card.version) == (None, 3)
    assert Customer.objects.visible_to(world.alice).filter(pk=card.pk).exists()
    assert audit_actions(card) == ["archive", "restore"]


@pytest.mark.parametrize(
    ("username", "error"),
    [("alice", NotFound), ("mia", NotFound), ("dora", NotFound), ("fiona", NotFound), ("aud", Forbidden)],
)
def test_nobody_else_restores(world, username, error):
    customer_archive(actor=world.alice, customer_id=world.alice_card.pk)
    with pytest.raises(error):
        customer_restore(actor=world.everyone[username], customer_id=world.alice_card.pk)
    assert Customer.objects.get(pk=world.alice_card.pk).archived_at is not None


def test_restoring_a_card_that_is_not_archived_is_an_error(world):
    assert errors_of(customer_restore, actor=world.cathy, customer_id=world.alice_card.pk) == {
        "archived_at": ["This card is not archived."]
    }


def test_the_admin_purges_an_archived_card_with_a_reason(world):
    card_id = world.alice_card.pk
    customer_archive(actor=world.alice, customer_id=card_id)
    customer_purge(actor=world.ada, customer_id=card_id, reason="  duplicate of T00002 ")
    assert not Customer.objects.filter(pk=card_id).exists()
    event = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert (event.actor, event.object_id) == (world.ada, card_id)
    assert event.detail == {"code": "T00001", "name": "北京海淀区单氏副食店", "reason": "duplicate of T00002"}
    assert [r.history_type for r in Customer.history.filter(id=card_id).order_by("history_date")] == [
        "+",
        "~",
        "-",
    ]
    assert Customer.history.filter(id=card_id, history_type="-").get().history_user == world.ada


def test_purging_cuts_the_downstream_cards_loose(world):
    update(world.mia, world.bob_card, {"upstream": world.alice_card})
    customer_archive(actor=world.alice, customer_id=world.alice_card.pk)
    customer_purge(actor=world.ada, customer_id=world.alice_card.pk, reason="closed for good")
    assert Customer.objects.get(pk=world.bob_card.pk).upstream is None


def test_purge_needs_the_card_archived_first(world):
    assert errors_of(customer_purge, actor=world.ada, customer_id=world.alice_card.pk, reason="gone") == {
        "archived_at": ["Archive the card before purging it."]
    }
    assert Customer.objects.filter(pk=world.alice_card.pk).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_purge_needs_a_reason(world, reason):
    customer_archive(actor=world.alice, customer_id=world.alice_card.pk)
    assert errors_of(customer_purge, actor=world.ada, customer_id=world.alice_card.pk, reason=reason) == {
        "reason": ["Say why the card is purged; the reason is kept in the audit log."]
    }


@pytest.mark.parametrize(
    ("username", "error"), [("cathy", Forbidden), ("aud", Forbidden), ("dora", NotFound), ("alice", NotFound)]
)
def test_only_the_admin_purges(world, username, error):
    customer_archive(actor=world.alice, customer_id=world.alice_card.pk)
    with pytest.raises(error):
        customer_purge(actor=world.everyone[username], customer_id=world.alice_card.pk, reason="gone")
    assert Customer.objects.filter(pk=world.alice_card.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.PURGE).count() == 0


def test_a_manager_cannot_hand_a_card_to_an_owner_outside_their_area(world):
    import pytest

    from kehu.customers.services import customer_update

    with pytest.raises(ValidationError) as caught:
        customer_update(actor=world.mia, customer_id=world.alice_card.pk,
                        data={"owner": world.carol.pk}, version=1)
    assert "owner" in caught.value.message_dict


def test_a_version_that_is_not_a_number_is_a_field_error(world):
    import pytest

    from kehu.customers.services import customer_update

    with pytest.raises(ValidationError) as caught:
        customer_update(actor=world.alice, customer_id=world.alice_card.pk, data={"short_name": "x"}, version="v1")
    assert caught.value.message_dict == {"version": ["The version must be a whole number."]}


def test_a_card_given_only_an_address_gets_its_place_from_the_geocoder(world):
    from kehu.customers.services import customer_create

    card = customer_create(actor=world.alice, data={"name": "中关村便利店", "address": "北京市海淀区中关村大街27号"})
    assert (card.province, card.city, card.district, card.adcode) == ("北京市", "北京市", "海淀区", "110108")
    assert card.geo_precision == "district" and card.lat is not None


def test_an_ambiguous_address_is_left_for_a_person(world):
    from kehu.customers.services import customer_create

    card = customer_create(actor=world.alice, data={"name": "建国路小卖部", "address": "朝阳区建国路88号"})
    assert (card.province, card.city, card.district, card.geo_precision) == ("", "", "", "none")


def test_a_new_address_moves_the_place_but_keeps_an_exact_point(world):
    from decimal import Decimal

    from kehu.customers.services import customer_update

    card = world.alice_card
    card.lat, card.lng, card.geo_precision = Decimal("39.9"), Decimal("116.3"), "exact"
    card.save()
    card = customer_update(actor=world.alice, customer_id=card.pk, version=1,
                           data={"address": "天津市河西区友谊路20号"})
    assert (card.province, card.district, card.adcode) == ("天津市", "河西区", "120103")
    assert (card.lat, card.lng, card.geo_precision) == (Decimal("39.9"), Decimal("116.3"), "exact")


def test_an_unconfirmed_twin_is_not_written_and_its_matches_are_listed(world):
    import pytest

    from kehu.customers.dedupe import LikelyDuplicates
    from kehu.customers.models import Customer
    from kehu.customers.services import customer_create

    twin = {"name": "单氏副食店", "phone": "010-62345678", "province": "北京市", "city": "北京市", "district": "海淀区"}
    before = Customer.objects.count()
    with pytest.raises(LikelyDuplicates) as caught:
        customer_create(actor=world.alice, data=twin, confirm_duplicates=False)
    assert [m.customer for m in caught.value.matches] == [world.alice_card]
    assert Customer.objects.count() == before
    assert customer_create(actor=world.alice, data=twin, confirm_duplicates=True).pk is not None


def test_a_rep_is_never_warned_about_a_card_they_cannot_see(world):
    from kehu.customers.services import customer_create

    twin = {"name": "单氏副食店", "phone": "010-62345678", "province": "北京市", "city": "北京市", "district": "海淀区"}
    assert customer_create(actor=world.carol, data={**twin, "org_unit": world.tianjin},
                           confirm_duplicates=False).pk is not None


def test_a_point_a_person_gives_is_exact_and_an_unchanged_one_keeps_its_precision(world):
    from kehu.customers.services import customer_create, customer_update

    card = customer_create(actor=world.alice, data={"name": "北京海淀区定位测试店", "address": "北京市海淀区中关村大街1号"})
    assert card.geo_precision == "district"
    card = customer_update(actor=world.alice, customer_id=card.pk, version=card.version,
                           data={"lat": "39.983400", "lng": "116.316500", "geo_precision": "district"})
    assert (card.lat, card.geo_precision) == (Decimal("39.983400"), "exact")
    card = customer_update(actor=world.alice, customer_id=card.pk, version=card.version,
                           data={"lat": "39.9834", "lng": "116.3165", "geo_precision": "city", "notes": "x"})
    assert card.geo_precision == "city"  # the same point, a precision set on purpose
    typed = customer_create(actor=world.alice, data={"name": "北京海淀区坐标店", "lat": "39.9", "lng": "116.3"})
    assert typed.geo_precision == "exact"
