"""Reads of weekly visit plans, day routes and field profiles for the asking user.

Every read starts from `visible_to(user)`: a rep the user may not see answers NotFound, the same
as a rep that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import F, QuerySet

from kehu.accounts.models import Role, User
from kehu.accounts.scope import users_visible_q
from kehu.core.errors import NotFound, parse_id
from kehu.field.models import DayRoute, PlanState, Visit, VisitPlan, VisitStatus


def visible_reps(*, user: Any) -> QuerySet[User]:
    """Users whose plans `user` may see (the rep themself, a manager's subtree, everyone for see-all roles)."""
    q = users_visible_q(user)
    users = User.objects.filter(is_active=True)
    return users if q is None else users.filter(q)


def field_reps(*, user: Any) -> QuerySet[User]:
    """The visible users who work in the field (reps and managers), by name: the rep pickers' choices."""
    return visible_reps(user=user).filter(role__in=(Role.REP, Role.MANAGER)).order_by("display_name", "username")


def rep_get(*, user: Any, rep_id: Any) -> User:
    """The rep with this id if `user` may see them; NotFound otherwise."""
    pk = parse_id(rep_id)
    q = users_visible_q(user)
    users = User.objects.select_related("org_unit")
    rep = (users if q is None else users.filter(q)).filter(pk=pk).first()
    if rep is None:
        raise NotFound
    return rep


def rep_is_visible(user: Any, rep: Any) -> bool:
    q = users_visible_q(user)
    return q is None or User.objects.filter(q).filter(pk=getattr(rep, "pk", rep)).exists()


def day_visits(*, user: Any, rep: Any, day: date) -> QuerySet[Visit]:
    """The rep's visits on `day` the user may see, not cancelled, in route order (unrouted last)."""
    return (
        Visit.objects.visible_to(user)
        .filter(rep=rep, planned_on=day)
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("customer")
        .order_by(F("sequence").asc(nulls_last=True), F("planned_arrival").asc(nulls_last=True), "id")
    )


def day_route_for(*, user: Any, rep: Any, day: date) -> tuple[DayRoute | None, list[Visit]]:
    """The rep's computed route for `day` (None if never computed) and that day's visits in stop order.

    Visits keep `sequence` (1, 2, …) and `planned_arrival` from the last computation; visits added
    since then (or that did not fit, see `DayRoute.unserved`) have no sequence and come last.
    Raises NotFound when the user may not see the rep.
    """
    if not rep_is_visible(user, rep):
        raise NotFound
    route = DayRoute.objects.visible_to(user).filter(rep=rep, day=day).first()
    return route, list(day_visits(user=user, rep=rep, day=day))


def plan_queryset(*, user: Any) -> QuerySet[VisitPlan]:
    return VisitPlan.objects.visible_to(user).select_related("rep", "rep__org_unit", "reviewed_by")


def plan_get(*, user: Any, plan_id: Any) -> VisitPlan:
    pk = parse_id(plan_id)
    plan = plan_queryset(user=user).filter(pk=pk).first()
    if plan is None:
        raise NotFound
    return plan


# --- pages ------------------------------------------------------------------------------------

def plan_list(*, user: Any, filters: dict[str, Any]) -> QuerySet[VisitPlan]:
    plans = plan_queryset(user=user)
    if filters.get("rep"):
        plans = plans.filter(rep_id=filters["rep"])
    if filters.get("week"):
        plans = plans.filter(week_start=filters["week"])
    if filters.get("status"):
        plans = plans.filter(status=filters["status"])
    return plans.order_by("-week_start", "rep__username")


def plans_awaiting_review(*, user: Any) -> list[VisitPlan]:
    """Submitted plans of the reps `user` leads (never the user's own)."""
    from kehu.accounts.scope import can_review_visit_plan

    rows = plan_queryset(user=user).filter(status=PlanState.SUBMITTED).exclude(rep=user).order_by("submitted_at")
    return [p for p in rows[:200] if can_review_visit_plan(user, p.rep)]


@dataclass
class WeekDay:
    day: date
    is_working: bool
    visits: list[Visit] = field(default_factory=list)
    route: DayRoute | None = None


def plan_week(*, user: Any, rep: User, week_start: date) -> tuple[VisitPlan | None, list[WeekDay]]:
    """The rep's plan for the week and its seven days, each with its visits in route order and its route."""
    if not rep_is_visible(user, rep):
        raise NotFound
    from kehu.field.models import FieldProfile

    plan = plan_queryset(user=user).filter(rep=rep, week_start=week_start).first()
    working = FieldProfile.for_user(rep).weekdays
    days = [WeekDay(week_start + timedelta(days=i), is_working=i + 1 in working) for i in range(7)]
    by_day = {d.day: d for d in days}
    visits = (Visit.objects.visible_to(user).filter(rep=rep, planned_on__range=(days[0].day, days[-1].day))
              .exclude(status=VisitStatus.CANCELLED).select_related("customer")
              .order_by("planned_on", F("sequence").asc(nulls_last=True), "id"))
    for visit in visits:
        by_day[visit.planned_on].visits.append(visit)
    for route in DayRoute.objects.visible_to(user).filter(rep=rep, day__in=list(by_day)):
        by_day[route.day].route = route
    # Monday to Friday always; the weekend only when worked or visited: a 5- or 7-column grid.
    weekend_used = any(d.is_working or d.visits for d in days[5:])
    return plan, days if weekend_used else days[:5]


def plan_customer_find(*, user: Any, rep: User, text: str) -> list[Any]:
    """Cards of the rep that `user` also sees, by exact code first, then by name; at most 10."""
    from kehu.customers.models import Customer

    text = text.strip()
    if not text:
        return []
    cards = Customer.objects.visible_to(rep).visible_to(user).in_daily_work()
    exact = list(cards.filter(code__iexact=text)[:1])
    return exact or list(cards.filter(name__icontains=text).order_by("name", "id")[:10])
