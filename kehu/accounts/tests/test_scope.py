"""THE access policy, as a matrix: every user of the world against every card, and what changes it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from kehu.accounts import scope
from kehu.accounts.models import AccessGrant, GrantStatus, OrgUnit, Role, User
from kehu.customers.models import Contact, Customer
from kehu.customers.services import CARD_FIELDS
from kehu.testing import make_customer, make_user

ALL = {"alice_card", "bob_card", "carol_card"}
VISIBLE = {
    "alice": {"alice_card"},
    "bob": {"bob_card"},
    "carol": {"carol_card"},
    "mia": {"alice_card", "bob_card"},
    "tom": {"carol_card"},
    "dora": ALL,
    "fiona": ALL,
    "cathy": ALL,
    "aud": ALL,
    "ada": ALL,
}
EDITABLE = {
    "alice": {"alice_card"},
    "bob": {"bob_card"},
    "carol": {"carol_card"},
    "mia": {"alice_card", "bob_card"},
    "tom": {"carol_card"},
    "dora": ALL,
    "fiona": set(),
    "cathy": ALL,
    "aud": set(),
    "ada": ALL,
}
USERS = list(VISIBLE)


def card_names(world, queryset) -> set[str]:
    names = {getattr(world, name).pk: name for name in ALL}
    return {names.get(pk, f"#{pk}") for pk in queryset.values_list("pk", flat=True)}


def cards(world) -> dict[str, Customer]:
    return {name: getattr(world, name) for name in sorted(ALL)}


def visible(world, user) -> set[str]:
    return card_names(world, Customer.objects.visible_to(user))


def lend(world, card, grantee, *, status=GrantStatus.APPROVED, days=7, expires_at=None) -> AccessGrant:
    now = timezone.now()
    approved = status == GrantStatus.APPROVED
    return AccessGrant.objects.create(
        customer=card,
        grantee=grantee,
        requested_by=grantee,
        reason="covering a visit",
        days=days,
        status=status,
        starts_at=now - timedelta(hours=1) if approved else None,
        expires_at=(expires_at or now + timedelta(days=days)) if approved else None,
    )


# --- the matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
def test_each_user_sees_exactly_their_cards(world, username):
    assert visible(world, world.everyone[username]) == VISIBLE[username]


@pytest.mark.parametrize("username", USERS)
def test_each_user_may_edit_exactly_their_cards(world, username):
    user = world.everyone[username]
    assert {name for name, card in cards(world).items() if scope.can_edit(user, card)} == EDITABLE[username]


@pytest.mark.parametrize("username", USERS)
def test_sensitive_values_are_shown_to_exactly_those_who_may_edit(world, username):
    user = world.everyone[username]
    shown = {name for name, card in cards(world).items() if scope.can_see_sensitive(user, card)}
    assert shown == EDITABLE[username]


@pytest.mark.parametrize("username", USERS)
def test_editors_may_change_every_field_and_others_none_but_finance_the_credit_terms(world, username):
    user = world.everyone[username]
    for name, card in cards(world).items():
        fields = scope.editable_fields(user, card, CARD_FIELDS)
        if name in EDITABLE[username]:
            assert fields == CARD_FIELDS
        elif username == "fiona":
            assert fields == {"credit_rating", "credit_limit", "payment_terms_days"}
        else:
            assert fields == frozenset()


@pytest.mark.parametrize("username", USERS)
def test_can_view_agrees_with_visible_to(world, username):
    user = world.everyone[username]
    assert {name for name, card in cards(world).items() if scope.can_view(user, card)} == VISIBLE[username]


def test_everyone_but_finance_and_the_auditor_may_create_cards(world):
    creators = {name for name, user in world.everyone.items() if scope.can_create(user)}
    assert creators == {"alice", "bob", "carol", "mia", "tom", "dora", "cathy", "ada"}


def test_new_cards_get_all_fields_for_creators_and_none_for_others(world):
    assert scope.editable_fields(world.alice, None, CARD_FIELDS) == CARD_FIELDS
    assert scope.editable_fields(world.fiona, None, CARD_FIELDS) == frozenset()
    assert scope.editable_fields(world.aud, None, CARD_FIELDS) == frozenset()


def test_the_role_permissions_go_to_exactly_these_users(world):
    def holders(check):
        return {name for name, user in world.everyone.items() if check(user)}

    assert holders(scope.can_restore) == {"cathy", "ada"}
    assert holders(scope.can_purge) == {"ada"}
    assert holders(scope.can_export) == {"mia", "tom", "dora", "fiona", "cathy", "ada"}
    assert holders(scope.can_read_audit_log) == {"cathy", "aud", "ada"}
    assert holders(scope.can_edit_groups) == {"mia", "tom", "dora", "cathy", "ada"}
    assert holders(scope.can_manage_custom_fields) == {"ada"}


def test_loans_are_decided_by_the_manager_of_the_card_or_a_custodian_or_admin(world):
    def deciders(card):
        return {name for name, user in world.everyone.items() if scope.can_decide_grant(user, card)}

    assert deciders(world.alice_card) == {"mia", "cathy", "ada"}
    assert deciders(world.carol_card) == {"tom", "cathy", "ada"}


# --- archived cards ------------------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
def test_archived_cards_are_visible_only_to_custodian_auditor_and_admin(world, username):
    Customer.objects.filter(pk=world.alice_card.pk).update(archived_at=timezone.now())
    sees_archive = username in {"cathy", "aud", "ada"}
    expected = VISIBLE[username] if sees_archive else VISIBLE[username] - {"alice_card"}
    assert visible(world, world.everyone[username]) == expected


def test_nobody_may_edit_an_archived_card(world):
    world.alice_card.archived_at = timezone.now()
    assert {name for name, user in world.everyone.items() if scope.can_edit(user, world.alice_card)} == set()
    assert scope.editable_fields(world.fiona, world.alice_card, CARD_FIELDS) == frozenset()


# --- loans ---------------------------------------------------------------------------------


def test_an_active_loan_shows_the_card_to_the_borrower_read_only(world):
    lend(world, world.alice_card, world.carol)
    assert visible(world, world.carol) == {"carol_card", "alice_card"}
    assert scope.can_edit(world.carol, world.alice_card) is False
    assert scope.can_see_sensitive(world.carol, world.alice_card) is False


def test_a_loan_shows_the_card_to_nobody_else(world):
    lend(world, world.alice_card, world.carol)
    assert visible(world, world.bob) == {"bob_card"}
    assert visible(world, world.tom) == {"carol_card"}


def test_a_loan_to_a_manager_adds_the_card_to_their_subtree(world):
    lend(world, world.alice_card, world.tom)
    assert visible(world, world.tom) == {"carol_card", "alice_card"}
    assert scope.can_edit(world.tom, world.alice_card) is False


def test_an_expired_loan_shows_nothing(world):
    grant = lend(world, world.alice_card, world.carol)
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert visible(world, world.carol) == {"carol_card"}


def test_a_loan_that_has_not_started_shows_nothing(world):
    grant = lend(world, world.alice_card, world.carol)
    AccessGrant.objects.filter(pk=grant.pk).update(starts_at=timezone.now() + timedelta(hours=1))
    assert visible(world, world.carol) == {"carol_card"}


def test_a_loan_ends_exactly_at_its_fixed_expiry(world):
    expires_at = timezone.now() + timedelta(days=3)
    lend(world, world.alice_card, world.carol, expires_at=expires_at)
    active = AccessGrant.objects.active
    assert active(at=expires_at - timedelta(microseconds=1)).filter(grantee=world.carol).count() == 1
    assert active(at=expires_at).filter(grantee=world.carol).count() == 0


def test_a_revoked_loan_shows_nothing(world):
    grant = lend(world, world.alice_card, world.carol)
    AccessGrant.objects.filter(pk=grant.pk).update(status=GrantStatus.REVOKED)
    assert visible(world, world.carol) == {"carol_card"}


@pytest.mark.parametrize("status", [GrantStatus.PENDING, GrantStatus.REFUSED])
def test_pending_and_refused_loans_show_nothing(world, status):
    lend(world, world.alice_card, world.carol, status=status)
    assert visible(world, world.carol) == {"carol_card"}


def test_a_loan_of_an_archived_card_shows_nothing(world):
    lend(world, world.alice_card, world.carol)
    Customer.objects.filter(pk=world.alice_card.pk).update(archived_at=timezone.now())
    assert visible(world, world.carol) == {"carol_card"}


# --- the org tree --------------------------------------------------------------------------


def test_a_manager_of_the_region_sees_both_areas(world):
    nina = make_user("nina", Role.MANAGER, world.north)
    assert visible(world, nina) == ALL
    assert {name for name, card in cards(world).items() if scope.can_edit(nina, card)} == ALL


def test_a_manager_sees_cards_placed_directly_on_their_own_unit(world):
    nina = make_user("nina", Role.MANAGER, world.north)
    regional = make_customer("华北直营店", None, world.north)
    assert card_names(world, Customer.objects.visible_to(nina)) == ALL | {f"#{regional.pk}"}
    assert card_names(world, Customer.objects.visible_to(world.mia)) == {"alice_card", "bob_card"}


def test_a_manager_does_not_see_a_sibling_unit_whose_id_shares_a_prefix(world):
    # Paths are /1/700/ and /1/7001/: a subtree is a path prefix up to and including the slash.
    parent = OrgUnit.objects.create(pk=700, code="P700", name="甲", parent=world.hq)
    lookalike = OrgUnit.objects.create(pk=7001, code="P7001", name="乙", parent=world.hq)
    for unit in (parent, lookalike):
        unit.path = unit.compute_path()
        unit.save(update_fields=["path"])
    manager = make_user("pam", Role.MANAGER, parent)
    make_customer("乙片区客户", None, lookalike)
    assert Customer.objects.visible_to(manager).count() == 0


def test_a_manager_without_an_org_unit_sees_only_own_and_lent_cards(world):
    drifter = make_user("drifter", Role.MANAGER, None)
    own = make_customer("自营店", drifter, None)
    lend(world, world.carol_card, drifter)
    assert card_names(world, Customer.objects.visible_to(drifter)) == {f"#{own.pk}", "carol_card"}


def test_a_rep_does_not_see_other_cards_of_their_own_unit(world):
    assert visible(world, world.alice) == {"alice_card"}
    assert scope.can_edit(world.alice, world.bob_card) is False


def test_a_manager_who_owns_a_card_elsewhere_still_sees_and_edits_it(world):
    card = make_customer("天津米娅店", world.mia, world.tianjin)
    assert Customer.objects.visible_to(world.mia).filter(pk=card.pk).exists()
    assert scope.can_edit(world.mia, card) is True


# --- who is asking -------------------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
def test_inactive_users_see_and_edit_nothing(world, username):
    user = world.everyone[username]
    user.is_active = False
    user.save()
    assert visible(world, user) == set()
    assert {name for name, card in cards(world).items() if scope.can_edit(user, card)} == set()
    assert scope.can_create(user) is False


def test_anonymous_and_missing_users_see_nothing(world):
    assert visible(world, AnonymousUser()) == set()
    assert visible(world, None) == set()
    assert scope.can_edit(AnonymousUser(), world.alice_card) is False


# --- contacts follow their customer --------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
def test_contacts_are_visible_exactly_when_their_customer_is(world, username):
    for card in (world.bob_card, world.carol_card):
        Contact.objects.create(customer=card, name=f"{card.name}联系人")
    user = world.everyone[username]
    customer_ids = set(Contact.objects.visible_to(user).values_list("customer_id", flat=True))
    assert customer_ids == set(Customer.objects.visible_to(user).values_list("pk", flat=True))
    assert Contact.objects.visible_to(user).count() == len(VISIBLE[username])


def test_contacts_of_a_lent_card_follow_the_loan(world):
    grant = lend(world, world.alice_card, world.carol)
    assert list(Contact.objects.visible_to(world.carol).values_list("name", flat=True)) == ["单立新"]
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now())
    assert Contact.objects.visible_to(world.carol).count() == 0


def test_contacts_of_an_archived_card_are_hidden_like_the_card(world):
    Customer.objects.filter(pk=world.alice_card.pk).update(archived_at=timezone.now())
    assert Contact.objects.visible_to(world.alice).count() == 0
    assert Contact.objects.visible_to(world.dora).count() == 0
    assert Contact.objects.visible_to(world.cathy).count() == 1


# --- users and loans lists -----------------------------------------------------------------


def test_users_are_listed_by_role(world):
    def listed(user):
        q = scope.users_visible_q(user)
        qs = User.objects.all() if q is None else User.objects.filter(q)
        return set(qs.values_list("username", flat=True))

    assert listed(world.alice) == {"alice"}
    assert listed(world.mia) == {"alice", "bob", "mia"}
    assert listed(world.tom) == {"carol", "tom"}
    assert listed(world.dora) == set(world.everyone)


def test_decidable_loans_follow_the_card_subtree(world):
    to_mia = lend(world, world.alice_card, world.carol, status=GrantStatus.PENDING)
    to_tom = lend(world, world.carol_card, world.alice, status=GrantStatus.PENDING)

    def decidable(user):
        q = scope.grants_decidable_q(user)
        qs = AccessGrant.objects.all() if q is None else AccessGrant.objects.filter(q)
        return set(qs.values_list("pk", flat=True))

    assert decidable(world.mia) == {to_mia.pk}
    assert decidable(world.tom) == {to_tom.pk}
    assert decidable(world.cathy) == {to_mia.pk, to_tom.pk}
    assert decidable(world.alice) == set()
    assert decidable(world.dora) == set()


def test_sees_by_position_follows_role_ownership_and_subtree(world):
    from kehu.accounts.scope import sees_by_position

    seen = {name for name, user in world.everyone.items() if sees_by_position(user, world.alice_card)}
    assert seen == {"alice", "mia", "dora", "fiona", "cathy", "aud", "ada"}
