"""Credit review: the evidence on crafted histories (exact figures), the rules, re-runs, cooldown,
and accepting or dismissing a suggestion through the card service."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.models import Customer
from kehu.sales.models import Allocation, CreditSuggestion, Order, Payment, SuggestionStatus
from kehu.sales.services.credit_review import (
    credit_review_run,
    credit_suggestion_accept,
    credit_suggestion_dismiss,
)
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World

pytestmark = pytest.mark.django_db

TODAY = date(2026, 7, 16)


def pay(order: Order, day: date, amount: Decimal | None = None) -> Payment:
    """A payment on `day` allocated to `order` (all of what is open by default)."""
    amount = order.open_amount if amount is None else amount
    payment = Payment.objects.create(customer=order.customer, date=day, amount=amount)
    Allocation.objects.create(payment=payment, order=order, amount=amount)
    order.paid += amount
    order.open_amount -= amount
    order.save(update_fields=["paid", "open_amount"])
    return payment


def card(customer: Customer, **fields: object) -> Customer:
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save()
    return customer


def month(year: int, number: int, day: int) -> date:
    return date(year + (number - 1) // 12, (number - 1) % 12 + 1, day)


@pytest.fixture
def water(world: World):
    return make_product("W-550", "清泉矿泉水", "10.00", spec="550ml×24瓶")


@pytest.fixture
def steady(world: World, water) -> Customer:
    """Alice's customer: limit 10,000, terms 30; an order of 9,000 on the 20th of each month from
    July 2025 to June 2026, each paid 25 days later (before its due date)."""
    customer = card(world.alice_card, credit_limit=Decimal("10000"), payment_terms_days=30, credit_rating="B")
    for n in range(12):
        placed = month(2025, 7 + n, 20)
        order = make_booked_order(customer, [(water, 900, "10.00")], order_date=placed)
        pay(order, placed + timedelta(days=25))
    return customer


@pytest.fixture
def late(world: World, water) -> Customer:
    """Bob's customer: limit 20,000, terms 15; four orders of 1,000 (Jan–Apr 2026, on the 10th),
    each paid 20 days after its due date."""
    customer = card(world.bob_card, credit_limit=Decimal("20000"), payment_terms_days=15, credit_rating="C")
    for n in range(1, 5):
        placed = date(2026, n, 10)
        order = make_booked_order(customer, [(water, 100, "10.00")], order_date=placed)
        pay(order, placed + timedelta(days=35))
    return customer


@pytest.fixture
def overdue(world: World, water) -> Customer:
    """Carol's customer: unrated (policy: 30 days), own limit 8,000, terms 7; 3,000 due on 8 May, unpaid."""
    customer = card(world.carol_card, credit_limit=Decimal("8000"), payment_terms_days=7, credit_rating="")
    make_booked_order(customer, [(water, 300, "10.00")], order_date=date(2026, 5, 1))
    return customer


def suggestion(customer: Customer) -> CreditSuggestion:
    return CreditSuggestion.objects.get(customer=customer, status=SuggestionStatus.OPEN)


def test_a_customer_who_pays_on_time_and_buys_steadily_gets_a_raise(steady: Customer) -> None:
    assert credit_review_run(today=TODAY) == 1
    found = suggestion(steady)
    assert (found.current_limit, found.suggested_limit) == (Decimal("10000.00"), Decimal("13000.00"))
    assert found.is_raise
    assert found.evidence == {
        "rule": "pays_on_time_and_buys_steadily", "kind": "raise",
        "window_from": "2025-07-16", "window_to": "2026-07-15",
        "settled_orders": 12, "on_time_orders": 12, "on_time_share": "1.000",
        "average_days_to_pay": "25.0", "average_days_late": "0.0", "payment_terms_days": 30,
        "months_with_orders": 6, "months_considered": 6, "sales_12_months": "108000.00",
        "peak_exposure": "9000.00", "months_near_limit": 12, "exposure_now": "0.00",
        "overdue_now": "0.00", "overdue_days": 0, "max_overdue_days": 45,
        "current_limit": "10000.00", "limit_source": "card", "proposed_limit": "13000.00",
    }


