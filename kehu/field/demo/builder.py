"""The field-work side of the demo, after the cards and sales: field profiles with a base in each
rep's city, exact positions for a third of the district-placed cards, three months of visits with
reports (a few far check-ins, a few unreturned from the last working day), `last_visited_at` from
that history, this week's plans with today's visits and their day routes, and a first run of the
territory suggester so the review page has suggestions. Bulk inserts throughout.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.demo.places import AREAS, Area
from kehu.customers.models import Customer, CustomerStatus, GeoPrecision
from kehu.field.demo.history import HistoryDrafter, dec, monday
from kehu.field.models import DayRoute, FieldProfile, Visit, VisitPlan, VisitStatus
from kehu.sales.demo.rows import rows_insert, sequences_reset

# Share of the district-placed cards that get an exact position: with the cards demo's own exact ones
# this makes ~45 % of all cards exact while district precision stays the most common (as after an
# import of addresses), which the cards demo's tests hold.
EXACT_SHARE = 0.35
JITTER_LAT, JITTER_LNG = 0.015, 0.018  # a shop within ~1.7 km of its district's centre, as the cards demo draws
# Cards the cards demo left stale (not updated for KEHU_STALE_DAYS) mostly stay unvisited: the
# neglected cards the weekly review and the route review's "due visits missed" are there to catch.
NEGLECTED_SHARE = 0.75


def _values_update(model: type[Any], rows: list[tuple[Any, ...]], columns: dict[str, str]) -> None:
    """UPDATE many rows by id from a VALUES list, in chunks (SQLite ≥ 3.33 and PostgreSQL).

    `columns` maps each column to its PostgreSQL type: VALUES parameters arrive there as text.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    sets = ", ".join(f"{quote(c)} = v.column{i + 2}" for i, c in enumerate(columns))
    if connection.vendor == "postgresql":
        row = "(" + ", ".join(["%s::bigint", *(f"%s::{t}" for t in columns.values())]) + ")"
    else:
        row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row] * len(chunk))}) AS v WHERE {table}.id = v.column1",
                [value for r in chunk for value in r],
            )


def _positions(rng: random.Random, cards: list[Customer]) -> int:
    """A share of the district-placed cards get an exact position near their district's centre."""
    rows = []
    for card in cards:
        if card.geo_precision != GeoPrecision.DISTRICT or card.lat is None or rng.random() >= EXACT_SHARE:
            continue
        card.lat = dec(float(card.lat) + rng.uniform(-JITTER_LAT, JITTER_LAT))
        card.lng = dec(float(card.lng) + rng.uniform(-JITTER_LNG, JITTER_LNG))
        card.geo_precision = GeoPrecision.EXACT
        rows.append((card.pk, str(card.lat), str(card.lng), str(GeoPrecision.EXACT)))
    _values_update(Customer, rows, {"lat": "numeric", "lng": "numeric", "geo_precision": "text"})
    return len(rows)


def _last_visited(last: dict[int, datetime]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    _values_update(Customer, [(pk, adapt(at)) for pk, at in last.items()], {"last_visited_at": "timestamptz"})


def _profiles(org: Any) -> dict[int, FieldProfile]:
    """Each rep starts the day at an office in the first district of their half of the city."""
    profiles = {}
    for area in AREAS:
        reps = org.reps(area)
        for n, rep in enumerate(reps):
            district = area.districts[n * len(area.districts) // len(reps)]
            profiles[rep.pk] = FieldProfile(
                user=rep, work_days="12345", day_starts_at=time(8, 30), day_ends_at=time(17, 30),
                base_label=f"{area.short}{district.name}办事处", base_lat=dec(district.lat), base_lng=dec(district.lng),
                service_minutes=20, max_visits_per_day=10,
            )
    FieldProfile.objects.bulk_create(profiles.values())
    return profiles


def _today_routes(org: Any, reps: list[tuple[Area, User]], drafts_today: dict[int, list[Customer]], today: Any) -> str:
    """Today's routes by the planner's own service when it is there; otherwise the drafted order stays."""
    try:
        from kehu.field.services.routes import day_route_compute
    except ImportError:
        return "nearest-neighbour"
    for area, rep in reps:
        if drafts_today.get(rep.pk):
            day_route_compute(actor=org.manager(area), rep=rep, day=today, audit=False)
    return "solver"


@transaction.atomic
def field_demo_build(*, org: Any, seed: int, now: datetime | None = None) -> dict[str, int]:
    from kehu.field.selectors.review import period_of
    from kehu.field.services.territory import territory_suggest

    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(f"kehu-field-demo-{seed}")
    profiles = _profiles(org)
    cards = list(Customer.objects.filter(org_unit__in=list(org.units.values()), archived_at__isnull=True).order_by("pk"))
    exact = _positions(rng, cards)
    by_owner: dict[int, list[Customer]] = defaultdict(list)
    stale_before = now - timedelta(days=settings.KEHU_STALE_DAYS)
    for card in cards:
        if card.lat is None or card.status == CustomerStatus.LOST:
            continue
        if card.updated_at < stale_before and rng.random() < NEGLECTED_SHARE:
            continue
        by_owner[card.owner_id].append(card)
    drafter = HistoryDrafter(rng, today, now)
    reps = [(area, rep) for area in AREAS for rep in org.reps(area)]
    for area, rep in reps:
        drafter.rep(rep, org.manager(area), profiles[rep.pk], by_owner.get(rep.pk, []))
    drafts = drafter.drafts
    VisitPlan.objects.bulk_create(drafts.plans)
    rows_insert(Visit, drafts.visits)
    rows_insert(DayRoute, drafts.routes)
    sequences_reset(Visit, DayRoute)
    _last_visited(drafts.last_visited)
    _today_routes(org, reps, drafts.today_picks, today)
    period = period_of(today)
    suggestions = territory_suggest(actor=org.users["director"], period_start=period.start, period_end=period.end)
    visits = drafts.visits
    return {
        "field profiles": len(profiles), "exact positions": exact, "visits": len(visits),
        "reported": sum(1 for v in visits if v.status == VisitStatus.DONE),
        "unreturned": sum(1 for v in visits if v.status in (VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT)),
        "far check-ins": sum(1 for v in visits if v.is_far),
        "today's visits": sum(1 for v in visits if v.planned_on == today),
        "week plans": len(drafts.plans), "day routes": DayRoute.objects.count(),
        "territory suggestions": len(suggestions),
        "this week's plans": VisitPlan.objects.filter(week_start=monday(today)).count(),
    }
