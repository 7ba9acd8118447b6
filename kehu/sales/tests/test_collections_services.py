"""The collection schedule: planned by hand, edited (version → conflict), cancelled; reminders by mail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.sales.models import Collection, CollectionStatus
from kehu.sales.services.collections import (
    collection_cancel,
    collection_create,
    collection_reminders_send,
    collection_reminders_task,
    collection_update,
)
from kehu.testing import errors_of

D = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def mailboxes(world):
    for user in world.everyone.values():
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return world


def plan(world, days: int, amount: str = "100.00", card=None, **extra) -> Collection:
    return collection_create(actor=world.fiona, customer=card or world.alice_card, due_on=TODAY + timedelta(days=days),
                             amount=amount, **extra)


def test_a_collection_planned_by_hand_goes_to_the_card_owner_by_default(world):
    row = collection_create(actor=world.alice, customer=world.alice_card, due_on=TODAY, amount="88.80", note="cash")
    assert (row.responsible, row.amount, row.status, row.order) == (world.alice, D("88.80"), "open", None)


def test_planning_checks_fields_and_who_may(world):
    errors = errors_of(collection_create, actor=world.fiona, customer=world.alice_card, due_on="soon", amount="-1",
                       responsible=world.carol.pk)
    assert set(errors) == {"due_on", "amount", "responsible"}  # Carol cannot see Alice's card
    with pytest.raises(NotFound):
        collection_create(actor=world.carol, customer=world.alice_card, due_on=TODAY, amount="1")
    with pytest.raises(Forbidden):
        collection_create(actor=world.aud, customer=world.alice_card, due_on=TODAY, amount="1")
    assert not Collection.objects.exists()


def test_editing_carries_the_version_and_a_stale_one_conflicts(world):
    row = plan(world, 5)
    updated = collection_update(actor=world.alice, collection_id=row.pk, version=1,
                                data={"amount": "50.00", "responsible": world.mia.pk, "note": "half"})
    assert (updated.amount, updated.responsible_id, updated.version) == (D("50.00"), world.mia.pk, 2)
    with pytest.raises(VersionConflict) as conflict:
        collection_update(actor=world.fiona, collection_id=row.pk, version=1, data={"amount": "70.00"})
    assert conflict.value.current.amount == D("50.00")
    assert errors_of(collection_update, actor=world.fiona, collection_id=row.pk, version=2, data={"status": "done"}) == {
        "status": ["This field cannot be set."]
    }
    assert "version" in errors_of(collection_update, actor=world.fiona, collection_id=row.pk, version=None, data={})


def test_moving_the_day_announces_it_again(world):
    row = plan(world, 2)
    Collection.objects.filter(pk=row.pk).update(reminded_before_at=timezone.now())
    moved = collection_update(actor=world.fiona, collection_id=row.pk, version=1, data={"due_on": TODAY + timedelta(days=9)})
    assert moved.reminded_before_at is None


def test_cancelling(world):
    row = plan(world, 1)
    with pytest.raises(Forbidden):
        collection_cancel(actor=world.dora, collection_id=row.pk)
    collection_cancel(actor=world.alice, collection_id=row.pk, version=1)
    row.refresh_from_db()
    assert (row.status, row.version) == (CollectionStatus.CANCELLED, 2)
    assert "status" in errors_of(collection_cancel, actor=world.alice, collection_id=row.pk)
    assert "status" in errors_of(collection_update, actor=world.alice, collection_id=row.pk, version=2,
                                 data={"amount": "1"})


def test_reminders_one_mail_per_person_before_and_on_the_day_never_twice(mailboxes, settings):
    world = mailboxes
    settings.KEHU_COLLECTION_REMIND_DAYS = 3
    today_row = plan(world, 0, "300.00")
    soon = plan(world, 3, "200.00")
    plan(world, 4, "999.00")  # beyond the lead time
    plan(world, -1, "5.00")  # already late: on the overdue list, not a reminder
    bobs = plan(world, 1, "70.00", card=world.bob_card)
    assert collection_reminders_send(today=TODAY) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    alice_mail = next(m for m in mail.outbox if m.to == ["alice@example.com"])
    assert "300.00" in alice_mail.body and "200.00" in alice_mail.body and "999.00" not in alice_mail.body
    assert world.alice_card.name in alice_mail.body and alice_mail.subject == "Kehu: 2 collections to make"
    for row, field in ((today_row, "reminded_due_at"), (soon, "reminded_before_at"), (bobs, "reminded_before_at")):
        row.refresh_from_db()
        assert getattr(row, field) is not None
    assert collection_reminders_send(today=TODAY) == 0
    assert len(mail.outbox) == 2
    # Three days later the 200.00 is due today: announced again, on the day.
    assert collection_reminders_send(today=TODAY + timedelta(days=3)) == 1
    assert "200.00" in mail.outbox[-1].body and "999.00" in mail.outbox[-1].body


def test_reminders_skip_people_without_mail_or_sight_of_the_card(mailboxes):
    world = mailboxes
    plan(world, 0, "10.00")
    world.alice.email = ""
    world.alice.save(update_fields=["email"])
    lent = plan(world, 0, "20.00", responsible=world.mia.pk)
    assert collection_reminders_send(today=TODAY) == 1
    assert mail.outbox[0].to == ["mia@example.com"]
    lent.refresh_from_db()
    assert lent.reminded_due_at is not None
    assert Collection.objects.filter(reminded_due_at__isnull=True).count() == 1  # Alice's, kept for when she has mail


def test_the_task_sends_for_today(mailboxes):
    plan(mailboxes, 0)
    assert collection_reminders_task.func() == 1
    assert len(mail.outbox) == 1
