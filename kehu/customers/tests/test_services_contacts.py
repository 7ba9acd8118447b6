"""Writing contacts: only editors of the card, with the version check, one primary contact per card."""

import pytest

from kehu.accounts.models import AuditEvent
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import Contact, Customer
from kehu.customers.services import contact_create, contact_delete, contact_update
from kehu.testing import errors_of


@pytest.fixture
def shan(world) -> Contact:
    return Contact.objects.get(customer=world.alice_card, name="单立新")


def completeness(card) -> int:
    return Customer.objects.get(pk=card.pk).completeness


def contacts_of(card) -> list[tuple[str, bool]]:
    return list(Contact.objects.filter(customer=card).values_list("name", "is_primary"))


# --- create --------------------------------------------------------------------------------


def test_the_owner_adds_a_contact(world):
    contact = contact_create(
        actor=world.bob,
        customer_id=world.bob_card.pk,
        data={"name": " 王强 ", "title": "店长", "mobile": "13912345678"},
    )
    contact.refresh_from_db()
    assert (contact.customer, contact.name, contact.title, contact.mobile, contact.version) == (
        world.bob_card,
        "王强",
        "店长",
        "13912345678",
        1,
    )
    event = AuditEvent.objects.get(object_type="contact")
    assert (event.action, event.actor, event.object_id, event.detail) == (
        "create",
        world.bob,
        contact.pk,
        {"customer_id": world.bob_card.pk},
    )
    assert [(r.history_type, r.history_user) for r in contact.history.all()] == [("+", world.bob)]


def test_adding_a_contact_recomputes_the_card_completeness(world):
    assert completeness(world.bob_card) == 0
    contact_create(actor=world.bob, customer_id=world.bob_card.pk, data={"name": "王强"})
    assert completeness(world.bob_card) == 16  # owner 2 + contact 3 = 5 of 32
    contact_create(
        actor=world.bob, customer_id=world.bob_card.pk, data={"name": "李娜", "mobile": "13912345678"}
    )
    assert completeness(world.bob_card) == 22  # + contact mobile 2 = 7 of 32


@pytest.mark.parametrize("username", ["alice", "mia", "dora", "cathy", "ada"])
def test_editors_of_the_card_add_contacts(world, username):
    contact_create(actor=world.everyone[username], customer_id=world.alice_card.pk, data={"name": "新联系人"})
    assert Contact.objects.filter(customer=world.alice_card).count() == 2


@pytest.mark.parametrize("username", ["fiona", "aud"])
def test_those_who_may_only_read_the_card_are_forbidden(world, username):
    with pytest.raises(Forbidden):
        contact_create(
            actor=world.everyone[username], customer_id=world.alice_card.pk, data={"name": "不许加"}
        )
    assert Contact.objects.count() == 1


@pytest.mark.parametrize("username", ["bob", "carol", "tom"])
def test_a_card_the_user_cannot_see_is_not_found(world, username):
    with pytest.raises(NotFound):
        contact_create(
            actor=world.everyone[username], customer_id=world.alice_card.pk, data={"name": "不许加"}
        )


def test_contacts_of_an_archived_card_cannot_be_added(world):
    Customer.objects.filter(pk=world.alice_card.pk).update(archived_at="2025-01-01T00:00:00Z")
    with pytest.raises(NotFound):
        contact_create(actor=world.alice, customer_id=world.alice_card.pk, data={"name": "x"})
    with pytest.raises(Forbidden):
        contact_create(actor=world.cathy, customer_id=world.alice_card.pk, data={"name": "x"})


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": ""}, {"name": ["This field cannot be blank."]}),
        (
            {"name": "王强", "mobile": "12345"},
            {"mobile": ["Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13812345678."]},
        ),
        (
            {"name": "王强", "phone": "12345"},
            {"phone": ["Enter a landline with area code, e.g. 010-62345678 or 0755-8765432-801."]},
        ),
        ({"name": "王强", "email": "wang@"}, {"email": ["Enter a valid email address."]}),
        (
            {"name": "王强", "birthday": "1990-02-30"},
            {
                "birthday": [
                    "“1990-02-30” value has the correct format (YYYY-MM-DD) but it is an invalid date."
                ]
            },
        ),
        ({"name": "王强", "customer": 1}, {"customer": ["This field cannot be set."]}),
        ({"name": "王强", "version": 3}, {"version": ["This field cannot be set."]}),
    ],
)
def test_invalid_contact_values_are_reported_by_field(world, data, errors):
    assert errors_of(contact_create, actor=world.alice, customer_id=world.alice_card.pk, data=data) == errors
    assert Contact.objects.count() == 1


