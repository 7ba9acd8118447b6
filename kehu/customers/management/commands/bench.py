"""`kehu bench seed --customers N`: fill a (scratch) database with N demo-company cards, fast.

For benchmarks only (docs/benchmarks.md): the cards are realistic but written in bulk, without
the services' per-card audit trail. Never run it against a production database.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.customers.demo.bulk_write import DEFAULT_CHUNK, SeedError, bench_seed


class Command(BaseCommand):
    help = "Benchmark helpers. `bench seed --customers N` bulk-loads N demo-company customer cards."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        seed = actions.add_parser("seed", help="Bulk-load the demo company with N customers (COPY on PostgreSQL).")
        seed.add_argument("--customers", type=int, required=True, help="How many customer cards to create.")
        seed.add_argument(
            "--contacts-per-customer",
            type=float,
            default=None,
            help="Contacts per card on average (default: the demo's mix, about 1.5).",
        )
        seed.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same data.")
        seed.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help="Cards drafted and written per batch.")
        seed.add_argument(
            "--no-history", action="store_true", help="Skip the creation history records of cards and contacts."
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action != "seed":  # argparse only lets known actions through
            raise CommandError(f"Unknown action {action}")
        customers = options["customers"]
        verbosity = options["verbosity"]

        def progress(done: int, seconds: float) -> None:
            if verbosity:
                self.stdout.write(f"  {done:>9,} cards  {seconds:7.1f} s  {done / seconds:8,.0f} cards/s")

        try:
            result = bench_seed(
                customers=customers,
                seed=options["seed"],
                contacts_per_customer=options["contacts_per_customer"],
                history=not options["no_history"],
                chunk=options["chunk"],
                progress=progress,
            )
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.customers:,} customers, {result.contacts:,} contacts, {result.tags:,} tag links "
                f"in {result.seconds} s ({result.rows_per_second:,.0f} customers/s); "
                f"statistics in {result.settle_seconds} s."
            )
        )
