"""The route review: per rep and period, working days, visits planned and done, due visits missed,
distance and time per day, customers per day, the share of time spent travelling.

Definitions (docs/architecture.md, "Route and territory review"):
- a *field day* is a day with at least one visit checked in or reported;
- *working days* are the days of the period (up to today) on the rep's profile working days;
- *planned* counts the period's non-cancelled visits, *done* the reported ones;
- *missed* counts the rep's cards that fell due in the period (by cadence, from their last reported
  visit before it) and had no reported visit in it;
- a field day's travel comes from its DayRoute; without one it is estimated from the check-in
  positions (the card's position when a check-in has none) in check-in order, from and back to the
  rep's base when the profile has one, as the straight line × road factor at the average speed;
- time at customers is check-in → check-out when both are known, else the profile's minutes a visit.

The number of queries is fixed: counts are aggregated in SQL, positions read in one query.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.accounts.scope import users_visible_q
from kehu.customers.models import Customer, CustomerStatus
from kehu.field.cadence import visit_every_days
from kehu.field.models import DayRoute, FieldProfile, Visit, VisitStatus
from kehu.field.routing.matrix import Point, haversine_m

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$", re.IGNORECASE)
FIELD_STATUSES = (VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT, VisitStatus.DONE)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str  # "2026-11" or "2026Q4"
    kind: str  # "month" or "quarter"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return period_of(self.start - timedelta(days=1), self.kind)

    def next(self) -> Period:
        return period_of(self.end + timedelta(days=1), self.kind)


def period_of(day: date, kind: str = "month") -> Period:
    if kind == "quarter":
        q = (day.month - 1) // 3
        start = date(day.year, 3 * q + 1, 1)
        end_month = 3 * q + 3
        end = date(day.year, end_month, calendar.monthrange(day.year, end_month)[1])
        return Period(start, end, f"{day.year}Q{q + 1}", "quarter")
    start = day.replace(day=1)
    end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return Period(start, end, f"{day:%Y-%m}", "month")


def period_parse(*, period: str = "", quarter: str = "", today: date | None = None) -> Period:
    """`period=2026-11` (a month) or `quarter=2026Q4`; the current month when both are empty."""
    today = today or timezone.localdate()
    if quarter:
        match = QUARTER_RE.match(quarter.strip())
        if not match or not 2000 <= int(match[1]) <= 2100:
            raise ValidationError({"quarter": [_("Write a quarter as YYYYQn, e.g. 2026Q4.")]})
        return period_of(date(int(match[1]), 3 * int(match[2]), 1), "quarter")
    if period:
        match = MONTH_RE.match(period.strip())
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
            raise ValidationError({"period": [_("Write a month as YYYY-MM, e.g. 2026-11.")]})
        return period_of(date(int(match[1]), int(match[2]), 1), "month")
    return period_of(today, "month")


@dataclass
class DayReview:
    day: date
    planned: int = 0
    done: int = 0
    customers: int = 0
    distance_m: int = 0
    travel_s: int = 0
    service_s: int = 0
    source: str = ""  # "route" (a DayRoute), "estimate", or "" when nobody went out

    @property
    def is_field_day(self) -> bool:
        return bool(self.source)

    @property
    def travel_share(self) -> float | None:
        total = self.travel_s + self.service_s
        return round(self.travel_s / total, 3) if total else None


@dataclass
class RepReview:
    rep: User
    working_days: int = 0
    field_days: int = 0
    planned: int = 0
    done: int = 0
    missed: int = 0
    customers: int = 0
    distance_m: int = 0
    travel_s: int = 0
    service_s: int = 0
    days: list[DayReview] = field(default_factory=list)

    def _per_day(self, value: float) -> float:
        return round(value / self.field_days, 1) if self.field_days else 0.0

    @property
    def km_per_day(self) -> float:
        return self._per_day(self.distance_m / 1000)

    @property
    def travel_minutes_per_day(self) -> float:
        return self._per_day(self.travel_s / 60)

    @property
    def service_minutes_per_day(self) -> float:
        return self._per_day(self.service_s / 60)

    @property
    def customers_per_day(self) -> float:
        return self._per_day(self.customers)

    @property
    def travel_share(self) -> float | None:
        total = self.travel_s + self.service_s
        return round(self.travel_s / total, 3) if total else None

    @property
    def done_share(self) -> float | None:
        return round(self.done / self.planned, 3) if self.planned else None


def reviewed_reps(*, user: Any, rep_ids: list[int] | None = None) -> QuerySet[User]:
    """The reps whose field work `user` may review: a manager's subtree, everyone for director/admin."""
    reps = User.objects.filter(role=Role.REP, is_active=True).select_related("org_unit")
    q = users_visible_q(user)
    if q is not None:
        reps = reps.filter(q)
    if rep_ids is not None:
        reps = reps.filter(pk__in=rep_ids)
    return reps.order_by("org_unit__path", "username")


def _metres_to_seconds(metres: float) -> int:
    return round(metres / (settings.KEHU_TRAVEL_SPEED_KMH * 1000 / 3600))


def _point(lat: Any, lng: Any) -> Point | None:
    return (float(lat), float(lng)) if lat is not None and lng is not None else None


def estimate_travel(stops: list[Point], base: Point | None) -> int:
    """Road metres of a day through `stops` in order, from and back to `base` when known."""
    path = [base, *stops, base] if base else stops
    straight = sum(haversine_m(a, b) for a, b in zip(path, path[1:], strict=False))
    return round(straight * settings.KEHU_ROAD_FACTOR)


