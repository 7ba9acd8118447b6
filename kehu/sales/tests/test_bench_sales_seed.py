"""`kehu bench_sales seed`: a sales history whose ledger reconciles and whose summaries are exact."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from kehu.customers.demo.bulk_write import bench_seed
from kehu.customers.models import Customer
from kehu.sales.bench import SalesSeedError, sales_seed
from kehu.sales.bench.catalogue import catalogue_ensure
from kehu.sales.bench.draft import COLUMNS, CustomerRow, Ids, SalesDrafter
from kehu.sales.models import (
    BOOKED,
    Allocation,
    Collection,
    CustomerMonth,
    Order,
    OrderLine,
    Payment,
    PaymentKind,
    PlanLine,
    PlanSupport,
    Product,
    ProductPrice,
    SalesMonth,
    SalesPlan,
)
from kehu.sales.summaries import summaries_rebuild

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)
LINES = 2000
ZERO = Decimal("0.00")


@pytest.fixture
def seeded():
    bench_seed(customers=60, seed=11, history=False)
    return sales_seed(lines=LINES, years=3, seed=5, today=TODAY, chunk=25)


def _sums(queryset, key: str, value: str) -> dict:
    return dict(queryset.values_list(key).annotate(s=Sum(value)).values_list(key, "s"))


def test_it_writes_exactly_the_lines_asked_for_over_the_years(seeded):
    assert seeded.lines == LINES == OrderLine.objects.count()
    assert seeded.customers == Customer.objects.count()
    assert seeded.rows["sales_orderline"] == LINES
    assert seeded.rows["sales_order"] == Order.objects.count()
    assert 2.5 < LINES / Order.objects.count() < 3.5  # about three lines an order
    days = Order.objects.values_list("order_date", flat=True)
    assert min(days) >= date(2023, 11, 29) and max(days) <= TODAY
    assert Product.objects.count() == 200 and ProductPrice.objects.count() == 1000
    assert not Order.objects.filter(customer__status__in=["potential", "prospect"]).exists()


def test_order_totals_paid_and_open_amounts_reconcile_with_lines_and_allocations(seeded):
    lines = _sums(OrderLine.objects, "order_id", "amount")
    allocated = _sums(Allocation.objects, "order_id", "amount")
    for order in Order.objects.all():
        assert order.total == lines[order.pk], order.number
        assert order.paid == allocated.get(order.pk, ZERO), order.number
        if order.status in BOOKED:
            assert order.open_amount == order.total - order.paid >= 0, order.number
        else:
            assert order.paid == order.open_amount == ZERO, order.number
    for line in OrderLine.objects.all()[:300]:
        assert line.amount == line.quantity * line.unit_price - line.discount


def test_payments_are_allocated_or_left_unallocated_to_the_cent(seeded):
    allocated = _sums(Allocation.objects, "payment_id", "amount")
    for payment in Payment.objects.all():
        assert payment.amount > 0 and payment.unallocated >= 0
        assert payment.amount == allocated.get(payment.pk, ZERO) + payment.unallocated
    # Money waiting to be applied only where nothing is owed (the ledger would have applied it).
    ahead = set(Payment.objects.filter(unallocated__gt=0).values_list("customer_id", flat=True))
    assert not Order.objects.open().filter(customer_id__in=ahead).exists()
    assert Payment.objects.filter(kind=PaymentKind.PAYMENT).count() > 0
    # Receivables = booked orders − allocated money, for the whole company.
    booked = Order.objects.booked().aggregate(t=Sum("total"), o=Sum("open_amount"))
    money_in = Allocation.objects.filter(order__status__in=BOOKED).aggregate(s=Sum("amount"))["s"]
    assert booked["o"] == booked["t"] - money_in


def test_a_few_percent_of_orders_are_open_and_each_has_its_planned_collection(seeded):
    booked, open_orders = Order.objects.booked().count(), Order.objects.open()
    assert 0.005 * booked < open_orders.count() < 0.15 * booked
    assert open_orders.filter(due_date__lt=TODAY).exists() and open_orders.filter(due_date__gte=TODAY).exists()
    planned = {c.order_id: c for c in Collection.objects.all()}
    assert set(planned) == set(open_orders.values_list("id", flat=True))
    for order in open_orders:
        collection = planned[order.pk]
        assert collection.amount == order.open_amount and collection.customer_id == order.customer_id
        assert collection.due_on >= min(order.due_date, TODAY) and collection.status == "open"
        assert collection.responsible_id == order.customer.owner_id


def test_plans_cover_recent_months_with_totals_equal_to_their_lines(seeded):
    months = set(SalesPlan.objects.values_list("month", flat=True))
    assert months == {date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)}
    line_totals = _sums(PlanLine.objects, "plan_id", "amount")
    support = _sums(PlanSupport.objects, "plan_id", "cost")
    for plan in SalesPlan.objects.annotate(n=Count("lines")):
        assert plan.n >= 2
        assert plan.total_amount == line_totals[plan.pk]
        assert plan.support_cost == support.get(plan.pk, ZERO)
        assert plan.status == "approved" or plan.month == date(2026, 11, 1)
    assert not SalesPlan.objects.exclude(customer__status="active").exists()


def test_summaries_written_while_generating_equal_a_rebuild(seeded):
    def snapshot():
        sales = set(SalesMonth.objects.values_list("customer_id", "product_id", "month", "quantity", "amount"))
        months = set(CustomerMonth.objects.values_list("customer_id", "month", "sales", "orders", "collected"))
        return sales, months

    generated = snapshot()
    assert generated[0] and generated[1]
    summaries_rebuild()
    assert snapshot() == generated


def test_a_second_seed_into_the_same_database_is_refused(seeded):
    with pytest.raises(SalesSeedError, match="already holds"):
        sales_seed(lines=10, today=TODAY)


def test_the_command_reports_what_it_wrote():
    bench_seed(customers=60, seed=2, history=False)
    out = StringIO()
    call_command("bench_sales", "seed", "--lines", "300", "--years", "1", "--seed", "3", stdout=out)
    assert "Seeded 300 order lines for 60 customers" in out.getvalue()
    assert OrderLine.objects.count() == 300


def _draft(seed: int) -> dict:
    catalogue = catalogue_ensure()
    ids = Ids({model: 1 for model in COLUMNS})
    drafter = SalesDrafter(
        rng=random.Random(seed), today=TODAY, years=3, catalogue=catalogue, ids=ids, managers={},
        plan_months=3, plan_share=1.0, timestamp_suffix="",
    )
    customers = [
        (CustomerRow(n, tier, "active", "wholesaler", n == 1, None, None, terms), 40)
        for n, (tier, terms) in enumerate([("A", 30), ("B", 0), ("C", 15), ("D", 60)], start=1)
    ]
    return drafter.chunk(customers).rows


def test_the_same_seed_drafts_the_same_rows_and_another_seed_does_not():
    first, again, other = _draft(9), _draft(9), _draft(10)
    assert first == again
    assert first != other


def test_the_drafter_knows_every_column_of_the_tables_it_writes():
    for model, columns in COLUMNS.items():
        assert set(columns) == {f.column for f in model._meta.concrete_fields}, model.__name__
        assert len(columns) == len(set(columns))


def test_customers_without_payment_terms_pay_cash_or_ahead():
    rows = _draft(4)
    per_customer = defaultdict(int)
    for order in rows[Order]:
        per_customer[order[2]] += 1
    assert set(per_customer) == {1, 2, 3, 4}
    settlements = {order[2]: order[8] for order in rows[Order]}
    assert settlements[2] in ("cash", "prepaid") and settlements[1] == "credit"


def test_on_postgresql_the_month_read_tables_are_rewritten_in_month_order(seeded):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("CLUSTER is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indisclustered"
        )
        clustered = {name for (name,) in cursor.fetchall()}
    assert {"customermonth_month_idx", "salesmonth_month_product_idx", "plan_month_customer_idx"} <= clustered
