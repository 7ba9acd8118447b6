#!/usr/bin/env python
"""Benchmark of sales, plans, receivables and credit at scale (issue 4's targets).

    .venv/bin/python bench/bench_sales.py --customers 100000 --lines 1000000 --out bench/out/sales-sqlite.json
    .venv/bin/python bench/bench_sales.py --customers 100000 --lines 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/postgres --out bench/out/sales-postgresql.json
    .venv/bin/python bench/bench_sales.py --reuse postgres://…/kehu_sb_1m --out …   (an already seeded database)

Creates a scratch database (or reuses one), loads N cards (`kehu bench seed`, without creation
history) and L order lines of sales history (`kehu bench_sales seed`), unless already there, then
times in-process, round-robin, median and p95 over --repeat runs after --warmup:

  card_sales     a heavy customer's card page `?tab=sales` (and the htmx tab fragment), as the
                 director and as the owning rep (Django test client)
  plan_month     `plan_progress(group_by="customer", org_unit=<largest region>)` for this month
  plan_ytd       `plan_progress_cumulative(...)` January to this month, same region
  ageing         `receivable_ageing(group_by="rep")` for the whole company, as the director
  confirm        `order_create(..., confirm=True)` (credit check, booking) for a customer with open
                 receivables, as the owning rep, each run in a transaction rolled back afterwards

For each: this process's CPU, the SQL statements of one more run and their execution time, and
"raw" — the same aggregate written as SQL and run directly on a cursor (and, for plans, the same
figures computed from order lines, the scan the monthly summaries avoid). A measure whose
selector or service cannot be imported is reported as not available instead of failing the run.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import benchlib

BOOKED_SQL = "('confirmed', 'delivered')"


# --- seeding -----------------------------------------------------------------------------------


def seed(args: argparse.Namespace) -> dict[str, float]:
    """Migrate; load cards and sales unless present; the seconds each took."""
    from django.core.management import call_command

    from kehu.customers.demo.bulk_write import bench_seed
    from kehu.customers.models import Customer
    from kehu.sales.bench import sales_seed
    from kehu.sales.bench.draft import NUMBER_PREFIX
    from kehu.sales.models import Order

    call_command("migrate", interactive=False, verbosity=0)
    out = {"cards_seconds": 0.0, "sales_seconds": 0.0}
    if not Customer.objects.exists():
        watch = benchlib.Stopwatch()
        bench_seed(customers=args.customers, seed=args.seed, history=False)
        out["cards_seconds"] = round(watch.seconds, 1)
        print(f"  seeded {args.customers:,} cards in {out['cards_seconds']} s", flush=True)
    if not Order.objects.filter(number__startswith=NUMBER_PREFIX).exists():
        watch = benchlib.Stopwatch()

        def progress(done: int, seconds: float) -> None:
            if done % 500_000 < 20_000 or done == args.lines:
                print(f"  seeded {done:,} order lines in {seconds:.0f} s", flush=True)

        sales_seed(lines=args.lines, years=args.years, seed=args.seed, progress=progress)
        out["sales_seconds"] = round(watch.seconds, 1)
    return out


def sizes() -> dict[str, int]:
    from django.db import connection

    from kehu.customers.models import Customer
    from kehu.sales.models import CustomerMonth, Order, OrderLine, Payment, SalesMonth, SalesPlan

    out = {"customers": Customer.objects.count()}
    with connection.cursor() as cursor:
        for key, model in (("orders", Order), ("order_lines", OrderLine), ("payments", Payment),
                           ("plans", SalesPlan), ("sales_months", SalesMonth), ("customer_months", CustomerMonth)):
            cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table}")
            out[key] = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM sales_order WHERE status IN {BOOKED_SQL} AND open_amount > 0")
        out["open_orders"] = cursor.fetchone()[0]
    return out


# --- the cast and the subjects -----------------------------------------------------------------


@dataclass
class Subjects:
    director: Any
    heavy: Any  # the customer with the most orders
    heavy_rep: Any
    region: Any  # the org unit (a region) with the most customers
    region_units: list[int]
    credit_customer: Any  # a customer with open receivables, owned by a rep
    credit_rep: Any
    passing_customer: Any  # owes money not yet due, within its limit: the check passes and the order is booked
    today: date
    month: date


def subjects() -> Subjects:
    from django.db import connection
    from django.db.models import Count

    from kehu.accounts.models import OrgUnit, Role, User
    from kehu.customers.models import Customer
    from kehu.sales.models import CustomerMonth, Order

    today = date.today()
    director = User.objects.filter(role=Role.DIRECTOR, is_active=True).order_by("id").first()
    top = (
        CustomerMonth.objects.filter(customer__owner__role=Role.REP).values("customer_id")
        .annotate(n=Count("id")).order_by("-n", "customer_id").first()
    )
    heavy = Customer.objects.select_related("owner").get(pk=top["customer_id"])
    regions = []
    for unit in OrgUnit.objects.filter(parent__isnull=False, parent__parent__isnull=True):
        units = list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))
        regions.append((Customer.objects.filter(org_unit_id__in=units).count(), unit, units))
    _n, region, units = max(regions, key=lambda r: (r[0], -r[1].pk))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.customer_id FROM sales_order o JOIN customers_customer c ON c.id = o.customer_id "
            "JOIN accounts_user u ON u.id = c.owner_id "
            f"WHERE o.status IN {BOOKED_SQL} AND o.open_amount > 0 AND u.role = 'rep' AND c.archived_at IS NULL "
            "GROUP BY o.customer_id ORDER BY COUNT(*) DESC, o.customer_id LIMIT 1"
        )
        credit_id = cursor.fetchone()[0]
    credit = Customer.objects.select_related("owner").get(pk=credit_id)
    assert Order.objects.filter(customer=credit).open().exists()
    return Subjects(director, heavy, heavy.owner, region, units, credit, credit.owner, passing(today),
                    today, today.replace(day=1))


def passing(today: date) -> Any:
    """A rep's customer with open receivables none of them overdue, whose credit check passes for a small order."""
    from django.db import connection

    from kehu.customers.models import Customer
    from kehu.sales.selectors.credit import credit_assess

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.customer_id FROM sales_order o JOIN customers_customer c ON c.id = o.customer_id "
            "JOIN accounts_user u ON u.id = c.owner_id "
            f"WHERE o.status IN {BOOKED_SQL} AND o.open_amount > 0 AND u.role = 'rep' AND c.archived_at IS NULL "
            "GROUP BY o.customer_id HAVING MIN(o.due_date) >= %s ORDER BY COUNT(*) DESC, o.customer_id LIMIT 200",
            [today],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for customer in Customer.objects.select_related("owner").filter(pk__in=ids).order_by("pk"):
        if not credit_assess(customer, order_total=Decimal(5000), today=today).is_held:
            return customer
    return None


