"""Lending (借阅): request by card code, decision by the card's manager or a custodian, expiry, revocation."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from kehu.accounts.models import AccessGrant, AuditEvent
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.models import Customer
from kehu.customers.services import grant_decide, grant_request, grant_revoke
from kehu.testing import errors_of


def sees(user, card) -> bool:
    return Customer.objects.visible_to(user).filter(pk=card.pk).exists()


def grant_events() -> list[tuple[str, str, dict]]:
    return [
        (e.action, e.username, e.detail)
        for e in AuditEvent.objects.filter(object_type="accessgrant").order_by("id")
    ]


@pytest.fixture
def request_by_carol(world) -> AccessGrant:
    """Carol (Tianjin) asks for Alice's card (Beijing): Mia decides."""
    return grant_request(actor=world.carol, customer_code="T00001", reason=" 艾丽休假，代为拜访 ", days=7)


# --- requests ------------------------------------------------------------------------------


def test_a_request_is_pending_and_reveals_nothing_yet(world, request_by_carol):
    grant = AccessGrant.objects.get(pk=request_by_carol.pk)
    assert (grant.customer, grant.grantee, grant.requested_by, grant.reason, grant.days, grant.status) == (
        world.alice_card,
        world.carol,
        world.carol,
        "艾丽休假，代为拜访",
        7,
        "pending",
    )
    assert (grant.starts_at, grant.expires_at, grant.decided_by) == (None, None, None)
    assert not sees(world.carol, world.alice_card)


def test_a_request_is_audited(world, request_by_carol):
    assert grant_events() == [("grant_request", "carol", {"customer_id": world.alice_card.pk, "days": 7})]


def test_a_request_for_an_unknown_code_says_no_card_has_it(world):
    assert errors_of(
        grant_request, actor=world.carol, customer_code="KH9999999", reason="拜访客户", days=7
    ) == {"customer_code": ["No card has this code."]}


def test_an_archived_card_cannot_be_requested(world):
    Customer.objects.filter(pk=world.alice_card.pk).update(archived_at=timezone.now())
    assert errors_of(grant_request, actor=world.carol, customer_code="T00001", reason="拜访客户", days=7) == {
        "customer_code": ["No card has this code."]
    }


def test_a_card_already_visible_cannot_be_requested(world):
    for user in (world.alice, world.mia, world.dora):
        assert errors_of(grant_request, actor=user, customer_code="T00001", reason="拜访客户", days=7) == {
            "customer_code": ["You can already see this card."]
        }
    assert AccessGrant.objects.count() == 0


def test_a_second_pending_request_for_the_same_card_is_refused(world, request_by_carol):
    assert errors_of(grant_request, actor=world.carol, customer_code="T00001", reason="再次申请", days=3) == {
        "customer_code": ["You already asked for this card; wait for the decision."]
    }


def test_another_user_may_ask_for_the_same_card(world, request_by_carol):
    grant_request(actor=world.tom, customer_code="T00001", reason="区域协作", days=3)
    assert AccessGrant.objects.filter(customer=world.alice_card, status="pending").count() == 2


def test_a_request_may_be_made_again_after_a_refusal(world, request_by_carol):
    grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=False)
    grant_request(actor=world.carol, customer_code="T00001", reason="再次申请拜访", days=3)
    assert AccessGrant.objects.filter(grantee=world.carol, status="pending").count() == 1


@pytest.mark.parametrize("days", [0, -1, 91, 365])
def test_the_duration_must_be_1_to_90_days(world, days):
    assert errors_of(
        grant_request, actor=world.carol, customer_code="T00001", reason="拜访客户", days=days
    ) == {"days": ["Ask for 1 to 90 days."]}


@override_settings(KEHU_GRANT_MAX_DAYS=30)
def test_the_longest_loan_follows_the_setting(world):
    assert errors_of(
        grant_request, actor=world.carol, customer_code="T00001", reason="拜访客户", days=31
    ) == {"days": ["Ask for 1 to 30 days."]}
    assert grant_request(actor=world.carol, customer_code="T00001", reason="拜访客户", days=30).days == 30


@pytest.mark.parametrize("reason", ["", "   ", "看看", "abc"])
def test_the_reason_must_say_something(world, reason):
    assert errors_of(grant_request, actor=world.carol, customer_code="T00001", reason=reason, days=7) == {
        "reason": ["Say why you need the card (at least 4 characters)."]
    }


def test_all_request_mistakes_are_reported_together(world):
    assert errors_of(grant_request, actor=world.carol, customer_code=" ", reason="", days=0) == {
        "customer_code": ["Enter the code of the card you need."],
        "reason": ["Say why you need the card (at least 4 characters)."],
        "days": ["Ask for 1 to 90 days."],
    }


# --- decisions -----------------------------------------------------------------------------


def test_the_manager_of_the_card_approves_and_the_loan_runs_for_the_days_asked(world, request_by_carol):
    grant = grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=True, note=" 同意 ")
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by, grant.decision_note) == ("approved", world.mia, "同意")
    assert grant.starts_at == grant.decided_at
    assert grant.expires_at - grant.starts_at == timedelta(days=7)
    assert grant.is_active and not grant.is_expired
    assert sees(world.carol, world.alice_card)
    assert grant_events()[-1] == (
        "grant_approve",
        "mia",
        {"customer_id": world.alice_card.pk, "grantee_id": world.carol.pk, "days": 7},
    )


def test_the_approver_may_change_the_days(world, request_by_carol):
    grant = grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=True, days=2)
    assert (grant.days, grant.expires_at - grant.starts_at) == (2, timedelta(days=2))


