"""`kehu sales_daily`: the once-a-day sales housekeeping (run it from cron or a systemd timer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kehu.sales.services.collections import collection_reminders_send
from kehu.sales.services.credit_review import credit_review_run
from kehu.sales.services.lifecycle import lifecycle_run


class Command(BaseCommand):
    help = "Move customers between lifecycle states, send collection reminders, refresh credit suggestions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, default=None, help="Run as of this day (YYYY-MM-DD).")

    def handle(self, *args: Any, date: date | None, **options: Any) -> None:
        today = date or timezone.localdate()
        lifecycle = lifecycle_run(today=today)
        reminders = collection_reminders_send(today=today)
        suggestions = credit_review_run(today=today)
        self.stdout.write(f"{today}: lifecycle {lifecycle}; reminders sent: {reminders}; credit suggestions: {suggestions}")
