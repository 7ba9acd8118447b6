"""Preparing rows in worker processes: conversion, geocoding, duplicate keys and pinyin are pure CPU
work per row, so large files spread it over the machine's cores (KEHU_IMPORT_WORKERS; 0 = all cores).

Workers are forked from the importing process after the converters and lookups are built, so they
inherit them; they never touch the database (the parent's connection, possibly inside the import's
transaction, is only ever used by the parent). Batches go out in order and come back in order; at
most a few are in flight, so memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from kehu.customers.imports.pipeline import ImportRun, Row

Batch = list[tuple[int, list[Any]]]
_ACTIVE: ImportRun | None = None  # the run whose converters the forked workers use


def worker_count(total_rows: int) -> int:
    if total_rows < getattr(settings, "KEHU_IMPORT_PARALLEL_ROWS", 5000):
        return 1
    wanted = settings.KEHU_IMPORT_WORKERS or (os.cpu_count() or 1)
    return max(1, wanted)


def _warm_up() -> None:
    """Load the gazetteer, the pinyin and place-name tables once, before forking, not once per worker."""
    from kehu.customers.dedupe import Keys
    from kehu.customers.geocode import geocode
    from kehu.customers.search import build_search_text

    geocode("北京市海淀区中关村大街1号")
    build_search_text(name="北京海淀永辉副食店", short_name="永辉")
    Keys.of({"name": "北京海淀永辉副食店", "address": "北京市海淀区中关村大街1号", "district": "海淀区"})


def _prepare(batch: Batch) -> list[Row]:
    assert _ACTIVE is not None
    return [_ACTIVE.prepare_row(number, cells) for number, cells in batch]


def prepared_batches(run: ImportRun, batches: Iterator[Batch], workers: int) -> Iterator[list[Row]]:
    global _ACTIVE
    if workers <= 1:
        for batch in batches:
            yield [run.prepare_row(number, cells) for number, cells in batch]
        return
    _ACTIVE = run
    _warm_up()
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        pending: deque[Any] = deque()
        for batch in batches:
            pending.append(pool.apply_async(_prepare, (batch,)))
            if len(pending) > workers * 2:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
    finally:
        pool.terminate()
        pool.join()
        _ACTIVE = None
