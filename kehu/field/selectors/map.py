"""Reads behind the map: customer markers, a rep's day route, sales by district.

Every read starts from `visible_to(user)`; the customer set is the customer list's own filter
(`kehu.customers.selectors.customer_list`), so the same query parameters give the same cards on
the list, the map and the API. Positions are served as stored (WGS-84); the browser shifts them
into the tile preset's datum (KehuMap.point in map.js, formulas in kehu/field/geo.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Avg, Count, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from kehu.customers.geocode import geocode
from kehu.customers.models import Customer, GeoPrecision
from kehu.field.cadence import visit_every_days
from kehu.field.models import DayRoute, FieldProfile, Visit
from kehu.field.selectors.plans import day_route_for, rep_get
from kehu.sales.models import CustomerMonth

# Cards plotted where they are; province-level positions are too coarse to be drawn as a customer.
PLOTTED_PRECISIONS = (GeoPrecision.EXACT, GeoPrecision.DISTRICT, GeoPrecision.CITY)
CUSTOMER_COLUMNS = ("id", "code", "name", "tier", "status", "overdue", "lat", "lng", "precision")
HEAT_MONTHS = 12
MAX_HEAT_MONTHS = 60
CENT = Decimal("0.01")


def _plain(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    # The list's queryset prefetches tags and joins owners for its table; the map reads columns only.
    return queryset.select_related(None).prefetch_related(None).order_by()


class _Cadence(NamedTuple):
    """The columns cadence.is_overdue reads, without building a Customer per row."""

    tier: str
    visit_frequency_days: int | None
    last_visited_at: Any


def _coordinate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class MapCustomers:
    """`rows` follow `CUSTOMER_COLUMNS` (arrays keep 10,000 cards small); `unplaced` have no usable position."""

    rows: list[list[Any]]
    unplaced: int

    @property
    def total(self) -> int:
        return len(self.rows) + self.unplaced

    def as_json(self) -> dict[str, Any]:
        return {
            "datum": "wgs84",
            "columns": list(CUSTOMER_COLUMNS),
            "rows": self.rows,
            "total": self.total,
            "plotted": len(self.rows),
            "unplaced": self.unplaced,
        }


def _overdue_after(today: date) -> Callable[[_Cadence], bool]:
    """cadence.is_overdue for many rows: the due date is before today ⇔ the last visit was before the
    start of (today − every) in local time; one cutoff per interval instead of a time-zone lookup a row
    (10,000 cards: 270 → 10 ms). test_map checks it against is_overdue itself."""
    cutoffs: dict[int, datetime] = {}

    def overdue(row: _Cadence) -> bool:
        if row.last_visited_at is None:
            return False  # never visited: due today, not overdue (next_visit_due)
        every = visit_every_days(row)
        if every not in cutoffs:
            cutoffs[every] = timezone.make_aware(datetime.combine(today - timedelta(days=every), time.min))
        return bool(row.last_visited_at < cutoffs[every])

    return overdue


def map_customers(*, queryset: QuerySet[Customer], today: date | None = None) -> MapCustomers:
    """Markers for a filtered `Customer.objects.visible_to(user)` queryset: one query, whatever its size."""
    is_overdue = _overdue_after(today or timezone.localdate())
    rows: list[list[Any]] = []
    unplaced = 0
    # Floats straight from the database: building 20,000 Decimals cost a third of the time (10k cards).
    cards = _plain(queryset).annotate(lat_f=Cast("lat", FloatField()), lng_f=Cast("lng", FloatField()))
    columns = (
        "id", "code", "name", "tier", "status", "lat_f", "lng_f", "geo_precision", "visit_frequency_days", "last_visited_at",
    )
    for pk, code, name, tier, status, lat, lng, precision, every, last in cards.values_list(*columns):
        if lat is None or lng is None or precision not in PLOTTED_PRECISIONS:
            unplaced += 1
            continue
        overdue = is_overdue(_Cadence(tier, every, last))
        rows.append([pk, code, name, tier, status, int(overdue), round(lat, 6), round(lng, 6), precision])
    rows.sort(key=lambda row: row[0])
    return MapCustomers(rows=rows, unplaced=unplaced)


def unplaced_customers(*, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """The cards of a filtered visible queryset the map cannot draw (no position, or only a province)."""
    drawable = Q(lat__isnull=False, lng__isnull=False, geo_precision__in=PLOTTED_PRECISIONS)
    return queryset.exclude(drawable)


# --- A rep's day route ------------------------------------------------------------------------


def _base_point(route: DayRoute | None, rep: Any) -> dict[str, Any] | None:
    """Where the day starts and ends: the route's start as computed, else the rep's profile base."""
    profile = FieldProfile.for_user(rep)
    if route is not None and route.start_lat is not None and route.start_lng is not None:
        return {"lat": float(route.start_lat), "lng": float(route.start_lng), "label": profile.base_label}
    if profile.has_base:
        return {"lat": float(profile.base_lat), "lng": float(profile.base_lng), "label": profile.base_label}
    return None


def _stop(number: int, visit: Visit) -> dict[str, Any]:
    customer = visit.customer
    placed = customer.lat is not None and customer.lng is not None and customer.geo_precision in PLOTTED_PRECISIONS
    return {
        "number": number,
        "visit": visit.pk,
        "sequence": visit.sequence,
        "status": visit.status,
        "planned_arrival": visit.planned_arrival.strftime("%H:%M") if visit.planned_arrival else None,
        "customer": {"id": customer.pk, "code": customer.code, "name": customer.name},
        "lat": _coordinate(customer.lat) if placed else None,
        "lng": _coordinate(customer.lng) if placed else None,
        "precision": customer.geo_precision,
    }


def map_route(*, user: Any, rep_id: Any, day: date) -> dict[str, Any]:
    """A rep's day: base point, stops in `Visit.sequence` order (unrouted last), totals. NotFound for a hidden rep."""
    rep = rep_get(user=user, rep_id=rep_id)
    route, visits = day_route_for(user=user, rep=rep, day=day)
    stops = [_stop(number, visit) for number, visit in enumerate(visits, start=1)]
    return {
        "datum": "wgs84",
        "rep": {"id": rep.pk, "name": str(rep)},
        "day": day.isoformat(),
        "computed": route is not None,
        "base": _base_point(route, rep),
        "travel_seconds": route.travel_seconds if route else None,
        "distance_m": route.distance_m if route else None,
        "stops": stops,
        "unplaced": sum(1 for stop in stops if stop["lat"] is None),
        "unserved": route.unserved if route else [],
    }


