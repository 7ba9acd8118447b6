"""The map page (`field:map`) and the list of cards it cannot draw (`field:map-unplaced`).

The customer set is the customer list's: the same filter form, fitted to the user the same way, so
`/field/map/?tier=A` shows exactly the cards `/customers/?tier=A` lists. The page embeds its data
(json_script) — one request, and it works without tiles (no network in tests, intranets).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kehu.core.errors import NotFound
from kehu.customers.filters import CustomerFilter
from kehu.customers.forms import list_filters_restrict, visible_filter_fields
from kehu.customers.models import CustomerStatus, Tier
from kehu.customers.selectors import customer_list
from kehu.customers.views.cards import query_string
from kehu.field.geo import map_tiles
from kehu.field.selectors import map as selectors
from kehu.field.selectors.plans import field_reps

UNPLACED_LIMIT = 500
COLOUR_MODES = ("tier", "status", "overdue")
# Parameters of the map itself, not customer filters: kept out of the list link and the filter form.
MAP_PARAMS = ("route", "day", "colour", "heat")


def _filters(request: HttpRequest) -> CustomerFilter:
    return list_filters_restrict(customer_list(user=request.user, params=request.GET), request.user)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return None


def _route(request: HttpRequest, day: date | None) -> dict[str, Any] | None:
    """The drawn route, if one is asked for; a rep the user may not see is a 404 like a missing one."""
    rep_id = request.GET.get("route", "")
    if not rep_id or day is None:
        return None
    try:
        return selectors.map_route(user=request.user, rep_id=rep_id, day=day)
    except NotFound:
        raise Http404 from None


def _labels() -> dict[str, Any]:
    """The words map.js shows: legend entries per colour mode, popup and route texts."""
    return {
        "legend": {
            "tier": [[value, str(label)] for value, label in Tier.choices],
            "status": [[value, str(label)] for value, label in CustomerStatus.choices],
            "overdue": [["1", _("Visit overdue")], ["0", _("Not overdue")]],
        },
        "approximate": _("Approximate position (district or city)"),
        "exact": _("Exact position"),
        "overdue": _("Visit overdue"),
        "base": _("Start and end of the day"),
        "sales": _("Sales"),
        "customers": _("customers"),
        "tier": _("Tier"),
        "status": _("Status"),
    }


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    filterset = _filters(request)
    cards = filterset.qs
    day = _day(request.GET.get("day", ""))
    colour = request.GET.get("colour", "tier")
    list_query = query_string(request.GET, **dict.fromkeys(MAP_PARAMS))
    context = {
        "filterset": filterset,
        "filter_fields": visible_filter_fields(filterset),
        "map_tiles": map_tiles(),
        "customers": selectors.map_customers(queryset=cards).as_json(),
        "heat": selectors.map_heat(user=request.user, queryset=cards),
        "route": _route(request, day),
        "labels": _labels(),
        "colour": colour if colour in COLOUR_MODES else "tier",
        "reps": field_reps(user=request.user),
        "route_rep": request.GET.get("route", ""),
        "day": day.isoformat() if day else request.GET.get("day", ""),
        "day_invalid": day is None,
        "card_url": reverse("customers:detail", args=[0]),
        "list_url": f"{reverse('customers:list')}?{list_query}",
        "unplaced_url": f"{reverse('field:map-unplaced')}?{list_query}",
        "kept_params": [(k, v) for k, v in request.GET.lists() if k in ("route", "day", "colour")],
    }
    return render(request, "field/map/map.html", context, status=400 if day is None else 200)


@login_required
@require_GET
def map_unplaced(request: HttpRequest) -> HttpResponse:
    """The filtered cards without a position the map can draw: where to go and set one."""
    filterset = _filters(request)
    unplaced = selectors.unplaced_customers(queryset=filterset.qs).order_by("name", "id")
    rows = list(unplaced[: UNPLACED_LIMIT + 1])
    list_query = query_string(request.GET, **dict.fromkeys(MAP_PARAMS))
    return render(request, "field/map/unplaced.html", {
        "rows": rows[:UNPLACED_LIMIT],
        "more": len(rows) > UNPLACED_LIMIT,
        "limit": UNPLACED_LIMIT,
        "total": unplaced.count(),
        "map_url": f"{reverse('field:map')}?{list_query}",
    })
