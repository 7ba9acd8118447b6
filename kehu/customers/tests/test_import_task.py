"""Large files go to the task worker (django-tasks, database backend): run here by the real db_worker."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from kehu.customers.imports import import_cancel, import_check, import_commit, import_configure, import_progress
from kehu.customers.imports.progress import Progress, request_cancel
from kehu.customers.models import Customer, ImportJob
from kehu.customers.tests.import_helpers import upload, xlsx_bytes
from kehu.testing import World


def run_worker() -> None:
    """Process every queued task with the real worker, then return.

    SQLite: the db_worker command itself (--batch). PostgreSQL: the worker's own claim-and-run step
    (Worker.run_task), because between tasks the command closes connections that are not in
    autocommit mode, which here would be the test's transaction (the audit log's append-only trigger
    rules out committing tests that would need a flush)."""
    if connection.vendor == "sqlite":
        saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        try:
            call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        return
    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )
    while True:
        with transaction.atomic():  # the claim locks its row (SELECT … FOR UPDATE), also in autocommit tests
            task_result = DBTaskResult.objects.ready().get_locked()
            if task_result is None:
                return
            task_result.claim(worker.worker_id)
        worker.run_task(task_result)


def shops(count: int, start: int = 0) -> bytes:
    rows: list[list[Any]] = [["名称", "电话"]]
    rows += [[f"第{n}号测试商店", f"139{n:08d}"] for n in range(start, start + count)]
    return xlsx_bytes(rows)


def configured(user, data: bytes) -> ImportJob:
    """Numbered test shops look alike to the duplicate finder: import them anyway."""
    job = upload(user, data)
    return import_configure(job, user, mapping=job.mapping, mode="create", on_error="skip", import_duplicates=True)


def test_a_large_file_is_checked_and_committed_by_the_worker(world: World, settings):
    settings.KEHU_IMPORT_INLINE_ROWS = 2
    job = import_check(configured(world.cathy, shops(5)), world.cathy)
    assert job.status == "checking" and import_progress(job)["phase"] == "check"
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.summary["create"]) == ("checked", 5)
    assert import_progress(job) == {"status": "checked", "phase": None, "done": 5, "total": 5, "percent": 100}
    job = import_commit(job, world.cathy)
    assert job.status == "queued" and not Customer.objects.filter(name__endswith="测试商店").exists()
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.result["created"]) == ("done", 5)
    assert Customer.objects.filter(name__endswith="测试商店").count() == 5
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_queued_import_cancelled_before_the_worker_starts_writes_nothing(world: World, settings):
    settings.KEHU_IMPORT_INLINE_ROWS = 2
    job = import_check(configured(world.cathy, shops(5)), world.cathy)
    run_worker()
    job.refresh_from_db()
    job = import_commit(job, world.cathy)
    job = import_cancel(job, world.cathy)
    assert job.status == "cancelled"
    run_worker()
    job.refresh_from_db()
    assert job.status == "cancelled" and not Customer.objects.filter(name__endswith="测试商店").exists()


def test_a_check_cancelled_while_checking_ends_cancelled(world: World, settings):
    settings.KEHU_IMPORT_INLINE_ROWS = 2
    job = import_check(configured(world.cathy, shops(5)), world.cathy)
    job = import_cancel(job, world.cathy)
    assert job.status == "checking"  # the worker sees the request
    run_worker()
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_a_write_cancelled_midway_rolls_back_and_progress_is_live_meanwhile(world: World, settings, monkeypatch):
    """The commit runs in this thread; another thread, like the web page, watches the progress and asks
    to cancel — through the cache only, as import_cancel does for a running job (this test's rows are
    uncommitted, so another connection could not even see the job)."""
    settings.KEHU_IMPORT_BATCH_ROWS = 50
    job = import_check(configured(world.cathy, shops(1500)), world.cathy)
    assert job.status == "checked"
    seen: list[dict[str, Any]] = []
    watching = ImportJob.objects.get(pk=job.pk)
    watching.status = ImportJob.Status.RUNNING
    cancel_sent = threading.Event()
    real_cancelled = Progress.cancelled

    def cancelled_once_the_watcher_could_look(self: Progress) -> bool:
        # On a loaded machine the watcher thread may not run before the whole file is written;
        # past 200 rows the writer shows its progress and gives the watcher up to 10 s to answer.
        if self.phase == "write" and self.done >= 200 and not cancel_sent.is_set():
            self.publish(force=True)
            cancel_sent.wait(10)
        return real_cancelled(self)

    monkeypatch.setattr(Progress, "cancelled", cancelled_once_the_watcher_could_look)

    def watch_and_cancel() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            progress = import_progress(watching)
            seen.append(progress)
            if progress["phase"] == "write" and progress["done"] >= 200:
                request_cancel(watching.pk)
                cancel_sent.set()
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch_and_cancel)
    settings.KEHU_IMPORT_INLINE_ROWS = 10_000
    watcher.start()
    job = import_commit(job, world.cathy)
    watcher.join()
    assert job.status == "cancelled"
    assert not Customer.objects.filter(name__endswith="测试商店").exists()
    live = [p for p in seen if p["phase"] == "write" and 0 < p["done"] < p["total"]]
    assert live and live[-1]["total"] == 1500 and live[-1]["status"] == "running"


def test_a_job_whose_worker_died_is_marked_failed_once_its_heartbeat_is_stale(world, settings):
    import time

    from django.core.cache import cache

    from kehu.customers.imports import import_progress
    from kehu.customers.imports.progress import _key
    from kehu.customers.tests.import_helpers import checked, xlsx_bytes

    settings.KEHU_IMPORT_STALE_SECONDS = 60
    job = checked(world.cathy, xlsx_bytes([["名称"], ["长春朝阳区万福超市"]]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    job.refresh_from_db()
    beat = {"status": "running", "phase": "write", "done": 1, "total": 1, "at": time.time() - 30}
    cache.set(_key(job.pk, "progress"), beat)
    assert import_progress(job)["status"] == "running"  # alive: reported 30 s ago

    cache.set(_key(job.pk, "progress"), {**beat, "at": time.time() - 61})
    assert import_progress(job)["status"] == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "worker was stopped" in job.error
    assert not Customer.objects.filter(name="长春朝阳区万福超市").exists()
