"""Reads of weekly visit plans, day routes and field profiles for the asking user.

Every read starts from `visible_to(user)`: a rep the user may not see answers NotFound, the same
as a rep that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, QuerySet

from kehu.accounts.models import User
from kehu.accounts.scope import users_visible_q
from kehu.core.errors import NotFound
from kehu.field.models import DayRoute, Visit, VisitPlan, VisitStatus


def _check_id(value: Any) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise NotFound from None
    if not 0 < pk < 2**63:  # out of the database's range: as missing
        raise NotFound
    return pk


def visible_reps(*, user: Any) -> QuerySet[User]:
    """Users whose plans `user` may see (the rep themself, a manager's subtree, everyone for see-all roles)."""
    q = users_visible_q(user)
    users = User.objects.filter(is_active=True)
    return users if q is None else users.filter(q)


def rep_get(*, user: Any, rep_id: Any) -> User:
    """The rep with this id if `user` may see them; NotFound otherwise."""
    pk = _check_id(rep_id)
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
    pk = _check_id(plan_id)
    plan = plan_queryset(user=user).filter(pk=pk).first()
    if plan is None:
        raise NotFound
    return plan
