"""The audit log is append-only in the ORM and in the database; logins and bulk viewing are recorded."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from kehu.accounts.audit import audit_record, card_view_record, client_ip
from kehu.accounts.models import AuditAction, AuditEvent
from kehu.testing import PASSWORD, make_customer


@pytest.fixture
def event(world):
    return audit_record(
        actor=world.alice, action=AuditAction.VIEW, obj=world.alice_card, detail={"via": "test"}
    )


def test_a_record_names_the_actor_the_action_and_the_object(world, event):
    event.refresh_from_db()
    assert (event.actor, event.username, event.action) == (world.alice, "alice", "view")
    assert (event.object_type, event.object_id) == ("customer", world.alice_card.pk)
    assert event.object_repr == "北京海淀区单氏副食店 (T00001)"
    assert event.detail == {"via": "test"}
    assert event.ip is None


def test_the_client_ip_is_the_peer_address_without_a_proxy(rf):
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.9")) == "127.0.0.9"
    assert client_ip(None) is None


# --- append-only in the ORM ----------------------------------------------------------------


def test_it_refuses_to_save_an_existing_event(event):
    event.action = AuditAction.EXPORT
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "view"


def test_it_refuses_to_delete_an_event(event):
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).count() == 1


def test_it_refuses_queryset_updates_and_deletes(event):
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.EXPORT)
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "view"


# --- append-only in the database (triggers from migration accounts/0003) -------------------


def run_sql(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_a_raw_update(event):
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("UPDATE accounts_auditevent SET action = 'export' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "view"


def test_the_database_refuses_a_raw_delete(event):
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).count() == 1


def test_the_database_still_accepts_new_events(event):
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, username="mallory")
    assert AuditEvent.objects.count() == 2


# --- logins --------------------------------------------------------------------------------


def test_a_login_is_recorded(world):
    assert Client().login(username="alice", password=PASSWORD) is True
    events = list(AuditEvent.objects.values_list("action", "actor__username", "username"))
    assert events == [("login", "alice", "alice")]


def test_a_logout_is_recorded(world):
    client = Client()
    client.login(username="bob", password=PASSWORD)
    client.logout()
    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor__username"))
    assert events == [("login", "bob"), ("logout", "bob")]


def test_a_failed_login_is_recorded_with_the_username_tried_and_no_actor(world):
    assert Client().login(username="alice", password="wrong-password") is False
    events = list(AuditEvent.objects.values_list("action", "actor", "username"))
    assert events == [("login_failed", None, "alice")]


def test_a_failed_login_for_an_unknown_user_is_recorded_too(world):
    Client().login(username="nobody", password="whatever")
    assert list(AuditEvent.objects.values_list("action", "username")) == [("login_failed", "nobody")]


def test_the_password_tried_is_never_stored(world):
    Client().login(username="alice", password="wrong-password")
    assert "wrong-password" not in str(AuditEvent.objects.get().detail)


# --- bulk-view detector --------------------------------------------------------------------


def flags(user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor=user, action=AuditAction.BULK_VIEW_FLAG))


@override_settings(KEHU_BULK_VIEW_THRESHOLD=2)
def test_viewing_threshold_distinct_cards_is_not_flagged(world):
    card_view_record(actor=world.dora, customer=world.alice_card)
    card_view_record(actor=world.dora, customer=world.bob_card)
    assert flags(world.dora) == []


@override_settings(KEHU_BULK_VIEW_THRESHOLD=2)
def test_viewing_one_card_more_than_the_threshold_is_flagged_once(world):
    for card in (world.alice_card, world.bob_card, world.carol_card):
        card_view_record(actor=world.dora, customer=card)
    [flag] = flags(world.dora)
    assert flag.detail == {"distinct_cards_last_hour": 3, "threshold": 2}
    assert AuditEvent.objects.filter(actor=world.dora, action=AuditAction.VIEW).count() == 3


@override_settings(KEHU_BULK_VIEW_THRESHOLD=2)
def test_further_views_within_the_hour_are_not_flagged_again(world):
    extra = [make_customer(f"批量客户{i}", world.alice, world.beijing) for i in range(3)]
    for card in (world.alice_card, world.bob_card, world.carol_card, *extra):
        card_view_record(actor=world.dora, customer=card)
    assert len(flags(world.dora)) == 1


@override_settings(KEHU_BULK_VIEW_THRESHOLD=2)
def test_viewing_the_same_card_many_times_is_not_flagged(world):
    for _ in range(10):
        card_view_record(actor=world.dora, customer=world.alice_card)
    assert flags(world.dora) == []
    assert AuditEvent.objects.filter(actor=world.dora, action=AuditAction.VIEW).count() == 10


@override_settings(KEHU_BULK_VIEW_THRESHOLD=2)
def test_views_older_than_an_hour_do_not_count(world):
    old = timezone.now() - timedelta(hours=1, minutes=1)
    for card in (world.alice_card, world.bob_card):
        AuditEvent.objects.create(
            actor=world.dora,
            username="dora",
            action=AuditAction.VIEW,
            object_type="customer",
            object_id=card.pk,
            at=old,
        )
    card_view_record(actor=world.dora, customer=world.carol_card)
    assert flags(world.dora) == []


@override_settings(KEHU_BULK_VIEW_THRESHOLD=2)
def test_a_flag_older_than_an_hour_does_not_stop_a_new_one(world):
    AuditEvent.objects.create(
        actor=world.dora,
        username="dora",
        action=AuditAction.BULK_VIEW_FLAG,
        at=timezone.now() - timedelta(hours=2),
    )
    for card in (world.alice_card, world.bob_card, world.carol_card):
        card_view_record(actor=world.dora, customer=card)
    assert len(flags(world.dora)) == 2


@override_settings(KEHU_BULK_VIEW_THRESHOLD=2)
def test_each_viewer_is_counted_separately(world):
    card_view_record(actor=world.dora, customer=world.alice_card)
    card_view_record(actor=world.dora, customer=world.bob_card)
    card_view_record(actor=world.cathy, customer=world.carol_card)
    assert flags(world.dora) == [] and flags(world.cathy) == []


def test_the_forwarded_address_is_believed_only_behind_our_proxy(rf, settings):
    from kehu.accounts.audit import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.7", REMOTE_ADDR="10.0.0.1")
    settings.KEHU_BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.1"
    settings.KEHU_BEHIND_PROXY = True
    assert client_ip(request) == "10.0.0.7"
