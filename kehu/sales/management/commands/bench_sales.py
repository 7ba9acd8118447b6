"""`kehu bench_sales seed --lines N [--years 3]`: sales history for the customers already loaded.

For benchmarks only (docs/benchmarks.md): run it after `kehu bench seed --customers N` on a
scratch database. Never run it against a production database.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.sales.bench import SalesSeedError, sales_seed
from kehu.sales.bench.load import DEFAULT_CHUNK


class Command(BaseCommand):
    help = "Sales benchmark helpers. `bench_sales seed --lines N` bulk-loads N order lines of sales history."
    # A data loader: it needs the models, not the URL configuration (which may be mid-change in a checkout).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        seed = actions.add_parser("seed", help="Bulk-load orders, payments, plans and summaries (COPY on PostgreSQL).")
        seed.add_argument("--lines", type=int, required=True, help="How many order lines to create.")
        seed.add_argument("--years", type=int, default=3, help="Years of history, ending today (default 3).")
        seed.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same data.")
        seed.add_argument("--plan-months", type=int, default=3, help="Months with plans, ending this month.")
        seed.add_argument("--plan-share", type=float, default=0.5, help="Share of active customers with plans.")
        seed.add_argument(
            "--no-cluster", action="store_true",
            help="PostgreSQL: leave the summaries in drafting order instead of month order (CLUSTER).",
        )
        seed.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help="Customers drafted and written per batch.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action != "seed":  # argparse only lets known actions through
            raise CommandError(f"Unknown action {action}")
        verbosity = options["verbosity"]
        step = max(1, options["lines"] // 20)
        reported = [0]

        def progress(done: int, seconds: float) -> None:
            if verbosity and (done - reported[0] >= step or done == options["lines"]):
                reported[0] = done
                self.stdout.write(f"  {done:>11,} lines  {seconds:7.1f} s  {done / seconds:9,.0f} lines/s")

        try:
            result = sales_seed(
                lines=options["lines"],
                years=options["years"],
                seed=options["seed"],
                plan_months=options["plan_months"],
                plan_share=options["plan_share"],
                chunk=options["chunk"],
                cluster=not options["no_cluster"],
                progress=progress,
            )
        except SalesSeedError as exc:
            raise CommandError(str(exc)) from None
        tables = ", ".join(f"{table} {count:,}" for table, count in result.rows.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.lines:,} order lines for {result.customers:,} customers in {result.seconds} s "
                f"({result.lines_per_second:,.0f} lines/s); statistics in {result.settle_seconds} s.\n  {tables}"
            )
        )