def test_a_late_payer_gets_a_lower_limit(late: Customer) -> None:
    assert credit_review_run(today=TODAY) == 1
    found = suggestion(late)
    assert (found.current_limit, found.suggested_limit) == (Decimal("20000.00"), Decimal("15000.00"))
    assert found.evidence == {
        "rule": "late_payer", "kind": "lower",
        "window_from": "2025-07-16", "window_to": "2026-07-15",
        "settled_orders": 4, "on_time_orders": 0, "on_time_share": "0.000",
        "average_days_to_pay": "35.0", "average_days_late": "20.0", "payment_terms_days": 15,
        "months_with_orders": 4, "months_considered": 6, "sales_12_months": "4000.00",
        "peak_exposure": "1000.00", "months_near_limit": 0, "exposure_now": "0.00",
        "overdue_now": "0.00", "overdue_days": 0, "max_overdue_days": 30,
        "current_limit": "20000.00", "limit_source": "card", "proposed_limit": "15000.00",
    }


def test_money_overdue_beyond_the_policy_halves_the_limit(overdue: Customer) -> None:
    assert credit_review_run(today=TODAY) == 1
    found = suggestion(overdue)
    assert found.suggested_limit == Decimal("4000.00")
    assert found.evidence == {
        "rule": "overdue_beyond_policy", "kind": "lower",
        "window_from": "2025-07-16", "window_to": "2026-07-15",
        "settled_orders": 0, "on_time_orders": 0, "on_time_share": "0",
        "average_days_to_pay": "0", "average_days_late": "0", "payment_terms_days": 7,
        "months_with_orders": 1, "months_considered": 6, "sales_12_months": "3000.00",
        "peak_exposure": "3000.00", "months_near_limit": 0, "exposure_now": "3000.00",
        "overdue_now": "3000.00", "overdue_days": 69, "max_overdue_days": 30,
        "current_limit": "8000.00", "limit_source": "card", "proposed_limit": "4000.00",
    }


def test_overdue_beyond_policy_wins_over_a_raise(steady: Customer, water) -> None:
    make_booked_order(steady, [(water, 10, "10.00")], order_date=date(2026, 5, 1))  # due 31 May, unpaid
    credit_review_run(today=TODAY)
    found = suggestion(steady)
    assert found.evidence["rule"] == "overdue_beyond_policy"
    assert (found.evidence["overdue_days"], found.evidence["max_overdue_days"]) == (46, 45)
    assert found.suggested_limit == Decimal("5000.00")


def test_one_late_payment_too_many_stops_the_raise(steady: Customer) -> None:
    # Two of twelve paid late: 83 % on time is under the 90 % needed.
    for order in Order.objects.filter(customer=steady).order_by("order_date")[:2]:
        Payment.objects.filter(allocations__order=order).update(date=order.order_date + timedelta(days=40))
    assert credit_review_run(today=TODAY) == 0


def test_exposure_far_below_the_limit_is_no_reason_to_raise(steady: Customer) -> None:
    card(steady, credit_limit=Decimal("50000"))
    assert credit_review_run(today=TODAY) == 0


def test_the_rating_default_is_the_limit_when_the_card_has_none(steady: Customer) -> None:
    # Rating B's policy: 200,000 — far above what the customer uses, so no raise.
    card(steady, credit_limit=Decimal("0"))
    assert credit_review_run(today=TODAY) == 0
    card(steady, credit_rating="D")  # policy D: no credit at all → not reviewed
    assert credit_review_run(today=TODAY) == 0


def test_rerunning_updates_the_open_suggestion_and_drops_stale_ones(late: Customer, overdue: Customer) -> None:
    assert credit_review_run(today=TODAY) == 2
    first = suggestion(late)
    card(late, credit_limit=Decimal("30000"))
    order = Order.objects.get(customer=overdue)
    pay(order, TODAY - timedelta(days=1))  # settled 68 days late; nothing overdue now
    assert credit_review_run(today=TODAY) == 1
    again = suggestion(late)
    assert again.pk == first.pk
    assert (again.current_limit, again.suggested_limit) == (Decimal("30000.00"), Decimal("22000.00"))
    # One settled order (68 days late) is too little history to call the customer a late payer.
    assert not CreditSuggestion.objects.filter(customer=overdue).exists()


