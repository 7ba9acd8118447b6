"""Weekly visit plans: generate a rep's week, edit it (add, remove, move), submit, approve, return.

Decisions (docs/architecture.md, "Weekly plans and day routes"):
- Candidates come in priority order (due, overdue money, planned collection, behind plan, stale,
  prospect); each card appears once, under its highest reason. Only as many candidates as the
  week has slots (working days × visits a day, less visits already there) go to the solver, so a
  higher-priority card never loses its place to a lower one for lack of count.
- The week's routes from the solver are assigned to days, most stops to the day with most room;
  cards without a position are put on the least loaded day and shown as "no position".
- Reps may edit their plan in any state; an edit by the rep of an approved plan sends it back to
  submitted. Edits by the rep's manager keep the state. Every edit recomputes the day routes touched.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.accounts.scope import can_plan_visits, can_review_visit_plan
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_version
from kehu.customers.models import Customer, CustomerStatus
from kehu.field.cadence import due_by_q
from kehu.field.models import FieldProfile, PlanState, Visit, VisitPlan, VisitReason, VisitStatus
from kehu.field.selectors.plans import rep_is_visible
from kehu.field.services import routes
from kehu.sales.models import Collection, Order
from kehu.sales.models.receivables import CollectionStatus

WEEK_FULL = "week_full"
NO_DAYS = "no_days"


def unplanned_why(code: str) -> str:
    texts = {
        WEEK_FULL: _("No room left in the week (working days × visits a day)."),
        NO_DAYS: _("No working day left in this week."),
    }
    return texts.get(code) or routes.why_text(code)


def week_days(plan_or_start: VisitPlan | date) -> list[date]:
    start = plan_or_start.week_start if isinstance(plan_or_start, VisitPlan) else plan_or_start
    return [start + timedelta(days=i) for i in range(7)]


def check_week_start(week_start: date) -> date:
    if week_start.weekday() != 0:
        raise ValidationError({"week_start": [_("A week starts on a Monday.")]})
    return week_start


# --- access and versions ----------------------------------------------------------------------

def _may_plan(actor: Any, rep: User) -> None:
    if not rep_is_visible(actor, rep):
        raise NotFound
    if not can_plan_visits(actor, rep):
        raise Forbidden(_("You may not plan this rep's visits."))


def _check_version(plan: VisitPlan, version: Any) -> None:
    if version is None:
        raise ValidationError({"version": [_("Send the version you read.")]})
    if parse_version(version) != plan.version:
        raise VersionConflict(plan)


def _locked(plan: VisitPlan) -> VisitPlan:
    return VisitPlan.objects.select_for_update(of=("self",)).select_related("rep", "rep__org_unit").get(pk=plan.pk)


def _touch(plan: VisitPlan, *fields: str) -> None:
    plan.version += 1
    plan.updated_at = timezone.now()
    plan.save(update_fields=["version", "updated_at", *fields])


# --- generation -------------------------------------------------------------------------------

def _money_ids(cards: Any, on: date) -> list[int]:
    rows = (Order.objects.filter(customer__in=cards).overdue(on).values("customer_id")
            .annotate(total=Sum("open_amount")).order_by("-total", "customer_id"))
    return [r["customer_id"] for r in rows]


def _collection_ids(rep: User, start: date, end: date) -> list[int]:
    reachable = Customer.objects.visible_to(rep).in_daily_work()
    rows = (Collection.objects.filter(status=CollectionStatus.OPEN, due_on__range=(start, end), customer__in=reachable)
            .filter(Q(responsible=rep) | Q(customer__owner=rep)).order_by("due_on", "-amount", "id"))
    return list(dict.fromkeys(rows.values_list("customer_id", flat=True)))


def _behind_ids(actor: Any, rep: User, month: date) -> list[int]:
    from kehu.sales.selectors.plan_progress import plan_progress

    report = plan_progress(user=actor, month=month, group_by="customer", rep_id=rep.pk, behind_only=True, limit=500)
    return [row.key for row in report.rows if isinstance(row.key, int)]


def plan_candidates(*, actor: Any, rep: User, week_start: date) -> list[tuple[int, str]]:
    """(customer id, reason) in priority order, each card once under its highest reason."""
    end = week_start + timedelta(days=6)
    cards = Customer.objects.visible_to(actor).in_daily_work().filter(owner=rep)
    overrides = list(cards.exclude(visit_frequency_days=None).values_list("visit_frequency_days", flat=True).distinct())
    due = cards.filter(due_by_q(end, overrides)).order_by(F("last_visited_at").asc(nulls_first=True), "id")
    groups: list[tuple[str, list[int]]] = [
        (VisitReason.DUE, list(due.values_list("id", flat=True))),
        (VisitReason.MONEY, _money_ids(cards, max(week_start, timezone.localdate()))),
        (VisitReason.COLLECTION, _collection_ids(rep, week_start, end)),
        (VisitReason.BEHIND_PLAN, _behind_ids(actor, rep, week_start.replace(day=1))),
        (VisitReason.STALE, list(cards.stale().order_by("updated_at", "id").values_list("id", flat=True))),
        (VisitReason.PROSPECT, list(cards.filter(status__in=(CustomerStatus.PROSPECT, CustomerStatus.POTENTIAL))
                                    .order_by("id").values_list("id", flat=True))),
    ]
    seen: dict[int, str] = {}
    for reason, ids in groups:
        for pk in ids:
            seen.setdefault(pk, reason)
    return list(seen.items())


def _unplanned(customer: Customer, reason: str, why: str) -> dict[str, Any]:
    return {"customer": customer.pk, "code": customer.code, "name": customer.name, "reason": reason, "why": why}


SWAP_ROUNDS = 3


def _alone_fits(solved: routes.Solved, i: int, window: tuple[int, int], service: int, length: int) -> bool:
    """Whether stop i fits a day on its own (there and back from the base within hours and opening hours)."""
    arrive = max(solved.seconds[0][i], window[0])
    return arrive <= window[1] and arrive + service + solved.seconds[i][0] <= length


def _solve_week(profile: FieldProfile, placed: list[tuple[Customer, str]], days: list[date],
                room: dict[date, int]) -> tuple[routes.Solved, list[tuple[Customer, str]], list[tuple[Customer, str]]]:
    """Route the week; when time (not count) is short, make higher-priority stops win.

    `solve()` gives every stop the same prize, so it may keep two near low-priority stops instead of
    a far high-priority one. When a stop that would fit on its own is left out while a lower-priority
    one is served, the lowest-priority served stops are dropped and the week solved again (a few
    rounds at most). Returns the last solution, the stops it was given, and the stops dropped.
    """
    service, length = profile.service_minutes * 60, routes.day_length(profile)
    dropped: list[tuple[Customer, str]] = []
    for round_no in range(SWAP_ROUNDS + 1):
        windows = [routes.customer_window(c, profile) for c, _r in placed]
        solved = routes.solve_stops(
            base=routes.base_point(profile), points=[routes.position(c) for c, _r in placed],  # type: ignore[misc]
            windows=windows, service=service, length=length, vehicles=len(days),
            capacity=max(room[d] for d in days),
            time_limit=settings.KEHU_WEEK_PLAN_TIME_LIMIT / (1 if round_no == 0 else 2),
        )
        served = sorted(i for route in solved.routes for i in route[1:-1])
        wronged = [i for i in solved.unserved
                   if _alone_fits(solved, i, windows[i - 1], service, length) and served and i < served[-1]]
        if not wronged or round_no == SWAP_ROUNDS:
            return solved, placed, dropped
        # Indices follow priority (placed is in candidate order): drop the lowest-priority served stops.
        lowest = set([j for j in served if j > min(wronged)][-len(wronged):])
        dropped += [placed[i - 1] for i in sorted(lowest)]
        placed = [stop for n, stop in enumerate(placed, start=1) if n not in lowest]
    raise AssertionError  # unreachable: the last round returns


def _assign(profile: FieldProfile, chosen: list[tuple[Customer, str]],
            room: dict[date, int]) -> tuple[dict[date, list[tuple[Customer, str]]], list[dict[str, Any]]]:
    """Put the chosen cards on days: the solver's routes first, then cards without a position."""
    placed = [(c, r) for c, r in chosen if routes.position(c) is not None]
    loose = [(c, r) for c, r in chosen if routes.position(c) is None]
    days = sorted((d for d, n in room.items() if n > 0), key=lambda d: (-room[d], d))
    by_day: dict[date, list[tuple[Customer, str]]] = {d: [] for d in room}
    unplanned: list[dict[str, Any]] = []
    if placed and days:
        solved, placed, dropped = _solve_week(profile, placed, days, room)
        for day, route in zip(days, sorted(solved.routes, key=lambda r: -len(r)), strict=False):
            stops = [placed[i - 1] for i in route[1:-1]]
            by_day[day] += stops[: room[day]]
            loose += stops[room[day]:]  # a route longer than the day's room overflows to other days
        unplanned += [_unplanned(*placed[i - 1], routes.WHY_NO_TIME) for i in solved.unserved]
        unplanned += [_unplanned(c, r, routes.WHY_NO_TIME) for c, r in dropped]
    for customer, reason in sorted(loose, key=lambda cr: chosen.index(cr)):
        free = [d for d in room if room[d] - len(by_day[d]) > 0]
        if not free:
            unplanned.append(_unplanned(customer, reason, WEEK_FULL))
            continue
        by_day[min(free, key=lambda d: (len(by_day[d]), d))].append((customer, reason))
    return by_day, unplanned


