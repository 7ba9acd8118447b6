"""Day routes: order a rep's planned visits of one day with the solver and write the stops back.

The route starts and ends at the rep's base (FieldProfile); without a base the day starts at the
first stop (the depot is "anywhere": zero travel to and from it). Times are seconds since the start
of the rep's working day. Visits without a position, or that cannot fit the working hours or the
customer's opening hours, are listed in `DayRoute.unserved` with why — never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.accounts.scope import can_plan_visits
from kehu.core.errors import Forbidden, NotFound
from kehu.field.models import DayRoute, FieldProfile, Visit, VisitStatus
from kehu.field.routing import solve
from kehu.field.routing.matrix import Point, travel_matrix
from kehu.field.selectors.plans import rep_is_visible

ROUTABLE = (VisitStatus.PLANNED, VisitStatus.CHECKED_IN, VisitStatus.CHECKED_OUT)
WHY_NO_POSITION = "no_position"
WHY_NO_TIME = "no_time"
REFRESH_TIME_LIMIT = 0.3  # seconds per day when a plan edit recomputes the days it touched


def why_text(code: str) -> str:
    texts = {
        WHY_NO_POSITION: _("The card has no position; put it on the map to route it."),
        WHY_NO_TIME: _("Does not fit the working hours or the customer's opening hours."),
    }
    return texts.get(code, code)


def seconds_of(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def day_length(profile: FieldProfile) -> int:
    return max(0, seconds_of(profile.day_ends_at) - seconds_of(profile.day_starts_at))


def customer_window(customer: Any, profile: FieldProfile) -> tuple[int, int]:
    """The card's opening hours as seconds since the rep's day start, clipped to the working day."""
    start, length = seconds_of(profile.day_starts_at), day_length(profile)
    opens = seconds_of(customer.opens_at) - start if customer.opens_at else 0
    closes = seconds_of(customer.closes_at) - start if customer.closes_at else length
    return max(0, opens), max(0, min(length, closes))


def position(customer: Any) -> Point | None:
    if customer.lat is None or customer.lng is None:
        return None
    return float(customer.lat), float(customer.lng)


def base_point(profile: FieldProfile) -> Point | None:
    return (float(profile.base_lat), float(profile.base_lng)) if profile.has_base else None  # type: ignore[arg-type]


@dataclass
class Solved:
    """One solver run over a depot and stops: the routes as indices into `points` (depot = 0)."""

    routes: list[list[int]]
    unserved: list[int]
    seconds: list[list[int]]
    metres: list[list[int]]
    source: str


def solve_stops(*, base: Point | None, points: list[Point], windows: list[tuple[int, int]], service: int,
                length: int, vehicles: int, capacity: int | None, time_limit: float) -> Solved:
    """Route `points` (index i+1 in the answer) from `base`; without a base the depot costs nothing."""
    if base is not None:
        matrix = travel_matrix([base, *points])
        seconds, metres = matrix.seconds, matrix.metres
    else:
        inner = travel_matrix(points)
        seconds = [[0] * (len(points) + 1)] + [[0, *row] for row in inner.seconds]
        metres = [[0] * (len(points) + 1)] + [[0, *row] for row in inner.metres]
        matrix = inner
    if not points:
        return Solved([], [], seconds, metres, matrix.source)
    result = solve(
        seconds, time_windows=[(0, length), *windows], service_times=[0] + [service] * len(points),
        vehicles=vehicles, demands=[0] + [1] * len(points), capacity=capacity, time_limit=time_limit,
    )
    return Solved(result.routes, result.unserved, seconds, metres, matrix.source)


def _arrivals(route: list[int], solved: Solved, windows: list[tuple[int, int]], service: int) -> list[int]:
    """Arrival (start of service) at each stop of `route`, waiting for a shop that is not open yet."""
    t, out = 0, []
    for a, b in pairwise(route[:-1]):
        t += solved.seconds[a][b]
        t = max(t, windows[b - 1][0])
        out.append(t)
        t += service
    return out


def _travel(route: list[int], solved: Solved) -> int:
    return sum(solved.seconds[a][b] for a, b in pairwise(route))


def _feasible(route: list[int], solved: Solved, windows: list[tuple[int, int]], service: int, length: int) -> bool:
    arrivals = _arrivals(route, solved, windows, service)
    if any(at > windows[stop - 1][1] for stop, at in zip(route[1:-1], arrivals, strict=True)):
        return False
    return not arrivals or arrivals[-1] + service + solved.seconds[route[-2]][route[-1]] <= length


def tidy(route: list[int], solved: Solved, windows: list[tuple[int, int]], service: int, length: int) -> list[int]:
    """Among orders with the same travel, prefer the one that reaches its stops earliest.

    The solver only minimises travel; out to the far end and back, several orders cost the same
    (near → far → middle as much as near → middle → far). Segment reversals that keep the travel
    and the windows but lower the sum of arrival times are applied until none is left.
    """
    best, travel = route, _travel(route, solved)
    score = sum(_arrivals(best, solved, windows, service))
    improved = True
    while improved:
        improved = False
        for i in range(1, len(best) - 2):
            for j in range(i + 1, len(best) - 1):
                candidate = best[:i] + best[i:j + 1][::-1] + best[j + 1:]
                if _travel(candidate, solved) > travel or not _feasible(candidate, solved, windows, service, length):
                    continue
                candidate_score = sum(_arrivals(candidate, solved, windows, service))
                if candidate_score < score:
                    best, score, travel, improved = candidate, candidate_score, _travel(candidate, solved), True
    return best


def _clock(day: date, profile: FieldProfile, offset: int) -> time:
    start = datetime.combine(day, profile.day_starts_at)
    return (start + timedelta(seconds=offset)).time().replace(microsecond=0)


def _check(actor: Any, rep: User) -> None:
    if not rep_is_visible(actor, rep):
        raise NotFound
    if not can_plan_visits(actor, rep):
        raise Forbidden(_("You may not plan this rep's visits."))


@transaction.atomic
def day_route_compute(*, actor: Any, rep: User, day: date, request: HttpRequest | None = None,
                      audit: bool = True, time_limit: float | None = None) -> DayRoute:
    """Order the rep's open visits of `day`; write `sequence`, `planned_arrival` and the DayRoute."""
    _check(actor, rep)
    profile = FieldProfile.for_user(rep)
    visits = list(
        Visit.objects.filter(rep=rep, planned_on=day, status__in=ROUTABLE).select_related("customer")
        .select_for_update(of=("self",)).order_by("id")
    )
    placed = [v for v in visits if position(v.customer) is not None]
    unserved = [{"visit": v.pk, "customer": v.customer_id, "why": WHY_NO_POSITION} for v in visits if v not in placed]
    windows = [customer_window(v.customer, profile) for v in placed]
    service = profile.service_minutes * 60
    solved = solve_stops(
        base=base_point(profile), points=[position(v.customer) for v in placed], windows=windows,  # type: ignore[misc]
        service=service, length=day_length(profile), vehicles=1, capacity=None,
        time_limit=settings.KEHU_ROUTE_TIME_LIMIT if time_limit is None else time_limit,
    )
    route = solved.routes[0] if solved.routes else [0, 0]
    route = tidy(route, solved, windows, service, day_length(profile))
    arrivals = _arrivals(route, solved, windows, service) if solved.routes else []
    served: dict[int, tuple[int, time]] = {}
    for n, (idx, at) in enumerate(zip(route[1:-1], arrivals, strict=True), start=1):
        served[placed[idx - 1].pk] = (n, _clock(day, profile, at))
    unserved += [{"visit": placed[i - 1].pk, "customer": placed[i - 1].customer_id, "why": WHY_NO_TIME}
                 for i in solved.unserved]
    now = timezone.now()
    for v in visits:
        v.sequence, v.planned_arrival = served.get(v.pk, (None, None))
        v.updated_at = now
    Visit.objects.bulk_update(visits, ["sequence", "planned_arrival", "updated_at"])
    # The base leg counts only when there is a base; without one the day starts at the first stop.
    legs = list(pairwise(route)) if solved.routes else []
    values = {
        "start_lat": profile.base_lat, "start_lng": profile.base_lng,
        "travel_seconds": sum(solved.seconds[a][b] for a, b in legs),
        "distance_m": sum(solved.metres[a][b] for a, b in legs),
        "service_seconds": service * len(served), "unserved": unserved, "source": solved.source,
        "computed_at": now,
    }
    day_route, _created = DayRoute.objects.update_or_create(rep=rep, day=day, defaults=values)
    if audit:
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=day_route, request=request,
                     detail={"stops": len(served), "unserved": len(unserved)})
    return day_route


def day_routes_refresh(*, actor: Any, rep: User, days: set[date], request: HttpRequest | None = None) -> None:
    """Recompute the routes of days whose visits changed (the plan's edits call this).

    A day of a dozen stops is solved to optimality well within REFRESH_TIME_LIMIT; the full
    KEHU_ROUTE_TIME_LIMIT is kept for the on-demand button, so that generating a week (five days)
    or moving a visit answers quickly.
    """
    limit = min(settings.KEHU_ROUTE_TIME_LIMIT, REFRESH_TIME_LIMIT)
    for day in sorted(days):
        day_route_compute(actor=actor, rep=rep, day=day, request=request, audit=False, time_limit=limit)
