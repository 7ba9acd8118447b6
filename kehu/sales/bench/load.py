"""`sales_seed`: N order lines of sales history for the customers already in the database, fast.

For benchmarks only (docs/benchmarks.md). Writes products, orders and lines, payments, credit
notes and allocations, planned collections of the open orders, monthly plans and both monthly
summaries, bypassing the services (no audit rows, no history records) — never in production.
PostgreSQL: COPY with the sales tables' secondary indexes and foreign keys dropped and rebuilt
(as the card seed does); SQLite: executemany. One transaction; then planner statistics.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from kehu.customers.demo.bulk_write import (
    Table,
    _copy,
    _pg_detach,
    _pg_sequences,
    _sqlite_bulk_pragmas,
    _sqlite_restore,
    settle_statistics,
)
from kehu.customers.models import Customer
from kehu.sales.bench.catalogue import catalogue_ensure
from kehu.sales.bench.draft import COLUMNS, MODELS, NUMBER_PREFIX, CustomerRow, Ids, SalesDrafter, customer_weight, finish_money
from kehu.sales.models import Order

DEFAULT_CHUNK = 5_000  # customers drafted and written per batch


class SalesSeedError(Exception):
    """The sales seed cannot run here; the message says why."""


@dataclass
class SalesSeedResult:
    customers: int
    lines: int
    rows: dict[str, int]
    seconds: float
    settle_seconds: float

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


def sales_seed(
    *,
    lines: int,
    years: int = 3,
    seed: int = 2026,
    today: date | None = None,
    plan_months: int = 3,
    plan_share: float = 0.5,
    chunk: int = DEFAULT_CHUNK,
    settle: bool = True,
    cluster: bool = True,
    progress: Callable[[int, float], None] | None = None,
) -> SalesSeedResult:
    """Generate `lines` order lines over the last `years` years for the customers in the database."""
    if lines < 1 or years < 1:
        raise SalesSeedError("Ask for at least one order line and one year.")
    if Order.objects.filter(number__startswith=NUMBER_PREFIX).exists():
        raise SalesSeedError("This database already holds the benchmark's sales; seed into a fresh one.")
    weights = _total_weight()
    if not weights:
        raise SalesSeedError("No active, dormant or lost customer to sell to; run `kehu bench seed` first.")
    started = time.perf_counter()
    pragmas = _sqlite_bulk_pragmas()
    try:
        customers, written, counts = _load(
            lines=lines, weights=weights, years=years, seed=seed, today=today or timezone.localdate(),
            plan_months=plan_months, plan_share=plan_share, chunk=chunk, progress=progress, started=started,
        )
    finally:
        _sqlite_restore(pragmas)
    if cluster:
        _pg_month_order()
    loaded = time.perf_counter() - started
    settled = settle_statistics() if settle else 0.0
    return SalesSeedResult(customers, written, counts, round(loaded, 1), round(settled, 1))


# The summaries and plans in month order, as production writes them (a month's rows while it runs).
MONTH_ORDER = [
    ("sales_customermonth", "customermonth_month_idx"),
    ("sales_salesmonth", "salesmonth_month_product_idx"),
    ("sales_salesplan", "plan_month_customer_idx"),
]


def _pg_month_order() -> None:
    """Rewrite the month-read tables in month order (PostgreSQL's CLUSTER; SQLite keeps the drafted order).

    Drafting customer by customer scatters a month's rows over the whole table, so a region's month
    would read a page per row; in production a month's summary rows and plans are written during
    (or just before) that month and sit together. Orders keep the drafted (per customer) order.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, index in MONTH_ORDER:
            cursor.execute(f'CLUSTER "{table}" USING "{index}"')


def _total_weight() -> int:
    groups = Customer.objects.values("tier", "status", "channel_level", "is_key").annotate(n=Count("id"))
    return sum(customer_weight(g["tier"], g["status"], g["channel_level"], g["is_key"]) * g["n"] for g in groups)


def _customers(chunk: int) -> Iterator[list[CustomerRow]]:
    last = 0
    fields = ("id", "tier", "status", "channel_level", "is_key", "owner_id", "org_unit_id", "payment_terms_days")
    while True:
        batch = [
            CustomerRow(*values)
            for values in Customer.objects.filter(id__gt=last).order_by("id").values_list(*fields)[:chunk]
        ]
        if not batch:
            return
        last = batch[-1].id
        yield batch


def _managers() -> dict[int, int]:
    """Org unit -> a manager of it who approves its plans (the lowest id, for determinism)."""
    from kehu.accounts.models import Role, User

    out: dict[int, int] = {}
    for unit_id, user_id in User.objects.filter(role=Role.MANAGER, org_unit__isnull=False).order_by("-id").values_list(
        "org_unit_id", "id"
    ):
        out[unit_id] = user_id
    return out


class _Writer:
    """COPY (or executemany) of drafted tuples, appending the default of any column the draft does not know."""

    def __init__(self) -> None:
        self.tables: dict[Any, Table] = {}
        self.extra: dict[Any, tuple[Any, ...]] = {}
        for model in MODELS:
            known = COLUMNS[model]
            fields = {f.column: f for f in model._meta.concrete_fields}
            unknown = [f for column, f in fields.items() if column not in known]
            missing = [c for c in known if c not in fields]
            if missing:
                raise SalesSeedError(f"{model._meta.db_table} has no column {', '.join(missing)}; update the drafter.")
            for f in unknown:
                if not f.has_default() and not f.null:
                    raise SalesSeedError(f"{model._meta.db_table}.{f.column} needs a value; update the drafter.")
            self.extra[model] = tuple(f.get_db_prep_save(f.get_default(), connection) for f in unknown)
            columns = list(known) + [f.column for f in unknown]
            self.tables[model] = Table(model._meta.db_table, columns, lambda row: row, [None] * len(columns))

    def names(self) -> list[str]:
        return [table.name for table in self.tables.values()]

    def write(self, cursor: Any, rows: dict[Any, list[Any]]) -> None:
        for model in MODELS:
            extra = self.extra[model]
            batch = rows[model]
            if extra:
                batch = [tuple(row) + extra for row in batch]
            if batch:
                _copy(cursor, self.tables[model], batch)


def _load(
    *,
    lines: int,
    weights: int,
    years: int,
    seed: int,
    today: date,
    plan_months: int,
    plan_share: float,
    chunk: int,
    progress: Callable[[int, float], None] | None,
    started: float,
) -> tuple[int, int, dict[str, int]]:
    rng = random.Random(seed)
    counts = {model._meta.db_table: 0 for model in MODELS}
    customers = written = 0
    with transaction.atomic():
        catalogue = catalogue_ensure(seed=seed)
        ids = Ids({model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in MODELS})
        drafter = SalesDrafter(
            rng=rng, today=today, years=years, catalogue=catalogue, ids=ids, managers=_managers(),
            plan_months=plan_months, plan_share=plan_share,
            timestamp_suffix="+00" if connection.vendor == "postgresql" else "",
        )
        writer = _Writer()
        with connection.cursor() as cursor:
            restore: list[str] = []
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                cursor.execute("SET LOCAL synchronous_commit = off")
                restore = _pg_detach(cursor, writer.names())
            cumulative = 0
            for batch in _customers(chunk):
                shares = []
                for customer in batch:
                    weight = customer.weight
                    # Exact integer shares: the lines of all customers add up to `lines`.
                    shares.append((customer, (cumulative + weight) * lines // weights - cumulative * lines // weights))
                    cumulative += weight
                drafted = drafter.chunk(shares)
                finish_money(drafted.rows)
                writer.write(cursor, drafted.rows)
                for model in MODELS:
                    counts[model._meta.db_table] += len(drafted.rows[model])
                customers += len(batch)
                written += drafted.lines
                if progress:
                    progress(written, time.perf_counter() - started)
            for statement in restore:
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                _pg_sequences(cursor, writer.names())
    return customers, written, counts
