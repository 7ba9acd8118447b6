"""Reads of the rep's day ("carry only today's cards"), the visit pack, unreturned visits and the card's
Visits tab — always for the asking user, starting from `Visit.objects.visible_to(user)`.

The day is closed: a visit is reachable from the day pages only when it is the user's own visit on
the day shown (today, or tomorrow to prepare) or one of their earlier visits still not handed back.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.core.errors import NotFound, parse_id
from kehu.customers.models import Contact, Customer
from kehu.customers.search import normalise_query
from kehu.customers.selectors import contact_mask, customer_mask
from kehu.field.models import UNRETURNED, DayRoute, Visit, VisitStatus
from kehu.field.selectors.plans import day_route_for
from kehu.sales.models import CustomerMonth, SalesPlan
from kehu.sales.selectors.plan_progress import month_days, share_percent
from kehu.sales.selectors.receivables import ageing_of, bucket_sums, open_receivables

CARD_VISITS = 50
UNRETURNED_LIMIT = 500


def visit_queryset(*, user: Any) -> QuerySet[Visit]:
    return Visit.objects.visible_to(user).select_related("customer", "rep")


def visit_get(*, user: Any, visit_id: Any) -> Visit:
    visit = visit_queryset(user=user).filter(pk=parse_id(visit_id)).first()
    if visit is None:
        raise NotFound
    return visit


def day_choices(today: date | None = None) -> tuple[date, date]:
    """The days the day page shows: today and tomorrow (to prepare)."""
    today = today or timezone.localdate()
    return today, today + timedelta(days=1)


def day_from(value: str | None) -> date:
    """`?day=YYYY-MM-DD`: today when absent; only today or tomorrow, anything else is not found."""
    today, tomorrow = day_choices()
    if not value:
        return today
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        raise NotFound from None
    if day not in (today, tomorrow):
        raise NotFound
    return day


def carried_visits(*, user: Any, before: date) -> QuerySet[Visit]:
    """The user's own visits of earlier days still not handed back (checked in, no report)."""
    return (
        Visit.objects.visible_to(user).filter(rep=user, planned_on__lt=before, status__in=UNRETURNED)
        .select_related("customer").order_by("planned_on", "id")
    )


def _day_scope(user: Any) -> QuerySet[Visit]:
    """What the day pages may reach: the user's visits of today and tomorrow, and earlier ones still carried."""
    today, tomorrow = day_choices()
    return Visit.objects.visible_to(user).filter(
        Q(rep=user, planned_on__in=(today, tomorrow)) | Q(rep=user, planned_on__lt=today, status__in=UNRETURNED)
    ).exclude(status=VisitStatus.CANCELLED)


def day_visit_get(*, user: Any, visit_id: Any) -> Visit:
    """One visit of the user's day (or still carried); any other visit is not found, even a visible one."""
    visit = _day_scope(user).select_related("customer", "rep").filter(pk=parse_id(visit_id)).first()
    if visit is None:
        raise NotFound
    return visit


@dataclass
class PlanBrief:
    month: date
    planned: Decimal
    actual: Decimal
    expected: Decimal
    attainment: Decimal | None
    is_behind: bool


@dataclass
class RouteMap:
    """A static drawing of the day's stops: coordinates already projected into a `width` × `height` box."""

    width: int
    height: int
    start: tuple[float, float] | None
    stops: list[tuple[int, float, float]]  # (number, x, y)
    line: str  # SVG polyline points


@dataclass
class Day:
    day: date
    route: DayRoute | None
    visits: list[Visit]
    carried: list[Visit] = field(default_factory=list)
    map: RouteMap | None = None

    @property
    def all_visits(self) -> list[Visit]:
        return [*self.carried, *self.visits]

    @property
    def route_km(self) -> Decimal | None:
        return (Decimal(self.route.distance_m) / 1000).quantize(Decimal("0.1")) if self.route else None

    @property
    def travel_minutes(self) -> int | None:
        return round(self.route.travel_seconds / 60) if self.route else None

    @property
    def done(self) -> int:
        return sum(1 for v in self.visits if v.status == VisitStatus.DONE)


