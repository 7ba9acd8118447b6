"""Ageing buckets at their edges, grouping that reconciles, DSO, the overdue list, the week's collections,
and sales vs collections."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kehu.core.errors import NotFound
from kehu.sales.models import Collection
from kehu.sales.selectors.receivables import (
    collections_week,
    customer_receivables,
    dso,
    overdue_orders,
    receivable_ageing,
    receivable_ageing_by_rep_and_unit,
    sales_collections_balance,
)
from kehu.sales.services import ledger
from kehu.sales.services.collections import collection_create
from kehu.sales.services.receivables import payment_record
from kehu.sales.testing import make_booked_order, make_product

D = Decimal
ON = date(2025, 6, 30)


@pytest.fixture
def soda(db):
    return make_product("S1", "Soda", "1.00")


def due(card, soda, amount: str, days_overdue: int, order_date: date | None = None):
    order = make_booked_order(card, [(soda, 1, amount)], order_date=order_date or ON - timedelta(days=120),
                              due_date=ON - timedelta(days=days_overdue))
    ledger.on_order_booked(order)
    return order


def test_buckets_at_their_edges(world, soda):
    for days, amount in [(-5, "1.00"), (0, "2.00"), (1, "4.00"), (30, "8.00"), (31, "16.00"), (60, "32.00"),
                         (61, "64.00"), (90, "128.00"), (91, "256.00")]:
        due(world.alice_card, soda, amount, days)
    row = receivable_ageing(user=world.fiona, group_by="customer", on=ON).rows[0]
    assert row.buckets() == [D("3.00"), D("12.00"), D("48.00"), D("192.00"), D("256.00")]
    assert row.total == D("511.00") and row.orders == 9 and row.overdue == D("508.00")


def test_groupings_reconcile_to_the_same_total_and_follow_visibility(world, soda):
    due(world.alice_card, soda, "100.00", 10)
    due(world.bob_card, soda, "50.00", 45)
    due(world.carol_card, soda, "25.00", -3)
    paid = due(world.carol_card, soda, "7.00", 100)
    payment_record(actor=world.fiona, customer=world.carol_card, amount="7.00", date=ON,
                   allocate=[(paid.pk, D("7.00"))])
    totals = set()
    for group_by in ("customer", "rep", "org_unit"):
        ageing = receivable_ageing(user=world.dora, group_by=group_by, on=ON)
        assert sum((r.total for r in ageing.rows), D(0)) == ageing.total.total
        totals.add(ageing.total.total)
    assert totals == {D("175.00")}
    by_rep = {r.label: r.total for r in receivable_ageing(user=world.fiona, group_by="rep", on=ON).rows}
    assert by_rep == {str(world.alice): D("100.00"), str(world.bob): D("50.00"), str(world.carol): D("25.00")}
    by_unit = {r.label: r.buckets() for r in receivable_ageing(user=world.mia, group_by="org_unit", on=ON).rows}
    assert by_unit == {world.beijing.name: [D(0), D("100.00"), D("50.00"), D(0), D(0)]}
    assert receivable_ageing(user=world.alice, group_by="rep", on=ON).total.total == D("100.00")
    assert receivable_ageing(user=world.carol, group_by="customer", on=ON).total.current == D("25.00")


def test_a_limited_ageing_still_totals_everything(world, soda):
    due(world.alice_card, soda, "100.00", 10)
    due(world.bob_card, soda, "50.00", 45)
    ageing = receivable_ageing(user=world.fiona, group_by="customer", on=ON, limit=1)
    assert ageing.truncated and len(ageing.rows) == 1 and ageing.total.total == D("150.00")
    assert ageing.total.d31_60 == D("50.00")


def test_customer_rows_carry_their_credit(world, soda):
    due(world.alice_card, soda, "100.00", 10)
    payment_record(actor=world.fiona, customer=world.alice_card, amount="30.00", allocate="none", date=ON)
    row = customer_receivables(user=world.alice, on=ON).get()
    assert (row.total, row.d1_30, row.credit, row.orders_open) == (D("100.00"), D("100.00"), D("30.00"), 1)
    assert not customer_receivables(user=world.carol, on=ON).exists()


def test_dso_is_open_receivables_over_the_period_sales_times_its_days(world, soda):
    due(world.alice_card, soda, "900.00", 0, order_date=ON - timedelta(days=10))
    due(world.alice_card, soda, "100.00", 0, order_date=ON - timedelta(days=200))  # before the period, still open
    figure = dso(user=world.fiona, days=90, on=ON)  # April, May, June 2025 to the 30th: 91 days
    assert (figure.since, figure.days) == (date(2025, 4, 1), 91)
    assert (figure.receivables, figure.sales, figure.value) == (D("1000.00"), D("900.00"), D("101.1"))
    assert dso(user=world.carol, days=90, on=ON).value is None  # no sales: no DSO
    assert dso(user=world.fiona, days=90, on=ON, rep_id=world.bob.pk).receivables == 0
    assert dso(user=world.fiona, days=30, on=ON).since == date(2025, 6, 1)


def test_the_overdue_list_names_who_collects(world, soda):
    late = due(world.alice_card, soda, "100.00", 10)
    due(world.alice_card, soda, "50.00", 0)
    rows = list(overdue_orders(user=world.mia, on=ON))
    assert rows == [late]
    assert [c.responsible for c in rows[0].open_collections] == [world.alice]
    assert list(overdue_orders(user=world.carol, on=ON)) == []


def test_the_week_lists_the_reps_collections_by_amount_then_age(world, soda):
    monday = ON - timedelta(days=ON.weekday())
    for day, amount in [(monday - timedelta(days=3), "10.00"), (monday + timedelta(days=2), "500.00"),
                        (monday + timedelta(days=1), "10.00"), (monday + timedelta(days=8), "900.00")]:
        collection_create(actor=world.fiona, customer=world.alice_card, due_on=day, amount=amount)
    rows = collections_week(user=world.alice, rep=world.alice, week_start=monday, today=monday)
    assert [(r.amount, r.due_on) for r in rows] == [
        (D("500.00"), monday + timedelta(days=2)), (D("10.00"), monday - timedelta(days=3)),
        (D("10.00"), monday + timedelta(days=1)),
    ]
    assert [r.days_late for r in rows] == [0, 3, 0] and [r.is_reminder for r in rows] == [True, False, True]
    assert len(collections_week(user=world.mia, rep=world.alice, week_start=monday)) == 3
    with pytest.raises(NotFound):
        collections_week(user=world.bob, rep=world.alice, week_start=monday)
    with pytest.raises(NotFound):
        collections_week(user=world.tom, rep=world.alice, week_start=monday)
    assert Collection.objects.count() == 4


def test_sales_vs_collections_month_by_month_with_the_running_difference(world, soda):
    make_booked_order(world.alice_card, [(soda, 1, "300.00")], order_date=date(2025, 4, 3))
    make_booked_order(world.bob_card, [(soda, 1, "100.00")], order_date=date(2025, 6, 3))
    payment_record(actor=world.fiona, customer=world.alice_card, amount="120.00", date=date(2025, 5, 20))
    rows = sales_collections_balance(user=world.mia, group_by="rep", months=3, until=ON)
    alice = next(r for r in rows if r.key == world.alice.pk)
    assert [(m.month, m.sold, m.collected, m.cumulative) for m in alice.months] == [
        (date(2025, 4, 1), D("300.00"), D("0.00"), D("300.00")),
        (date(2025, 5, 1), D("0.00"), D("120.00"), D("180.00")),
        (date(2025, 6, 1), D("0.00"), D("0.00"), D("180.00")),
    ]
    overall = sales_collections_balance(user=world.fiona, group_by="month", months=3, until=ON)
    assert len(overall) == 1 and (overall[0].sold, overall[0].collected) == (D("400.00"), D("120.00"))
    customers = sales_collections_balance(user=world.alice, group_by="customer", months=3, until=ON)
    assert [r.key for r in customers] == [world.alice_card.pk]


def test_rep_and_unit_from_one_scan_equal_the_separate_reports(world, soda):
    due(world.alice_card, soda, "100.00", 10)
    due(world.bob_card, soda, "50.00", 45)
    due(world.carol_card, soda, "25.00", 95)
    by_rep, by_unit = receivable_ageing_by_rep_and_unit(user=world.dora, on=ON)
    for combined, group_by in ((by_rep, "rep"), (by_unit, "org_unit")):
        alone = receivable_ageing(user=world.dora, group_by=group_by, on=ON)
        assert [(r.key, r.label, r.buckets(), r.orders) for r in combined.rows] == [
            (r.key, r.label, r.buckets(), r.orders) for r in alone.rows
        ]
        assert combined.total.buckets() == alone.total.buckets() and combined.total.total == D("175.00")