@pytest.mark.parametrize("days", [0, 91])
def test_the_approver_may_not_grant_out_of_range_days(world, request_by_carol, days):
    assert errors_of(
        grant_decide, actor=world.mia, grant_id=request_by_carol.pk, approve=True, days=days
    ) == {"days": ["Grant 1 to 90 days."]}
    assert AccessGrant.objects.get(pk=request_by_carol.pk).status == "pending"


@pytest.mark.parametrize("username", ["cathy", "ada"])
def test_a_custodian_or_admin_decides_any_loan(world, request_by_carol, username):
    grant = grant_decide(actor=world.everyone[username], grant_id=request_by_carol.pk, approve=True)
    assert (grant.status, grant.decided_by) == ("approved", world.everyone[username])


@pytest.mark.parametrize("username", ["tom", "alice", "bob", "dora", "fiona", "aud"])
def test_a_user_who_may_not_decide_does_not_even_find_the_request(world, request_by_carol, username):
    with pytest.raises(NotFound):
        grant_decide(actor=world.everyone[username], grant_id=request_by_carol.pk, approve=True)
    assert AccessGrant.objects.get(pk=request_by_carol.pk).status == "pending"


def test_the_borrower_finds_the_request_but_may_not_decide_it(world, request_by_carol):
    with pytest.raises(Forbidden):
        grant_decide(actor=world.carol, grant_id=request_by_carol.pk, approve=True)
    assert AccessGrant.objects.get(pk=request_by_carol.pk).status == "pending"


def test_a_decider_cannot_approve_their_own_request(world):
    grant = grant_request(actor=world.tom, customer_code="T00001", reason="区域协作", days=3)
    world.tom.org_unit = world.north  # promoted to the region after asking: now Tom decides Beijing loans
    world.tom.save()
    with pytest.raises(Forbidden, match="You cannot decide your own request."):
        grant_decide(actor=world.tom, grant_id=grant.pk, approve=True)
    assert AccessGrant.objects.get(pk=grant.pk).status == "pending"


def test_a_missing_request_is_not_found(world):
    with pytest.raises(NotFound):
        grant_decide(actor=world.ada, grant_id=987654, approve=True)


def test_a_refusal_gives_no_access(world, request_by_carol):
    grant = grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=False, note="不需要")
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by, grant.decision_note, grant.starts_at, grant.expires_at) == (
        "refused",
        world.mia,
        "不需要",
        None,
        None,
    )
    assert not sees(world.carol, world.alice_card)
    assert grant_events()[-1] == (
        "grant_refuse",
        "mia",
        {"customer_id": world.alice_card.pk, "grantee_id": world.carol.pk, "days": 7},
    )


def test_a_request_is_decided_only_once(world, request_by_carol):
    grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=False)
    assert errors_of(grant_decide, actor=world.cathy, grant_id=request_by_carol.pk, approve=True) == {
        "status": ["This request was already decided."]
    }
    assert AccessGrant.objects.get(pk=request_by_carol.pk).status == "refused"


# --- expiry and revocation -----------------------------------------------------------------


def test_access_ends_by_itself_at_expiry(world, request_by_carol):
    grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=True)
    AccessGrant.objects.filter(pk=request_by_carol.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    grant = AccessGrant.objects.get(pk=request_by_carol.pk)
    assert (grant.status, grant.is_active, grant.is_expired) == ("approved", False, True)
    assert not sees(world.carol, world.alice_card)


def test_the_manager_revokes_an_active_loan(world, request_by_carol):
    grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=True)
    grant = grant_revoke(actor=world.mia, grant_id=request_by_carol.pk, note=" 已归还 ")
    grant.refresh_from_db()
    assert (grant.status, grant.decision_note, grant.is_active) == ("revoked", "已归还", False)
    assert grant.expires_at <= timezone.now()
    assert not sees(world.carol, world.alice_card)
    assert [action for action, _user, _detail in grant_events()] == [
        "grant_request",
        "grant_approve",
        "grant_revoke",
    ]
    assert grant_events()[-1] == (
        "grant_revoke",
        "mia",
        {"customer_id": world.alice_card.pk, "grantee_id": world.carol.pk},
    )


def test_revoking_without_a_note_keeps_the_decision_note(world, request_by_carol):
    grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=True, note="同意")
    assert grant_revoke(actor=world.cathy, grant_id=request_by_carol.pk).decision_note == "同意"


def test_only_an_active_loan_can_be_revoked(world, request_by_carol):
    error = {"status": ["Only an active loan can be revoked."]}
    assert errors_of(grant_revoke, actor=world.mia, grant_id=request_by_carol.pk) == error  # pending
    grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=True)
    AccessGrant.objects.filter(pk=request_by_carol.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert errors_of(grant_revoke, actor=world.mia, grant_id=request_by_carol.pk) == error  # expired


def test_a_refused_loan_cannot_be_revoked(world, request_by_carol):
    grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=False)
    assert errors_of(grant_revoke, actor=world.mia, grant_id=request_by_carol.pk) == {
        "status": ["Only an active loan can be revoked."]
    }


def test_the_borrower_and_other_managers_cannot_revoke(world, request_by_carol):
    grant_decide(actor=world.mia, grant_id=request_by_carol.pk, approve=True)
    with pytest.raises(Forbidden):
        grant_revoke(actor=world.carol, grant_id=request_by_carol.pk)
    with pytest.raises(NotFound):
        grant_revoke(actor=world.tom, grant_id=request_by_carol.pk)
    assert sees(world.carol, world.alice_card)
