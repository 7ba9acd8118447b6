#!/usr/bin/env python
"""Markdown tables from bench_cards.py JSON reports, for docs/benchmarks.md.

.venv/bin/python bench/report_md.py bench/out/cards-*.json
.venv/bin/python bench/report_md.py --summary|--summary-p95|--summary-cpu|--summary-sql bench/out/cards-*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def heading(report: dict[str, Any]) -> str:
    db, machine = report["database"], report["machine"]
    analysed = f", after {db['after_seeding']}" if db.get("after_seeding") else ""
    return (
        f"### {db['vendor']} {db['version'].split(' ')[0]}, {report['customers']:,} cards{analysed}\n\n"
        f"{machine['cpu_count']} × {machine['cpu_model']}, Python {machine['python']}, "
        f"Django {machine['django']}, commit {machine['git_commit'] or '?'}, {report['created_at'][:10]}; "
        f"seeded in {report['seed_seconds']} s, whole run {report['run_seconds']} s; "
        f"load average {machine['load_average_before'][0]} before, "
        f"{machine.get('load_average_after', ['?'])[0]} after; "
        f"{report['repeat']} timed requests per measure.\n"
    )


def table(report: dict[str, Any]) -> str:
    """One row per measure: median, p95 and CPU median (ms) for each role, then queries per role."""
    measures, roles = report["measures"], list(report["measures"])
    names = list(dict.fromkeys(name for role in roles for name in measures[role]))
    head = ["measure"] + [f"{role} {stat}" for role in roles for stat in ("median", "p95", "cpu")] + ["queries"]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for name in names:
        label = next(measures[r][name]["label"] for r in roles if name in measures[r])
        cells = [label]
        for role in roles:
            m = measures[role].get(name)
            cells += [f"{m[k]:.0f}" for k in ("median_ms", "p95_ms", "cpu_median_ms")] if m else ["", "", ""]
        cells.append("/".join(str(measures[r][name]["queries"]) if name in measures[r] else "-" for r in roles))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def roles_line(report: dict[str, Any]) -> str:
    return (
        "Roles: "
        + "; ".join(
            f"{role} = `{info['username']}` ({info['visible']:,} visible cards)" for role, info in report["roles"].items()
        )
        + ".\n"
    )


SUMMARIES = {"--summary": "median_ms", "--summary-p95": "p95_ms", "--summary-cpu": "cpu_median_ms",
             "--summary-sql": "sql_execute_ms"}


def summary(reports: list[dict[str, Any]], key: str = "median_ms") -> str:
    """One statistic (median by default) in ms as director / manager / rep, one column per report."""
    names = list(dict.fromkeys(n for r in reports for role in r["measures"] for n in r["measures"][role]))
    head = ["measure"] + [f"{r['database']['vendor']} {r['customers']:,}" for r in reports]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * len(reports) + "|"]
    for name in names:
        label = next(r["measures"][role][name]["label"] for r in reports for role in r["measures"] if name in r["measures"][role])
        cells = [label]
        for r in reports:
            medians = [f"{m[name][key]:.0f}" if name in m else "-" for m in r["measures"].values()]
            cells.append(" / ".join(medians))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(paths: list[str]) -> int:
    if paths[:1] and paths[0] in SUMMARIES:
        print(summary([json.loads(Path(path).read_text()) for path in paths[1:]], SUMMARIES[paths[0]]))
        return 0
    for path in paths:
        report = json.loads(Path(path).read_text())
        print(heading(report))
        print(roles_line(report))
        print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