@transaction.atomic
def visit_plan_generate(*, actor: Any, rep: User, week_start: date, version: Any = None,
                        request: HttpRequest | None = None) -> VisitPlan:
    """Fill the rep's week from the candidates; a draft is regenerated keeping touched and hand-added visits."""
    _may_plan(actor, rep)
    check_week_start(week_start)
    plan, created = VisitPlan.objects.get_or_create(rep=rep, week_start=week_start)
    plan = _locked(plan)
    if not created:
        if version is not None and parse_version(version) != plan.version:
            raise VersionConflict(plan)
        if plan.status != PlanState.DRAFT:
            raise ValidationError({"status": [_("Only a draft plan can be generated again; ask for it to be returned.")]})
    days = week_days(week_start)
    Visit.objects.filter(rep=rep, planned_on__in=days, plan=plan, status=VisitStatus.PLANNED).exclude(
        reason=VisitReason.MANUAL).delete()
    kept = Visit.objects.filter(rep=rep, planned_on__in=days).exclude(status=VisitStatus.CANCELLED)
    kept_per_day = Counter(kept.values_list("planned_on", flat=True))
    busy = set(kept.values_list("customer_id", flat=True))
    profile = FieldProfile.for_user(rep)
    today = timezone.localdate()
    room = {d: profile.max_visits_per_day - kept_per_day[d] for d in days
            if d.isoweekday() in profile.weekdays and d >= today}
    candidates = [(pk, r) for pk, r in plan_candidates(actor=actor, rep=rep, week_start=week_start) if pk not in busy]
    cards = Customer.objects.in_bulk([pk for pk, _r in candidates])
    ordered = [(cards[pk], r) for pk, r in candidates]
    slots = sum(max(0, n) for n in room.values())
    why_left = WEEK_FULL if room else NO_DAYS
    by_day, unplanned = _assign(profile, ordered[:slots], {d: max(0, n) for d, n in room.items()})
    unplanned += [_unplanned(c, r, why_left) for c, r in ordered[slots:]]
    Visit.objects.bulk_create([
        Visit(customer=c, rep=rep, plan=plan, planned_on=day, reason=r, created_by=actor)
        for day, stops in by_day.items() for c, r in stops
    ])
    plan.unplanned = unplanned
    plan.generated_at = timezone.now()
    _touch(plan, "unplanned", "generated_at")
    routes.day_routes_refresh(actor=actor, rep=rep, days={d for d in room}, request=request)
    audit_record(actor=actor, action=AuditAction.CREATE if created else AuditAction.UPDATE, obj=plan, request=request,
                 detail={"generated": sum(len(s) for s in by_day.values()), "unplanned": len(unplanned)})
    return plan