# --- measures ----------------------------------------------------------------------------------


def backend_cpu() -> tuple[int, float] | None:
    """(pid, CPU ms so far) of the PostgreSQL backend serving this connection (a local server), else None.

    The machine is shared: wall-clock times include waiting for a core. The client's CPU plus the
    backend's CPU is what a request costs on an idle machine (without I/O waits). Parallel query
    workers would escape this count, so the benchmark turns them off (see `serial_queries`).
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    raw = connection.connection
    cached = getattr(connection, "_bench_backend", None)
    if cached is None or cached[0] is not raw:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            cached = (raw, cursor.fetchone()[0])
        connection._bench_backend = cached  # type: ignore[attr-defined]
    pid = cached[1]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a remote server
        return None
    return pid, (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def backend_cpu_since(before: tuple[int, float] | None) -> float:
    after = backend_cpu()
    if before is None or after is None or after[0] != before[0]:
        return 0.0  # a new connection in between: not counted
    return after[1] - before[1]


def serial_queries(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Every benchmark connection to PostgreSQL runs queries without parallel workers (see backend_cpu)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")


@dataclass
class Measure:
    name: str
    label: str
    run: Callable[[int], Any]  # the i-th run
    raw: dict[str, Callable[[], Any]] = field(default_factory=dict)  # the same aggregate in SQL
    target_ms: float | None = None
    note: str = ""
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    raw_ms: dict[str, list[float]] = field(default_factory=dict)
    raw_cpu_ms: dict[str, list[float]] = field(default_factory=dict)
    server_cpu_ms: float = 0.0  # the backend's CPU over all timed runs (clock ticks: only the sum is exact)
    raw_server_cpu_ms: dict[str, float] = field(default_factory=dict)

    def once(self, i: int) -> tuple[float, float]:
        server = backend_cpu()
        wall, cpu = time.perf_counter(), time.process_time()
        self.run(i)
        wall, cpu = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
        self.server_cpu_ms += backend_cpu_since(server)
        return wall, cpu

    def raw_once(self) -> None:
        for key, sql in self.raw.items():
            server = backend_cpu()
            started, cpu = time.perf_counter(), time.process_time()
            sql()
            self.raw_ms.setdefault(key, []).append((time.perf_counter() - started) * 1000)
            self.raw_cpu_ms.setdefault(key, []).append((time.process_time() - cpu) * 1000)
            if server is not None:
                self.raw_server_cpu_ms[key] = self.raw_server_cpu_ms.get(key, 0.0) + backend_cpu_since(server)

    def result(self) -> dict[str, Any]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.run(0)
        out: dict[str, Any] = {
            "label": self.label,
            **benchlib.summarise(self.wall_ms),
            "cpu_median_ms": round(statistics.median(self.cpu_ms), 2),
            "queries": len(captured),
            "sql_execute_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 2),
            # CPU of this process: on SQLite the query itself; on PostgreSQL only the client's share.
            "raw": {
                key: {
                    **benchlib.summarise(samples),
                    "cpu_median_ms": round(statistics.median(self.raw_cpu_ms[key]), 2),
                    **({"server_cpu_mean_ms": round(self.raw_server_cpu_ms[key] / len(samples), 1)}
                       if key in self.raw_server_cpu_ms else {}),
                }
                for key, samples in self.raw_ms.items()
            },
        }
        if backend_cpu() is not None:
            out["server_cpu_mean_ms"] = round(self.server_cpu_ms / len(self.wall_ms), 1)
            out["idle_estimate_ms"] = round(out["cpu_median_ms"] + out["server_cpu_mean_ms"], 1)
        else:
            out["idle_estimate_ms"] = out["cpu_median_ms"]  # SQLite runs in this process: its CPU is here
        if self.target_ms is not None:
            out["target_ms"] = self.target_ms
            out["target_met"] = out["median_ms"] <= self.target_ms and out["p95_ms"] <= self.target_ms
            out["target_met_idle"] = out["idle_estimate_ms"] <= self.target_ms
        if self.note:
            out["note"] = self.note
        return out


def fetch(sql: str, params: list[Any]) -> Callable[[], Any]:
    def run() -> Any:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def _in(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def card_measures(s: Subjects) -> list[Measure]:
    from django.test import Client

    from kehu.sales.tabs import sales as _tab  # noqa: F401  (the tab exists: else "not available")

    out = []
    year = s.today.year
    customer = s.heavy.pk
    raw = {
        # The orders page with lines, the 24 months, the products of the year: what the tab reads.
        "orders_page": fetch(
            "SELECT o.*, l.* FROM (SELECT * FROM sales_order WHERE customer_id = %s "
            "ORDER BY order_date DESC, id DESC LIMIT 20) o JOIN sales_orderline l ON l.order_id = o.id", [customer]),
        "months": fetch(
            "SELECT month, sales, orders FROM sales_customermonth WHERE customer_id = %s AND month >= %s AND month < %s",
            [customer, date(year - 1, 1, 1), date(year + 1, 1, 1)]),
        "products": fetch(
            "SELECT product_id, SUM(CASE WHEN month >= %s THEN amount END) AS a, SUM(CASE WHEN month < %s THEN amount END) "
            "FROM sales_salesmonth WHERE customer_id = %s AND month >= %s GROUP BY product_id ORDER BY a DESC LIMIT 50",
            [date(year, 1, 1), date(year, 1, 1), customer, date(year - 1, 1, 1)]),
    }
    for who, user in (("director", s.director), ("rep", s.heavy_rep)):
        client = Client()
        client.force_login(user)
        url = f"/customers/{customer}/?tab=sales"

        def page(_i: int, client: Any = client, url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        def fragment(_i: int, client: Any = client, url: str = url) -> None:
            response = client.get(url, headers={"hx-request": "true"})
            assert response.status_code == 200, (url, response.status_code)

        out.append(Measure(f"card_sales_{who}", f"card page ?tab=sales ({who})", page, raw, target_ms=50))
        out.append(Measure(f"card_sales_fragment_{who}", f"card Sales tab, htmx fragment ({who})", fragment, {}, 50))
    return out


def plan_raw(s: Subjects, first: date, last: date) -> dict[str, Callable[[], Any]]:
    units = _in(s.region_units)
    after = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    summaries = (
        "SELECT k, SUM(pa), SUM(aa) FROM ("
        "SELECT p.customer_id AS k, p.total_amount AS pa, 0 AS aa FROM sales_salesplan p "
        f"JOIN customers_customer c ON c.id = p.customer_id WHERE p.month >= %s AND p.month <= %s AND c.org_unit_id IN ({units}) "
        "UNION ALL SELECT m.customer_id, 0, m.sales FROM sales_customermonth m "
        f"JOIN customers_customer c ON c.id = m.customer_id WHERE m.month >= %s AND m.month <= %s AND c.org_unit_id IN ({units})"
        ") u GROUP BY k ORDER BY 2 DESC LIMIT 100"
    )
    lines = (
        "SELECT o.customer_id, SUM(l.amount) FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id "
        f"JOIN customers_customer c ON c.id = o.customer_id WHERE o.status IN {BOOKED_SQL} "
        f"AND o.order_date >= %s AND o.order_date < %s AND c.org_unit_id IN ({units}) GROUP BY o.customer_id"
    )
    return {
        "summaries": fetch(summaries, [first, last, first, last]),
        "order_lines_scan": fetch(lines, [first, after]),
    }


def plan_measures(s: Subjects) -> list[Measure]:
    from kehu.sales.selectors.plans import plan_progress, plan_progress_cumulative

    def month(_i: int) -> None:
        plan_progress(user=s.director, month=s.month, group_by="customer", org_unit=s.region)

    def ytd(_i: int) -> None:
        plan_progress_cumulative(user=s.director, year=s.today.year, through_month=s.today.month,
                                 group_by="customer", org_unit=s.region)

    return [
        Measure("plan_month", f"plan vs actual, {s.month:%Y-%m}, region {s.region.code}, by customer (director)",
                month, plan_raw(s, s.month, s.month), target_ms=1000),
        Measure("plan_ytd", f"plan vs actual, {s.today.year} to date, region {s.region.code}, by customer (director)",
                ytd, plan_raw(s, date(s.today.year, 1, 1), s.month), target_ms=1000),
    ]


def ageing_raw(on: date) -> dict[str, Callable[[], Any]]:
    edges = [on, on - timedelta(days=30), on - timedelta(days=60), on - timedelta(days=90)]
    sql = (
        "SELECT c.owner_id, "
        "SUM(CASE WHEN o.due_date >= %s THEN o.open_amount ELSE 0 END), "
        "SUM(CASE WHEN o.due_date < %s AND o.due_date >= %s THEN o.open_amount ELSE 0 END), "
        "SUM(CASE WHEN o.due_date < %s AND o.due_date >= %s THEN o.open_amount ELSE 0 END), "
        "SUM(CASE WHEN o.due_date < %s AND o.due_date >= %s THEN o.open_amount ELSE 0 END), "
        "SUM(CASE WHEN o.due_date < %s THEN o.open_amount ELSE 0 END), COUNT(*) "
        "FROM sales_order o JOIN customers_customer c ON c.id = o.customer_id "
        f"WHERE o.status IN {BOOKED_SQL} AND o.open_amount > 0 GROUP BY c.owner_id"
    )
    params = [edges[0], edges[0], edges[1], edges[1], edges[2], edges[2], edges[3], edges[3]]
    return {"open_orders": fetch(sql, params)}


def ageing_measures(s: Subjects) -> list[Measure]:
    from kehu.sales.selectors.receivables import receivable_ageing

    def ageing(_i: int) -> None:
        receivable_ageing(user=s.director, group_by="rep", on=s.today)

    return [Measure("ageing", "ageing, whole company, by rep (director)", ageing, ageing_raw(s.today), target_ms=1000)]


def confirm_measures(s: Subjects) -> list[Measure]:
    from django.db import transaction

    from kehu.sales.bench.catalogue import SKU_PREFIX
    from kehu.sales.models import Product
    from kehu.sales.services.orders import LineInput, order_create

    products = list(Product.objects.filter(sku__startswith=SKU_PREFIX).order_by("sku").values_list("id", flat=True)[:3])
    lines = [LineInput(product_id=pk, quantity=Decimal(2 + n)) for n, pk in enumerate(products)]
    outcomes: dict[str, int] = {}

    class Rollback(Exception):
        pass

    def confirm(_i: int) -> None:
        try:
            with transaction.atomic():
                order = order_create(actor=s.credit_rep, customer=s.credit_customer, lines=lines, confirm=True)
                outcomes[order.status] = outcomes.get(order.status, 0) + 1
                raise Rollback
        except Rollback:
            pass

    customer = s.credit_customer.pk
    passing_outcomes: dict[str, int] = {}

    def confirm_passing(_i: int) -> None:
        try:
            with transaction.atomic():
                order = order_create(actor=s.passing_customer.owner, customer=s.passing_customer, lines=lines, confirm=True)
                passing_outcomes[order.status] = passing_outcomes.get(order.status, 0) + 1
                raise Rollback
        except Rollback:
            pass

    raw = {
        "exposure": fetch(
            "SELECT SUM(open_amount), MIN(due_date) FROM sales_order "
            f"WHERE customer_id = %s AND status IN {BOOKED_SQL} AND open_amount > 0", [customer]),
        "unallocated": fetch(
            "SELECT SUM(unallocated) FROM sales_payment WHERE customer_id = %s AND kind IN ('payment', 'credit_note') "
            "AND unallocated > 0", [customer]),
    }
    measure = Measure("confirm", "order_create(confirm=True), credit check holds it (rep)", confirm, raw,
                      target_ms=30, note="each run rolled back (the rollback is inside the timing)")
    measure.outcomes = outcomes  # type: ignore[attr-defined]
    out = [measure]
    if s.passing_customer is not None:
        booked = Measure("confirm_booked", "order_create(confirm=True), check passes, order booked (rep)",
                         confirm_passing, {}, target_ms=30, note=measure.note)
        booked.outcomes = passing_outcomes  # type: ignore[attr-defined]
        out.append(booked)
    return out


BUILDERS: list[tuple[str, Callable[[Subjects], list[Measure]]]] = [
    ("card_sales", card_measures),
    ("plan", plan_measures),
    ("ageing", ageing_measures),
    ("confirm", confirm_measures),
]


def build(s: Subjects, only: str | None) -> tuple[list[Measure], dict[str, str]]:
    plan: list[Measure] = []
    missing: dict[str, str] = {}
    for key, builder in BUILDERS:
        try:
            measures = builder(s)
        except ImportError as exc:
            missing[key] = f"not available: {exc}"
            print(f"  {key}: not available ({exc})", flush=True)
            continue
        plan += [m for m in measures if not only or re.search(only, m.name)]
    return plan, missing


def time_all(plan: list[Measure], *, warmup: int, repeat: int) -> dict[str, str]:
    """Round-robin over every measure (and its raw SQL), so a busy moment hits all alike."""
    failed: dict[str, str] = {}
    for measure in list(plan):
        try:
            for i in range(warmup):
                measure.once(i)
            measure.raw_once()
            measure.raw_ms.clear()
            measure.raw_cpu_ms.clear()
            measure.raw_server_cpu_ms.clear()
            measure.server_cpu_ms = 0.0
        except Exception as exc:  # a selector that landed half-done must not stop the other measures
            failed[measure.name] = f"failed: {type(exc).__name__}: {exc}"
            traceback.print_exc()
            plan.remove(measure)
    watch = benchlib.Stopwatch()
    for i in range(repeat):
        for measure in plan:
            wall, cpu = measure.once(i)
            measure.wall_ms.append(wall)
            measure.cpu_ms.append(cpu)
            measure.raw_once()
        if (i + 1) % 5 == 0 or i + 1 == repeat:
            print(f"  round {i + 1}/{repeat} ({watch.seconds:.0f} s)", flush=True)
    return failed


# --- reporting ---------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    lines = [f"{'ms':<62}{'median':>9}{'p95':>9}{'cpu':>8}{'srv':>8}{'idle':>8}{'q':>5}{'sql':>8}  raw median (cpu+srv)"]
    for m in report["measures"].values():
        raw = ", ".join(
            f"{k} {v['median_ms']:.1f} ({v['cpu_median_ms'] + v.get('server_cpu_mean_ms', 0):.1f})" for k, v in m["raw"].items()
        )
        mark = "" if "target_met" not in m else (" ok" if m["target_met"] else " MISSED") + (
            "/idle ok" if m["target_met_idle"] else "/idle MISSED")
        lines.append(
            f"{m['label'][:60]:<62}{m['median_ms']:>9.1f}{m['p95_ms']:>9.1f}{m['cpu_median_ms']:>8.1f}"
            f"{m.get('server_cpu_mean_ms', 0):>8.1f}{m['idle_estimate_ms']:>8.1f}{m['queries']:>5}{m['sql_execute_ms']:>8.1f}"
            f"  {raw}{mark}"
        )
    for name, why in report["not_measured"].items():
        lines.append(f"{name:<62}{why}")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20000, help="cards to seed (default 20000)")
    parser.add_argument("--lines", type=int, default=200000, help="order lines to seed (default 200000)")
    parser.add_argument("--years", type=int, default=3, help="years of sales history (default 3)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the generators")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a scratch database is created on it")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="benchmark this existing database (never dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and print its URL")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per measure (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    parser.add_argument("--only", metavar="REGEX", help="only the measures whose name matches")
    parser.add_argument(
        "--pg-parallel", action="store_true",
        help="let PostgreSQL use parallel query workers (off by default: their CPU escapes the server CPU figure)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")
    watch = benchlib.Stopwatch()
    with benchlib.ScratchDatabase(server_url=args.database_url, reuse_url=args.reuse, keep=args.keep):
        benchlib.django_setup()
        if not args.pg_parallel:
            from django.db import connections
            from django.db.backends.signals import connection_created

            connection_created.connect(serial_queries)
            connections.close_all()
        load_before = benchlib.machine_info()["load_average"]
        seeded = seed(args)
        database = benchlib.database_info()
        report: dict[str, Any] = {
            "benchmark": "sales",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {**benchlib.machine_info(), "load_average_before": load_before},
            "database": database,
            "sizes": sizes(),
            "seed": args.seed,
            **seeded,
            "repeat": args.repeat,
            "warmup": args.warmup,
            "pg_parallel_workers": args.pg_parallel,
        }
        s = subjects()
        report["subjects"] = {
            "today": str(s.today), "heavy_customer": s.heavy.pk, "heavy_rep": s.heavy_rep.username,
            "region": s.region.code, "region_units": len(s.region_units), "credit_customer": s.credit_customer.pk,
            "credit_rep": s.credit_rep.username,
            "passing_customer": s.passing_customer.pk if s.passing_customer else None,
        }
        print(f"{report['sizes']} on {database['vendor']} {database['version']}", flush=True)
        plan, missing = build(s, args.only)
        print(f"Timing {len(plan)} measures, {args.repeat} rounds after {args.warmup} warm-up runs each", flush=True)
        failed = time_all(plan, warmup=args.warmup, repeat=args.repeat)
        report["measures"] = {m.name: m.result() for m in plan}
        for m in plan:
            if hasattr(m, "outcomes"):
                report["measures"][m.name]["outcomes"] = m.outcomes
        report["not_measured"] = {**missing, **failed}
        report["machine"]["load_average_after"] = benchlib.machine_info()["load_average"]
        report["run_seconds"] = round(watch.seconds, 1)
    print()
    print(table(report))
    benchlib.write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
