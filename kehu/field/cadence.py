"""How often each card is visited: by tier (settings), overridden by the card's own "visit every"."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from kehu.customers.models import Tier

DEFAULT_DAYS = 30


def visit_every_days(customer: Any) -> int:
    """Days between visits for this card."""
    return customer.visit_frequency_days or settings.KEHU_VISIT_DAYS_BY_TIER.get(customer.tier, DEFAULT_DAYS)


def next_visit_due(customer: Any) -> date:
    """The day the next visit is due; a card never visited is due today."""
    if customer.last_visited_at is None:
        return timezone.localdate()
    return timezone.localtime(customer.last_visited_at).date() + timedelta(days=visit_every_days(customer))


def is_overdue(customer: Any, today: date | None = None) -> bool:
    return next_visit_due(customer) < (today or timezone.localdate())


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def due_by_q(day: date, overrides: list[int] | tuple[int, ...] = ()) -> Q:
    """Cards whose next visit is due on or before `day` (never-visited cards included).

    `overrides` are the distinct per-card "visit every" values among the cards asked about (the
    caller reads them once, e.g. `customers.exclude(visit_frequency_days=None).values_list(...)
    .distinct()`); a per-row date sum would not run the same on SQLite and PostgreSQL.
    """
    # Due on or before `day` ⇔ last visit before the start of (day − every + 1).
    q = Q(last_visited_at__isnull=True)
    for tier in Tier.values:
        every = settings.KEHU_VISIT_DAYS_BY_TIER.get(tier, DEFAULT_DAYS)
        q |= Q(visit_frequency_days__isnull=True, tier=tier, last_visited_at__lt=_start_of(day - timedelta(days=every - 1)))
    for every in set(overrides):
        q |= Q(visit_frequency_days=every, last_visited_at__lt=_start_of(day - timedelta(days=every - 1)))
    return q
