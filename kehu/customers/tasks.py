"""Background tasks of the customers app (django-tasks; run by `manage.py db_worker`, started by `make run`)."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from kehu.customers.models import ImportJob

log = logging.getLogger(__name__)


@task()
def run_import(job_id: int, action: str) -> str:
    """Check (`action="check"`) or commit (`"commit"`) a large import file; the job row says how it went."""
    from kehu.customers.imports.progress import cancel_requested
    from kehu.customers.imports.services import run_check, run_commit

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status == ImportJob.Status.CANCELLED:
        return "skipped"
    if cancel_requested(job_id):
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.CANCELLED, finished_at=timezone.now())
        return ImportJob.Status.CANCELLED
    if action == "commit":
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, updated_at=timezone.now())
    try:
        job = run_check(job_id) if action == "check" else run_commit(job_id)
    except Exception as exc:  # never leave a job "running" forever
        log.exception("Import task %s (%s) failed", job_id, action)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, error=str(exc)[:1000], finished_at=timezone.now()
        )
        raise
    return job.status
