"""The check's prepared rows, kept on disk for the commit.

Preparing a row (cell conversion with the fields' validators, geocoding, duplicate keys, pinyin) needs
no database and is most of an import's cost. The check writes every prepared batch to a spool file
beside the upload; the commit reads them back instead of preparing the file a second time, then does
everything that depends on the database as it is then (codes taken, cards to update, owners and org
units still active, duplicates against the base, the writes). The spool is used only when it was made
from the same file, the same mapping and the same custom-field definitions; otherwise the commit
prepares the file again, as it would without a spool. Memory stays flat: batches stream in and out.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kehu.customers.models import CustomField, ImportJob

if TYPE_CHECKING:
    from kehu.customers.imports.pipeline import Row

FORMAT = 1


def spool_path(job: ImportJob) -> Path:
    return Path(job.file.path + ".prepared")


def fingerprint(job: ImportJob, fields: list[CustomField]) -> str:
    """What the prepared rows depend on besides the database: the file, the mapping, the custom fields."""
    stat = os.stat(job.file.path)
    definition = {
        "format": FORMAT, "file": [job.file.name, stat.st_size, stat.st_mtime_ns], "mapping": job.mapping,
        "fields": [[f.key, f.field_type, f.choices, f.is_required, f.is_active] for f in fields],
    }
    return hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()


class SpoolWriter:
    def __init__(self, job: ImportJob, fields: list[CustomField]) -> None:
        self.path = spool_path(job)
        self.partial = self.path.with_suffix(".partial")
        self.handle: IO[bytes] | None = self.partial.open("wb")
        pickle.dump(fingerprint(job, fields), self.handle, protocol=pickle.HIGHEST_PROTOCOL)

    def add(self, rows: list[Row]) -> None:
        assert self.handle is not None
        pickle.dump(rows, self.handle, protocol=pickle.HIGHEST_PROTOCOL)

    def finish(self) -> None:
        """The check went through: the spool becomes visible to the commit (never a half-written one)."""
        assert self.handle is not None
        self.handle.close()
        self.handle = None
        self.partial.replace(self.path)

    def abandon(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        self.partial.unlink(missing_ok=True)


def spooled_batches(job: ImportJob, fields: list[CustomField]) -> Iterator[list[Row]] | None:
    """The check's prepared batches, or None when there is no spool that fits the job as it is now."""
    path = spool_path(job)
    try:
        handle = path.open("rb")
    except OSError:
        return None
    try:
        if pickle.load(handle) != fingerprint(job, fields):
            handle.close()
            return None
    except (OSError, EOFError, pickle.UnpicklingError, ValueError):
        handle.close()
        return None
    return _read(handle)


def _read(handle: IO[bytes]) -> Iterator[list[Row]]:
    with handle:
        while True:
            try:
                batch: Any = pickle.load(handle)
            except EOFError:
                return
            yield batch


def spool_discard(job: ImportJob) -> None:
    if job.file:
        try:
            spool_path(job).unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
