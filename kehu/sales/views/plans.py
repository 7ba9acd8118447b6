"""Plan pages: progress overview, the month's plan grid with its workflow buttons, approvals, copy, import.

Thin adapters: `kehu.sales.selectors.plans` and `.plan_progress` read for the asking user, `kehu.sales.services.plans`
writes, `kehu.sales.forms.plans` parses.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.core.errors import VersionConflict
from kehu.customers.views.cards import domain_errors, forbidden
from kehu.sales.forms.plans import (
    BLANK_LINES,
    BLANK_SUPPORTS,
    SUPPORT_KINDS,
    CopyForm,
    DecisionForm,
    GridInput,
    ImportForm,
    ProgressFilterForm,
    grid_from_plan,
    grid_parse,
    this_month,
    with_blanks,
)
from kehu.sales.imports.plans import XLSX_TYPE, plan_import_template, plans_import
from kehu.sales.models import PlanStatus, SalesPlan
from kehu.sales.selectors import plan_progress
from kehu.sales.selectors import plans as selectors
from kehu.sales.services import plans as services

PAGE_SIZE = 100
ACTIONS = {
    "submit": (services.plan_submit, None, gettext_lazy("Plan submitted for approval.")),
    "approve": (services.plan_approve, "note", gettext_lazy("Plan approved.")),
    "return": (services.plan_return, "reason", gettext_lazy("Plan returned for changes.")),
    "reopen": (services.plan_reopen, "reason", gettext_lazy("Plan reopened as a draft; it needs approval again.")),
}


def _month_url(value: date) -> str:
    return f"{value:%Y-%m}"


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


@login_required
@require_GET
def plan_overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = list(plan_progress.visible_units(user))
    form = ProgressFilterForm(request.GET, units=units)
    query = form.query()
    query.update(limit=PAGE_SIZE, offset=(query["page"] - 1) * PAGE_SIZE)
    report = plan_progress.progress_for_query(user=user, query=query)
    base = {k: v for k, v in request.GET.items() if k != "page" and v}
    pages = (report.count + PAGE_SIZE - 1) // PAGE_SIZE if report.limit else 1
    context = {
        "form": form, "report": report, "query": query, "month": query["month"],
        "group_links": [(key, label, "?" + urlencode({**base, "group_by": key, "page": 1}))
                        for key, label in plan_progress.GROUPS.items()],
        "previous_url": "?" + urlencode({**base, "page": query["page"] - 1}) if query["page"] > 1 else "",
        "next_url": "?" + urlencode({**base, "page": query["page"] + 1}) if query["page"] < pages else "",
        "status_badges": _status_badges(user, query["month"]),
        "group_label": plan_progress.GROUPS[report.group_by],
        "may_draft": services.may_draft_plans(user), "may_decide": services.may_decide_plans(user),
        "month_param": _month_url(query["month"]),
        "rows": [_row_link(row, report, base) for row in report.rows],
    }
    return render(request, "sales/plans/overview.html", context)


def _status_badges(user: User, month: date) -> list[tuple[str, str, int]]:
    counts = selectors.plan_status_counts(user=user, month=month)
    return [(value, label, counts[value]) for value, label in PlanStatus.choices if counts.get(value)]


def _row_link(row: plan_progress.ProgressRow, report: plan_progress.ProgressReport, base: dict[str, str]) -> tuple[Any, str]:
    month = _month_url(report.last_month)
    if report.group_by == "customer":
        return row, reverse("sales:plan-edit", args=[row.key, month])
    if report.group_by == "line":
        return row, reverse("sales:plan-edit", args=[row.key[0], month])
    if report.group_by == "rep" and row.key:
        return row, "?" + urlencode({**base, "group_by": "customer", "rep": row.key, "page": 1})
    if report.group_by == "org_unit" and row.extra.get("drill"):
        return row, "?" + urlencode({**base, "org_unit": row.key, "page": 1})
    if report.group_by == "month":
        return row, "?" + urlencode({**base, "period": "month", "group_by": "customer", "month": _month_url(row.key)})
    return row, ""


@login_required
@require_GET
def plan_new(request: HttpRequest) -> HttpResponse:
    """The overview's "plan a customer" picker lands here and goes to that customer's month."""
    try:
        month = services.month_start(request.GET.get("month", "")[:20])
        customer = int(request.GET.get("customer", ""))
    except (ValidationError, ValueError):
        messages.error(request, _("Choose a customer and a month."))
        return redirect("sales:plans")
    return redirect("sales:plan-edit", customer_id=customer, month=_month_url(month))


def _parse_month(text: str) -> date:
    try:
        return services.month_start(text)
    except ValidationError:
        raise Http404 from None


def _edit_context(user: User, customer: Any, month: date, plan: SalesPlan | None, grid: GridInput | None) -> dict[str, Any]:
    may_edit = scope.can_edit_plan(user, customer)
    may_decide = scope.can_approve_plan(user, customer)
    status = plan.status if plan else PlanStatus.DRAFT
    if grid is None:
        if plan is not None:
            actuals = selectors.plan_actuals(user=user, plan=plan)
            grid = grid_from_plan(list(plan.lines.all()), list(plan.supports.all()), actuals)
            grid.note = plan.note
        else:
            grid = GridInput()
    editable = may_edit and (plan is None or not plan.is_locked)
    return {
        "customer": customer, "month": month, "plan": plan, "grid": grid, "editable": editable,
        "line_rows": with_blanks(grid.line_rows, BLANK_LINES if editable else 0),
        "support_rows": with_blanks(grid.support_rows, BLANK_SUPPORTS if editable else 0),
        "support_kinds": SUPPORT_KINDS,
        "version": grid.version or (plan.version if plan else ""),
        "can_submit": bool(plan) and may_edit and status in services.EDITABLE,
        "can_reopen": bool(plan) and may_edit and status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED),
        "can_approve": bool(plan) and may_decide and status == PlanStatus.SUBMITTED,
        "can_return": bool(plan) and may_decide and status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED),
        "history": selectors.plan_history(plan=plan) if plan else [],
        "previous_month": _month_url(_shift(month, -1)), "next_month": _month_url(_shift(month, 1)),
        "elapsed_share": plan_progress.share_percent(*plan_progress.elapsed_days(month, month, timezone.localdate())),
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def plan_edit(request: HttpRequest, customer_id: int, month: str) -> HttpResponse:
    user = request.user
    first = _parse_month(month)
    customer, plan = selectors.plan_for_month(user=user, customer_id=customer_id, month=first)
    if request.method == "GET":
        return render(request, "sales/plans/edit.html", _edit_context(user, customer, first, plan, None))
    if not scope.can_edit_plan(user, customer):
        return forbidden(request, _("You may not plan for this customer."))
    grid = grid_parse(request.POST)
    try:
        services.plan_save(actor=user, customer=customer, month=first, lines=grid.lines, supports=grid.supports,
                           note=grid.note, version=grid.version or None, request=request)
    except ValidationError as exc:
        grid.apply(exc)
        return render(request, "sales/plans/edit.html", _edit_context(user, customer, first, plan, grid), status=400)
    except VersionConflict as exc:
        grid.version = str(exc.current.version)
        grid.errors["__all__"] = [_("Someone else saved this plan meanwhile. Your input is kept below; check the "
                                    "current figures (reload to see them) and save again to overwrite.")]
        return render(request, "sales/plans/edit.html", _edit_context(user, customer, first, plan, grid), status=409)
    messages.success(request, _("Plan saved."))
    return redirect("sales:plan-edit", customer_id=customer.pk, month=month)


def _back(request: HttpRequest, plan: SalesPlan) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("sales:plan-edit", customer_id=plan.customer_id, month=_month_url(plan.month))


@login_required
@require_POST
@domain_errors
def plan_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    plan = selectors.plan_get(user=request.user, plan_id=pk)
    run, text_name, done = ACTIONS[action]
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete; nothing was changed."))
        return _back(request, plan)
    extra = {text_name: form.cleaned_data["text"]} if text_name else {}
    try:
        run(actor=request.user, plan_id=plan.pk, version=form.cleaned_data["version"], request=request, **extra)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except VersionConflict:
        messages.error(request, _("Someone changed this plan meanwhile; nothing was done. Look at it again."))
    else:
        messages.success(request, done)
    return _back(request, plan)


@login_required
@require_GET
def plan_approvals(request: HttpRequest) -> HttpResponse:
    if not services.may_decide_plans(request.user):
        return forbidden(request, _("Only managers, directors and administrators approve plans."))
    queue = list(selectors.plan_approval_queue(user=request.user)[:200])
    return render(request, "sales/plans/approvals.html", {"plans": queue})


@login_required
@require_http_methods(["GET", "POST"])
def plan_copy(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not services.may_draft_plans(user):
        return forbidden(request, _("You may not draft plans."))
    units = list(plan_progress.visible_units(user))
    initial = {"month": _shift(this_month(), 1), "org_unit": user.org_unit_id}
    form = CopyForm(request.POST or None, units=units, initial=initial)
    context: dict[str, Any] = {"form": form, "result": None}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        commit = "create" in request.POST
        try:
            result = services.plans_copy_from_actuals(
                actor=user, month=data["month"], growth=data["growth"] / Decimal(100), org_unit=data["org_unit"],
                commit=commit, request=request)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            if commit:
                messages.success(request, _("%(n)d draft plans created from last year's actuals.") % {"n": result.created})
                return redirect(f"{reverse('sales:plans')}?month={_month_url(result.month)}")
            context["result"] = result
            context["shown"] = result.proposals[:200]
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "sales/plans/copy.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def plan_import(request: HttpRequest) -> HttpResponse:
    if not services.may_draft_plans(request.user):
        return forbidden(request, _("You may not import plans."))
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "result": None}
    if request.method == "POST" and form.is_valid():
        dry_run = form.cleaned_data["dry_run"]
        result = plans_import(actor=request.user, source=form.cleaned_data["file"], dry_run=dry_run, request=request)
        context["result"] = result
        if result.ok and not dry_run:
            messages.success(request, _("Imported %(rows)d rows: %(created)d plans created, %(updated)d replaced.")
                             % {"rows": result.rows, "created": result.created, "updated": result.updated})
            return redirect("sales:plans")
        return render(request, "sales/plans/import.html", context, status=200 if result.ok else 400)
    return render(request, "sales/plans/import.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def plan_import_template_download(request: HttpRequest) -> HttpResponse:
    lang = request.GET.get("lang", request.LANGUAGE_CODE or "zh-hans")[:10]
    response = HttpResponse(plan_import_template(lang), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="plans-template.xlsx"'
    return response

