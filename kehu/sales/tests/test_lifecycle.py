"""The customer lifecycle: active on a booked order, dormant after the tier's silence, the daily pass."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.models import Customer, CustomerStatus
from kehu.sales.lifecycle_task import lifecycle_daily
from kehu.sales.models import LifecycleRule, OrderStatus
from kehu.sales.services.lifecycle import lifecycle_run
from kehu.sales.services.orders import LineInput, order_confirm, order_create
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World, make_customer

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)


@pytest.fixture
def beer(world: World) -> object:
    return make_product("BEER-01", "青岛啤酒", "10.00")


def card(w: World, status: str, tier: str = "C", **fields: object) -> Customer:
    return make_customer(f"{status}-{tier}-{Customer.objects.count()}", w.alice, w.beijing, status=status, tier=tier,
                         **fields)


def status_of(customer: Customer) -> str:
    customer.refresh_from_db()
    return customer.status


def test_a_dormant_card_that_orders_is_active_again_but_a_lost_one_stays_lost(world: World, beer: object) -> None:
    w = world
    for start, end in ((CustomerStatus.PROSPECT, CustomerStatus.ACTIVE), (CustomerStatus.DORMANT, CustomerStatus.ACTIVE),
                       (CustomerStatus.LOST, CustomerStatus.LOST)):
        customer = card(w, start, credit_limit=Decimal("1000"))
        order = order_create(actor=w.alice, customer=customer, lines=[LineInput(product_id=beer.pk, quantity=Decimal(1))])
        order_confirm(actor=w.alice, order=order)
        assert status_of(customer) == end
        assert customer.last_ordered_at is not None


def test_a_backdated_order_sets_last_ordered_to_its_day_and_never_moves_it_back(world: World, beer: object) -> None:
    w = world
    w.alice_card.credit_limit = Decimal("1000")
    w.alice_card.save()
    old = order_create(actor=w.alice, customer=w.alice_card, order_date=date.today() - timedelta(days=10),
                       lines=[LineInput(product_id=beer.pk, quantity=Decimal(1))])
    order_confirm(actor=w.alice, order=old)
    w.alice_card.refresh_from_db()
    assert w.alice_card.last_ordered_at.date() <= date.today() - timedelta(days=9)
    first = w.alice_card.last_ordered_at
    older = order_create(actor=w.alice, customer=w.alice_card, order_date=date.today() - timedelta(days=20),
                         lines=[LineInput(product_id=beer.pk, quantity=Decimal(1))])
    order_confirm(actor=w.alice, order=older)
    w.alice_card.refresh_from_db()
    assert w.alice_card.last_ordered_at == first
    # only the status change wrote a history row; later bookings do not
    assert w.alice_card.history_records.filter(history_change_reason__startswith="active:").count() == 1


def test_the_daily_run_moves_cards_by_tier_and_writes_history_and_one_audit_row(world: World, beer: object) -> None:
    w = world
    LifecycleRule.objects.filter(tier="A").update(dormant_after_days=30)
    LifecycleRule.objects.filter(tier="C").update(dormant_after_days=120)
    silent_a = card(w, CustomerStatus.ACTIVE, "A")
    make_booked_order(silent_a, [(beer, 1, "1")], order_date=TODAY - timedelta(days=30))
    recent_a = card(w, CustomerStatus.ACTIVE, "A")
    make_booked_order(recent_a, [(beer, 1, "1")], order_date=TODAY - timedelta(days=29))
    same_age_c = card(w, CustomerStatus.ACTIVE, "C")
    make_booked_order(same_age_c, [(beer, 1, "1")], order_date=TODAY - timedelta(days=30))
    never = card(w, CustomerStatus.ACTIVE, "C")  # active by hand, never ordered
    cancelled_only = card(w, CustomerStatus.ACTIVE, "C")
    make_booked_order(cancelled_only, [(beer, 1, "1")], order_date=TODAY - timedelta(days=5),
                      status=OrderStatus.CANCELLED)
    prospect = card(w, CustomerStatus.PROSPECT, "B")
    make_booked_order(prospect, [(beer, 1, "1")], order_date=TODAY - timedelta(days=3))
    prospect_old = card(w, CustomerStatus.PROSPECT, "B")
    make_booked_order(prospect_old, [(beer, 1, "1")], order_date=TODAY - timedelta(days=400))
    potential = card(w, CustomerStatus.POTENTIAL, "B")  # never ordered: stays
    dormant_back = card(w, CustomerStatus.DORMANT, "D")
    make_booked_order(dormant_back, [(beer, 1, "1")], order_date=TODAY)
    archived = card(w, CustomerStatus.ACTIVE, "A", archived_at="2026-01-01T00:00Z")
    lost = card(w, CustomerStatus.LOST, "A")

    summary = lifecycle_run(today=TODAY)

    assert summary["dormant"] == 4 and summary["active"] == 2
    assert summary["by_tier"] == {"dormant": {"A": 1, "B": 1, "C": 2}, "active": {"B": 1, "D": 1}}
    expected = {
        silent_a: "dormant", recent_a: "active", same_age_c: "active", never: "dormant", cancelled_only: "dormant",
        prospect: "active", prospect_old: "dormant", potential: "potential", dormant_back: "active",
        archived: "active", lost: "lost",
    }
    assert {c: status_of(c) for c in expected} == expected
    record = silent_a.history_records.first()
    assert record.history_change_reason == "dormant: no booked order for 30 days" and record.status == "dormant"
    assert prospect.history_records.first().history_change_reason == "active: has booked orders (daily lifecycle run)"
    assert silent_a.version == 2
    events = AuditEvent.objects.filter(action=AuditAction.STATUS_CHANGE, username="lifecycle")
    assert events.count() == 1 and events.get().detail["lifecycle_run"]["dormant"] == 4

    again = lifecycle_run(today=TODAY)  # idempotent
    assert (again["dormant"], again["active"]) == (0, 0)


def test_the_task_runs_the_pass(world: World, beer: object) -> None:
    LifecycleRule.objects.filter(tier="C").update(dormant_after_days=1)
    customer = card(world, CustomerStatus.ACTIVE, "C")
    result = lifecycle_daily.call(TODAY.isoformat())
    assert result["dormant"] == 1 and status_of(customer) == "dormant"


def test_the_daily_run_is_a_handful_of_queries(world: World, beer: object, django_assert_max_num_queries: object) -> None:
    for i in range(20):
        customer = card(world, CustomerStatus.ACTIVE, "ABCD"[i % 4])
        make_booked_order(customer, [(beer, 1, "1")], order_date=TODAY - timedelta(days=400))
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        summary = lifecycle_run(today=TODAY)
    assert summary["dormant"] == 20
