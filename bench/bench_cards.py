#!/usr/bin/env python
"""Benchmark of the customer card database: list, deep page, filters, search, card and API.

    .venv/bin/python bench/bench_cards.py --customers 20000 --out bench/out/cards-sqlite.json
    .venv/bin/python bench/bench_cards.py --customers 20000 \
        --database-url postgres://postgres@127.0.0.1:5432/postgres --out bench/out/cards-postgres.json

Creates a scratch database (SQLite in a temporary directory, or a new database on the PostgreSQL
server given by --database-url), migrates it, loads the demo company with N cards (`kehu demo` up
to 20,000 cards, the bulk `kehu bench seed` above; --generator chooses), then times requests
in-process with Django's test client, as a director (sees everything), a manager (the Beijing
area subtree) and a rep (own cards): median and p95 over --repeat requests after --warmup, plus
the SQL queries of one more request. Writes JSON and prints a table.
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import html
import re
import signal
import statistics
import sys
import time
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import benchlib

ROLE_USERS = {"director": "director", "manager": "manager_bj", "rep": "rep_bj1"}
AREA_CODE = "QQ-BJ"  # the manager's and the rep's area
DEEP_PAGES = 10
DEMO_UP_TO = 20_000  # --generator auto: `kehu demo` up to this many cards, `kehu bench seed` above
DETAIL_CARDS = 10  # the card measures cycle over this many visible cards
SEARCHES = {"search_name": "兴旺", "search_initials": "bjhd", "search_phone": "6813"}
NEXT_LINK = re.compile(r'rel="next" href="([^"]+)"')


@dataclass
class Measure:
    name: str
    label: str
    urls: list[str]  # cycled over the repetitions
    api: bool = False
    params: dict[str, str] | None = None  # list filters, to count the matching cards


@dataclass
class Role:
    key: str
    user: Any
    web: Any  # django.test.Client, logged in
    api: Any  # django.test.Client, with an API token


# --- setting up --------------------------------------------------------------------------------


def use_bulk(args: argparse.Namespace) -> bool:
    return args.generator == "bulk" or (args.generator == "auto" and args.customers > DEMO_UP_TO)


def seed(args: argparse.Namespace) -> float:
    """Migrate and load the demo company with `--customers` cards; the seconds it took."""
    from django.core.management import call_command

    from kehu.customers.demo import demo_build, demo_present
    from kehu.customers.demo.bulk_write import bench_seed

    call_command("migrate", interactive=False, verbosity=0)
    if demo_present():
        print("The database already holds the demo company; not seeding.")
        return 0.0
    watch = benchlib.Stopwatch()
    if use_bulk(args):

        def progress(done: int, seconds: float) -> None:
            if done % 100_000 < 20_000 or done == args.customers:
                print(f"  seeded {done:,} cards in {seconds:.0f} s ({done / seconds:,.0f}/s)", flush=True)

        bench_seed(customers=args.customers, seed=args.seed, progress=progress)
    else:
        demo_build(customers=args.customers, seed=args.seed)
    return round(watch.seconds, 1)


def analyse() -> str:
    """Settle the database after the bulk load as autovacuum does on PostgreSQL within minutes.

    VACUUM ANALYZE gathers planner statistics, sets the visibility map and, importantly, merges the
    trigram index's GIN pending list: until then every search also scans that list linearly (5-25x
    slower at 20,000 cards). SQLite has no autovacuum; `ANALYZE` there only runs when asked.
    """
    from django.db import connection

    statement = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return statement


def roles_login() -> list[Role]:
    from django.test import Client

    from kehu.accounts.models import User
    from kehu.customers.demo import DEMO_PASSWORD

    roles = []
    for key, username in ROLE_USERS.items():
        user = User.objects.get(username=username)
        web = Client()
        web.force_login(user)
        answer = Client().post(
            "/api/v1/auth/token/",
            {"username": username, "password": DEMO_PASSWORD},
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content
        api = Client(headers={"authorization": f"Token {answer.json()['token']}"})
        roles.append(Role(key, user, web, api))
    return roles


# --- what is measured --------------------------------------------------------------------------


def filter_values() -> dict[str, str]:
    """Filter values that select something for all three roles: the rep's own area, district, tag."""
    from kehu.accounts.models import OrgUnit, User
    from kehu.customers.models import Customer

    rep = User.objects.get(username=ROLE_USERS["rep"])
    own = Customer.objects.filter(owner=rep, archived_at__isnull=True)
    district = Counter(own.values_list("district", flat=True)).most_common(1)[0][0]
    tag = Counter(own.filter(tags__isnull=False).values_list("tags__name", flat=True)).most_common(1)[0][0]
    return {
        "status": "dormant",
        "tier": "A",
        "is_key": "true",
        "channel_level": "wholesaler",
        "owner": str(rep.pk),
        "org_unit": str(OrgUnit.objects.get(code=AREA_CODE).pk),
        "district": district,
        "tag": tag,
        "stale": "true",
    }