# --- editing ----------------------------------------------------------------------------------

def _edit_start(actor: Any, plan: VisitPlan, version: Any) -> VisitPlan:
    _may_plan(actor, plan.rep)
    plan = _locked(plan)
    _check_version(plan, version)
    return plan


def _edit_done(actor: Any, plan: VisitPlan, days: set[date], request: HttpRequest | None, detail: dict[str, Any]) -> VisitPlan:
    fields = []
    if plan.status == PlanState.APPROVED and not can_review_visit_plan(actor, plan.rep):
        plan.status, plan.submitted_at = PlanState.SUBMITTED, timezone.now()
        fields = ["status", "submitted_at"]
        detail["status"] = PlanState.SUBMITTED
    _touch(plan, *fields)
    routes.day_routes_refresh(actor=actor, rep=plan.rep, days=days, request=request)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=plan, request=request, detail=detail)
    return plan


def _day_in_week(plan: VisitPlan, day: Any, field: str = "day") -> date:
    if not isinstance(day, date) or day not in week_days(plan):
        raise ValidationError({field: [_("Pick a day of this plan's week.")]})
    return day


def _plan_visit(plan: VisitPlan, visit_id: Any) -> Visit:
    try:
        pk = int(str(visit_id))
    except ValueError:
        raise NotFound from None
    visit = Visit.objects.select_for_update().filter(pk=pk, plan=plan).first() if 0 < pk < 2**63 else None
    if visit is None:
        raise NotFound
    if visit.status != VisitStatus.PLANNED:
        raise ValidationError({"visit": [_("Only a visit that has not started can be changed in the plan.")]})
    return visit


