"""The credit review as a django-tasks task (run by `manage.py db_worker`), e.g. nightly."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django_tasks import task


@task()
def credit_review_daily(day: str | None = None) -> int:
    """Run `credit_review_run` for `day` (YYYY-MM-DD; default today); the number of open suggestions."""
    from kehu.sales.services.credit_review import credit_review_run

    return credit_review_run(today=date.fromisoformat(day) if day else timezone.localdate())