def _plans(user: Any, ids: list[int], today: date) -> dict[int, PlanBrief]:
    month = today.replace(day=1)
    e, d = today.day, month_days(month)
    planned = dict(
        SalesPlan.objects.visible_to(user).filter(customer_id__in=ids, month=month)
        .values_list("customer_id", "total_amount")
    )
    actual = dict(
        CustomerMonth.objects.visible_to(user).filter(customer_id__in=ids, month=month)
        .values("customer_id").annotate(s=Sum("sales")).values_list("customer_id", "s")
    )
    out = {}
    for cid in set(planned) | set(actual):
        pa = Decimal(planned.get(cid) or 0).quantize(Decimal("0.01"))
        aa = Decimal(str(actual.get(cid) or 0)).quantize(Decimal("0.01"))
        expected = (pa * e / d).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        out[cid] = PlanBrief(month, pa, aa, expected, share_percent(aa, pa), pa > 0 and aa * d < pa * e)
    return out


def _receivables(user: Any, ids: list[int], today: date) -> dict[int, dict[str, Decimal]]:
    rows = (
        open_receivables(user=user).filter(customer_id__in=ids).order_by()
        .values("customer_id").annotate(**bucket_sums(today))
    )
    out = {}
    for row in rows:
        ageing = ageing_of(row)
        out[row["customer_id"]] = {"open": ageing["total"], "overdue": ageing["total"] - ageing["current"]}
    return out


def _last_visits(user: Any, visits: list[Visit]) -> dict[int, Visit]:
    ids = {v.customer_id for v in visits}
    exclude = [v.pk for v in visits]
    rows = (
        Visit.objects.visible_to(user).filter(customer_id__in=ids, status=VisitStatus.DONE).exclude(pk__in=exclude)
        .select_related("rep").order_by("customer_id", F("reported_at").desc(nulls_last=True), "-id")
    )
    out: dict[int, Visit] = {}
    for row in rows.iterator(chunk_size=200):
        out.setdefault(row.customer_id, row)
        if len(out) == len(ids):
            break
    return out


def attach_briefs(*, user: Any, visits: list[Visit], today: date | None = None) -> list[Visit]:
    """Each visit's card essentials for the day: contacts, receivables, this month's plan, last visit.

    A fixed number of queries however many visits; masked for whoever may not see sensitive fields.
    """
    today = today or timezone.localdate()
    ids = sorted({v.customer_id for v in visits})
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.visible_to(user).filter(customer_id__in=ids).order_by("-is_primary", "name", "id"):
        contacts[contact.customer_id].append(contact)
    money = _receivables(user, ids, today)
    plans = _plans(user, ids, today)
    last = _last_visits(user, visits)
    zero = {"open": Decimal("0.00"), "overdue": Decimal("0.00")}
    for visit in visits:
        customer: Customer = visit.customer
        sensitive = scope.can_see_sensitive(user, customer)
        if not sensitive and not getattr(customer, "is_masked", False):
            customer_mask(customer)
        visit.contacts = [c if sensitive else contact_mask(c) for c in contacts.get(customer.pk, [])]
        visit.money = money.get(customer.pk, zero)
        visit.plan_brief = plans.get(customer.pk)
        visit.last_visit = last.get(customer.pk)
    return visits


