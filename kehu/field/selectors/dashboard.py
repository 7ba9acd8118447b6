"""The field numbers on the home dashboard: today's visits, the team's unreturned ones, handovers to acknowledge."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.field.models import UNRETURNED, Visit, VisitStatus
from kehu.field.selectors.handover import handovers_awaiting


def field_numbers(user: Any) -> dict[str, int | None]:
    """None for a number the user has no use for (the tile is not shown)."""
    today = timezone.localdate()
    numbers: dict[str, int | None] = {"today_visits": None, "today_reported": None, "unreturned": None, "to_acknowledge": None}
    if scope.works_in_field(user):
        counts = Visit.objects.visible_to(user).filter(rep=user, planned_on=today).exclude(
            status=VisitStatus.CANCELLED).aggregate(all=Count("id"), done=Count("id", filter=Q(status=VisitStatus.DONE)))
        numbers["today_visits"], numbers["today_reported"] = counts["all"], counts["done"]
        numbers["to_acknowledge"] = handovers_awaiting(user=user).count()
    if scope.can_review_field_work(user):
        team = Visit.objects.visible_to(user).filter(status__in=UNRETURNED)
        reps_q = scope.users_visible_q(user)
        if reps_q is not None:
            team = team.filter(rep__in=User.objects.filter(reps_q).values("pk"))
        numbers["unreturned"] = team.count()
    return numbers
