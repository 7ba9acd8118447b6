#!/usr/bin/env python
"""Benchmark of the route solver `kehu.field.routing.solve()` (issue 5's targets).

    .venv/bin/python bench/bench_routing.py --out bench/out/routing.json
    .venv/bin/python bench/bench_routing.py --sets tsp --tsp-limit 5        (one set, another limit)
    KEHU_BENCH_DATA=/path/to/bench-data .venv/bin/python bench/bench_routing.py

Sets (data from $KEHU_BENCH_DATA, default ../shared/bench-data beside the project):

  tsp       TSPLIB instances (EUC_2D, distances rounded to nearest per TSPLIB), one route, 2 s each;
            gap to the proven optimum in tsp/BKS.json.              Target: mean gap ≤ 1 %.
  solomon   Solomon VRPTW instances, real Euclidean distances, the file's 25 vehicles and capacity,
            5 s each, minimising total distance; gap to the best known *distance* ("<name>_distance"
            in solomon/BKS.json, found with `solved_with_vehicles` routes). Target: mean gap ≤ 1 %.
            Some of those values are not tight for real-valued distances: a plan a little shorter
            (a negative gap) is possible, and is checked feasible here like every other; the
            summary also gives the mean with negative gaps counted as 0.
  day       A rep's day: 30 stops in a Beijing district (seeded), shop opening hours as windows,
            20 min per visit, haversine × road factor at the configured speed, 1 s limit; wall time
            (median over --repeat seeds), all windows checked, every stop served or reported.
            Target: ≤ 1 s. Gap against the same instance solved for --reference-limit seconds.
  week      A rep's week: 60 candidates across the city, 5 routes (days) of at most 12 visits,
            KEHU_WEEK_PLAN_TIME_LIMIT seconds; the same checks.

The machine's load average is recorded before and after: the solver is single-threaded but a
busy machine (other processes on the 2 cores) slows it and so widens the gap at a fixed limit.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import benchlib

DEFAULT_TSP = ["a280", "berlin52", "ch150", "eil51", "kroA100", "st70"]
DEFAULT_SOLOMON = ["C101", "C201", "R101", "R105", "R112", "R201", "RC101", "RC105", "RC201", "RC208"]
BEIJING_DISTRICT = (39.93, 116.42)  # around Dongcheng
HOUR = 3600


def data_dir() -> Path:
    configured = os.environ.get("KEHU_BENCH_DATA")
    return Path(configured) if configured else (benchlib.ROOT / ".." / "shared" / "bench-data").resolve()


# --- instance files ---------------------------------------------------------------------------------


def read_tsplib(path: Path) -> list[list[int]]:
    """The distance matrix of a TSPLIB EUC_2D instance: nint(Euclidean distance), as TSPLIB defines it."""
    header: dict[str, str] = {}
    coords: list[tuple[float, float]] = []
    in_coords = False
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line == "EOF":
            continue
        if line.startswith("NODE_COORD_SECTION"):
            in_coords = True
        elif in_coords:
            _, x, y = line.split()[:3]
            coords.append((float(x), float(y)))
        elif ":" in line:
            key, _, value = line.partition(":")
            header[key.strip().upper()] = value.strip()
    if header.get("EDGE_WEIGHT_TYPE") != "EUC_2D":
        raise ValueError(f"{path.name}: only EUC_2D instances are supported, not {header.get('EDGE_WEIGHT_TYPE')}")
    if int(header["DIMENSION"]) != len(coords):
        raise ValueError(f"{path.name}: DIMENSION {header['DIMENSION']} but {len(coords)} coordinates")
    return [[int(math.dist(a, b) + 0.5) for b in coords] for a in coords]


def read_solomon(path: Path) -> dict[str, Any]:
    """A Solomon instance: real-valued Euclidean distances (the usual convention for the distance BKS)."""
    lines = path.read_text().splitlines()
    vehicles = capacity = None
    rows: list[list[float]] = []
    for i, line in enumerate(lines):
        if line.strip().startswith("NUMBER"):
            vehicles, capacity = (int(v) for v in lines[i + 1].split())
        parts = line.split()
        if len(parts) == 7 and parts[0].isdigit():
            rows.append([float(v) for v in parts])
    if vehicles is None or capacity is None or not rows:
        raise ValueError(f"{path.name}: not a Solomon instance")
    points = [(r[1], r[2]) for r in rows]
    return {
        "durations": [[math.dist(a, b) for b in points] for a in points],
        "time_windows": [(r[4], r[5]) for r in rows],
        "service_times": [r[6] for r in rows],
        "demands": [int(r[3]) for r in rows],
        "capacity": capacity,
        "vehicles": vehicles,
    }


# --- checks -------------------------------------------------------------------------------------


def violations(result: Any, durations: list[list[float]], kwargs: dict[str, Any]) -> list[str]:
    """What is wrong with `result`: a stop served twice or forgotten, a window or capacity broken."""
    problems = []
    n = len(durations)
    windows = kwargs.get("time_windows") or [None] * n
    service = kwargs.get("service_times") or [0] * n
    demands, capacity = kwargs.get("demands"), kwargs.get("capacity")
    seen = [s for route in result.routes for s in route[1:-1]] + list(result.unserved)
    if sorted(seen) != list(range(1, n)):
        problems.append("stops served twice or neither served nor reported unserved")
    if len(result.routes) > kwargs.get("vehicles", 1):
        problems.append(f"{len(result.routes)} routes for {kwargs.get('vehicles', 1)} vehicles")
    depot_early, depot_late = windows[0] or (0, math.inf)
    for route in result.routes:
        if route[0] != 0 or route[-1] != 0:
            problems.append(f"route {route} does not start and end at 0")
        if capacity is not None:
            load = sum((demands[s] if demands else 1) for s in route[1:-1])
            if load > capacity:
                problems.append(f"route {route} loads {load} > {capacity}")
        t = depot_early
        for a, b in pairwise(route[:-1]):
            early, late = windows[b] or (0, math.inf)
            t = max(t + durations[a][b], early)
            if t > late + 1e-6:
                problems.append(f"stop {b} reached at {t:.2f}, after {late}")
            t += service[b]
        if t + durations[route[-2]][0] > depot_late + 1e-6:
            problems.append(f"route {route} is back after {depot_late}")
    cost = sum(durations[a][b] for route in result.routes for a, b in pairwise(route))
    if abs(cost - result.cost) > 1e-6 * max(1.0, cost):
        problems.append(f"reported cost {result.cost} ≠ {cost}")
    return problems


def timed_solve(durations: list[list[float]], kwargs: dict[str, Any], time_limit: float) -> tuple[Any, float]:
    from kehu.field.routing import solve

    started = time.perf_counter()
    result = solve(durations, time_limit=time_limit, **kwargs)
    return result, time.perf_counter() - started


def gap_pct(cost: float, best: float) -> float:
    return round(100 * (cost - best) / best, 3)


# --- the sets -----------------------------------------------------------------------------------


def bench_tsp(args: argparse.Namespace) -> dict[str, Any]:
    folder = data_dir() / "tsp"
    bks = json.loads((folder / "BKS.json").read_text())
    rows = []
    for name in args.tsp:
        durations = read_tsplib(folder / f"{name}.tsp")
        best = bks[name]["best_known_cost"]
        runs = [timed_solve(durations, {}, args.tsp_limit) for _ in range(args.repeat_sets)]
        costs = [r.cost for r, _ in runs]
        result, _ = runs[0]
        row = {
            "instance": name,
            "stops": len(durations) - 1,
            "bks": best,
            "cost": statistics.median(costs),
            "gap_pct": gap_pct(statistics.median(costs), best),
            "wall_s": round(statistics.median(s for _, s in runs), 3),
            "problems": violations(result, durations, {}),
        }
        rows.append(row)
        print_row("tsp", row)
    return summary("tsp", rows, args.tsp_limit, "tsp/BKS.json: proven optimum (TSPLIB nint distances)")


def bench_solomon(args: argparse.Namespace) -> dict[str, Any]:
    folder = data_dir() / "solomon"
    bks = json.loads((folder / "BKS.json").read_text())
    rows = []
    for name in args.solomon:
        instance = read_solomon(folder / f"{name}.txt")
        durations = instance.pop("durations")
        known = bks[f"{name}_distance"]
        runs = [timed_solve(durations, instance, args.solomon_limit) for _ in range(args.repeat_sets)]
        costs = [r.cost for r, _ in runs]
        result, _ = runs[0]
        row = {
            "instance": name,
            "stops": len(durations) - 1,
            "bks": known["best_known_cost"],
            "bks_vehicles": known["solved_with_vehicles"],
            "vehicles_available": instance["vehicles"],
            "cost": round(statistics.median(costs), 2),
            "routes": len(result.routes),
            "unserved": len(result.unserved),
            "gap_pct": gap_pct(statistics.median(costs), known["best_known_cost"]),
            "wall_s": round(statistics.median(s for _, s in runs), 3),
            "problems": violations(result, durations, instance),
        }
        rows.append(row)
        print_row("solomon", row)
    return summary(
        "solomon",
        rows,
        args.solomon_limit,
        "solomon/BKS.json '<name>_distance': best known total distance (real Euclidean), any vehicle count ≤ 25",
    )


def rep_instance(seed: int, stops: int, radius_km: float, kind: str) -> tuple[list[list[float]], dict[str, Any]]:
    """A depot and `stops` shops around Beijing; opening hours as windows, 20 minutes a visit."""
    from kehu.field.routing.matrix import haversine_matrix

    rng = random.Random(seed)
    lat0, lng0 = BEIJING_DISTRICT
    points = [(lat0, lng0)]
    for _ in range(stops):
        r = radius_km * math.sqrt(rng.random())
        a = rng.uniform(0, 2 * math.pi)
        points.append((lat0 + r * math.cos(a) / 111.0, lng0 + r * math.sin(a) / (111.0 * math.cos(math.radians(lat0)))))
    hours = [
        (9 * HOUR, 21 * HOUR),  # a shop
        (10 * HOUR, 22 * HOUR),  # a mall counter
        (8 * HOUR, 17 * HOUR),  # a wholesaler
        (9 * HOUR, 12 * HOUR),  # mornings only
        (14 * HOUR, 17 * HOUR),  # afternoons only
        None,  # any time
    ]
    weights = [4, 2, 2, 1, 1, 2]
    windows = [(8 * HOUR, 20 * HOUR) if kind == "day" else (8 * HOUR + HOUR // 2, 18 * HOUR)]
    windows += [rng.choices(hours, weights)[0] for _ in range(stops)]
    kwargs: dict[str, Any] = {"time_windows": windows, "service_times": [0] + [20 * 60] * stops}
    if kind == "week":
        kwargs.update(vehicles=5, capacity=12)
    return haversine_matrix(points).seconds, kwargs


def bench_rep(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    from django.conf import settings

    if kind == "day":
        stops, radius, limit = 30, 3.0, args.day_limit
    else:
        stops, radius, limit = 60, 12.0, args.week_limit or settings.KEHU_WEEK_PLAN_TIME_LIMIT
    rows = []
    for seed in range(1, args.repeat + 1):
        durations, kwargs = rep_instance(seed, stops, radius, kind)
        result, wall = timed_solve(durations, kwargs, limit)
        reference, _ = timed_solve(durations, kwargs, args.reference_limit) if args.reference_limit else (None, 0)
        row = {
            "instance": f"{kind}-{seed}",
            "stops": stops,
            "served": stops - len(result.unserved),
            "unserved": len(result.unserved),
            "routes": len(result.routes),
            "cost_s": result.cost,
            "wall_s": round(wall, 3),
            "problems": violations(result, durations, kwargs),
        }
        if reference is not None:
            row["reference_served"] = stops - len(reference.unserved)
            row["reference_cost_s"] = reference.cost
            if reference.unserved == result.unserved and reference.cost:
                row["gap_pct"] = gap_pct(result.cost, reference.cost)
        rows.append(row)
        print_row(kind, row)
    out = summary(kind, rows, limit, f"the same instance solved for {args.reference_limit} s")
    out["median_wall_s"] = round(statistics.median(r["wall_s"] for r in rows), 3)
    out["max_wall_s"] = max(r["wall_s"] for r in rows)
    return out


def summary(name: str, rows: list[dict[str, Any]], limit: float, compared_to: str) -> dict[str, Any]:
    gaps = [r["gap_pct"] for r in rows if "gap_pct" in r]
    return {
        "set": name,
        "time_limit_s": limit,
        "compared_to": compared_to,
        "instances": rows,
        "mean_gap_pct": round(statistics.mean(gaps), 3) if gaps else None,
        # A negative gap (a plan shorter than the file's best known, checked feasible here) counted as 0.
        "mean_gap_pct_no_credit": round(statistics.mean(max(0.0, g) for g in gaps), 3) if gaps else None,
        "max_gap_pct": max(gaps) if gaps else None,
        "total_wall_s": round(sum(r["wall_s"] for r in rows), 2),
        "problems": sum(len(r["problems"]) for r in rows),
    }


def print_row(name: str, row: dict[str, Any]) -> None:
    gap = f"{row['gap_pct']:7.2f} %" if "gap_pct" in row else "      — "
    extra = ""
    if "served" in row:
        extra = f"  served {row['served']}/{row['stops']}  routes {row['routes']}"
    elif "routes" in row:
        extra = f"  routes {row['routes']} (BKS {row['bks_vehicles']})  unserved {row['unserved']}"
    flag = f"  PROBLEMS: {row['problems'][:3]}" if row["problems"] else ""
    print(f"{name:8} {row['instance']:10} n={row['stops']:<4} gap {gap}  wall {row['wall_s']:6.3f} s{extra}{flag}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="tsp,solomon,day,week", help="comma-separated: tsp, solomon, day, week")
    parser.add_argument("--tsp", type=lambda s: s.split(","), default=DEFAULT_TSP)
    parser.add_argument("--solomon", type=lambda s: s.split(","), default=DEFAULT_SOLOMON)
    parser.add_argument("--tsp-limit", type=float, default=2.0)
    parser.add_argument("--solomon-limit", type=float, default=5.0)
    parser.add_argument("--day-limit", type=float, default=1.0)
    parser.add_argument("--week-limit", type=float, default=None, help="default: KEHU_WEEK_PLAN_TIME_LIMIT")
    parser.add_argument("--repeat", type=int, default=5, help="rep days and weeks: how many seeded instances")
    parser.add_argument("--repeat-sets", type=int, default=1, help="TSPLIB/Solomon: runs per instance (median)")
    parser.add_argument("--reference-limit", type=float, default=10.0, help="rep instances: 0 to skip the reference")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    benchlib.django_setup()  # the matrices read KEHU_ROAD_FACTOR and KEHU_TRAVEL_SPEED_KMH
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    sets = {}
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        if name == "tsp":
            sets[name] = bench_tsp(args)
        elif name == "solomon":
            sets[name] = bench_solomon(args)
        elif name in ("day", "week"):
            sets[name] = bench_rep(args, name)
        else:
            parser.error(f"unknown set {name!r}")
    report = {
        "benchmark": "routing",
        "data": str(data_dir()),
        "machine": benchlib.machine_info(),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "total_wall_s": round(time.perf_counter() - started, 1),
        "sets": sets,
    }
    print()
    print(f"{'set':8} {'limit':>6} {'mean gap':>9} {'(≥ 0)':>9} {'max gap':>8} {'wall':>8}  problems")
    for name, s in sets.items():
        mean = f"{s['mean_gap_pct']:7.2f} %" if s["mean_gap_pct"] is not None else "      — "
        clipped = f"{s['mean_gap_pct_no_credit']:7.2f} %" if s["mean_gap_pct_no_credit"] is not None else "      — "
        worst = f"{s['max_gap_pct']:6.2f} %" if s["max_gap_pct"] is not None else "     — "
        print(f"{name:8} {s['time_limit_s']:5.1f}s {mean} {clipped} {worst} {s['total_wall_s']:7.1f}s  {s['problems']}")
    print(f"load average before {load_before}, after {report['load_average_after']}")
    benchlib.write_report(report, args.out)
    return 1 if any(s["problems"] for s in sets.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
