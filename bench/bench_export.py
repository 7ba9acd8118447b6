#!/usr/bin/env python
"""Peak memory and time of the customer export (CSV and .xlsx), e.g. of 1M cards on PostgreSQL.

    .venv/bin/python bench/bench_export.py --customers 100000                    # SQLite scratch file
    .venv/bin/python bench/bench_export.py --customers 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/postgres --out bench/out/export-pg-1000000.json
    .venv/bin/python bench/bench_export.py --reuse postgres://…/kehu_bench_…     # an already seeded database

A scratch database (benchlib.ScratchDatabase: SQLite in a temporary directory, or a new database on
the PostgreSQL server given) is migrated and seeded with `kehu bench seed` (the demo company, N
cards). Each export then runs in its own subprocess, as the `finance` login (sees every card, with
the credit code masked), and is read to the end as a client would, so the subprocess's peak
resident set size (ru_maxrss) is the export's own. Target (issue 3): ≤ 300 MB for 1M rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import benchlib

EXPORTER = "finance"
TARGET_MB = 300


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(export_format: str) -> dict[str, Any]:
    """One export, fully consumed; seconds, rows and peak memory of this process."""
    from django.http import QueryDict

    from kehu.accounts.models import User
    from kehu.customers.export import customer_export

    user = User.objects.get(username=EXPORTER)
    baseline = _maxrss_mb()
    started = time.perf_counter()
    export = customer_export(user=user, params=QueryDict(f"format={export_format}"))
    size = lines = 0
    if export.file is not None:
        while chunk := export.file.read(64 * 1024):
            size += len(chunk)
        export.file.close()
    else:
        for line in export.lines or ():
            size += len(line.encode())
            lines += 1
            if lines % 100_000 == 0:  # progress on stderr (not captured): a long run shows its memory as it goes
                print(f"  {export_format}: {lines:,} lines in {time.perf_counter() - started:.0f} s, "
                      f"peak {_maxrss_mb():.0f} MB", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 1),
        "peak_mb": round(_maxrss_mb(), 1),
        "baseline_mb": round(baseline, 1),
        "file_mb": round(size / 1024 / 1024, 1),
        "csv_lines": lines or None,
    }


def seed(customers: int) -> float:
    from django.core.management import call_command

    from kehu.customers.demo import demo_present
    from kehu.customers.demo.bulk_write import bench_seed

    call_command("migrate", interactive=False, verbosity=0)
    if demo_present():
        print("The database already holds the demo company; not seeding.", flush=True)
        return 0.0
    watch = benchlib.Stopwatch()
    bench_seed(customers=customers, progress=lambda n, s: print(f"  seeded {n:,} cards in {s:.0f} s", flush=True)
               if n % 200_000 < 20_000 else None)
    return round(watch.seconds, 1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000, help="cards to seed (default 100000)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a scratch database is created on it")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="export from this existing database (never dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and print its URL")
    parser.add_argument("--formats", default="csv,xlsx", help="comma-separated (default csv,xlsx)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    results: list[dict[str, Any]] = []
    with benchlib.ScratchDatabase(server_url=args.database_url, reuse_url=args.reuse, keep=args.keep):
        benchlib.django_setup()
        seed_seconds = seed(args.customers)
        from kehu.customers.models import Customer

        cards = Customer.objects.filter(archived_at__isnull=True).count()
        database = benchlib.database_info()
        print(f"{cards:,} cards on {database['vendor']} {database['version']} (seeded in {seed_seconds} s)", flush=True)
        from django.db import connections

        connections.close_all()  # the subprocesses are the ones measured
        for export_format in args.formats.split(","):
            out = subprocess.run(
                [sys.executable, __file__, "--measure", export_format], check=True, stdout=subprocess.PIPE, text=True
            ).stdout
            result = {"cards": cards, "format": export_format, **json.loads(out.strip().splitlines()[-1])}
            result["rows_per_second"] = round(cards / result["seconds"]) if result["seconds"] else None
            result["within_target"] = result["peak_mb"] <= TARGET_MB
            results.append(result)
            print(json.dumps(result), flush=True)
        report = {
            "benchmark": "export",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": benchlib.machine_info(),
            "database": database,
            "customers": cards,
            "seed_seconds": seed_seconds,
            "exporter": EXPORTER,
            "target_peak_mb": TARGET_MB,
            "results": results,
        }
    benchlib.write_report(report, args.out)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        benchlib.django_setup()
        print(json.dumps(measure(sys.argv[2])))
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
