"""The credit check at confirmation, the hold queue's decisions, and the policy settings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.models import CustomerStatus
from kehu.sales.models import (
    CreditHold,
    CreditPolicy,
    CustomerMonth,
    HoldStatus,
    LifecycleRule,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
)
from kehu.sales.selectors.credit import credit_assess, credit_policy_for, hold_queue
from kehu.sales.services.credit import credit_policy_update, hold_approve, hold_reject, lifecycle_rule_update
from kehu.sales.services.orders import LineInput, order_cancel, order_confirm, order_copy, order_create, order_update
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World, errors_of, make_customer

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def beer(world: World) -> object:
    return make_product("BEER-01", "青岛啤酒", "10.00")


def draft(w: World, beer: object, qty: str = "10", customer: object = None, actor: object = None) -> Order:
    return order_create(
        actor=actor or w.alice, customer=customer or w.alice_card,
        lines=[LineInput(product_id=beer.pk, quantity=D(qty))],  # type: ignore[attr-defined]
    )


def limit(card: object, amount: str, rating: str = "", terms: int = 30) -> None:
    card.credit_limit = D(amount)  # type: ignore[attr-defined]
    card.credit_rating = rating  # type: ignore[attr-defined]
    card.payment_terms_days = terms  # type: ignore[attr-defined]
    card.save()  # type: ignore[attr-defined]


def pay(card: object, amount: str, kind: str = PaymentKind.PAYMENT, unallocated: str | None = None) -> Payment:
    return Payment.objects.create(
        customer=card, kind=kind, amount=D(amount), unallocated=D(unallocated if unallocated is not None else amount)
    )


# --- effective limit ------------------------------------------------------------------------------


def test_the_cards_own_limit_wins_over_the_rating_default(world: World) -> None:
    limit(world.alice_card, "1234.00", rating="B")
    assessment = credit_assess(world.alice_card)
    assert (assessment.credit_limit, assessment.limit_source) == (D("1234.00"), "card")


def test_without_its_own_limit_the_rating_default_applies(world: World) -> None:
    limit(world.alice_card, "0", rating="B")
    assert credit_assess(world.alice_card).credit_limit == D("200000.00")
    limit(world.alice_card, "0", rating="")
    CreditPolicy.objects.filter(rating="-").update(default_limit=D("777"), max_overdue_days=9)
    assessment = credit_assess(world.alice_card)
    assert (assessment.credit_limit, assessment.limit_source, assessment.max_overdue_days) == (D("777.00"), "-", 9)


def test_a_rating_without_a_policy_row_falls_back_to_the_unrated_row(world: World) -> None:
    CreditPolicy.objects.filter(rating="C").delete()
    limit(world.alice_card, "0", rating="C")
    assert credit_policy_for(world.alice_card).rating == "-"


# --- exposure -------------------------------------------------------------------------------------


def test_exposure_counts_open_booked_orders_less_unallocated_money_plus_this_order(world: World, beer: object) -> None:
    w = world
    limit(w.alice_card, "1000")
    make_booked_order(w.alice_card, [(beer, 10, "10.00")])  # 100 open
    delivered = make_booked_order(w.alice_card, [(beer, 5, "10.00")], status=OrderStatus.DELIVERED)
    Order.objects.filter(pk=delivered.pk).update(paid=D("20"), open_amount=D("30"))  # 30 open
    make_booked_order(w.bob_card, [(beer, 50, "10.00")])  # another customer
    draft(w, beer, "3")  # a draft: not exposure
    pay(w.alice_card, "25")
    pay(w.alice_card, "5", kind=PaymentKind.CREDIT_NOTE)
    pay(w.alice_card, "40", kind=PaymentKind.REFUND, unallocated="40")  # refunds never lower it
    assessment = credit_assess(w.alice_card, order_total=D("12.34"))
    assert (assessment.open_orders, assessment.unallocated) == (D("130.00"), D("30.00"))
    assert assessment.exposure == D("112.34")
    assert not assessment.is_held


def test_unallocated_money_never_pushes_exposure_below_zero(world: World) -> None:
    pay(world.alice_card, "500")
    assert credit_assess(world.alice_card, order_total=D("10")).exposure == D("10")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    opens=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["confirmed", "delivered", "draft", "held",
                                                                       "cancelled"])), max_size=6),
    money=st.lists(st.tuples(st.integers(1, 10**6), st.sampled_from(list(PaymentKind.values))), max_size=4),
    total=st.integers(0, 10**6),
)
def test_exposure_is_the_sum_it_should_be(world: World, beer: object, opens: list, money: list, total: int) -> None:
    card = make_customer("假设客户", world.alice, world.beijing)
    for cents, status in opens:
        order = make_booked_order(card, [(beer, 1, "1.00")], status=status)
        Order.objects.filter(pk=order.pk).update(open_amount=D(cents) / 100, total=D(cents) / 100)
    for cents, kind in money:
        pay(card, str(D(cents) / 100), kind=kind)
    booked = sum((D(c) / 100 for c, s in opens if s in ("confirmed", "delivered")), D(0))
    credit = sum((D(c) / 100 for c, k in money if k != PaymentKind.REFUND), D(0))
    expected = max(booked - credit, D(0)) + D(total) / 100
    assert credit_assess(card, order_total=D(total) / 100).exposure == expected


# --- holds at confirmation ------------------------------------------------------------------------


def test_an_order_over_the_limit_is_held_with_the_figures(world: World, beer: object) -> None:
    w = world
    limit(w.alice_card, "150")
    make_booked_order(w.alice_card, [(beer, 10, "10.00")])
    order = order_confirm(actor=w.alice, order=draft(w, beer, "6"))
    assert order.status == OrderStatus.HELD
    hold = CreditHold.objects.get(order=order)
    assert (hold.status, hold.exposure, hold.credit_limit, hold.overdue_days) == (
        HoldStatus.PENDING, D("160.00"), D("150.00"), 0)
    assert hold.reasons == [{"code": "over_limit", "params": {"exposure": "160.00", "limit": "150.00", "excess": "10.00"}}]
    assert hold.requested_by == w.alice
    assert not CustomerMonth.objects.filter(customer=w.alice_card, orders__gt=1).exists()  # not booked
    assert AuditEvent.objects.filter(action=AuditAction.CREDIT_HOLD, object_id=hold.pk).count() == 1


def test_an_order_exactly_at_the_limit_passes(world: World, beer: object) -> None:
    limit(world.alice_card, "100")
    assert order_confirm(actor=world.alice, order=draft(world, beer, "10")).status == OrderStatus.CONFIRMED


def test_an_order_is_held_when_something_is_overdue_too_long(world: World, beer: object) -> None:
    w = world
    limit(w.alice_card, "100000", rating="C")  # C tolerates 30 days
    today = date.today()
    make_booked_order(w.alice_card, [(beer, 1, "10.00")], order_date=today - timedelta(days=60),
                      due_date=today - timedelta(days=30))
    assert order_confirm(actor=w.alice, order=draft(w, beer, "1")).status == OrderStatus.CONFIRMED
    make_booked_order(w.alice_card, [(beer, 1, "10.00")], order_date=today - timedelta(days=70),
                      due_date=today - timedelta(days=31))
    order = order_confirm(actor=w.alice, order=draft(w, beer, "1"))
    hold = CreditHold.objects.get(order=order)
    assert order.status == OrderStatus.HELD and hold.overdue_days == 31
    assert hold.reasons == [{"code": "overdue", "params": {"days": 31, "max_days": 30}}]


def test_a_paid_overdue_order_does_not_hold(world: World, beer: object) -> None:
    limit(world.alice_card, "100000", rating="C")
    old = make_booked_order(world.alice_card, [(beer, 1, "10.00")], due_date=date.today() - timedelta(days=90))
    Order.objects.filter(pk=old.pk).update(paid=D("10"), open_amount=D("0"))
    assert order_confirm(actor=world.alice, order=draft(world, beer, "1")).status == OrderStatus.CONFIRMED


def test_an_unrated_card_without_a_limit_is_held_on_credit_orders(world: World, beer: object) -> None:
    limit(world.alice_card, "0")  # the unrated default is 0
    assert order_confirm(actor=world.alice, order=draft(world, beer, "1")).status == OrderStatus.HELD


def test_copy_then_confirm_goes_through_the_check(world: World, beer: object) -> None:
    w = world
    limit(w.alice_card, "150")
    first = order_confirm(actor=w.alice, order=draft(w, beer, "10"))
    copy = order_copy(actor=w.alice, order=first)
    assert order_confirm(actor=w.alice, order=copy).status == OrderStatus.HELD


def test_a_held_order_cannot_be_confirmed_again_or_edited(world: World, beer: object) -> None:
    limit(world.alice_card, "1")
    order = order_confirm(actor=world.alice, order=draft(world, beer))
    assert errors_of(order_confirm, actor=world.alice, order=order) == {
        "status": [f"Order {order.number} is already waiting for a credit decision."]
    }
    errors = errors_of(order_update, actor=world.alice, order=order, version=order.version, data={"note": "x"})
    assert "waiting for a credit decision" in errors["status"][0]


# --- decisions ------------------------------------------------------------------------------------


@pytest.fixture
def held(world: World, beer: object) -> CreditHold:
    limit(world.alice_card, "50")
    order = order_confirm(actor=world.alice, order=draft(world, beer, "10"))  # 100 > 50
    return CreditHold.objects.get(order=order)


def test_approving_books_the_order_and_records_the_decision(world: World, held: CreditHold) -> None:
    w = world
    decided = hold_approve(actor=w.fiona, hold=held, reason="老客户，月底回款")
    order = decided.order
    assert order.status == OrderStatus.CONFIRMED and order.open_amount == D("100.00")
    assert (decided.status, decided.decided_by, decided.decision_reason) == (HoldStatus.APPROVED, w.fiona, "老客户，月底回款")
    assert CustomerMonth.objects.get(customer=w.alice_card).orders == 1
    w.alice_card.refresh_from_db()
    assert w.alice_card.status == CustomerStatus.ACTIVE
    event = AuditEvent.objects.get(action=AuditAction.CREDIT_DECISION)
    assert event.detail["decision"] == "approved" and event.actor == w.fiona
    assert order.history_records.first().history_change_reason == "credit hold approved: 老客户，月底回款"


def test_a_one_off_raise_must_cover_the_excess_and_is_recorded(world: World, held: CreditHold) -> None:
    errors = errors_of(hold_approve, actor=world.fiona, hold=held, reason="ok", one_off_raise="20")
    assert errors == {"one_off_raise": [
        "The exposure is now 100.00 against a limit of 50.00: a raise of at least 50.00 is needed."]}
    decided = hold_approve(actor=world.fiona, hold=held, reason="ok", one_off_raise=D("50"))
    assert decided.one_off_raise == D("50.00")
    world.alice_card.refresh_from_db()
    assert world.alice_card.credit_limit == D("50.00")  # for this order only


def test_rejecting_returns_the_order_to_draft(world: World, held: CreditHold) -> None:
    decided = hold_reject(actor=world.mia, hold=held, reason="先回款")
    assert decided.status == HoldStatus.REJECTED and decided.order.status == OrderStatus.DRAFT
    assert not CustomerMonth.objects.exists()
    assert errors_of(hold_approve, actor=world.fiona, hold=held, reason="x") == {
        "status": ["This hold was already decided (Rejected)."]
    }
    # The rep may change the draft and try again: a new check, a new hold if still over.
    again = order_confirm(actor=world.alice, order=decided.order)
    assert again.status == OrderStatus.HELD
    assert CreditHold.objects.filter(order=again).count() == 2


def test_a_reason_is_required_and_the_raise_must_be_money(world: World, held: CreditHold) -> None:
    assert errors_of(hold_approve, actor=world.fiona, hold=held, reason=" ", one_off_raise="abc") == {
        "reason": ["Give the reason for the decision; it is kept with the order."],
        "one_off_raise": ["Enter an amount in yuan above zero, with at most 2 decimal places."],
    }
    assert "reason" in errors_of(hold_reject, actor=world.fiona, hold=held, reason="")


def test_who_may_decide(world: World, held: CreditHold) -> None:
    w = world
    for user in (w.alice, w.bob, w.cathy, w.aud):
        with pytest.raises((Forbidden, NotFound)):
            hold_approve(actor=user, hold=held, reason="x")
    with pytest.raises(NotFound):
        hold_reject(actor=w.carol, hold=held, reason="x")  # cannot see the card
    with pytest.raises(NotFound):
        hold_reject(actor=w.tom, hold=held, reason="x")  # another subtree
    held.refresh_from_db()
    assert held.status == HoldStatus.PENDING
    for user in (w.mia, w.dora, w.ada):
        assert scope_decides(user, held)


def scope_decides(user: object, hold: CreditHold) -> bool:
    from kehu.accounts import scope

    return scope.can_decide_credit(user, hold.customer)


def test_cancelling_a_held_order_closes_its_hold(world: World, held: CreditHold) -> None:
    order_cancel(actor=world.alice, order=held.order, reason="客户不要了")
    held.refresh_from_db()
    assert held.status == HoldStatus.REJECTED and held.decision_reason == "Order cancelled: 客户不要了"
    with pytest.raises(ValidationError):
        hold_approve(actor=world.fiona, hold=held, reason="x")


def test_the_queue_shows_pending_first_and_only_visible_holds(world: World, beer: object) -> None:
    w = world
    limit(w.alice_card, "1")
    limit(w.carol_card, "1")
    first = order_confirm(actor=w.alice, order=draft(w, beer))
    second = order_confirm(actor=w.alice, order=draft(w, beer))
    carols = order_confirm(actor=w.carol, order=draft(w, beer, customer=w.carol_card, actor=w.carol))
    hold_reject(actor=w.fiona, hold=CreditHold.objects.get(order=first), reason="no")
    assert [h.order_id for h in hold_queue(user=w.fiona)] == [second.pk, carols.pk, first.pk]
    assert [h.order_id for h in hold_queue(user=w.alice)] == [second.pk, first.pk]
    assert [h.order_id for h in hold_queue(user=w.tom)] == [carols.pk]
    assert [h.order_id for h in hold_queue(user=w.fiona, status="pending")] == [second.pk, carols.pk]


# --- settings -------------------------------------------------------------------------------------


def test_the_admin_sets_the_policy_and_the_lifecycle_rules(world: World) -> None:
    policy = CreditPolicy.objects.get(rating="B")
    changed = credit_policy_update(actor=world.ada, policy=policy, default_limit="300000.50", max_overdue_days="20")
    assert (changed.default_limit, changed.max_overdue_days) == (D("300000.50"), 20)
    assert AuditEvent.objects.filter(action=AuditAction.SETTINGS).count() == 1
    rule = lifecycle_rule_update(actor=world.ada, rule=LifecycleRule.objects.get(tier="A"), dormant_after_days=45)
    assert rule.dormant_after_days == 45
    assert errors_of(credit_policy_update, actor=world.ada, policy=policy, default_limit="-1", max_overdue_days="x") == {
        "default_limit": ["Enter an amount in yuan, zero or more, with at most 2 decimal places."],
        "max_overdue_days": ["Enter a whole number of days from 0 to 3650."],
    }
    assert errors_of(lifecycle_rule_update, actor=world.ada, rule=rule, dormant_after_days=0) == {
        "dormant_after_days": ["Enter a whole number of days from 1 to 3650."]
    }
    for user in (world.fiona, world.dora, world.alice):
        with pytest.raises(Forbidden):
            credit_policy_update(actor=user, policy=policy, default_limit="1")
        with pytest.raises(Forbidden):
            lifecycle_rule_update(actor=user, rule=rule, dormant_after_days=10)


def test_whoever_asked_for_the_confirmation_does_not_decide_its_hold(world: World, beer: object) -> None:
    w = world
    limit(w.alice_card, "10")
    order = order_confirm(actor=w.mia, order=draft(w, beer, actor=w.mia))  # the manager enters and confirms
    hold = CreditHold.objects.get(order=order)
    with pytest.raises(Forbidden) as refused:
        hold_approve(actor=w.mia, hold=hold, reason="my own")
    assert refused.value.message == "You confirmed this order yourself; someone else decides its credit hold."
    assert hold_approve(actor=w.fiona, hold=hold, reason="ok").status == HoldStatus.APPROVED


def test_the_assessment_sums_are_decimals_with_two_places(world):
    from kehu.sales.selectors.credit import credit_assess
    from kehu.sales.testing import make_booked_order, make_product

    soy = make_product("PX1", "酱油", "0.10")
    for _ in range(3):
        make_booked_order(world.alice_card, [(soy, 1, "0.10")])
    assessed = credit_assess(world.alice_card, order_total=Decimal("0.20"))
    assert isinstance(assessed.open_orders, Decimal)
    assert str(assessed.open_orders) == "0.30"
