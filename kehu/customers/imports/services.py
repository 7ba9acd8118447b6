"""The import's one write path: upload → configure → check (dry run) → commit, for web, API, task and CLI."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden
from kehu.customers.custom_fields import active_fields
from kehu.customers.imports.errors import ImportCancelled, ImportFileError
from kehu.customers.imports.pipeline import ImportRun, Outcome
from kehu.customers.imports.progress import Progress, clear_progress, read_progress, request_cancel
from kehu.customers.imports.reader import open_table
from kehu.customers.imports.spool import spool_discard
from kehu.customers.imports.targets import (
    CONTACT_KEYS,
    REQUIRED_FOR_CREATE,
    guess_mapping,
    header_signature,
    import_targets,
)
from kehu.customers.models import ImportJob, ImportMapping, ImportMode, OnError

log = logging.getLogger(__name__)
Status = ImportJob.Status
Listener = Callable[[Progress], None]
RUNNING_STATES = (Status.CHECKING, Status.QUEUED, Status.RUNNING)


def _require(user: User) -> None:
    if not scope.can_import(user):
        raise Forbidden(_("You may not import customer cards."))


def import_jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("created_by")
    if scope.can_restore(user):  # custodians and admins see every import
        return jobs
    if not scope.can_import(user):
        return jobs.none()
    return jobs.filter(created_by=user)


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


def import_upload(user: User, uploaded_file: Any) -> ImportJob:
    """Store the file and read its header and row count; nothing is stored for an unusable file."""
    _require(user)
    name = str(getattr(uploaded_file, "name", "") or "import")[-200:]
    job = ImportJob(created_by=user, original_name=name.rsplit("/", 1)[-1], language=_language())
    content = uploaded_file if isinstance(uploaded_file, File) else ContentFile(uploaded_file.read())
    job.file.save(job.original_name, content, save=False)
    try:
        table = open_table(job.file.path)
    except ImportFileError:
        job.file.delete(save=False)
        raise
    job.file_format, job.encoding = table.file_format, table.encoding
    job.headers, job.total_rows = table.headers, table.total_rows
    job.sample_rows = table.sample(5)
    fields = active_fields()
    remembered = ImportMapping.objects.filter(user=user, signature=header_signature(table.headers)).first()
    known = {t.key for t in import_targets(fields)}
    if remembered and set(remembered.mapping.values()) - {""} <= known:
        job.mapping = remembered.mapping
    else:
        job.mapping = guess_mapping(table.headers, fields)
    job.save()
    return job


def _own(job: ImportJob, user: User) -> None:
    _require(user)
    if not import_jobs_visible_to(user).filter(pk=job.pk).exists():
        raise Forbidden(_("You may not use this import."))


def import_configure(
    job: ImportJob, user: User, *, mapping: dict[Any, str], mode: str, on_error: str, import_duplicates: bool = False
) -> ImportJob:
    _own(job, user)
    if job.status in RUNNING_STATES or job.status == Status.DONE:
        raise ValidationError({"status": [_("This import can no longer be changed.")]})
    errors: dict[str, list[str]] = {}
    if mode not in ImportMode.values:
        errors["mode"] = [_("Choose create, update or upsert.")]
    if on_error not in OnError.values:
        errors["on_error"] = [_("Choose skip or stop.")]
    clean, mapping_errors = _clean_mapping(job, mapping, mode)
    if mapping_errors:
        errors["mapping"] = mapping_errors
    if errors:
        raise ValidationError(errors)
    job.mapping, job.mode, job.on_error = clean, mode, on_error
    job.import_duplicates = bool(import_duplicates)
    job.status = Status.CONFIGURED
    job.summary, job.problems, job.problem_count, job.duplicates = {}, [], 0, []
    job.updated_at = timezone.now()
    job.save()
    ImportMapping.objects.update_or_create(
        user=user, signature=header_signature(job.headers), defaults={"mapping": clean, "updated_at": job.updated_at}
    )
    return job


def _clean_mapping(job: ImportJob, mapping: dict[Any, str], mode: str) -> tuple[dict[str, str], list[str]]:
    known = {t.key: t.label for t in import_targets()}
    errors: list[str] = []
    clean: dict[str, str] = {}
    for raw_index, key in (mapping or {}).items():
        try:
            index = int(raw_index)
        except (TypeError, ValueError):
            errors.append(_("'%(value)s' is not a column number.") % {"value": raw_index})
            continue
        if not key:
            continue
        if not 0 <= index < len(job.headers):
            errors.append(_("There is no column %(index)d.") % {"index": index})
        elif key not in known:
            errors.append(_("'%(key)s' is not a field that can be imported.") % {"key": key})
        elif key in clean.values():
            errors.append(_("%(field)s is mapped to more than one column.") % {"field": known[key]})
        else:
            clean[str(index)] = key
    targets = set(clean.values())
    if mode in (ImportMode.CREATE, ImportMode.UPSERT):
        errors += [_("Map a column to %(field)s.") % {"field": known[k]} for k in sorted(REQUIRED_FOR_CREATE - targets)]
    if mode in (ImportMode.UPDATE, ImportMode.UPSERT) and "code" not in targets:
        errors.append(_("Map a column to %(field)s to update cards by their code.") % {"field": known["code"]})
    if targets & CONTACT_KEYS and "contact_name" not in targets:
        errors.append(_("Map a column to %(field)s to import contacts.") % {"field": known["contact_name"]})
    return clean, errors


def format_problem(problem: dict[str, Any]) -> str:
    """One problem as a line a person reads: "Row 1287, Credit limit: abc — 'abc' is not a number."."""
    column = problem.get("column") or problem.get("field") or ""
    if problem.get("value"):
        return _("Row %(row)d, %(column)s: %(value)s — %(message)s") % {**problem, "column": column}
    return _("Row %(row)d, %(column)s: %(message)s") % {**problem, "column": column}


def _inline(job: ImportJob) -> bool:
    return job.total_rows <= settings.KEHU_IMPORT_INLINE_ROWS


def import_check(job: ImportJob, user: User, *, inline: bool | None = None, listener: Listener | None = None) -> ImportJob:
    """Dry run. `inline` None: by size (KEHU_IMPORT_INLINE_ROWS); the command line always runs inline."""
    _own(job, user)
    if job.status not in (Status.CONFIGURED, Status.CHECKED, Status.FAILED, Status.CANCELLED):
        raise ValidationError({"status": [_("Choose the columns and options before checking.")]})
    clear_progress(job.pk)
    job.status, job.error, job.updated_at = Status.CHECKING, "", timezone.now()
    job.save(update_fields=["status", "error", "updated_at"])
    if _inline(job) if inline is None else inline:
        return run_check(job.pk, listener=listener)
    return _enqueue(job, "check")


def import_commit(job: ImportJob, user: User, *, inline: bool | None = None, listener: Listener | None = None) -> ImportJob:
    _own(job, user)
    if job.status != Status.CHECKED:
        raise ValidationError({"status": [_("Check the file before importing it.")]})
    if job.on_error == OnError.STOP and job.summary.get("errors"):
        raise ValidationError({"on_error": [
            _("%(count)d rows have problems and the import stops on errors: fix the file or skip those rows.")
            % {"count": job.summary["errors"]}
        ]})
    clear_progress(job.pk)
    if _inline(job) if inline is None else inline:
        job.status = Status.RUNNING
        job.save(update_fields=["status"])
        return run_commit(job.pk, listener=listener)
    job.status, job.updated_at = Status.QUEUED, timezone.now()
    job.save(update_fields=["status", "updated_at"])
    return _enqueue(job, "commit")


def _enqueue(job: ImportJob, action: str) -> ImportJob:
    from kehu.customers.tasks import run_import

    result = run_import.enqueue(job.pk, action)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)
    return job


def import_cancel(job: ImportJob, user: User) -> ImportJob:
    """A queued or checking job stops at once; a running write stops at its next batch and rolls back."""
    _own(job, user)
    if job.status not in RUNNING_STATES:
        raise ValidationError({"status": [_("Only a running import can be cancelled.")]})
    request_cancel(job.pk)
    if job.status == Status.QUEUED:
        # The worker has not started it: mark it now (the task sees the flag and does nothing).
        updated = ImportJob.objects.filter(pk=job.pk, status=Status.QUEUED).update(
            status=Status.CANCELLED, finished_at=timezone.now(), updated_at=timezone.now()
        )
        if updated:
            job.refresh_from_db()
    return job


def _reap_if_stalled(job: ImportJob, live: dict[str, Any] | None) -> bool:
    """A check or write whose worker died (killed, machine restarted) leaves its job "checking" or
    "running" with nobody working on it; the database rolled the write back. Once its heartbeat is
    older than KEHU_IMPORT_STALE_SECONDS the job is marked failed, so the user can check it again."""
    if job.status not in (Status.CHECKING, Status.RUNNING):
        return False
    last = live.get("at") if live else None
    if last is None:
        last = (job.started_at or job.updated_at).timestamp()
    if time.time() - last < settings.KEHU_IMPORT_STALE_SECONDS:
        return False
    error = _("The import stopped without finishing (its worker was stopped). Nothing was written; check it again.")
    try:
        stopped = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
            status=Status.FAILED, error=error, finished_at=timezone.now(), updated_at=timezone.now()
        )
    except DatabaseError:  # the database is busy (a live write holds SQLite's lock): it is not stalled
        return False
    if stopped:
        job.refresh_from_db()
        clear_progress(job.pk)
        spool_discard(job)
    return bool(stopped)


def import_progress(job: ImportJob) -> dict[str, Any]:
    live = read_progress(job.pk) if job.status in RUNNING_STATES else None
    if _reap_if_stalled(job, live):
        live = None
    if live:
        done, total = live["done"], live["total"] or job.total_rows
        status, phase = live["status"], live["phase"]
    else:
        finished = job.status in (Status.CHECKED, Status.DONE)
        done = total = job.total_rows
        done = done if finished else 0
        status = job.status
        phase = {Status.CHECKING: "check", Status.QUEUED: "write", Status.RUNNING: "write"}.get(job.status)
    percent = int(100 * done / total) if total else 0
    return {"status": status, "phase": phase, "done": done, "total": total, "percent": min(100, percent)}


# --- the work (inline or in the task worker) ---------------------------------------------------
def _run(job: ImportJob, *, write: bool, listener: Listener | None) -> Outcome:
    table = open_table(job.file.path)
    phase = "write" if write else "check"
    progress = Progress(job.pk, status=job.status, phase=phase, total=job.total_rows, listener=listener)
    return ImportRun(job, job.created_by, table, write=write, progress=progress).run()


def run_check(job_id: int, listener: Listener | None = None) -> ImportJob:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    job.started_at = timezone.now()
    with translation.override(job.language):
        try:
            outcome = _run(job, write=False, listener=listener)
        except ImportCancelled:
            return _finish(job, Status.CANCELLED)
        except ImportFileError as exc:
            return _finish(job, Status.FAILED, error=exc.message)
        except OSError:
            return _finish(job, Status.FAILED, error=_("The uploaded file is gone; upload it again."))
    job.summary, job.problems, job.problem_count = outcome.summary, outcome.problems, outcome.problem_count
    job.duplicates = outcome.duplicates
    return _finish(job, Status.CHECKED)


class _StopRequested(Exception):
    pass


def run_commit(job_id: int, listener: Listener | None = None) -> ImportJob:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == Status.CANCELLED:
        return job
    job.started_at = timezone.now()
    with translation.override(job.language):
        try:
            with transaction.atomic():
                outcome = _run(job, write=True, listener=listener)
                if outcome.stopped:
                    raise _StopRequested
                result = _result(outcome)
                audit_record(
                    actor=job.created_by, action=AuditAction.IMPORT, obj=job,
                    detail={"import": job.original_name, "mode": job.mode, **result},
                )
        except ImportCancelled:
            return _finish(job, Status.CANCELLED)
        except ImportFileError as exc:
            return _finish(job, Status.FAILED, error=exc.message)
        except _StopRequested:
            job.summary, job.problems, job.problem_count = outcome.summary, outcome.problems, outcome.problem_count
            job.result = {"created": 0, "updated": 0, "skipped": 0, "contacts": 0}
            return _finish(job, Status.FAILED, error=_("Nothing was imported: some rows have problems."))
        except Exception as exc:  # a database error rolls everything back; the user sees what failed
            log.exception("Import %s failed", job.pk)
            job.result = {"created": 0, "updated": 0, "skipped": 0, "contacts": 0}
            return _finish(job, Status.FAILED, error=_("Nothing was imported: %(error)s") % {"error": str(exc)[:500]})
    job.summary, job.problems, job.problem_count = outcome.summary, outcome.problems, outcome.problem_count
    job.duplicates, job.result = outcome.duplicates, result
    _refresh_statistics()
    return _finish(job, Status.DONE)


def _refresh_statistics() -> None:
    """SQLite has no autovacuum to notice that a table grew by 100,000 rows; without statistics its
    planner can pick a poor index for the list's filters. `PRAGMA optimize` runs ANALYZE only where
    it is worth it (cheap when nothing changed). PostgreSQL's autovacuum does this by itself."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


def _result(outcome: Outcome) -> dict[str, int]:
    c = outcome.counts
    return {
        "created": c["create"], "updated": c["update"], "unchanged": c["unchanged"],
        "skipped": c["skip"] + c["duplicate"], "contacts": outcome.contacts,
    }


def _finish(job: ImportJob, status: str, *, error: str = "") -> ImportJob:
    job.status, job.error = status, error
    job.finished_at = job.updated_at = timezone.now()
    job.save()
    clear_progress(job.pk)
    if status != Status.CHECKED:
        spool_discard(job)  # only a checked job's commit may reuse the prepared rows
    return job