def test_several_invalid_contact_values_are_reported_together(world):
    errors = errors_of(
        contact_create,
        actor=world.alice,
        customer_id=world.alice_card.pk,
        data={"name": "", "mobile": "1", "email": "x"},
    )
    assert set(errors) == {"name", "mobile", "email"}


def test_numbers_in_any_common_form_are_accepted(world):
    contact = contact_create(
        actor=world.alice,
        customer_id=world.alice_card.pk,
        data={
            "name": "王强",
            "mobile": "+86 139 1234 5678",
            "phone": "0755-8765432-801",
            "email": "wang@example.com",
            "wechat": "wang_qiang",
            "birthday": "1990-02-28",
        },
    )
    assert (contact.phone, contact.email, str(contact.birthday)) == (
        "0755-8765432-801",
        "wang@example.com",
        "1990-02-28",
    )


# --- the primary contact -------------------------------------------------------------------


def test_a_new_primary_contact_unsets_the_old_one(world, shan):
    contact_create(
        actor=world.alice, customer_id=world.alice_card.pk, data={"name": "王强", "is_primary": True}
    )
    assert contacts_of(world.alice_card) == [("王强", True), ("单立新", False)]


def test_making_an_existing_contact_primary_unsets_the_old_one(world, shan):
    wang = contact_create(actor=world.alice, customer_id=world.alice_card.pk, data={"name": "王强"})
    contact_update(actor=world.alice, contact_id=wang.pk, data={"is_primary": True}, version=1)
    assert contacts_of(world.alice_card) == [("王强", True), ("单立新", False)]


def test_the_old_primary_contact_gets_a_new_version_so_a_stale_form_cannot_take_it_back(world, shan):
    contact_create(
        actor=world.alice, customer_id=world.alice_card.pk, data={"name": "王强", "is_primary": True}
    )
    assert Contact.objects.get(pk=shan.pk).version == 2
    with pytest.raises(VersionConflict):
        contact_update(
            actor=world.mia, contact_id=shan.pk, data={"title": "老板", "is_primary": True}, version=1
        )
    assert contacts_of(world.alice_card) == [("王强", True), ("单立新", False)]


def test_primary_contacts_of_other_cards_are_untouched(world, shan):
    contact_create(actor=world.bob, customer_id=world.bob_card.pk, data={"name": "王强", "is_primary": True})
    assert contacts_of(world.alice_card) == [("单立新", True)]
    assert contacts_of(world.bob_card) == [("王强", True)]


# --- update --------------------------------------------------------------------------------


def test_an_update_bumps_the_version_and_is_audited(world, shan):
    contact = contact_update(
        actor=world.alice, contact_id=shan.pk, data={"title": "老板", "mobile": "13912345678"}, version=1
    )
    contact.refresh_from_db()
    assert (contact.title, contact.mobile, contact.version) == ("老板", "13912345678", 2)
    event = AuditEvent.objects.get(object_type="contact")
    assert (event.action, event.actor, event.detail) == (
        "update",
        world.alice,
        {"customer_id": world.alice_card.pk, "fields": ["title", "mobile"]},
    )
    assert list(contact.history.order_by("history_date").values_list("history_type", "history_user")) == [
        ("+", None),
        ("~", world.alice.pk),
    ]


