"""Web pages for card loans (借阅): ask, decide, revoke, expiry, and who sees which loan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import AccessGrant, AuditAction, AuditEvent, GrantStatus
from kehu.customers.models import Customer
from kehu.testing import World


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def ask(world: World, user=None, card=None, reason: str = "Covering Alice's route next week", days="5"):
    code = (card or world.alice_card).code
    return client_for(user or world.carol).post(
        reverse("customers:grant-request"), {"customer_code": code, "reason": reason, "days": days}
    )


def pending_grant(world: World) -> AccessGrant:
    ask(world)
    return AccessGrant.objects.get()


def decide(user, grant: AccessGrant, **data):
    return client_for(user).post(reverse("customers:grant-decide", args=[grant.pk]), data)


def listed(response, section: str) -> list[int]:
    return [grant.pk for grant in response.context[section]]


def carol_sees_alice_card(world: World) -> bool:
    return Customer.objects.visible_to(world.carol).filter(pk=world.alice_card.pk).exists()


# --- the whole loan -----------------------------------------------------------------------------


def test_request_approve_see_revoke(world):
    response = ask(world)
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:grants")
    grant = AccessGrant.objects.get()
    assert (grant.customer, grant.grantee, grant.days) == (world.alice_card, world.carol, 5)
    assert grant.status == GrantStatus.PENDING
    assert not carol_sees_alice_card(world)

    page = client_for(world.mia).get(reverse("customers:grants"))
    assert listed(page, "pending") == [grant.pk]
    assert page.context["pending"][0].may_decide is True

    response = decide(world.mia, grant, decision="approve", days="3", note="OK for the route")
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.status, grant.days, grant.decided_by, grant.decision_note) == (
        "approved", 3, world.mia, "OK for the route"
    )
    assert grant.expires_at - grant.starts_at == timedelta(days=3)
    assert carol_sees_alice_card(world)
    carol_page = client_for(world.carol).get(reverse("customers:grants"))
    assert listed(carol_page, "active") == [grant.pk]
    assert carol_page.context["active"][0].card_visible is True
    assert world.alice_card.name in carol_page.content.decode()

    response = client_for(world.mia).post(
        reverse("customers:grant-revoke", args=[grant.pk]), {"note": "Done"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert not carol_sees_alice_card(world)
    carol_page = client_for(world.carol).get(reverse("customers:grants"))
    assert (listed(carol_page, "active"), listed(carol_page, "past")) == ([], [grant.pk])
    assert carol_page.context["past"][0].state == "Revoked"
    events = AuditEvent.objects.filter(object_type="accessgrant").order_by("id")
    actions = list(events.values_list("action", flat=True))
    assert actions == [AuditAction.GRANT_REQUEST, AuditAction.GRANT_APPROVE, AuditAction.GRANT_REVOKE]


def test_a_refused_request_is_past_and_lends_nothing(world):
    grant = pending_grant(world)
    response = decide(world.cathy, grant, decision="refuse", note="Not your area")
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by, grant.expires_at) == ("refused", world.cathy, None)
    assert not carol_sees_alice_card(world)
    page = client_for(world.carol).get(reverse("customers:grants"))
    assert listed(page, "past") == [grant.pk]
    assert page.context["past"][0].state == "Refused"


def test_the_borrower_sees_only_the_code_until_the_loan_is_approved(world):
    grant = pending_grant(world)
    page = client_for(world.carol).get(reverse("customers:grants"))
    assert listed(page, "pending") == [grant.pk]
    assert page.context["pending"][0].card_visible is False
    assert page.context["pending"][0].may_decide is False
    assert world.alice_card.code in page.content.decode()
    assert world.alice_card.name not in page.content.decode()
    detail = client_for(world.carol).get(reverse("customers:grant-detail", args=[grant.pk]))
    assert detail.status_code == 200
    assert world.alice_card.name not in detail.content.decode()


def test_an_expired_loan_is_listed_as_past_and_lends_nothing(world):
    now = timezone.now()
    grant = AccessGrant.objects.create(
        customer=world.alice_card, grantee=world.carol, requested_by=world.carol, reason="Old route", days=2,
        status=GrantStatus.APPROVED, decided_by=world.mia, decided_at=now - timedelta(days=5),
        starts_at=now - timedelta(days=5), expires_at=now - timedelta(days=3),
    )
    page = client_for(world.carol).get(reverse("customers:grants"))
    assert (listed(page, "active"), listed(page, "past")) == ([], [grant.pk])
    assert page.context["past"][0].state == "Expired"
    assert not carol_sees_alice_card(world)
    revoke = client_for(world.mia).post(reverse("customers:grant-revoke", args=[grant.pk]), {})
    assert revoke.status_code == 400
    assert revoke.context["revoke_form"].non_field_errors() == ["Only an active loan can be revoked."]


# --- who may decide -----------------------------------------------------------------------------


def test_a_manager_of_another_area_neither_sees_nor_decides_the_loan(world):
    grant = pending_grant(world)
    tom = client_for(world.tom)
    assert listed(tom.get(reverse("customers:grants")), "pending") == []
    assert tom.get(reverse("customers:grant-detail", args=[grant.pk])).status_code == 404
    approve = tom.post(reverse("customers:grant-decide", args=[grant.pk]), {"decision": "approve"})
    assert approve.status_code == 404
    assert tom.post(reverse("customers:grant-revoke", args=[grant.pk]), {}).status_code == 404
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING


@pytest.mark.parametrize("username", ["bob", "alice", "dora", "fiona", "aud"])
def test_users_who_may_not_decide_get_404(world, username):
    grant = pending_grant(world)
    response = decide(getattr(world, username), grant, decision="approve")
    assert response.status_code == 404
    assert AccessGrant.objects.get().status == GrantStatus.PENDING


def test_the_borrower_cannot_approve_their_own_request(world):
    grant = pending_grant(world)
    response = decide(world.carol, grant, decision="approve")
    assert response.status_code == 403
    assert AccessGrant.objects.get().status == GrantStatus.PENDING


def test_an_unknown_loan_answers_404(world):
    assert client_for(world.cathy).get(reverse("customers:grant-detail", args=[12345])).status_code == 404


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"days": "0"}, "days", "Ask for 1 to 90 days."),
    ({"days": "91"}, "days", "Ask for 1 to 90 days."),
    ({"days": "abc"}, "days", "Enter a whole number."),
    ({"days": ""}, "days", "This field is required."),
    ({"reason": "hi"}, "reason", "Say why you need the card (at least 4 characters)."),
    ({"code": "NOPE-1"}, "customer_code", "No card has this code."),
    ({"code": ""}, "customer_code", "This field is required."),
])
def test_a_bad_request_answers_400_with_the_field_message(world, data, field, message):
    form = {
        "customer_code": data.get("code", world.alice_card.code),
        "reason": data.get("reason", "Covering"),
        "days": data.get("days", "5"),
    }
    response = client_for(world.carol).post(reverse("customers:grant-request"), form)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert AccessGrant.objects.count() == 0


def test_asking_for_a_card_one_already_sees_or_twice_is_refused(world):
    response = ask(world, user=world.alice)
    assert response.context["form"].errors["customer_code"] == ["You can already see this card."]
    ask(world)
    response = ask(world)
    assert response.status_code == 400
    assert response.context["form"].errors["customer_code"] == [
        "You already asked for this card; wait for the decision."
    ]
    assert AccessGrant.objects.count() == 1


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"decision": "approve", "days": "500"}, "days", "Grant 1 to 90 days."),
    ({"decision": "approve", "days": "x"}, "days", "Enter a whole number."),
    ({"decision": "maybe"}, "decision", "Select a valid choice. maybe is not one of the available choices."),
    ({}, "decision", "Choose approve or refuse."),
])
def test_a_bad_decision_answers_400_with_the_field_message(world, data, field, message):
    grant = pending_grant(world)
    response = decide(world.mia, grant, **data)
    assert response.status_code == 400
    assert response.context["decision_form"].errors[field] == [message]
    assert AccessGrant.objects.get().status == GrantStatus.PENDING


def test_deciding_twice_answers_400(world):
    grant = pending_grant(world)
    decide(world.mia, grant, decision="refuse")
    response = decide(world.cathy, grant, decision="approve")
    assert response.status_code == 400
    assert response.context["decision_form"].non_field_errors() == ["This request was already decided."]
    assert AccessGrant.objects.get().status == GrantStatus.REFUSED


def test_the_request_form_is_prefilled_from_the_code_in_the_address(world):
    response = client_for(world.carol).get(reverse("customers:grant-request") + "?code=T00001")
    assert response.status_code == 200
    assert response.context["form"]["customer_code"].value() == "T00001"


def loans_of_each_kind(world: World, borrower, card) -> None:
    """One pending, one active and one past (refused) loan of `card` to `borrower`."""
    now = timezone.now()
    common = {"customer": card, "grantee": borrower, "requested_by": borrower, "reason": "Route", "days": 3}
    AccessGrant.objects.create(**common)
    AccessGrant.objects.create(**common, status=GrantStatus.APPROVED, decided_by=world.cathy, decided_at=now,
                               starts_at=now, expires_at=now + timedelta(days=3))
    AccessGrant.objects.create(**common, status=GrantStatus.REFUSED, decided_by=world.cathy, decided_at=now)


def test_the_loans_page_runs_the_same_number_of_queries_for_more_loans(world):
    loans_of_each_kind(world, world.carol, world.alice_card)
    client = client_for(world.cathy)
    url = reverse("customers:grants")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    loans_of_each_kind(world, world.bob, world.carol_card)
    loans_of_each_kind(world, world.tom, world.bob_card)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert [len(response.context[name]) for name in ("pending", "active", "past")] == [3, 3, 3]