@transaction.atomic
def visit_plan_add(*, actor: Any, plan: VisitPlan, customer_id: Any, day: date, version: Any,
                   request: HttpRequest | None = None) -> Visit:
    """Put one of the rep's visible cards on a day of the plan, by hand."""
    plan = _edit_start(actor, plan, version)
    day = _day_in_week(plan, day)
    try:
        pk = int(str(customer_id))
    except ValueError:
        pk = 0
    reachable = Customer.objects.visible_to(plan.rep).visible_to(actor).in_daily_work()
    customer = reachable.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if customer is None:
        raise ValidationError({"customer": [_("Pick one of the rep's customers.")]})
    if Visit.objects.filter(rep=plan.rep, customer=customer, planned_on=day).exclude(status=VisitStatus.CANCELLED).exists():
        raise ValidationError({"customer": [_("This customer is already planned on that day.")]})
    visit = Visit.objects.create(customer=customer, rep=plan.rep, plan=plan, planned_on=day,
                                 reason=VisitReason.MANUAL, created_by=actor)
    plan.unplanned = [u for u in plan.unplanned if u.get("customer") != customer.pk]
    plan.save(update_fields=["unplanned"])
    _edit_done(actor, plan, {day}, request, {"added": customer.pk, "day": day.isoformat()})
    return visit


@transaction.atomic
def visit_plan_remove(*, actor: Any, plan: VisitPlan, visit_id: Any, version: Any,
                      request: HttpRequest | None = None) -> VisitPlan:
    plan = _edit_start(actor, plan, version)
    visit = _plan_visit(plan, visit_id)
    day, customer = visit.planned_on, visit.customer_id
    visit.delete()
    return _edit_done(actor, plan, {day}, request, {"removed": customer, "day": day.isoformat()})


@transaction.atomic
def visit_plan_move(*, actor: Any, plan: VisitPlan, visit_id: Any, day: date, version: Any,
                    request: HttpRequest | None = None) -> VisitPlan:
    plan = _edit_start(actor, plan, version)
    visit = _plan_visit(plan, visit_id)
    day = _day_in_week(plan, day)
    before = visit.planned_on
    if day != before:
        if Visit.objects.filter(rep=plan.rep, customer_id=visit.customer_id, planned_on=day).exclude(
                status=VisitStatus.CANCELLED).exists():
            raise ValidationError({"day": [_("This customer is already planned on that day.")]})
        visit.planned_on, visit.sequence, visit.planned_arrival = day, None, None
        visit.version += 1
        visit.updated_at = timezone.now()
        visit.save(update_fields=["planned_on", "sequence", "planned_arrival", "version", "updated_at"])
    return _edit_done(actor, plan, {before, day}, request,
                      {"moved": visit.customer_id, "from": before.isoformat(), "to": day.isoformat()})


# --- review -----------------------------------------------------------------------------------

@transaction.atomic
def visit_plan_submit(*, actor: Any, plan: VisitPlan, version: Any, request: HttpRequest | None = None) -> VisitPlan:
    plan = _edit_start(actor, plan, version)
    if plan.status != PlanState.DRAFT:
        raise ValidationError({"status": [_("Only a draft plan can be submitted.")]})
    plan.status, plan.submitted_at = PlanState.SUBMITTED, timezone.now()
    _touch(plan, "status", "submitted_at")
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=plan, request=request, detail={"status": plan.status})
    return plan


def _review_start(actor: Any, plan: VisitPlan, version: Any) -> VisitPlan:
    if not rep_is_visible(actor, plan.rep):
        raise NotFound
    if not can_review_visit_plan(actor, plan.rep):
        raise Forbidden(_("Only the rep's manager may review this plan."))
    plan = _locked(plan)
    _check_version(plan, version)
    return plan


@transaction.atomic
def visit_plan_approve(*, actor: Any, plan: VisitPlan, version: Any, note: str = "",
                       request: HttpRequest | None = None) -> VisitPlan:
    plan = _review_start(actor, plan, version)
    if plan.status != PlanState.SUBMITTED:
        raise ValidationError({"status": [_("Only a submitted plan can be approved.")]})
    plan.status, plan.reviewed_by, plan.reviewed_at, plan.review_note = PlanState.APPROVED, actor, timezone.now(), note
    _touch(plan, "status", "reviewed_by", "reviewed_at", "review_note")
    audit_record(actor=actor, action=AuditAction.APPROVE, obj=plan, request=request, detail={"note": note})
    return plan


@transaction.atomic
def visit_plan_return(*, actor: Any, plan: VisitPlan, version: Any, note: str,
                      request: HttpRequest | None = None) -> VisitPlan:
    plan = _review_start(actor, plan, version)
    if plan.status not in (PlanState.SUBMITTED, PlanState.APPROVED):
        raise ValidationError({"status": [_("Only a submitted or approved plan can be returned.")]})
    if not note.strip():
        raise ValidationError({"note": [_("Say what should change.")]})
    plan.status, plan.reviewed_by, plan.reviewed_at, plan.review_note = PlanState.DRAFT, actor, timezone.now(), note.strip()
    _touch(plan, "status", "reviewed_by", "reviewed_at", "review_note")
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=plan, request=request,
                 detail={"status": PlanState.DRAFT, "note": plan.review_note})
    return plan