def test_a_contact_update_with_a_stale_version_is_refused_with_the_current_contact(world, shan):
    contact_update(actor=world.alice, contact_id=shan.pk, data={"title": "老板"}, version=1)
    with pytest.raises(VersionConflict) as caught:
        contact_update(actor=world.mia, contact_id=shan.pk, data={"title": "店员"}, version=1)
    assert (caught.value.current.title, caught.value.current.version) == ("老板", 2)
    assert Contact.objects.get(pk=shan.pk).title == "老板"


def test_a_contact_update_must_carry_a_version(world, shan):
    assert errors_of(
        contact_update, actor=world.alice, contact_id=shan.pk, data={"title": "x"}, version=None
    ) == {"version": ["Send the version you edited so concurrent edits are caught."]}


def test_a_contact_update_that_changes_nothing_writes_nothing(world, shan):
    contact = contact_update(
        actor=world.alice, contact_id=shan.pk, data={"name": " 单立新 ", "is_primary": True}, version=1
    )
    assert contact.version == 1
    assert AuditEvent.objects.count() == 0
    assert shan.history.count() == 1


def test_a_value_sent_again_in_another_form_changes_nothing(world, shan):
    contact_update(actor=world.alice, contact_id=shan.pk, data={"birthday": "1990-02-28"}, version=1)
    contact = contact_update(
        actor=world.alice, contact_id=shan.pk, data={"birthday": "1990-02-28", "is_primary": True}, version=2
    )
    assert contact.version == 2
    assert AuditEvent.objects.count() == 1


def test_removing_the_only_mobile_lowers_completeness(world, shan):
    contact_update(actor=world.alice, contact_id=shan.pk, data={"mobile": "13812345679"}, version=1)
    with_mobile = completeness(world.alice_card)
    contact_update(actor=world.alice, contact_id=shan.pk, data={"mobile": ""}, version=2)
    assert (with_mobile, completeness(world.alice_card)) == (44, 38)  # 14 → 12 of 32


def test_invalid_update_values_are_reported_by_field_and_nothing_is_saved(world, shan):
    assert errors_of(
        contact_update, actor=world.alice, contact_id=shan.pk, data={"mobile": "110"}, version=1
    ) == {"mobile": ["Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13812345678."]}
    assert Contact.objects.get(pk=shan.pk).mobile == "13812345678"


@pytest.mark.parametrize(
    ("username", "error"), [("fiona", Forbidden), ("aud", Forbidden), ("bob", NotFound), ("tom", NotFound)]
)
def test_only_editors_update_contacts(world, shan, username, error):
    with pytest.raises(error):
        contact_update(actor=world.everyone[username], contact_id=shan.pk, data={"title": "x"}, version=1)


def test_a_missing_contact_is_not_found(world):
    with pytest.raises(NotFound):
        contact_update(actor=world.ada, contact_id=987654, data={"title": "x"}, version=1)


# --- delete --------------------------------------------------------------------------------


def test_deleting_a_contact_is_audited_and_recomputes_completeness(world, shan):
    contact_delete(actor=world.alice, contact_id=shan.pk)
    assert Contact.objects.filter(customer=world.alice_card).count() == 0
    assert completeness(world.alice_card) == 28  # owner 2 + phone 3 + district 2 + credit code 2 = 9 of 32
    event = AuditEvent.objects.get(object_type="contact")
    assert (event.action, event.actor, event.object_id, event.object_repr, event.detail) == (
        "delete",
        world.alice,
        shan.pk,
        "单立新",
        {"customer_id": world.alice_card.pk},
    )
    assert shan.history.get(history_type="-").history_user == world.alice


@pytest.mark.parametrize(
    ("username", "error"), [("fiona", Forbidden), ("aud", Forbidden), ("bob", NotFound), ("carol", NotFound)]
)
def test_only_editors_delete_contacts(world, shan, username, error):
    with pytest.raises(error):
        contact_delete(actor=world.everyone[username], contact_id=shan.pk)
    assert Contact.objects.filter(pk=shan.pk).exists()
