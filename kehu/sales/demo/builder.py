"""Loading the sales side of the demo company after its cards: catalogue, two years of orders and
money, planned collections, monthly plans, a few orders in the credit-hold queue, the summaries
and a first credit review. Bulk inserts throughout: the whole step takes seconds, not minutes.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kehu.accounts.models import Role, User
from kehu.customers.models import Customer, CustomerStatus
from kehu.sales.demo.catalogue import catalogue_create
from kehu.sales.demo.history import Buyer, HistoryDrafter, Ledger, at_noon
from kehu.sales.demo.plans import PlanDrafter
from kehu.sales.demo.rows import rows_insert, sequences_reset
from kehu.sales.models import (
    BOOKED,
    UNRATED,
    ZERO,
    Allocation,
    Collection,
    CollectionStatus,
    CreditHold,
    CreditPolicy,
    CustomerMonth,
    Order,
    OrderLine,
    Payment,
    PaymentKind,
    PlanLine,
    PlanSupport,
    SalesMonth,
    SalesPlan,
)
from kehu.sales.selectors.credit import credit_assess
from kehu.sales.summaries import month_of

BATCH = 2000
HOLDS = 3  # orders waiting in the credit-hold queue
DONE_COLLECTIONS_DAYS = 60  # settled credit orders this recent keep their (done) planned collection


def _effective_limits(cards: Iterable[Customer]) -> dict[int, Decimal]:
    policies = dict(CreditPolicy.objects.values_list("rating", "default_limit"))
    return {
        c.pk: c.credit_limit if c.credit_limit > 0 else policies.get(c.credit_rating or UNRATED, ZERO)
        for c in cards
    }


def _managers(org: Any) -> dict[int, User]:
    return {u.org_unit_id: u for u in org.users.values() if u.role == Role.MANAGER}


def _collections(ledger_orders: list[Order], today: date, rng: random.Random) -> list[Collection]:
    """Open orders are planned for their due day (overdue ones re-planned within ten days);
    recently settled credit orders keep their planned collection, marked done."""
    out = []
    recent = today - timedelta(days=DONE_COLLECTIONS_DAYS)
    for order in ledger_orders:
        if order.status not in BOOKED or order.due_date is None or order.due_date == order.order_date:
            continue
        responsible = order.customer.owner
        if order.open_amount > 0:
            overdue = order.due_date < today
            out.append(Collection(
                customer=order.customer, order=order, amount=order.open_amount, responsible=responsible,
                due_on=today + timedelta(days=rng.randint(1, 10)) if overdue else order.due_date,
                note="逾期，已与客户约定回款日" if overdue else "", status=CollectionStatus.OPEN,
                created_at=order.confirmed_at, updated_at=order.confirmed_at,
            ))
        elif order.due_date >= recent:
            out.append(Collection(
                customer=order.customer, order=order, amount=order.total, responsible=responsible,
                due_on=order.due_date, status=CollectionStatus.DONE,
                created_at=order.confirmed_at, updated_at=order.confirmed_at,
            ))
    return out


def _hold_candidates(buyers: list[Buyer], orders: list[Order], limits: dict[int, Decimal], today: date) -> list[Buyer]:
    """Credit customers trading today: the ones closest below their limit first, then the longest overdue."""
    owed: dict[int, Decimal] = defaultdict(Decimal)
    oldest: dict[int, date] = {}
    for order in orders:
        if order.status in BOOKED and order.open_amount > 0:
            owed[order.customer_id] += order.open_amount
            assert order.due_date is not None
            oldest[order.customer_id] = min(oldest.get(order.customer_id, order.due_date), order.due_date)
    live = [b for b in buyers if b.on_credit and b.stop == today and limits[b.card.pk] > 0]
    used = {b.card.pk: owed[b.card.pk] / limits[b.card.pk] for b in live}
    near_limit = sorted((b for b in live if 0.7 <= used[b.card.pk] <= 1), key=lambda b: -used[b.card.pk])
    overdue = sorted((b for b in live if b.card.pk in oldest), key=lambda b: oldest[b.card.pk])
    picks: list[Buyer] = []
    for buyer in [*near_limit[:2], *overdue[:1], *near_limit[2:6], *overdue[1:4]]:
        if buyer not in picks:
            picks.append(buyer)
    return picks


def _holds_create(drafter: HistoryDrafter, candidates: list[Buyer], limits: dict[int, Decimal], today: date) -> int:
    """Orders entered today that the credit check stops, with their pending holds (the check's own words)."""
    made = 0
    for buyer in candidates:
        if made == HOLDS:
            break
        card = buyer.card
        value = max(buyer.monthly_value / Decimal(buyer.rate), limits[card.pk] * Decimal("0.35"))
        order, lines = drafter.held_order(buyer, today, value)
        assessment = credit_assess(card, order_total=order.total, today=today)
        if not assessment.is_held:
            continue
        order.save()
        OrderLine.objects.bulk_create(lines)
        CreditHold.objects.create(
            order=order, customer=card, exposure=assessment.exposure, credit_limit=assessment.credit_limit,
            overdue_days=assessment.overdue_days, reasons=assessment.reasons, requested_by=card.owner,
            created_at=at_noon(today, 9),
        )
        made += 1
    return made


def _advances(drafter: HistoryDrafter, buyers: list[Buyer], today: date) -> None:
    """A few cash customers with nothing owed paid ahead for their next delivery."""
    owing = {o.customer.pk for o in drafter.ledger.orders if o.status in BOOKED and o.open_amount > 0}
    cash = [b for b in buyers if not b.on_credit and b.stop == today and b.card.pk not in owing]
    for buyer in cash[:: max(1, len(cash) // 8)][:8]:
        amount = max(Decimal(500), (buyer.monthly_value / 500).quantize(Decimal(1)) * 500)
        drafter.advance(buyer.card, amount, today - timedelta(days=drafter.rng.randint(0, 6)))


def _summaries(ledger: Ledger) -> tuple[list[SalesMonth], list[CustomerMonth]]:
    """The monthly summaries of the drafted ledger, as `summaries_rebuild` would compute them
    (the demo test checks they are equal), without reading back what was just written."""
    sales: dict[tuple[int, int, date], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in ledger.lines:
        order = line.order
        if order.status in BOOKED:
            row = sales[(order.customer_id, line.product_id, month_of(order.order_date))]
            row[0] += line.quantity
            row[1] += line.amount
    months: dict[tuple[int, date], list[Any]] = defaultdict(lambda: [ZERO, 0, ZERO])
    for order in ledger.orders:
        if order.status in BOOKED:
            row = months[(order.customer_id, month_of(order.order_date))]
            row[0] += order.total
            row[1] += 1
    for payment in ledger.payments:
        if payment.kind == PaymentKind.PAYMENT:
            months[(payment.customer_id, month_of(payment.date))][2] += payment.amount
    return (
        [SalesMonth(customer_id=c, product_id=p, month=m, quantity=q, amount=a) for (c, p, m), (q, a) in sales.items()],
        [CustomerMonth(customer_id=c, month=m, sales=s, orders=n, collected=col) for (c, m), (s, n, col) in months.items()],
    )


def _last_ordered(orders: list[Order]) -> None:
    last: dict[int, date] = {}
    for order in orders:
        if order.status in BOOKED:
            last[order.customer_id] = max(last.get(order.customer_id, order.order_date), order.order_date)
    table = connection.ops.quote_name(Customer._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(pk, adapt(at_noon(day))) for pk, day in last.items()]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET last_ordered_at = v.column2 FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
                [value for row in chunk for value in row],
            )


@transaction.atomic
def sales_demo_build(*, org: Any, seed: int, now: datetime | None = None) -> dict[str, int]:
    """The sales side of the demo for the cards of `org`'s company. Deterministic for seed and day."""
    from kehu.sales.services.credit_review import credit_review_run

    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(f"kehu-sales-demo-{seed}")
    products = {p.sku: p for p in catalogue_create()}
    finance = org.users.get("finance")
    cards = list(
        Customer.objects.filter(org_unit__in=list(org.units.values()), archived_at__isnull=True)
        .select_related("owner").order_by("pk")
    )
    limits = _effective_limits(cards)
    drafter = HistoryDrafter(rng, today, products, finance)
    buyers = [b for b in (drafter.buyer(card, limits[card.pk]) for card in cards) if b is not None]
    for buyer in buyers:
        drafter.trade(buyer)
    _advances(drafter, buyers, today)
    drafter.renumber()
    ledger = drafter.ledger
    rows_insert(Order, ledger.orders)
    rows_insert(OrderLine, ledger.lines)
    rows_insert(Payment, ledger.payments)
    rows_insert(Allocation, ledger.allocations)
    rows_insert(Collection, _collections(ledger.orders, today, rng))
    sales, customer_months = _summaries(ledger)
    rows_insert(SalesMonth, sales)
    rows_insert(CustomerMonth, customer_months)
    sequences_reset(Order, OrderLine, Payment, Allocation, Collection, SalesMonth, CustomerMonth)

    managers = _managers(org)
    planner = PlanDrafter(rng, today, now, products)
    for buyer in buyers:
        if buyer.stop == today and buyer.card.status == CustomerStatus.ACTIVE and buyer.card.tier in "ABC":
            planner.plan_all(buyer, managers.get(buyer.card.org_unit_id))
    SalesPlan.objects.bulk_create(planner.plans, batch_size=BATCH)
    PlanLine.objects.bulk_create(planner.lines, batch_size=BATCH)
    PlanSupport.objects.bulk_create(planner.supports, batch_size=BATCH)

    holds = _holds_create(drafter, _hold_candidates(buyers, ledger.orders, limits, today), limits, today)
    _last_ordered(ledger.orders)
    suggestions = credit_review_run(today=today)
    return {
        "products": len(products), "orders": len(ledger.orders), "order lines": len(ledger.lines),
        "payments": len(ledger.payments), "plans": len(planner.plans), "holds": holds,
        "overdue customers": Order.objects.overdue(today).values("customer").distinct().count(),
        "credit suggestions": suggestions,
    }
