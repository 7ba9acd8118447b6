"""Drafting a demo rep's three months of visits in memory: which cards each working day (due first,
then the nearest due ones), in nearest-neighbour order from the base, with check-in times and
positions, reports, a few far check-ins, cancellations and yesterday's unreturned visits."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.field.cadence import visit_every_days
from kehu.field.demo.texts import report
from kehu.field.models import (
    DayRoute,
    FieldProfile,
    PlanState,
    Visit,
    VisitOutcome,
    VisitPlan,
    VisitReason,
    VisitStatus,
)
from kehu.field.routing.matrix import Point, haversine_m

HISTORY_DAYS = 91
ROUTES_SINCE_DAYS = 42  # day routes exist for the last six weeks (older days are estimated by the review)
VISITS_A_DAY = (5, 8)
EARLY_DAYS = 2  # a card due within this many days may be visited with the day's others
CANCEL_SHARE = 0.03
FAR_SHARE = 0.03
SIX = Decimal("0.000001")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def point(card: Customer) -> Point:
    return (float(card.lat), float(card.lng))


def aware(day: date, seconds: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()) + timedelta(seconds=seconds))


def offset(p: Point, metres: float, rng: random.Random) -> Point:
    angle = rng.uniform(0, 2 * math.pi)
    d_lat = metres * math.cos(angle) / 111_195
    d_lng = metres * math.sin(angle) / (111_195 * math.cos(math.radians(p[0])))
    return (p[0] + d_lat, p[1] + d_lng)


def dec(value: float) -> Decimal:
    return Decimal(f"{value:.6f}").quantize(SIX)


@dataclass
class Drafts:
    plans: list[VisitPlan] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    routes: list[DayRoute] = field(default_factory=list)
    last_visited: dict[int, datetime] = field(default_factory=dict)
    today_picks: dict[int, list[Customer]] = field(default_factory=dict)


class HistoryDrafter:
    def __init__(self, rng: random.Random, today: date, now: datetime) -> None:
        self.rng, self.today, self.now = rng, today, now
        self.drafts = Drafts()
        self.speed = settings.KEHU_TRAVEL_SPEED_KMH * 1000 / 3600
        self.far = settings.KEHU_CHECKIN_FAR_METRES
        self.points: dict[int, Point] = {}
        self.teams_with_unreturned: set[int] = set()

    def _plan(self, plans: dict[date, VisitPlan], rep: User, manager: User, day: date) -> VisitPlan:
        week = monday(day)
        if week not in plans:
            made = timezone.make_aware(datetime.combine(week - timedelta(days=3), time(17)))
            plans[week] = VisitPlan(
                rep=rep, week_start=week, status=PlanState.APPROVED, generated_at=made, submitted_at=made,
                reviewed_by=manager, reviewed_at=made + timedelta(days=1), created_at=made, updated_at=made,
            )
            self.drafts.plans.append(plans[week])
        return plans[week]

    def _pick(self, day: date, cards: list[Customer], due: dict[int, date]) -> list[Customer]:
        ready = [c for c in cards if due[c.pk] <= day + timedelta(days=EARLY_DAYS)]
        if not ready:
            return []
        ready.sort(key=lambda c: (due[c.pk], c.pk))
        picks = [ready.pop(0)]
        wanted = self.rng.randint(*VISITS_A_DAY)
        points = self.points
        while ready and len(picks) < wanted:
            last = points[picks[-1].pk]
            nearest = min(range(len(ready)), key=lambda i: _flat_distance(last, points[ready[i].pk]))
            picks.append(ready.pop(nearest))
        return picks

    def order(self, base: Point, picks: list[Customer]) -> list[Customer]:
        """Nearest neighbour from the base: how a rep without the optimiser would drive."""
        left, out, here = list(picks), [], base
        while left:
            nxt = left.pop(min(range(len(left)), key=lambda i: _flat_distance(here, self.points[left[i].pk])))
            out.append(nxt)
            here = self.points[nxt.pk]
        return out

    def rep(self, rep: User, manager: User, profile: FieldProfile, cards: list[Customer]) -> None:
        """Draft the rep's history up to yesterday and pick today's cards."""
        rng = self.rng
        # Every manager finds something on the unreturned-visits page: the team's first rep always leaves some.
        first_of_team = manager.pk not in self.teams_with_unreturned
        self.teams_with_unreturned.add(manager.pk)
        base = (float(profile.base_lat), float(profile.base_lng))
        start = self.today - timedelta(days=HISTORY_DAYS)
        self.points.update((c.pk, point(c)) for c in cards)
        due = {c.pk: start + timedelta(days=rng.randint(0, min(visit_every_days(c), 60) - 1)) for c in cards}
        plans: dict[date, VisitPlan] = {}
        weekdays = set(profile.weekdays)
        last_day = max((start + timedelta(days=n) for n in range(HISTORY_DAYS)
                        if (start + timedelta(days=n)).isoweekday() in weekdays), default=None)
        for n in range(HISTORY_DAYS):
            day = start + timedelta(days=n)
            if day.isoweekday() not in weekdays:
                continue
            picks = self.order(base, self._pick(day, cards, due))
            if picks:
                self._day(rep, profile, base, day, picks, due, self._plan(plans, rep, manager, day),
                          unreturned=day == last_day and (first_of_team or rng.random() < 0.6))
        self._plan(plans, rep, manager, self.today)
        self.drafts.today_picks[rep.pk] = self.order(base, self._pick(self.today, cards, due))
        plan = plans[monday(self.today)]
        for seq, card in enumerate(self.drafts.today_picks[rep.pk], start=1):
            self.drafts.visits.append(Visit(
                customer_id=card.pk, rep_id=rep.pk, plan=plan, planned_on=self.today, sequence=seq,
                reason=VisitReason.DUE, created_by_id=rep.pk, created_at=plan.created_at, updated_at=plan.created_at,
            ))

    def _day(self, rep: User, profile: FieldProfile, base: Point, day: date, picks: list[Customer],
             due: dict[int, date], plan: VisitPlan, unreturned: bool) -> None:
        rng = self.rng
        clock = (profile.day_starts_at.hour * 60 + profile.day_starts_at.minute) * 60 + rng.randint(10, 40) * 60
        here, metres, visits = base, 0.0, []
        for seq, card in enumerate(picks, start=1):
            there = self.points[card.pk]
            leg = haversine_m(here, there) * settings.KEHU_ROAD_FACTOR
            metres += leg
            clock += round(leg / self.speed) + rng.randint(0, 6) * 60
            visit = Visit(customer_id=card.pk, rep_id=rep.pk, plan=plan, planned_on=day, sequence=seq,
                          reason=VisitReason.DUE, created_by_id=rep.pk, created_at=plan.created_at)
            if rng.random() < CANCEL_SHARE:
                visit.status, visit.updated_at = VisitStatus.CANCELLED, aware(day, clock)
                visits.append(visit)
                continue
            service = rng.randint(12, 40) * 60
            self._check_in(visit, there, day, clock, service)
            clock += service
            here = there
            visits.append(visit)
            due[card.pk] = day + timedelta(days=max(3, visit_every_days(card) + rng.randint(-2, 3)))
        metres += haversine_m(here, base) * settings.KEHU_ROAD_FACTOR
        if unreturned:
            open_ones = [v for v in visits if v.status == VisitStatus.DONE][-rng.randint(1, 2):]
            for n, visit in enumerate(open_ones):
                visit.status = VisitStatus.CHECKED_IN if n == len(open_ones) - 1 else VisitStatus.CHECKED_OUT
                if visit.status == VisitStatus.CHECKED_IN:
                    visit.checkout_at = visit.checkout_lat = visit.checkout_lng = visit.checkout_distance_m = None
                visit.purpose = visit.outcome = visit.summary = visit.next_steps = ""
                visit.orders_taken = visit.money_collected = Decimal(0)
                visit.reported_at, visit.version = None, 2
        for visit in visits:
            if visit.status == VisitStatus.DONE:
                prev = self.drafts.last_visited.get(visit.customer_id)
                if prev is None or visit.checkin_at > prev:
                    self.drafts.last_visited[visit.customer_id] = visit.checkin_at
        self.drafts.visits.extend(visits)
        if (self.today - day).days <= ROUTES_SINCE_DAYS:
            done = sum(1 for v in visits if v.status != VisitStatus.CANCELLED)
            self.drafts.routes.append(DayRoute(
                rep=rep, day=day, start_lat=profile.base_lat, start_lng=profile.base_lng,
                travel_seconds=round(metres / self.speed), distance_m=round(metres),
                service_seconds=done * profile.service_minutes * 60, source="haversine",
                computed_at=aware(day, 7 * 3600),
            ))

    def _check_in(self, visit: Visit, there: Point, day: date, clock: int, service: int) -> None:
        rng = self.rng
        far = rng.random() < FAR_SHARE
        spot = offset(there, rng.uniform(self.far + 150, 2500) if far else rng.uniform(5, 120), rng)
        distance = round(haversine_m(spot, there))
        visit.status = VisitStatus.DONE
        visit.checkin_at = aware(day, clock + rng.randint(0, 4) * 60)
        visit.checkin_lat, visit.checkin_lng = dec(spot[0]), dec(spot[1])
        visit.checkin_accuracy_m = rng.randint(5, 40)
        visit.checkin_distance_m, visit.is_far = distance, distance > self.far
        visit.checkout_at = visit.checkin_at + timedelta(seconds=service)
        visit.checkout_lat, visit.checkout_lng = visit.checkin_lat, visit.checkin_lng
        visit.checkout_distance_m = distance
        visit.purpose, visit.outcome, visit.summary, visit.next_steps = report(rng)
        if visit.outcome == VisitOutcome.ORDERED:
            visit.orders_taken = Decimal(rng.randint(3, 60) * 100)
        elif visit.outcome == VisitOutcome.COLLECTED:
            visit.money_collected = Decimal(rng.randint(5, 80) * 100)
        visit.reported_at = visit.checkout_at + timedelta(minutes=rng.randint(2, 90))
        visit.updated_at, visit.version = visit.reported_at, 3


def _flat_distance(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], (a[1] - b[1]) * 0.77)  # cos(40°): good enough to rank neighbours