# --- Sales by district --------------------------------------------------------------------------


def heat_since(months: int, today: date | None = None) -> date:
    """The first day of the month `months - 1` months before this one (12 → the last twelve months)."""
    today = today or timezone.localdate()
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def _district_centroid(province: str, city: str, district: str) -> tuple[float, float] | None:
    found = geocode("", province=province, city=city, district=district)
    if found.lat is None or found.lng is None or found.ambiguous:
        return None
    return float(found.lat), float(found.lng)


def map_heat(*, user: Any, queryset: QuerySet[Customer], months: int = HEAT_MONTHS,
             today: date | None = None) -> dict[str, Any]:
    """Sales of the last `months` months per province/city/district of the visible, filtered cards.

    Each district sits at the average position of its positioned cards (cpca's centroid when none
    has one); `weight` is its sales over the largest district's (0–1]. Two queries.
    """
    since = heat_since(months, today)
    cards = _plain(queryset).values("pk")
    place = ("customer__province", "customer__city", "customer__district")
    sums = (
        CustomerMonth.objects.visible_to(user)
        .filter(customer__in=cards, month__gte=since)
        .values(*place)
        .annotate(sales=Sum("sales"), customers=Count("customer", distinct=True))
        .order_by(*place)
    )
    centres = {
        (row["province"], row["city"], row["district"]): (float(row["lat"]), float(row["lng"]))
        for row in _plain(queryset)
        .filter(lat__isnull=False, lng__isnull=False)
        .exclude(geo_precision=GeoPrecision.PROVINCE)
        .values("province", "city", "district")
        .annotate(lat=Avg("lat"), lng=Avg("lng"))
        .order_by()
    }
    rows, unlocated = [], Decimal("0.00")
    for row in sums:
        key = (row["customer__province"], row["customer__city"], row["customer__district"])
        sales = Decimal(row["sales"] or 0).quantize(CENT)  # SQLite sums lose the scale
        if sales <= 0:
            continue
        centre = centres.get(key) or (_district_centroid(*key) if any(key) else None)
        if centre is None:
            unlocated += sales
            continue
        rows.append({"province": key[0], "city": key[1], "district": key[2], "sales": sales,
                     "customers": row["customers"], "lat": round(centre[0], 6), "lng": round(centre[1], 6)})
    top = max((row["sales"] for row in rows), default=Decimal("0"))
    for row in rows:
        row["weight"] = round(float(row["sales"] / top), 4) if top else 0.0
        row["sales"] = str(row["sales"])
    rows.sort(key=lambda row: (-row["weight"], row["province"], row["city"], row["district"]))
    return {"datum": "wgs84", "since": since.isoformat(), "months": months, "rows": rows,
            "unlocated_sales": str(unlocated)}