def test_a_decided_suggestion_is_not_proposed_again_for_a_while(world: World, late: Customer) -> None:
    credit_review_run(today=TODAY)
    credit_suggestion_dismiss(actor=world.fiona, suggestion=suggestion(late))
    assert credit_review_run(today=TODAY) == 0
    assert not CreditSuggestion.objects.filter(status=SuggestionStatus.OPEN).exists()


def test_the_run_reads_the_company_in_a_fixed_number_of_queries(
    world: World, steady: Customer, late: Customer, overdue: Customer, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(14):
        assert credit_review_run(today=TODAY) == 3


def test_accepting_sets_the_cards_limit_with_history_and_audit(world: World, steady: Customer) -> None:
    credit_review_run(today=TODAY)
    found = suggestion(steady)
    version = steady.version
    done = credit_suggestion_accept(actor=world.fiona, suggestion=found)
    steady.refresh_from_db()
    assert steady.credit_limit == Decimal("13000.00")
    assert steady.version == version + 1
    assert steady.history.first().history_user == world.fiona  # type: ignore[attr-defined]
    assert (done.status, done.decided_by, done.evidence["accepted_limit"]) == ("accepted", world.fiona, "13000.00")
    decision = AuditEvent.objects.get(action=AuditAction.CREDIT_DECISION, object_id=found.pk)
    assert decision.detail == {
        "customer": steady.pk, "decision": "accepted", "current_limit": "10000.00",
        "suggested_limit": "13000.00", "rule": "pays_on_time_and_buys_steadily", "accepted_limit": "13000.00",
    }
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=steady.pk).exists()


def test_accepting_with_another_limit(world: World, steady: Customer) -> None:
    credit_review_run(today=TODAY)
    credit_suggestion_accept(actor=world.mia, suggestion=suggestion(steady), limit="12000.50")
    steady.refresh_from_db()
    assert steady.credit_limit == Decimal("12000.50")


@pytest.mark.parametrize("bad", ["0", "-5", "abc", "1.001", "1e20", "NaN"])
def test_a_bad_limit_changes_nothing(world: World, steady: Customer, bad: str) -> None:
    credit_review_run(today=TODAY)
    found = suggestion(steady)
    with pytest.raises(ValidationError) as caught:
        credit_suggestion_accept(actor=world.fiona, suggestion=found, limit=bad)
    assert list(caught.value.message_dict) == ["limit"]
    steady.refresh_from_db()
    assert steady.credit_limit == Decimal("10000.00")
    assert suggestion(steady).status == SuggestionStatus.OPEN


def test_a_decided_suggestion_cannot_be_decided_again(world: World, steady: Customer) -> None:
    credit_review_run(today=TODAY)
    found = suggestion(steady)
    credit_suggestion_dismiss(actor=world.fiona, suggestion=found)
    with pytest.raises(VersionConflict) as caught:
        credit_suggestion_accept(actor=world.dora, suggestion=found)
    assert caught.value.current.status == SuggestionStatus.DISMISSED
    steady.refresh_from_db()
    assert steady.credit_limit == Decimal("10000.00")


def test_who_may_decide(world: World, steady: Customer) -> None:
    credit_review_run(today=TODAY)
    found = suggestion(steady)
    for who in (world.alice, world.cathy, world.aud):
        with pytest.raises(Forbidden):
            credit_suggestion_dismiss(actor=who, suggestion=found)
    for who in (world.bob, world.carol, world.tom):
        with pytest.raises(NotFound):
            credit_suggestion_dismiss(actor=who, suggestion=found)
    assert suggestion(steady).status == SuggestionStatus.OPEN


def test_a_raise_is_at_most_double_the_limit(steady: Customer) -> None:
    card(steady, credit_limit=Decimal("4000"))  # exposure 9,000 at every month end: 1.1 × peak would be 9,900
    credit_review_run(today=TODAY)
    found = suggestion(steady)
    assert (found.evidence["rule"], found.suggested_limit) == ("pays_on_time_and_buys_steadily", Decimal("8000.00"))