def detail_ids(user: Any) -> list[int]:
    from kehu.customers.selectors import customer_queryset

    ids = list(customer_queryset(user=user).filter(archived_at__isnull=True).order_by("id").values_list("id", flat=True))
    step = max(1, len(ids) // DETAIL_CARDS)
    return ids[::step][:DETAIL_CARDS]


def follow_next(role: Role, url: str, *, api: bool, pages: int) -> str:
    """The URL of page `pages + 1`, reached by following the list's own next links."""
    for _ in range(pages):
        response = (role.api if api else role.web).get(url)
        assert response.status_code == 200, (url, response.status_code)
        if api:
            following = response.json()["next"]
        else:
            found = NEXT_LINK.search(response.content.decode())
            following = f"{urlsplit(url).path}{html.unescape(found.group(1))}" if found else None
        if not following:
            raise SystemExit(f"{role.key}: the list has fewer than {pages + 1} pages; seed more customers.")
        parts = urlsplit(following)
        url = f"{parts.path}?{parts.query}"
    return url


def measures_for(role: Role, filters: dict[str, str]) -> list[Measure]:
    out = [
        Measure("list_first", "web list, first page", ["/customers/"], params={}),
        Measure(
            "list_deep",
            f"web list, page {DEEP_PAGES + 1}",
            [follow_next(role, "/customers/", api=False, pages=DEEP_PAGES)],
        ),
    ]
    for name, value in filters.items():
        params = {name: value}
        out.append(
            Measure(
                f"filter_{name}",
                f"filter {name}={value}",
                [f"/customers/?{urlencode(params)}"],
                params=params,
            )
        )
    for name, text in SEARCHES.items():
        params = {"q": text}
        out.append(Measure(name, f"search q={text}", [f"/customers/?{urlencode(params)}"], params=params))
    cards = detail_ids(role.user)
    out += [
        Measure("detail", "card detail", [f"/customers/{pk}/" for pk in cards]),
        Measure("api_list", "API list", ["/api/v1/customers/"], api=True, params={}),
        Measure(
            "api_list_deep",
            f"API list, page {DEEP_PAGES + 1}",
            [follow_next(role, "/api/v1/customers/", api=True, pages=DEEP_PAGES)],
            api=True,
        ),
        Measure(
            "api_search_initials",
            f"API search q={SEARCHES['search_initials']}",
            [f"/api/v1/customers/?{urlencode({'q': SEARCHES['search_initials']})}"],
            api=True,
            params={"q": SEARCHES["search_initials"]},
        ),
        Measure("api_detail", "API card detail", [f"/api/v1/customers/{pk}/" for pk in cards], api=True),
    ]
    return out


def matches(user: Any, params: dict[str, str]) -> int:
    from django.http import QueryDict

    from kehu.customers.selectors import customer_list

    query = QueryDict(mutable=True)
    query.update(params)
    return customer_list(user=user, params=query).qs.count()


# --- timing ------------------------------------------------------------------------------------


@dataclass
class Timed:
    """One measure for one role, with its samples (wall-clock and this process's CPU time)."""

    role: Role
    measure: Measure
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    @property
    def client(self) -> Any:
        return self.role.api if self.measure.api else self.role.web

    def get(self, i: int) -> tuple[float, float]:
        url = self.measure.urls[i % len(self.measure.urls)]
        wall, cpu = time.perf_counter(), time.process_time()
        response = self.client.get(url)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if response.status_code != 200:
            raise SystemExit(f"{self.role.key}: GET {url} answered {response.status_code}")
        return wall * 1000, cpu * 1000

    def result(self) -> dict[str, Any]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.get(0)
        out = {
            "label": self.measure.label,
            **benchlib.summarise(self.wall_ms),
            "cpu_median_ms": round(statistics.median(self.cpu_ms), 2),
            "queries": len(captured),
            "sql_execute_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 2),
            "url": self.measure.urls[0],
        }
        if self.measure.params is not None:
            out["matches"] = matches(self.role.user, self.measure.params)
        return out


def time_all(plan: list[Timed], *, warmup: int, repeat: int) -> None:
    """Round-robin over every measure, so that a busy moment of a shared machine hits all alike."""
    for timed in plan:
        for i in range(warmup):
            timed.get(i)
    watch = benchlib.Stopwatch()
    for i in range(repeat):
        for timed in plan:
            wall, cpu = timed.get(i)
            timed.wall_ms.append(wall)
            timed.cpu_ms.append(cpu)
        if (i + 1) % 5 == 0 or i + 1 == repeat:
            print(f"  round {i + 1}/{repeat} ({watch.seconds:.0f} s)", flush=True)


# --- reporting ---------------------------------------------------------------------------------


def pad(text: str, width: int) -> str:
    """Left-align in a terminal column: Chinese characters take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cells)


def table(report: dict[str, Any]) -> str:
    """Milliseconds per measure and role: median and p95 wall-clock, median CPU of this process, queries."""
    measures, roles = report["measures"], list(report["measures"])
    names = list(dict.fromkeys(name for role in roles for name in measures[role]))
    head = pad("", 32) + "".join(f"{role + ' (' + report['roles'][role]['username'] + ')':>32}" for role in roles)
    sub = pad("ms", 32) + "".join(f"{'median':>10}{'p95':>8}{'cpu':>8}{'q':>6}" for _ in roles)
    lines = [head, sub]
    for name in names:
        label = next(measures[r][name]["label"] for r in roles if name in measures[r])
        row = pad(label[:30], 32)
        for role in roles:
            m = measures[role].get(name)
            row += f"{m['median_ms']:>10.1f}{m['p95_ms']:>8.1f}{m['cpu_median_ms']:>8.1f}{m['queries']:>6}" if m else " " * 32
        lines.append(row)
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20000, help="cards to seed (default 20000)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the generator")
    parser.add_argument(
        "--generator",
        choices=("auto", "demo", "bulk"),
        default="auto",
        help=f"demo: `kehu demo` (full story, ~600 cards/s); bulk: `kehu bench seed` (COPY, ~2,500 cards/s); "
        f"auto: demo up to {DEMO_UP_TO:,} cards (default)",
    )
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a scratch database is created on it")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="benchmark this existing database (never dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and print its URL")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per measure (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument(
        "--analyze",
        choices=("auto", "yes", "no"),
        default="auto",
        help="after seeding run VACUUM ANALYZE (PostgreSQL) or ANALYZE (SQLite); "
        "auto: on PostgreSQL only, where autovacuum would do it anyway",
    )
    parser.add_argument("--only", metavar="REGEX", help="only the measures whose name matches")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def report_start(args: argparse.Namespace, seed_seconds: float, load_before: list[float]) -> dict[str, Any]:
    from kehu.customers.models import Customer

    database = benchlib.database_info()
    if args.analyze == "auto" and use_bulk(args) and seed_seconds:
        settled = "VACUUM ANALYZE" if database["vendor"] == "postgresql" else "ANALYZE"  # done by bench seed
    else:
        wanted = args.analyze == "yes" or (args.analyze == "auto" and database["vendor"] == "postgresql")
        settled = analyse() if wanted else ""
    return {
        "benchmark": "cards",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {**benchlib.machine_info(), "load_average_before": load_before},
        "database": {**database, "after_seeding": settled},
        "customers": Customer.objects.count(),
        "seed": args.seed,
        "generator": "kehu bench seed" if use_bulk(args) else "kehu demo",
        "seed_seconds": seed_seconds,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "roles": {},
        "measures": {},
    }


def measure_all(report: dict[str, Any], args: argparse.Namespace) -> None:
    from kehu.customers.models import Customer

    filters = filter_values()
    report["filters"] = filters
    plan = []
    for role in roles_login():
        visible = Customer.objects.visible_to(role.user).filter(archived_at__isnull=True).count()
        report["roles"][role.key] = {"username": role.user.username, "visible": visible}
        measures = [m for m in measures_for(role, filters) if not args.only or re.search(args.only, m.name)]
        plan += [Timed(role, measure) for measure in measures]
    print(
        f"Timing {len(plan)} measures, {args.repeat} rounds after {args.warmup} warm-up requests each",
        flush=True,
    )
    time_all(plan, warmup=args.warmup, repeat=args.repeat)
    for timed in plan:
        report["measures"].setdefault(timed.role.key, {})[timed.measure.name] = timed.result()
    report["machine"]["load_average_after"] = benchlib.machine_info()["load_average"]


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # A killed run still drops its scratch database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Without collected static files WhiteNoise warns once; the pages measured serve no static file.
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")
    watch = benchlib.Stopwatch()
    with benchlib.ScratchDatabase(server_url=args.database_url, reuse_url=args.reuse, keep=args.keep):
        benchlib.django_setup()
        load_before = benchlib.machine_info()["load_average"]
        seed_seconds = seed(args)
        report = report_start(args, seed_seconds, load_before)
        database = report["database"]
        print(f"{report['customers']} cards on {database['vendor']} {database['version']} (seeded in {seed_seconds} s)")
        measure_all(report, args)
        report["run_seconds"] = round(watch.seconds, 1)
    print()
    print(table(report))
    print(
        f"\n{report['customers']} cards on {database['vendor']} {database['version']}: "
        f"{report['run_seconds']} s in all, {seed_seconds} s of it seeding"
    )
    benchlib.write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
