"""Customer import, end to end: a realistic N-row .xlsx through Kehu's import engine, and the same file
through django-import-export (the baseline a Django user would reach for), in one run.

The file is written with xlsxwriter in constant-memory mode from the demo's name and place generators:
Chinese column headers, channel level and status as Chinese labels, owners by username, a free-text
address and no province/city/district columns (so every row is geocoded), a contact per row, valid
credit codes for companies, about 1 % of rows with an error and about 2 % repeating an earlier row's
phone (flagged duplicates).

Each import runs in its own subprocess on its own fresh scratch database (SQLite by default; PostgreSQL
with --database-url), so its peak resident set size (ru_maxrss) is its own.
Kehu: upload → check (dry run) → commit (which validates everything again and writes), as `kehu import`.
Baseline: tablib loads the .xlsx, a ModelResource over Customer (label → code widgets for the choice
columns, ForeignKeyWidget for the owner, clean_model_instances=True) runs import_data(dry_run=False).
It computes no pinyin, no geocode, no completeness and no duplicate check.

Run: .venv/bin/python bench/bench_import.py [--rows 100000] [--baseline-rows N] [--out bench/out/import-sqlite-100000.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

HEADERS = ["客户编码", "客户名称", "简称", "渠道级别", "状态", "统一社会信用代码", "电话", "地址", "负责人",
           "信用额度", "联系人", "手机"]
LEVELS = {"retailer": "零售终端", "wholesaler": "批发商", "sub_wholesaler": "二批商", "distributor": "总经销商",
          "end_user": "终端用户"}
STATUSES = {"potential": "潜在", "active": "活跃", "prospect": "意向", "dormant": "休眠"}
REPS = [f"rep{i:02d}" for i in range(1, 21)]


def _maxrss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the file ------------------------------------------------------------------------------------
def _distinct(rng: random.Random, name: str, short: str) -> tuple[str, str]:
    """The demo knows ~50 brand words, so 100k shops would be mostly namesakes; real bases are not.
    A given name after the brand (鑫源 → 鑫源建华) makes ~3,000 brands, and the planted repeats
    (phones) stay the main duplicates."""
    from kehu.customers.demo.names import BRAND_WORDS, GIVEN_NAMES

    for brand in BRAND_WORDS:
        if brand in name:
            richer = brand + rng.choice(GIVEN_NAMES)
            return name.replace(brand, richer, 1), short.replace(brand, richer, 1)
    return name, short



def write_file(path: Path, rows: int, seed: int = 7) -> dict[str, int]:
    benchlib.django_setup()
    import xlsxwriter

    from kehu.customers.demo import names
    from kehu.customers.demo.places import AREAS

    rng = random.Random(seed)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("客户")
    sheet.write_row(0, 0, HEADERS)
    phones: list[str] = []
    counts = {"errors": 0, "repeated_phones": 0}
    level_keys = list(LEVELS)
    for n in range(1, rows + 1):
        area = rng.choice(AREAS)
        district = rng.choice(area.districts)
        road = rng.choice(district.roads)
        level = rng.choices(level_keys, weights=[70, 12, 10, 3, 5])[0]
        name, short = _distinct(rng, *names.shop_name(rng, level, area, district, road))
        company = level in ("distributor", "wholesaler", "end_user") or rng.random() < 0.3
        credit = names.credit_code(rng, district.adcode, individual=not company) if company else ""
        phone = names.mobile(rng) if rng.random() < 0.6 else names.landline(rng, area)
        if phones and rng.random() < 0.02:
            phone = rng.choice(phones[-5000:])
            counts["repeated_phones"] += 1
        phones.append(phone)
        limit: Any = rng.choice([0, 5000, 10000, 20000, 50000, 100000])
        if rng.random() < 0.01:
            limit = "待定"  # an error: not a number
            counts["errors"] += 1
        address = names.full_address(area, district, names.street_address(rng, road))
        sheet.write_row(n, 0, [
            f"OLD{n:07d}", name, short, LEVELS[level], rng.choice(list(STATUSES.values())), credit, phone, address,
            rng.choice(REPS), limit, names.person_name(rng), names.mobile(rng),
        ])
    workbook.close()
    return counts


# --- each import in its own process ---------------------------------------------------------------
def _prepare_database() -> Any:
    from django.core.management import call_command

    from kehu.accounts.models import OrgUnit, Role, User

    call_command("migrate", verbosity=0)
    hq = OrgUnit.objects.create(code="HQ", name="总部")
    hq.path = hq.compute_path()
    hq.save(update_fields=["path"])
    for username in REPS:
        User.objects.create_user(username, role=Role.REP, org_unit=hq, display_name=username.upper())
    return User.objects.create_user("importer", role=Role.CUSTODIAN, org_unit=hq)


def run_kehu(path: Path) -> dict[str, Any]:
    benchlib.django_setup()
    from django.core.files import File

    from kehu.customers.imports import import_check, import_commit, import_configure, import_upload
    from kehu.customers.models import Contact, Customer

    user = _prepare_database()
    started = time.perf_counter()
    with path.open("rb") as handle:
        job = import_upload(user, File(handle, name=path.name))
    uploaded = time.perf_counter()
    # Flagged rows are written too (import_duplicates): the write is measured on every valid row.
    job = import_configure(job, user, mapping=job.mapping, mode="create", on_error="skip", import_duplicates=True)
    job = import_check(job, user, inline=True)
    checked = time.perf_counter()
    job = import_commit(job, user, inline=True)
    done = time.perf_counter()
    assert job.status == "done", (job.status, job.error)
    rows = job.total_rows
    return {
        "rows": rows, "status": job.status, "summary": job.summary, "result": job.result,
        "customers_in_db": Customer.objects.count(), "contacts_in_db": Contact.objects.count(),
        "upload_s": round(uploaded - started, 2), "check_s": round(checked - uploaded, 2),
        "commit_s": round(done - checked, 2), "total_s": round(done - started, 2),
        "commit_rows_per_s": round(rows / (done - checked)), "total_rows_per_s": round(rows / (done - started)),
        "peak_rss_mb": _maxrss_mb(),
    }


def run_baseline(path: Path, limit: int | None) -> dict[str, Any]:
    benchlib.django_setup()
    import tablib
    from import_export import fields, resources, widgets

    from kehu.accounts.models import User
    from kehu.customers.models import Customer

    _prepare_database()

    class ChoiceLabelWidget(widgets.Widget):
        def __init__(self, labels: dict[str, str]) -> None:
            super().__init__()
            self.codes = {label: code for code, label in labels.items()}

        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            return self.codes.get(value, value)

    text = widgets.CharWidget(allow_blank=True)  # empty cells as "" (the columns are NOT NULL)

    class CustomerResource(resources.ModelResource):
        code = fields.Field(attribute="code", column_name="客户编码", widget=text)
        name = fields.Field(attribute="name", column_name="客户名称", widget=text)
        short_name = fields.Field(attribute="short_name", column_name="简称", widget=text)
        channel_level = fields.Field(attribute="channel_level", column_name="渠道级别", widget=ChoiceLabelWidget(LEVELS))
        status = fields.Field(attribute="status", column_name="状态", widget=ChoiceLabelWidget(STATUSES))
        credit_code = fields.Field(attribute="credit_code", column_name="统一社会信用代码", widget=text)
        phone = fields.Field(attribute="phone", column_name="电话", widget=text)
        address = fields.Field(attribute="address", column_name="地址", widget=text)
        owner = fields.Field(attribute="owner", column_name="负责人", widget=widgets.ForeignKeyWidget(User, "username"))
        credit_limit = fields.Field(attribute="credit_limit", column_name="信用额度", widget=widgets.DecimalWidget())

        class Meta:
            model = Customer
            import_id_fields = ("code",)
            fields = ("code", "name", "short_name", "channel_level", "status", "credit_code", "phone", "address",
                      "owner", "credit_limit")
            clean_model_instances = True

    started = time.perf_counter()
    dataset = tablib.Dataset().load(path.read_bytes(), format="xlsx")
    if limit is not None and limit < len(dataset):
        dataset = dataset.subset(rows=range(limit))
    loaded = time.perf_counter()
    result = CustomerResource().import_data(dataset, dry_run=False, raise_errors=False, use_transactions=True)
    done = time.perf_counter()
    rows = len(dataset)
    return {
        "rows": rows, "imported": Customer.objects.count(), "row_errors": len(result.invalid_rows) + len(result.row_errors()),
        "load_s": round(loaded - started, 2), "import_s": round(done - loaded, 2), "total_s": round(done - started, 2),
        "total_rows_per_s": round(rows / (done - started)), "peak_rss_mb": _maxrss_mb(),
    }


def child(kind: str, path: Path, limit: int | None, database_url: str | None) -> int:
    with benchlib.ScratchDatabase(server_url=database_url):
        os.environ["KEHU_VAR_DIR"] = tempfile.mkdtemp(prefix="kehu-import-bench-")
        os.environ.setdefault("KEHU_DEBUG", "0")
        outcome = run_kehu(path) if kind == "kehu" else run_baseline(path, limit)
    print("RESULT " + json.dumps(outcome, ensure_ascii=False))
    return 0


def _spawn(kind: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--file", str(path)]
    if args.baseline_rows:
        command += ["--baseline-rows", str(args.baseline_rows)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    raise SystemExit(f"{kind} import failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=None, help="Import only the first N rows in the baseline.")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--database-url", default=None, help="A PostgreSQL server for scratch databases (default SQLite).")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", choices=["kehu", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.file, args.baseline_rows, args.database_url)

    workdir = Path(tempfile.mkdtemp(prefix="kehu-import-file-"))
    path = workdir / f"customers-{args.rows}.xlsx"
    watch = benchlib.Stopwatch()
    with benchlib.ScratchDatabase():  # the generator reads settings; no database is touched
        planted = write_file(path, args.rows)
    report: dict[str, Any] = {
        "benchmark": "import", "rows": args.rows, "file_mb": round(path.stat().st_size / 1e6, 1),
        "file_seconds": round(watch.seconds, 1), "planted": planted,
        "database": "postgresql" if args.database_url else "sqlite",
        "machine": {**benchlib.machine_info(), "load_average_before": list(os.getloadavg())},
    }
    print(f"{args.rows} rows, {report['file_mb']} MB, written in {report['file_seconds']} s; importing with Kehu …")
    report["kehu"] = _spawn("kehu", path, args)
    print(json.dumps(report["kehu"], ensure_ascii=False))
    if not args.skip_baseline:
        print("… and with django-import-export")
        report["django_import_export"] = _spawn("baseline", path, args)
        print(json.dumps(report["django_import_export"], ensure_ascii=False))
    report["machine"]["load_average_after"] = list(os.getloadavg())
    path.unlink()
    workdir.rmdir()
    benchlib.write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
