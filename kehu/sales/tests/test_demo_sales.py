"""`kehu demo` loads the sales side after the cards: the ledger reconciles to the cent, the summaries
are what a rebuild computes, and holds, overdue money, plans and credit suggestions are there."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from kehu.customers.demo import demo_build
from kehu.customers.demo_hooks import demo_steps, demo_steps_run
from kehu.sales import summaries
from kehu.sales.demo.hook import sales_demo_step
from kehu.sales.demo.plans import month_shift
from kehu.sales.models import (
    BOOKED,
    Allocation,
    Collection,
    CollectionStatus,
    CreditHold,
    CreditSuggestion,
    CustomerMonth,
    HoldStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    PlanStatus,
    Product,
    SalesMonth,
    SalesPlan,
)

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")


# A fixed day, so what the demo draws (holds, overdue, plan states) does not depend on when tests run.
NOW = datetime(2026, 7, 16, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
TODAY = date(2026, 7, 16)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo with 60 cards as `kehu demo` builds it (cards, then the registered steps), loaded once
    for the module on a fixed day and rolled back afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        org = demo_build(customers=60, seed=11, now=NOW)
        yield demo_steps_run(org=org, seed=11, now=NOW)
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def test_the_sales_step_is_registered_and_reports_its_counts(demo: dict) -> None:
    assert sales_demo_step in demo_steps()
    counts = demo["kehu.sales.demo.hook"]
    assert counts["orders"] == Order.objects.count() - counts["holds"]
    assert counts["holds"] == CreditHold.objects.count()
    assert Product.objects.count() == 27 and Product.objects.filter(is_active=False).count() == 1


def test_orders_cover_two_years_up_to_today(demo: dict) -> None:
    booked = Order.objects.filter(status__in=BOOKED)
    today = TODAY
    first = booked.order_by("order_date").values_list("order_date", flat=True).first()
    last = booked.order_by("-order_date").values_list("order_date", flat=True).first()
    assert first is not None and last is not None
    assert (today - first).days >= 700 and (today - last).days <= 31
    assert booked.count() > 500
    assert not booked.filter(due_date__isnull=True).exists()
    assert not booked.filter(due_date__lt=F("order_date")).exists()
    assert Order.objects.filter(status=OrderStatus.CANCELLED).exists()


def test_the_ledger_reconciles_to_the_cent(demo: dict) -> None:
    booked = Order.objects.filter(status__in=BOOKED)
    totals = booked.aggregate(total=Sum("total"), open=Sum("open_amount"), paid=Sum("paid"))
    allocated = Allocation.objects.filter(order__status__in=BOOKED).aggregate(s=Sum("amount"))["s"]
    assert totals["open"] == totals["total"] - allocated
    assert totals["paid"] == allocated
    assert not Allocation.objects.exclude(order__status__in=BOOKED).exists()
    assert not Order.objects.exclude(status__in=BOOKED).exclude(paid=0, open_amount=0).exists()
    per_order: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for order_id, amount in Allocation.objects.values_list("order_id", "amount"):
        per_order[order_id] += amount
    for order_id, total, paid, open_amount in booked.values_list("id", "total", "paid", "open_amount"):
        assert paid == per_order[order_id] and open_amount == total - paid and open_amount >= 0
    per_payment: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment_id, amount in Allocation.objects.values_list("payment_id", "amount"):
        per_payment[payment_id] += amount
    payments = Payment.objects.values_list("id", "amount", "unallocated", "kind")
    for payment_id, amount, unallocated, kind in payments:
        assert unallocated == amount - per_payment[payment_id] and unallocated >= 0
        assert kind in (PaymentKind.PAYMENT, PaymentKind.CREDIT_NOTE)
    assert Payment.objects.filter(unallocated__gt=0).exists()  # a few prepayments
    assert Payment.objects.filter(kind=PaymentKind.PAYMENT).count() > 500


def test_the_summaries_are_what_a_rebuild_computes(demo: dict) -> None:
    def snapshot() -> tuple[set, set]:
        return (
            set(SalesMonth.objects.values_list("customer_id", "product_id", "month", "quantity", "amount")),
            set(CustomerMonth.objects.values_list("customer_id", "month", "sales", "orders", "collected")),
        )

    written = snapshot()
    summaries.summaries_rebuild()
    assert snapshot() == written
    assert written[0] and written[1]


def test_late_payers_owe_overdue_money_today(demo: dict) -> None:
    today = TODAY
    overdue = Order.objects.overdue(today)
    assert overdue.values("customer").distinct().count() >= 2
    # Open collections are planned for every open credit order; overdue ones re-planned ahead.
    open_credit = Order.objects.open().exclude(due_date=F("order_date"))
    planned = Collection.objects.filter(status=CollectionStatus.OPEN)
    assert set(planned.values_list("order_id", flat=True)) == set(open_credit.values_list("id", flat=True))
    assert not planned.filter(due_on__lt=today).exists()
    for order_id, amount in planned.values_list("order_id", "amount"):
        assert Order.objects.get(pk=order_id).open_amount == amount
    assert Collection.objects.filter(status=CollectionStatus.DONE).exists()


def test_orders_wait_in_the_credit_hold_queue(demo: dict) -> None:
    holds = CreditHold.objects.filter(status=HoldStatus.PENDING).select_related("order")
    assert 2 <= holds.count() <= 3
    for hold in holds:
        assert hold.order.status == OrderStatus.HELD
        assert hold.reasons and hold.order.total > 0 and hold.order.lines.exists()
        assert hold.exposure > hold.credit_limit or hold.overdue_days > 0


def test_plans_for_last_this_and_next_month(demo: dict) -> None:
    this_month = TODAY.replace(day=1)
    months = [month_shift(this_month, n) for n in (-1, 0, 1)]
    plans = SalesPlan.objects.all()
    assert set(plans.values_list("month", flat=True)) == set(months)
    statuses = set(plans.values_list("status", flat=True))
    assert {PlanStatus.APPROVED, PlanStatus.SUBMITTED, PlanStatus.DRAFT} <= statuses
    assert not plans.filter(month=months[0], status=PlanStatus.SUBMITTED).exists()
    for plan in plans.prefetch_related("lines", "supports")[:50]:
        assert plan.total_amount == sum((line.amount for line in plan.lines.all()), ZERO)
        assert plan.total_quantity == sum((line.quantity for line in plan.lines.all()), Decimal(0))
        assert plan.support_cost == sum((s.cost for s in plan.supports.all()), ZERO)
        if plan.status in (PlanStatus.APPROVED, PlanStatus.RETURNED):
            assert plan.decided_by is not None and plan.decided_at is not None


def test_a_first_credit_review_is_there(demo: dict) -> None:
    assert CreditSuggestion.objects.filter(status="open").exists()


def test_order_numbers_follow_order_entry(demo: dict) -> None:
    for number, day in Order.objects.values_list("number", "order_date")[:200]:
        assert number.startswith(f"SO{day:%Y%m}") and len(number) == 14
    assert isinstance(Order.objects.order_by("number").first().order_date, date)  # type: ignore[union-attr]


def test_the_same_seed_and_day_draw_the_same_history(demo: dict) -> None:
    import random

    from kehu.customers.models import Customer
    from kehu.sales.demo.builder import _effective_limits
    from kehu.sales.demo.history import HistoryDrafter

    cards = list(Customer.objects.filter(archived_at__isnull=True).select_related("owner").order_by("pk"))
    products = {p.sku: p for p in Product.objects.all()}

    def draw(seed: int) -> list[tuple]:
        drafter = HistoryDrafter(random.Random(seed), TODAY, products, None)
        limits = _effective_limits(cards)
        for buyer in filter(None, (drafter.buyer(c, limits[c.pk]) for c in cards)):
            drafter.trade(buyer)
        return [(o.customer_id, o.order_date, o.total, o.open_amount) for o in drafter.ledger.orders]

    assert draw(5) == draw(5)
    assert draw(5) != draw(6)


def test_cards_know_when_they_last_ordered(demo: dict) -> None:
    from django.db.models import Max

    from kehu.customers.models import Customer

    last = dict(Order.objects.filter(status__in=BOOKED).values_list("customer").annotate(day=Max("order_date")))
    seen = {
        pk: timezone.localdate(at)
        for pk, at in Customer.objects.filter(last_ordered_at__isnull=False).values_list("pk", "last_ordered_at")
    }
    assert seen == last
