"""Reads that take the asking user: the card, its contacts (masked), its history, and the loan lists."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from kehu.accounts.models import AccessGrant, GrantStatus
from kehu.core.errors import NotFound
from kehu.core.validators import credit_code_check_char
from kehu.customers.models import Contact, Customer
from kehu.customers.selectors import customer_contacts, customer_get, customer_history, grant_lists
from kehu.customers.services import (
    contact_create,
    contact_delete,
    contact_update,
    customer_archive,
    customer_update,
)

NEW_CREDIT_CODE = "91110108MA01C8XK3" + credit_code_check_char("91110108MA01C8XK3")  # ends in 5


def lend(card, grantee, status=GrantStatus.APPROVED) -> AccessGrant:
    now = timezone.now()
    approved = status == GrantStatus.APPROVED
    return AccessGrant.objects.create(
        customer=card,
        grantee=grantee,
        requested_by=grantee,
        reason="covering",
        days=7,
        status=status,
        starts_at=now if approved else None,
        expires_at=now + timedelta(days=7) if approved else None,
    )


def card_history(user, card) -> list[tuple]:
    """Each entry as (user, kind, subject, [(label, old, new), …]), newest first."""
    return [
        (e.user, e.kind, e.subject, [(c.label, c.old, c.new) for c in e.changes])
        for e in customer_history(user=user, customer=Customer.objects.get(pk=card.pk))
    ]


@pytest.fixture
def edited(world) -> Customer:
    """Alice fills in her card, Mia hands it to Bob under Bob's wholesaler, Mia updates the contact."""
    customer_update(
        actor=world.alice,
        customer_id=world.alice_card.pk,
        version=1,
        data={"short_name": "单氏", "status": "active", "credit_code": NEW_CREDIT_CODE},
    )
    customer_update(
        actor=world.mia,
        customer_id=world.alice_card.pk,
        version=2,
        data={"owner": world.bob, "upstream": world.bob_card},
    )
    shan = Contact.objects.get(name="单立新")
    contact_update(
        actor=world.mia, contact_id=shan.pk, data={"mobile": "13912345678", "title": "老板"}, version=1
    )
    return world.alice_card


# --- history -------------------------------------------------------------------------------


def test_history_shows_who_changed_which_field_from_what_to_what_newest_first(world, edited):
    assert card_history(world.mia, edited) == [
        (
            "Mia 米娅",
            "~",
            "contact: 单立新",
            [("mobile", "13812345678", "13912345678"), ("title", "", "老板")],
        ),
        (
            "Mia 米娅",
            "~",
            "",
            [("owner", "Alice 艾丽", "Bob 鲍勃"), ("upstream supplier", "", "朝阳区百货批发部 (T00002)")],
        ),
        (
            "Alice 艾丽",
            "~",
            "",
            [
                ("unified social credit code", "91110108MA01C8XK22", NEW_CREDIT_CODE),
                ("short name", "", "单氏"),
                ("status", "Potential", "Active"),
            ],
        ),
        ("", "+", "contact: 单立新", []),
        ("", "+", "", []),
    ]


def test_history_masks_sensitive_values_for_finance(world, edited):
    history = card_history(world.fiona, edited)
    assert history[0][3] == [("mobile", "138****5678", "139****5678"), ("title", "", "老板")]
    assert history[2][3] == [
        ("unified social credit code", "911****XK22", "911****XK35"),
        ("short name", "", "单氏"),
        ("status", "Potential", "Active"),
    ]


def test_history_masks_sensitive_values_for_the_auditor_and_a_borrower(world, edited):
    lend(edited, world.carol)
    for user in (world.aud, world.carol):
        history = card_history(user, edited)
        assert history[0][3][0] == ("mobile", "138****5678", "139****5678")
        assert history[2][3][0] == ("unified social credit code", "911****XK22", "911****XK35")


def test_history_shows_sensitive_values_to_editors(world, edited):
    for user in (world.bob, world.mia, world.dora, world.cathy, world.ada):
        assert card_history(user, edited)[0][3][0] == ("mobile", "13812345678", "13912345678")


def test_history_labels_follow_the_language(world, edited):
    with translation.override("zh-hans"):
        entries = customer_history(user=world.mia, customer=edited)
    assert entries[2].changes[2].field == "status"


def test_history_includes_added_and_deleted_contacts(world):
    wang = contact_create(actor=world.alice, customer_id=world.alice_card.pk, data={"name": "王强"})
    contact_delete(actor=world.mia, contact_id=wang.pk)
    assert card_history(world.alice, world.alice_card)[:2] == [
        ("Mia 米娅", "-", "contact: 王强", []),
        ("Alice 艾丽", "+", "contact: 王强", []),
    ]


def test_history_leaves_out_records_that_changed_no_tracked_field(world):
    customer_update(actor=world.alice, customer_id=world.alice_card.pk, data={"tags": ["夜市"]}, version=1)
    assert card_history(world.alice, world.alice_card) == [
        ("", "+", "contact: 单立新", []),
        ("", "+", "", []),
    ]


