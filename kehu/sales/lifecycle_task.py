"""The daily lifecycle pass as a django-tasks task (run by `manage.py db_worker`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django_tasks import task


@task()
def lifecycle_daily(day: str | None = None) -> dict[str, Any]:
    """Run `lifecycle_run` for `day` (YYYY-MM-DD; default today in the company's time zone)."""
    from kehu.sales.services.lifecycle import lifecycle_run

    return lifecycle_run(today=date.fromisoformat(day) if day else timezone.localdate())
