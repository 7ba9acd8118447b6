"""What every Kehu benchmark needs: a scratch database, timing statistics and a machine description.

Kept free of Django imports at module level: the scratch database must be chosen (environment
variables set) before Django reads its settings.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    """Import the project (bench/ is not a package) and configure Django like `manage.py` does."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Time the application as it runs in production: no DEBUG query log, no debug templates.
    os.environ.setdefault("KEHU_DEBUG", "0")
    import django

    django.setup()


# --- statistics --------------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above `fraction` of all samples."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarise(samples_ms: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(samples_ms), 2),
        "p95_ms": round(percentile(samples_ms, 0.95), 2),
        "min_ms": round(min(samples_ms), 2),
        "max_ms": round(max(samples_ms), 2),
    }


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


# --- scratch databases -------------------------------------------------------------------------


def redact(url: str) -> str:
    """The URL without its password, for reports."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class ScratchDatabase:
    """A database made for one benchmark run and removed after it (unless `keep`).

    SQLite: a file in a new temporary directory. PostgreSQL: a new UTF-8 database on the server
    that `server_url` points at (its own database is only used to issue CREATE/DROP DATABASE).
    `reuse_url` benchmarks an existing, already seeded database and never drops it.
    """

    server_url: str | None = None
    reuse_url: str | None = None
    keep: bool = False
    url: str = ""
    _tempdir: str | None = field(default=None, repr=False)
    _pg_name: str | None = field(default=None, repr=False)

    def __enter__(self) -> ScratchDatabase:
        if self.reuse_url:
            self.url = self.reuse_url
        elif self.server_url:
            self._pg_name = f"kehu_bench_{int(time.time())}_{os.getpid()}"
            self._pg_execute(
                f"CREATE DATABASE \"{self._pg_name}\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            )
            self.url = urlunsplit(urlsplit(self.server_url)._replace(path=f"/{self._pg_name}"))
        else:
            self._tempdir = tempfile.mkdtemp(prefix="kehu-bench-")
            self.url = f"sqlite:///{self._tempdir}/kehu.sqlite3"
        os.environ["DATABASE_URL"] = self.url
        return self

    def __exit__(self, *exc: object) -> None:
        if self.keep or self.reuse_url:
            print(f"Kept the benchmark database: DATABASE_URL={redact(self.url)}")
            return
        try:
            from django.db import connections

            connections.close_all()
        except ImportError:
            pass
        if self._pg_name:
            self._pg_execute(f'DROP DATABASE IF EXISTS "{self._pg_name}"')
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)

    def _pg_execute(self, sql: str) -> None:
        import psycopg

        assert self.server_url is not None
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


# --- the machine -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def database_info() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("show server_version")
        version = cursor.fetchone()[0]
    return {
        "vendor": connection.vendor,
        "version": version,
        "url": redact(os.environ.get("DATABASE_URL", "")),
    }


def machine_info() -> dict[str, Any]:
    import django

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "git_commit": _git_commit(),
    }


def write_report(report: dict[str, Any], out: Path | None) -> None:
    """The JSON every benchmark writes (bench/out/ is not committed; docs/benchmarks.md keeps the figures)."""
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"Wrote {out}")
