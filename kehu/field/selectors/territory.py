"""Reads of territory suggestions and of the review map's data, for the asking user (visible_to)."""

from __future__ import annotations

import statistics
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kehu.core.errors import NotFound
from kehu.customers.models import Customer, CustomerStatus
from kehu.field.models import SuggestionState, TerritorySuggestion
from kehu.field.selectors.review import reviewed_reps

# Enough colours to tell an area's reps apart on the map; they repeat after that.
REP_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22")


def suggestion_queryset(*, user: Any) -> QuerySet[TerritorySuggestion]:
    return TerritorySuggestion.objects.visible_to(user).select_related(
        "customer", "from_rep__org_unit", "to_rep__org_unit", "decided_by"
    )


def suggestion_list(*, user: Any, status: str = "", period_start: date | None = None,
                    period_end: date | None = None) -> QuerySet[TerritorySuggestion]:
    """`status` one of SuggestionState (or "" for all); the period filter matches suggestions made for it."""
    if status and status not in SuggestionState.values:
        raise ValidationError({"status": [_("Choose proposed, accepted, rejected or outdated.")]})
    rows = suggestion_queryset(user=user)
    if status:
        rows = rows.filter(status=status)
    if period_start:
        rows = rows.filter(period_start=period_start)
    if period_end:
        rows = rows.filter(period_end=period_end)
    return rows.order_by("travel_change_s", "id")


def suggestion_get(*, user: Any, suggestion_id: int) -> TerritorySuggestion:
    suggestion = suggestion_queryset(user=user).filter(pk=suggestion_id).first()
    if suggestion is None:
        raise NotFound
    return suggestion


def territory_cards(*, user: Any, rep_ids: list[int]) -> QuerySet[Customer]:
    """The positioned, live cards of these reps that `user` may see (the suggester's and map's input)."""
    return (
        Customer.objects.visible_to(user)
        .filter(owner_id__in=rep_ids, archived_at__isnull=True, lat__isnull=False, lng__isnull=False)
        .exclude(status=CustomerStatus.LOST)
    )


def review_map_data(*, user: Any, suggestions: list[TerritorySuggestion]) -> dict[str, Any]:
    """JSON for the review map: reps with a colour and centre, their cards, lines for suggested moves."""
    reps = list(reviewed_reps(user=user))
    colours = {rep.pk: REP_COLOURS[i % len(REP_COLOURS)] for i, rep in enumerate(reps)}
    cards = [
        [pk, name, owner, float(lat), float(lng)]
        for pk, name, owner, lat, lng in territory_cards(user=user, rep_ids=list(colours))
        .values_list("id", "name", "owner_id", "lat", "lng")
    ]
    points: dict[int, list[tuple[float, float]]] = {}
    for _pk, _name, owner, lat, lng in cards:
        points.setdefault(owner, []).append((lat, lng))
    centres = {owner: median_point(pts) for owner, pts in points.items()}
    moves = []
    for s in suggestions:
        target = centres.get(s.to_rep_id)
        if s.customer.lat is None or s.customer.lng is None or target is None:
            continue
        moves.append({"id": s.pk, "customer": s.customer.name, "from": s.from_rep_id, "to": s.to_rep_id,
                      "lat": float(s.customer.lat), "lng": float(s.customer.lng),
                      "to_lat": target[0], "to_lng": target[1]})
    return {
        "reps": [{"id": r.pk, "name": str(r.display_name or r.username), "colour": colours[r.pk],
                  "centre": centres.get(r.pk)} for r in reps],
        "cards": cards,
        "moves": moves,
    }


def median_point(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The coordinate-wise median: a rep's "centre", robust to a few far-away cards."""
    return (statistics.median(p[0] for p in points), statistics.median(p[1] for p in points))