def test_history_shows_archiving_and_custom_values(world):
    from kehu.customers.models import CustomField

    CustomField.objects.create(key="fridges", label_zh="冰柜", label_en="Fridges", field_type="number")
    customer_update(
        actor=world.alice, customer_id=world.alice_card.pk, data={"custom": {"fridges": 2}}, version=1
    )
    customer_archive(actor=world.alice, customer_id=world.alice_card.pk)
    history = card_history(world.cathy, world.alice_card)
    assert history[1] == ("Alice 艾丽", "~", "", [("custom fields", "", "fridges=2")])
    assert history[0][:3] == ("Alice 艾丽", "~", "")
    assert [(label, old) for label, old, _new in history[0][3]] == [("archived at", "")]


def test_history_of_one_card_leaves_out_other_cards(world, edited):
    assert card_history(world.dora, world.carol_card) == [("", "+", "", [])]


# --- the card and its contacts -------------------------------------------------------------


def test_a_visible_card_is_found_with_its_owner_and_unit(world, django_assert_num_queries):
    with django_assert_num_queries(3):  # the rep's loans (scope); the card with owner, unit and upstream; its tags
        card = customer_get(user=world.alice, customer_id=str(world.alice_card.pk))
        assert (card.owner.username, card.org_unit.code) == ("alice", "BJ")


@pytest.mark.parametrize("customer_id", ["abc", None, "", 987654, "1.5"])
def test_a_malformed_or_missing_id_is_not_found(world, customer_id):
    with pytest.raises(NotFound):
        customer_get(user=world.dora, customer_id=customer_id)


@pytest.mark.parametrize("username", ["bob", "carol", "tom"])
def test_an_invisible_card_is_not_found(world, username):
    with pytest.raises(NotFound):
        customer_get(user=world.everyone[username], customer_id=world.alice_card.pk)


def test_contacts_are_shown_in_full_to_editors(world):
    Contact.objects.filter(name="单立新").update(
        email="shan@example.com", wechat="shanlixin88", phone="010-62345678"
    )
    [contact] = customer_contacts(user=world.mia, customer=world.alice_card)
    assert (contact.mobile, contact.phone, contact.email, contact.wechat) == (
        "13812345678",
        "010-62345678",
        "shan@example.com",
        "shanlixin88",
    )
    assert not getattr(contact, "is_masked", False)


@pytest.mark.parametrize("username", ["fiona", "aud"])
def test_contacts_are_masked_for_readers_who_may_not_edit(world, username):
    Contact.objects.filter(name="单立新").update(
        email="shan@example.com", wechat="shanlixin88", phone="010-62345678"
    )
    [contact] = customer_contacts(user=world.everyone[username], customer=world.alice_card)
    assert (
        contact.name,
        contact.mobile,
        contact.phone,
        contact.email,
        contact.wechat,
        contact.is_masked,
    ) == ("单立新", "138****5678", "010****5678", "s****@example.com", "sha****in88", True)
    assert Contact.objects.get(name="单立新").mobile == "13812345678"  # masking never writes


def test_contacts_are_masked_for_a_borrower(world):
    lend(world.alice_card, world.carol)
    [contact] = customer_contacts(user=world.carol, customer=world.alice_card)
    assert contact.mobile == "138****5678"


def test_contacts_of_an_invisible_card_are_not_listed(world):
    assert customer_contacts(user=world.bob, customer=world.alice_card) == []


# --- loan lists ----------------------------------------------------------------------------


@pytest.fixture
def loans(world) -> dict[str, AccessGrant]:
    past = lend(world.carol_card, world.alice)
    AccessGrant.objects.filter(pk=past.pk).update(expires_at=timezone.now() - timedelta(days=1))
    return {
        "carol_asks_alice_card": lend(world.alice_card, world.carol, GrantStatus.PENDING),
        "tom_has_bob_card": lend(world.bob_card, world.tom),
        "alice_had_carol_card": past,
        "bob_refused_carol_card": lend(world.carol_card, world.bob, GrantStatus.REFUSED),
    }


def listed(world, loans, user) -> dict[str, set[str]]:
    names = {grant.pk: name for name, grant in loans.items()}
    return {
        kind: {names[pk] for pk in qs.values_list("pk", flat=True)}
        for kind, qs in grant_lists(user=user).items()
    }


def test_the_manager_lists_the_loans_of_their_cards(world, loans):
    assert listed(world, loans, world.mia) == {
        "pending": {"carol_asks_alice_card"},
        "active": {"tom_has_bob_card"},
        "past": set(),
    }
    assert listed(world, loans, world.tom) == {
        "pending": set(),
        "active": {"tom_has_bob_card"},
        "past": {"alice_had_carol_card", "bob_refused_carol_card"},
    }


def test_a_borrower_lists_only_their_own_loans(world, loans):
    assert listed(world, loans, world.carol) == {
        "pending": {"carol_asks_alice_card"},
        "active": set(),
        "past": set(),
    }
    assert listed(world, loans, world.alice) == {
        "pending": set(),
        "active": set(),
        "past": {"alice_had_carol_card"},
    }


def test_a_custodian_lists_every_loan(world, loans):
    assert listed(world, loans, world.cathy) == {
        "pending": {"carol_asks_alice_card"},
        "active": {"tom_has_bob_card"},
        "past": {"alice_had_carol_card", "bob_refused_carol_card"},
    }


def test_users_who_neither_borrow_nor_decide_list_nothing(world, loans):
    for user in (world.dora, world.fiona, world.aud):
        assert listed(world, loans, user) == {"pending": set(), "active": set(), "past": set()}
