"""The audit log pages: who may read them, the filters, paging, and the bulk-viewing flags."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.audit import card_view_record
from kehu.accounts.models import AuditAction, AuditEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)  # writes a LOGIN row; the tests filter past it
    return client


def event(actor, action, at, obj=None, **fields) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor, username=actor.username if actor else fields.pop("username"), action=action, at=at,
        object_type=obj._meta.model_name if obj else "", object_id=obj.pk if obj else None,
        object_repr=str(obj) if obj else "", **fields,
    )


def shown(response) -> list[int]:
    return [e.pk for e in response.context["events"]]


@pytest.fixture
def log(world):
    """Five events on known local days (Asia/Shanghai), oldest first."""
    day = datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI)
    return [
        event(world.alice, AuditAction.VIEW, day, world.alice_card),
        event(world.alice, AuditAction.UPDATE, day + timedelta(hours=13, minutes=30), world.alice_card),
        event(world.bob, AuditAction.UPDATE, day + timedelta(hours=14, minutes=30), world.bob_card),
        event(None, AuditAction.LOGIN_FAILED, day + timedelta(days=2), username="mallory"),
        event(world.mia, AuditAction.EXPORT, day + timedelta(days=3), detail={"rows": 2}),
    ]


def audit(viewer, **params):
    return client_for(viewer).get(reverse("accounts:audit"), params)


@pytest.mark.parametrize(("username", "status"), [
    ("aud", 200), ("cathy", 200), ("ada", 200),
    ("alice", 403), ("bob", 403), ("mia", 403), ("tom", 403), ("dora", 403), ("fiona", 403),
])
def test_only_auditors_custodians_and_admins_read_the_log(world, username, status):
    client = client_for(getattr(world, username))
    assert client.get(reverse("accounts:audit")).status_code == status
    assert client.get(reverse("accounts:audit-flags")).status_code == status


def test_the_log_cannot_be_written_through_the_pages(world, log):
    client = client_for(world.aud)
    assert client.post(reverse("accounts:audit"), {"action": "view"}).status_code == 405
    assert client.post(reverse("accounts:audit-flags")).status_code == 405


def test_newest_first_without_filters(world, log):
    response = audit(world.aud)
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert shown(response) == [login.pk] + [e.pk for e in reversed(log)]


def test_filter_by_action(world, log):
    assert shown(audit(world.aud, action="update")) == [log[2].pk, log[1].pk]


def test_filter_by_username_ignores_case(world, log):
    assert shown(audit(world.aud, user="ALICE")) == [log[1].pk, log[0].pk]
    assert shown(audit(world.aud, user="mallory")) == [log[3].pk]


def test_filter_by_object_type_and_id(world, log):
    response = audit(world.aud, object_type="customer", object_id=world.alice_card.pk)
    assert shown(response) == [log[1].pk, log[0].pk]


def test_date_range_means_local_days(world, log):
    # log[1] is 23:30 and log[2] 00:30 the next day, Shanghai time (both 1 March in UTC).
    assert shown(audit(world.aud, since="2026-03-01", until="2026-03-01")) == [log[1].pk, log[0].pk]
    assert shown(audit(world.aud, since="2026-03-02", until="2026-03-03")) == [log[3].pk, log[2].pk]


def test_the_widest_date_range_is_no_limit_not_an_error(world, log):
    response = audit(world.aud, since="0001-01-01", until="9999-12-31", action="update")
    assert response.status_code == 200
    assert shown(response) == [log[2].pk, log[1].pk]


def test_text_search_over_username_and_object(world, log):
    assert shown(audit(world.aud, q="百货")) == [log[2].pk]
    assert shown(audit(world.aud, q="mall")) == [log[3].pk]


def test_filters_combine(world, log):
    assert shown(audit(world.aud, action="update", user="alice", since="2026-03-01")) == [log[1].pk]


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"since": "yesterday"}, "since", "Enter a valid date."),
    ({"until": "2026-02-30"}, "until", "Enter a valid date."),
    ({"object_id": "abc"}, "object_id", "Enter a whole number."),
    ({"object_id": "99999999999999999999"}, "object_id",
     "Ensure this value is less than or equal to 9223372036854775807."),
    ({"action": "steal"}, "action", "Select a valid choice. steal is not one of the available choices."),
])
def test_bad_filters_answer_400_with_the_field_message(world, log, params, field, message):
    response = audit(world.aud, **params)
    assert response.status_code == 400
    assert response.context["filter"].form.errors[field] == [message]
    assert shown(response) == []


def test_pages_follow_each_other_with_filters_kept(world, log, monkeypatch):
    monkeypatch.setattr("kehu.accounts.views.PAGE_SIZE", 2)
    client = client_for(world.aud)
    first = client.get(reverse("accounts:audit"), {"action": "update"})
    assert first.context["next_url"] is None
    first = client.get(reverse("accounts:audit"), {"until": "2026-03-31"})
    assert shown(first) == [log[4].pk, log[3].pk]
    second = client.get(reverse("accounts:audit") + first.context["next_url"])
    assert shown(second) == [log[2].pk, log[1].pk]
    third = client.get(reverse("accounts:audit") + second.context["next_url"])
    assert shown(third) == [log[0].pk]
    assert third.context["next_url"] is None
    back = client.get(reverse("accounts:audit") + third.context["previous_url"])
    assert shown(back) == [log[2].pk, log[1].pk]


def test_a_mangled_cursor_shows_the_first_page(world, log):
    response = audit(world.aud, action="update", cursor="!!not-a-cursor")
    assert response.status_code == 200
    assert shown(response) == [log[2].pk, log[1].pk]


# --- bulk-viewing flags -------------------------------------------------------------------------


def test_the_detector_flag_is_listed_with_its_card_count(world, settings):
    settings.KEHU_BULK_VIEW_THRESHOLD = 2
    for card in (world.alice_card, world.bob_card, world.carol_card, world.alice_card):
        card_view_record(actor=world.dora, customer=card)
    response = client_for(world.cathy).get(reverse("accounts:audit-flags"))
    (flag,) = response.context["flags"]
    assert (flag.actor, flag.detail, flag.cards_around) == (
        world.dora, {"distinct_cards_last_hour": 3, "threshold": 2}, 3
    )
    assert audit(world.cathy).context["recent_flags"] == 1


def test_flags_are_newest_first_and_the_page_counts_the_last_seven_days(world):
    now = timezone.now()
    old = event(world.bob, AuditAction.BULK_VIEW_FLAG, now - timedelta(days=8),
                detail={"distinct_cards_last_hour": 70})
    new = event(world.alice, AuditAction.BULK_VIEW_FLAG, now - timedelta(days=1),
                detail={"distinct_cards_last_hour": 61})
    event(world.alice, AuditAction.VIEW, now - timedelta(days=1, minutes=30), world.alice_card)
    event(world.alice, AuditAction.VIEW, now - timedelta(days=1, minutes=20), world.bob_card)
    event(world.alice, AuditAction.VIEW, now - timedelta(days=1, minutes=10), world.bob_card)
    event(world.alice, AuditAction.VIEW, now - timedelta(days=3), world.carol_card)
    response = client_for(world.aud).get(reverse("accounts:audit-flags"))
    assert [f.pk for f in response.context["flags"]] == [new.pk, old.pk]
    assert [f.cards_around for f in response.context["flags"]] == [2, None]
    page = audit(world.aud)
    assert page.context["recent_flags"] == 1
    assert "1 bulk-viewing flag in the last 7 days" in page.content.decode()


def test_the_log_runs_the_same_number_of_queries_for_more_events(world, log):
    client = client_for(world.aud)
    client.get(reverse("accounts:audit"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:audit"))
    for card in (world.alice_card, world.bob_card, world.carol_card):
        event(world.dora, AuditAction.VIEW, timezone.now(), card)
        event(world.dora, AuditAction.BULK_VIEW_FLAG, timezone.now())
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("accounts:audit"))
        client.get(reverse("accounts:audit-flags"))
    with CaptureQueriesContext(connection) as flags_page:
        client.get(reverse("accounts:audit-flags"))
    assert len(many) == len(few) + len(flags_page)


def test_the_object_kind_is_shown_in_the_readers_language(world):
    from django.utils import translation

    from kehu.accounts.audit import audit_record
    from kehu.accounts.models import AuditAction

    event = audit_record(actor=world.alice, action=AuditAction.VIEW, obj=world.alice_card)
    with translation.override("zh-hans"):
        assert event.object_type_label == "客户"
    with translation.override("en"):
        assert event.object_type_label == "customer"