def route_map(visits: list[Visit], route: DayRoute | None, width: int = 520, height: int = 300) -> RouteMap | None:
    """Project the stops (equirectangular around their mean latitude) into an SVG box; None without positions."""
    stops = [(i, float(v.customer.lat), float(v.customer.lng)) for i, v in enumerate(visits, 1)
             if v.customer.lat is not None and v.customer.lng is not None]
    start = None
    if route is not None and route.start_lat is not None and route.start_lng is not None:
        start = (float(route.start_lat), float(route.start_lng))
    points = [(lat, lng) for _n, lat, lng in stops] + ([start] if start else [])
    if not stops:
        return None
    mean_lat = math.radians(sum(p[0] for p in points) / len(points))
    xs = [p[1] * math.cos(mean_lat) for p in points]
    ys = [p[0] for p in points]
    pad = 24
    scale = min((width - 2 * pad) / max(max(xs) - min(xs), 1e-4), (height - 2 * pad) / max(max(ys) - min(ys), 1e-4))
    # Centre the drawing: a single stop (or stops in a line) sits in the middle, not in a corner.
    mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def project(lat: float, lng: float) -> tuple[float, float]:
        x = width / 2 + (lng * math.cos(mean_lat) - mid_x) * scale
        y = height / 2 - (lat - mid_y) * scale
        return round(x, 1), round(y, 1)

    drawn = [(n, *project(lat, lng)) for n, lat, lng in stops]
    start_xy = project(*start) if start else None
    path = ([start_xy] if start_xy else []) + [(x, y) for _n, x, y in drawn] + ([start_xy] if start_xy else [])
    return RouteMap(width, height, start_xy, drawn, " ".join(f"{x},{y}" for x, y in path))


def rep_day(*, user: Any, day: date | None = None, briefs: bool = True) -> Day:
    """The user's day: the route (if computed), the day's visits in stop order, earlier visits still carried."""
    today = timezone.localdate()
    day = day or today
    route, visits = day_route_for(user=user, rep=user, day=day)
    carried = list(carried_visits(user=user, before=today))
    result = Day(day=day, route=route, visits=visits, carried=carried, map=route_map(visits, route))
    if briefs:
        attach_briefs(user=user, visits=result.all_visits, today=today)
    return result


def visitable_cards(*, user: Any, q: str = "", limit: int = 20) -> list[Customer]:
    """The user's own visible cards for an ad-hoc visit, found by name, code or pinyin (never a browse)."""
    text = normalise_query(q[:60])
    if not text:
        return []
    rows = Customer.objects.visible_to(user).filter(archived_at__isnull=True, search_text__contains=text)
    return list(rows.order_by("name", "id")[:limit])


@dataclass
class RepUnreturned:
    rep: User
    unreturned: list[Visit]
    not_started: list[Visit]


def unreturned_by_rep(*, user: Any, now: Any = None) -> list[RepUnreturned]:
    """For reviewers: each visible rep's visits checked in but not reported, and past planned visits never started."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    reps_q = scope.users_visible_q(user)
    rows = Visit.objects.visible_to(user).filter(
        Q(status__in=UNRETURNED) | Q(status=VisitStatus.PLANNED, planned_on__lt=today)
    )
    if reps_q is not None:
        rows = rows.filter(rep__in=User.objects.filter(reps_q).values("pk"))
    grouped: dict[int, RepUnreturned] = {}
    for visit in rows.select_related("customer", "rep").order_by("rep__username", "planned_on", "id")[:UNRETURNED_LIMIT]:
        group = grouped.setdefault(visit.rep_id, RepUnreturned(visit.rep, [], []))
        if visit.status == VisitStatus.PLANNED:
            visit.days_late = (today - visit.planned_on).days
            group.not_started.append(visit)
        else:
            visit.age_hours = int((now - visit.checkin_at).total_seconds() // 3600) if visit.checkin_at else None
            group.unreturned.append(visit)
    return list(grouped.values())


def card_visits(*, user: Any, customer: Customer, limit: int = CARD_VISITS) -> list[Visit]:
    """The card's visits the user may see, newest first."""
    return list(
        Visit.objects.visible_to(user).filter(customer=customer).select_related("rep")
        .order_by("-planned_on", "-id")[:limit]
    )
