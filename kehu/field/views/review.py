"""The route and territory review: per-rep report for a month or quarter, a rep's days, CSV, and
territory suggestions (generate, accept, reject) on a map. Thin: reads through `selectors.review`
and `selectors.territory`, writes through `services.territory`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.accounts import scope
from kehu.core.errors import VersionConflict
from kehu.customers.views.cards import domain_errors, forbidden
from kehu.field.geo import map_tiles
from kehu.field.models import SuggestionState
from kehu.field.selectors.review import Period, period_parse, route_review
from kehu.field.selectors.territory import review_map_data, suggestion_list
from kehu.field.services import territory as services


def reviewers_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope.can_review_field_work(request.user):
            return forbidden(request, _("The route review is for managers, the director and admins."))
        return view(request, *args, **kwargs)

    return login_required(domain_errors(wrapper))


def _period(request: HttpRequest) -> tuple[Period, str]:
    source = request.POST if request.method == "POST" else request.GET
    try:
        return period_parse(period=source.get("period", ""), quarter=source.get("quarter", "")), ""
    except ValidationError as exc:
        return period_parse(), " ".join(m for ms in exc.message_dict.values() for m in ms)


def _query(period: Period) -> str:
    return f"quarter={period.label}" if period.kind == "quarter" else f"period={period.label}"


@reviewers_only
def review_page(request: HttpRequest) -> HttpResponse:
    period, error = _period(request)
    suggestions = list(suggestion_list(user=request.user, status=SuggestionState.PROPOSED,
                                       period_start=period.start, period_end=period.end))
    for s in suggestions:
        s.may_decide = scope.manages_rep(request.user, s.from_rep) and scope.manages_rep(request.user, s.to_rep)  # type: ignore[attr-defined]
    return render(request, "field/review/page.html", {
        "period": period, "query": _query(period), "error": error,
        "rows": route_review(user=request.user, period=period),
        "suggestions": suggestions, "map_data": review_map_data(user=request.user, suggestions=suggestions),
        "map_tiles": map_tiles(), "today": timezone.localdate(),
    }, status=400 if error else 200)


@reviewers_only
def rep_days(request: HttpRequest, pk: int) -> HttpResponse:
    period, _error = _period(request)
    rows = route_review(user=request.user, period=period, rep_ids=[pk])
    if not rows:
        raise Http404
    return render(request, "field/review/rep.html", {"period": period, "query": _query(period), "row": rows[0]})


@reviewers_only
def review_csv(request: HttpRequest) -> HttpResponse:
    period, _error = _period(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="route-review-{period.label}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM as UTF-8
    writer = csv.writer(response)
    writer.writerow([_("Rep"), _("Working days"), _("Days in the field"), _("Planned"), _("Done"),
                     _("Due visits missed"), _("km per day"), _("Travel minutes per day"), _("Customers per day"),
                     _("Share of time travelling")])
    for row in route_review(user=request.user, period=period):
        share = "" if row.travel_share is None else f"{row.travel_share:.3f}"
        writer.writerow([row.rep.display_name or row.rep.username, row.working_days, row.field_days, row.planned,
                         row.done, row.missed, row.km_per_day, row.travel_minutes_per_day, row.customers_per_day,
                         share])
    return response


def _back(request: HttpRequest, period: Period) -> HttpResponse:
    return redirect(f"{redirect('field:review').url}?{_query(period)}")


@require_POST
@reviewers_only
def suggest(request: HttpRequest) -> HttpResponse:
    period, _error = _period(request)
    made = services.territory_suggest(actor=request.user, period_start=period.start, period_end=period.end)
    messages.success(request, _("%(n)d suggestions proposed.") % {"n": len(made)})
    return _back(request, period)


def _decide(request: HttpRequest, pk: int, decide: Callable[..., Any], done_text: str) -> HttpResponse:
    period, _error = _period(request)
    try:
        suggestion = decide(actor=request.user, suggestion_id=pk, request=request)
    except VersionConflict:
        suggestion = None
    if suggestion is None or suggestion.status in (SuggestionState.PROPOSED, SuggestionState.OUTDATED):
        messages.error(request, _("Someone decided this suggestion already, or the card has moved."))
        return _back(request, period)
    messages.success(request, done_text % {"name": suggestion.customer.name, "rep": suggestion.to_rep})
    return _back(request, period)


@require_POST
@reviewers_only
def suggestion_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.territory_suggestion_accept, _("%(name)s now belongs to %(rep)s."))


@require_POST
@reviewers_only
def suggestion_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.territory_suggestion_reject, _("%(name)s: suggestion rejected."))
