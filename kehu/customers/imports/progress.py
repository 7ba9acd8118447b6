"""Live progress and cancel requests through the shared cache (see settings.CACHES).

A worker writes its progress while it holds the import's write transaction: rows written to the
database there are invisible to other connections until the commit, and on SQLite nobody else can
write while it holds the lock. So progress and "please cancel" travel through the cache, which every
process shares (Redis or a file cache); the job row gets the final state after the transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

TIMEOUT = 24 * 3600
WRITE_EVERY = 0.5  # seconds between progress writes


def _key(job_id: int, what: str) -> str:
    return f"kehu:import:{job_id}:{what}"


class Progress:
    def __init__(
        self, job_id: int, *, status: str, phase: str, total: int, listener: Callable[[Progress], None] | None = None
    ) -> None:
        self.job_id, self.status, self.phase, self.total = job_id, status, phase, total
        self.listener = listener  # e.g. the command line's progress bar
        self.done = 0
        self._written = 0.0
        self.publish(force=True)

    def advance(self, done: int) -> None:
        self.done = done
        self.publish()
        if self.listener is not None:
            self.listener(self)

    def publish(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._written >= WRITE_EVERY:
            self._written = now
            state = {"status": self.status, "phase": self.phase, "done": self.done, "total": self.total,
                     "at": time.time()}  # the heartbeat: a worker that died stops refreshing it
            cache.set(_key(self.job_id, "progress"), state, TIMEOUT)

    def cancelled(self) -> bool:
        return cancel_requested(self.job_id)


def read_progress(job_id: int) -> dict[str, Any] | None:
    return cache.get(_key(job_id, "progress"))


def clear_progress(job_id: int) -> None:
    cache.delete_many([_key(job_id, "progress"), _key(job_id, "cancel")])


def request_cancel(job_id: int) -> None:
    cache.set(_key(job_id, "cancel"), True, TIMEOUT)


def cancel_requested(job_id: int) -> bool:
    return bool(cache.get(_key(job_id, "cancel")))
