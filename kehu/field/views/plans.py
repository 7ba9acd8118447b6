"""Visit-plan pages: the list of weeks, a week's grid with its edits and review, a day's route, the profile.

Thin adapters: `kehu.field.selectors.plans` reads for the asking user, `kehu.field.services` write,
`kehu.field.forms.plans` parses.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts import scope
from kehu.core.errors import Forbidden, VersionConflict
from kehu.customers.views.cards import domain_errors
from kehu.field.forms.plans import AddForm, FieldProfileForm, MoveForm, PlanFilterForm, ReviewForm, parse_day, this_monday
from kehu.field.models import FieldProfile, VisitReason
from kehu.field.selectors import plans as selectors
from kehu.field.services import plans as services
from kehu.field.services.profiles import can_edit_profile, field_profile_update
from kehu.field.services.routes import day_route_compute, why_text

DONE = {
    "submit": gettext_lazy("Plan submitted for review."),
    "approve": gettext_lazy("Plan approved."),
    "return": gettext_lazy("Plan returned to the rep."),
    "add": gettext_lazy("Visit added."),
    "remove": gettext_lazy("Visit removed."),
    "move": gettext_lazy("Visit moved."),
}


def _week_url(rep_id: int, week: date) -> str:
    return reverse("field:plan-week", args=[rep_id, week.isoformat()])


def _monday(value: str) -> date:
    day = parse_day(value)
    if day is None or day.weekday() != 0:
        raise Http404
    return day


def _problem(request: HttpRequest, exc: ValidationError | VersionConflict) -> None:
    if isinstance(exc, VersionConflict):
        messages.error(request, _("Someone changed this plan in the meantime; here is the current one."))
        return
    for errors in exc.message_dict.values():
        for error in errors:
            messages.error(request, error)


def _reason(row: dict[str, Any]) -> str:
    reason = row.get("reason", "")
    return str(VisitReason(reason).label) if reason in VisitReason.values else reason


@login_required
@require_GET
def plan_index(request: HttpRequest) -> HttpResponse:
    reps = list(selectors.field_reps(user=request.user))
    form = PlanFilterForm(request.GET or None, reps=reps)
    plans = list(selectors.plan_list(user=request.user, filters=form.filters())[:200])
    context = {
        "form": form, "plans": plans, "awaiting": selectors.plans_awaiting_review(user=request.user),
        "this_week": this_monday(), "next_week": this_monday() + timedelta(days=7),
        "plannable": [r for r in reps if scope.can_plan_visits(request.user, r)],
    }
    return render(request, "field/plans/index.html", context)


@login_required
@require_GET
@domain_errors
def plan_open(request: HttpRequest) -> HttpResponse:
    """The "open a week" form: any day of the week picks its Monday."""
    day = parse_day(request.GET.get("week", "")) or this_monday()
    rep = selectors.rep_get(user=request.user, rep_id=request.GET.get("rep") or request.user.pk)
    return redirect(_week_url(rep.pk, day - timedelta(days=day.weekday())))


@login_required
@require_GET
@domain_errors
def plan_week(request: HttpRequest, rep_id: int, week: str) -> HttpResponse:
    rep = selectors.rep_get(user=request.user, rep_id=rep_id)
    week_start = _monday(week)
    plan, days = selectors.plan_week(user=request.user, rep=rep, week_start=week_start)
    context = {
        "rep": rep, "plan": plan, "days": days, "week_start": week_start,
        "previous": week_start - timedelta(days=7), "next": week_start + timedelta(days=7),
        "may_plan": scope.can_plan_visits(request.user, rep), "may_review": scope.can_review_visit_plan(request.user, rep),
        "unplanned": [{**u, "why_text": services.unplanned_why(u.get("why", "")), "reason_label": _reason(u)}
                      for u in (plan.unplanned if plan else [])],
        "found": selectors.plan_customer_find(user=request.user, rep=rep, text=request.GET.get("q", ""))
        if request.GET.get("q") else None,
    }
    return render(request, "field/plans/week.html", context)


@login_required
@require_POST
@domain_errors
def plan_generate(request: HttpRequest, rep_id: int, week: str) -> HttpResponse:
    rep = selectors.rep_get(user=request.user, rep_id=rep_id)
    week_start = _monday(week)
    try:
        services.visit_plan_generate(actor=request.user, rep=rep, week_start=week_start,
                                     version=request.POST.get("version") or None, request=request)
        messages.success(request, _("The week was planned."))
    except (ValidationError, VersionConflict) as exc:
        _problem(request, exc)
    return redirect(_week_url(rep.pk, week_start))


def _edit(request: HttpRequest, plan: Any, action: str) -> None:
    common = {"actor": request.user, "plan": plan, "request": request}
    if action in ("submit", "approve", "return"):
        form = ReviewForm(request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors)
        run = {"submit": services.visit_plan_submit, "approve": services.visit_plan_approve,
               "return": services.visit_plan_return}[action]
        extra = {} if action == "submit" else {"note": form.cleaned_data["note"]}
        run(version=form.cleaned_data["version"], **common, **extra)
    elif action == "add":
        form = AddForm(request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors)
        found = selectors.plan_customer_find(user=request.user, rep=plan.rep, text=form.cleaned_data["customer"])
        if len(found) != 1:
            raise ValidationError({"customer": [_("Type a code or a name that matches exactly one of the rep's customers.")]})
        services.visit_plan_add(customer_id=found[0].pk, day=form.cleaned_data["day"],
                                version=form.cleaned_data["version"], **common)
    elif action in ("remove", "move"):
        form = MoveForm(request.POST)
        if not form.is_valid() or (action == "move" and form.cleaned_data["day"] is None):
            raise ValidationError(form.errors or {"day": [_("Pick a day.")]})
        data = form.cleaned_data
        if action == "remove":
            services.visit_plan_remove(visit_id=data["visit"], version=data["version"], **common)
        else:
            services.visit_plan_move(visit_id=data["visit"], day=data["day"], version=data["version"], **common)
    else:
        raise Http404


@login_required
@require_POST
@domain_errors
def plan_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    plan = selectors.plan_get(user=request.user, plan_id=pk)
    try:
        _edit(request, plan, action)
        messages.success(request, str(DONE[action]))
    except (ValidationError, VersionConflict) as exc:
        _problem(request, exc)
    return redirect(_week_url(plan.rep_id, plan.week_start))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def plan_day(request: HttpRequest, rep_id: int, day: str) -> HttpResponse:
    rep = selectors.rep_get(user=request.user, rep_id=rep_id)
    when = parse_day(day)
    if when is None:
        raise Http404
    if request.method == "POST":
        day_route_compute(actor=request.user, rep=rep, day=when, request=request)
        messages.success(request, _("The route was computed again."))
        return redirect("field:plan-day", rep.pk, when.isoformat())
    route, visits = selectors.day_route_for(user=request.user, rep=rep, day=when)
    unserved = {u["visit"]: why_text(u["why"]) for u in (route.unserved if route else [])}
    context = {"rep": rep, "day": when, "route": route, "visits": visits, "unserved": unserved,
               "week_start": when - timedelta(days=when.weekday()), "may_plan": scope.can_plan_visits(request.user, rep)}
    return render(request, "field/plans/day.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def profile_edit(request: HttpRequest, rep_id: int | None = None) -> HttpResponse:
    rep = selectors.rep_get(user=request.user, rep_id=rep_id or request.user.pk)
    profile = FieldProfile.for_user(rep)
    may_edit = can_edit_profile(request.user, rep)
    if request.method == "POST" and not may_edit:
        raise Forbidden(_("You may not change this rep's field profile."))
    form = FieldProfileForm(request.POST if request.method == "POST" else None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            field_profile_update(actor=request.user, rep=rep, data=form.data_for_service(),
                                 version=form.cleaned_data["version"], request=request)
            messages.success(request, _("Field profile saved."))
            return redirect("field:profile-rep", rep.pk)
        except VersionConflict:
            messages.error(request, _("Someone changed this profile in the meantime; here is the current one."))
            form = FieldProfileForm(instance=FieldProfile.for_user(rep))
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
    return render(request, "field/plans/profile.html", {"rep": rep, "form": form, "may_edit": may_edit},
                  status=400 if form.errors else 200)