def _visit_counts(rep_ids: list[int], period: Period) -> dict[tuple[int, date], dict[str, int]]:
    rows = (
        Visit.objects.filter(rep_id__in=rep_ids, planned_on__range=(period.start, period.end))
        .exclude(status=VisitStatus.CANCELLED)
        .values("rep_id", "planned_on")
        .annotate(
            planned=Count("id"),
            done=Count("id", filter=Q(status=VisitStatus.DONE)),
            customers=Count("customer_id", filter=Q(status=VisitStatus.DONE), distinct=True),
        )
        .order_by()
    )
    return {(r["rep_id"], r["planned_on"]): r for r in rows}


def _field_visits(rep_ids: list[int], period: Period) -> dict[tuple[int, date], list[dict[str, Any]]]:
    rows = (
        Visit.objects.filter(rep_id__in=rep_ids, planned_on__range=(period.start, period.end), status__in=FIELD_STATUSES)
        .values("rep_id", "planned_on", "checkin_at", "checkout_at", "checkin_lat", "checkin_lng",
                "customer__lat", "customer__lng", "status")
        .order_by("rep_id", "planned_on", "checkin_at", "sequence", "id")
    )
    out: dict[tuple[int, date], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[(row["rep_id"], row["planned_on"])].append(row)
    return out


def _day_review(day: date, counts: dict[str, int] | None, visits: list[dict[str, Any]], route: DayRoute | None,
                profile: FieldProfile) -> DayReview:
    review = DayReview(day=day)
    if counts:
        review.planned, review.done, review.customers = counts["planned"], counts["done"], counts["customers"]
    if not visits:
        return review
    default_service = profile.service_minutes * 60
    for row in visits:
        if row["status"] != VisitStatus.DONE:
            continue
        if row["checkin_at"] and row["checkout_at"] and row["checkout_at"] > row["checkin_at"]:
            review.service_s += int((row["checkout_at"] - row["checkin_at"]).total_seconds())
        else:
            review.service_s += default_service
    if route is not None:
        review.distance_m, review.travel_s, review.source = route.distance_m, route.travel_seconds, "route"
        return review
    stops = [p for p in (_point(r["checkin_lat"], r["checkin_lng"]) or _point(r["customer__lat"], r["customer__lng"])
                         for r in visits) if p]
    base = _point(profile.base_lat, profile.base_lng)
    review.distance_m = estimate_travel(stops, base) if stops else 0
    review.travel_s = _metres_to_seconds(review.distance_m)
    review.source = "estimate"
    return review


def _missed(rep_ids: list[int], period: Period, until: date) -> dict[int, int]:
    """Cards of each rep due in the period (up to `until`) with no reported visit in it."""
    done = Visit.objects.filter(customer=OuterRef("pk"), status=VisitStatus.DONE)
    cards = (
        Customer.objects.filter(owner_id__in=rep_ids, archived_at__isnull=True, created_at__date__lte=until)
        .exclude(status=CustomerStatus.LOST)
        .annotate(
            visited_in=Exists(done.filter(planned_on__range=(period.start, period.end))),
            last_before=Max("visits__planned_on", filter=Q(visits__status=VisitStatus.DONE,
                                                            visits__planned_on__lt=period.start)),
        )
        .filter(visited_in=False)
        .only("id", "owner_id", "tier", "visit_frequency_days")
    )
    out: dict[int, int] = defaultdict(int)
    for card in cards:
        due = card.last_before + timedelta(days=visit_every_days(card)) if card.last_before else period.start
        if due <= until:
            out[card.owner_id] += 1
    return out


def _working_days(profile: FieldProfile, start: date, until: date) -> int:
    weekdays = set(profile.weekdays)
    return sum(1 for n in range((until - start).days + 1) if (start + timedelta(days=n)).isoweekday() in weekdays)


def route_review(*, user: Any, period: Period, rep_ids: list[int] | None = None,
                 today: date | None = None) -> list[RepReview]:
    """One row per rep `user` may review, with the period's days (`days`) for the drill-down."""
    reps = list(reviewed_reps(user=user, rep_ids=rep_ids))
    if not reps:
        return []
    ids = [r.pk for r in reps]
    until = min(period.end, today or timezone.localdate())
    counts = _visit_counts(ids, period)
    visits = _field_visits(ids, period)
    routes = {(r.rep_id, r.day): r for r in DayRoute.objects.filter(rep_id__in=ids, day__range=(period.start, period.end))}
    profiles = {p.user_id: p for p in FieldProfile.objects.filter(user_id__in=ids)}
    missed = _missed(ids, period, until) if until >= period.start else {}
    out = []
    for rep in reps:
        profile = profiles.get(rep.pk) or FieldProfile(user=rep)
        row = RepReview(rep=rep, missed=missed.get(rep.pk, 0))
        row.working_days = _working_days(profile, period.start, until) if until >= period.start else 0
        for n in range(period.days):
            day = period.start + timedelta(days=n)
            key = (rep.pk, day)
            if key not in counts and key not in visits:
                continue
            review = _day_review(day, counts.get(key), visits.get(key, []), routes.get(key), profile)
            row.days.append(review)
            row.planned += review.planned
            row.done += review.done
            if review.is_field_day:
                row.field_days += 1
                row.customers += review.customers
                row.distance_m += review.distance_m
                row.travel_s += review.travel_s
                row.service_s += review.service_s
        out.append(row)
    return out
