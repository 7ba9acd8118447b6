"""Peak memory and time of the customer export (CSV and .xlsx) at 20,000 and 100,000 cards.

A scratch SQLite database under KEHU_VAR_DIR (default /tmp/export-bench) is migrated and filled with
bulk_create; each export then runs in its own subprocess, so its peak resident set size (ru_maxrss) is
its own. Memory must stay roughly flat as the card count grows five-fold.
Run: .venv/bin/python bench/bench_export.py [20000 100000]
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("KEHU_VAR_DIR", "/tmp/export-bench")
os.environ.setdefault("KEHU_DEBUG", "0")  # no query log growing with the row count
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
SIZES = [20_000, 100_000]
BATCH = 5_000


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def seed(total: int) -> None:
    """Top the scratch database up to `total` cards (one area, two reps, an exporter in finance)."""
    from kehu.accounts.models import OrgUnit, Role, User
    from kehu.customers.models import Customer

    hq, _ = OrgUnit.objects.get_or_create(code="HQ", defaults={"name": "总部"})
    area, created = OrgUnit.objects.get_or_create(code="BJ", defaults={"name": "北京", "parent": hq})
    for unit in (hq, area):
        unit.path = unit.compute_path()
        unit.save(update_fields=["path"])
    reps = [User.objects.get_or_create(username=n, defaults={"role": Role.REP, "org_unit": area})[0] for n in ("r1", "r2")]
    User.objects.get_or_create(username="fin", defaults={"role": Role.FINANCE, "org_unit": hq, "display_name": "Fin"})
    rng = random.Random(7)
    start = Customer.objects.count()
    for first in range(start, total, BATCH):
        Customer.objects.bulk_create(
            Customer(
                code=f"B{n:07d}",
                name=f"北京海淀第{n}便利店",
                owner=reps[n % 2],
                org_unit=area,
                credit_code=f"91110108MA0{n:07d}",
                phone=f"138{n:08d}",
                address=f"海淀区中关村大街{n % 300}号",
                lat=Decimal("39.9") + Decimal(rng.randint(0, 9999)) / 100000,
                lng=Decimal("116.3"),
                credit_limit=Decimal(rng.randint(0, 500_000)),
                employees=rng.randint(1, 80),
                notes="=SUM(A1)" if n % 1000 == 0 else "常规客户",
            )
            for n in range(first, min(first + BATCH, total))
        )


def measure(export_format: str) -> dict[str, float]:
    """One export, fully consumed as a client would; prints seconds and peak memory of this process."""
    from django.http import QueryDict

    from kehu.accounts.models import User
    from kehu.customers.export import customer_export

    user = User.objects.get(username="fin")
    baseline = _maxrss_mb()
    started = time.perf_counter()
    export = customer_export(user=user, params=QueryDict(f"format={export_format}"))
    size = 0
    if export.file is not None:
        while chunk := export.file.read(64 * 1024):
            size += len(chunk)
        export.file.close()
    else:
        for line in export.lines or ():
            size += len(line.encode())
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mb": round(_maxrss_mb(), 1),
        "baseline_mb": round(baseline, 1),
        "file_mb": round(size / 1024 / 1024, 1),
    }


def main(sizes: list[int]) -> None:
    Path(os.environ["KEHU_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], check=True, cwd=ROOT)
    results = []
    for size in sizes:
        subprocess.run([sys.executable, __file__, "seed", str(size)], check=True)
        for export_format in ("csv", "xlsx"):
            out = subprocess.run(
                [sys.executable, __file__, "measure", export_format], check=True, capture_output=True, text=True
            ).stdout
            result = {"cards": size, "format": export_format, **json.loads(out.strip().splitlines()[-1])}
            results.append(result)
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("seed", "measure"):
        _django()
        if sys.argv[1] == "seed":
            seed(int(sys.argv[2]))
        else:
            print(json.dumps(measure(sys.argv[2])))
    else:
        main([int(n) for n in sys.argv[1:]] or SIZES)
