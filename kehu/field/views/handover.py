"""Handover pages: the list (and what waits for my acknowledgement), new leave, new departure,
the detail with its item table and buttons, and the PDF report. Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts import scope
from kehu.core.errors import Forbidden, VersionConflict
from kehu.core.pdf import PdfUnavailable
from kehu.customers.views.cards import domain_errors
from kehu.field.forms.handover import DepartureForm, LeaveForm, VersionForm, assignments_from
from kehu.field.models import HandoverKind, HandoverState
from kehu.field.selectors import handover as selectors
from kehu.field.services import handover as services

DONE = {
    "apply": gettext_lazy("The cards were handed over."),
    "cancel": gettext_lazy("The handover was cancelled."),
    "suggest": gettext_lazy("Successors proposed again by territory."),
    "assign": gettext_lazy("Assignments saved."),
    "acknowledge": gettext_lazy("Acknowledged. Thank you."),
}


def _arranger(request: HttpRequest) -> None:
    if not scope.can_review_field_work(request.user):
        raise Forbidden(_("Only managers, directors and administrators arrange handovers."))


@login_required
@require_GET
def handover_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "may_arrange": scope.can_review_field_work(user),
        "awaiting": list(selectors.handovers_awaiting(user=user)),
        "handovers": selectors.handover_list(user=user),
    }
    return render(request, "field/handover/list.html", context)


def _create(request: HttpRequest, form_class: type[LeaveForm] | type[DepartureForm], template: str,
            run: Callable[..., Any]) -> HttpResponse:
    _arranger(request)
    form = form_class(request.POST or None, users=selectors.team_members(actor=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            handover = run(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return redirect("field:handover", pk=handover.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def handover_new_leave(request: HttpRequest) -> HttpResponse:
    return _create(request, LeaveForm, "field/handover/new_leave.html", services.handover_leave_create)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def handover_new_departure(request: HttpRequest) -> HttpResponse:
    return _create(request, DepartureForm, "field/handover/new_departure.html", services.handover_departure_create)


@login_required
@require_GET
@domain_errors
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    handover = selectors.handover_get(user=user, handover_id=pk)
    items = list(selectors.handover_items(user=user, handover=handover))
    is_draft = handover.status == HandoverState.DRAFT
    live = selectors.open_receivable_totals([i.customer_id for i in items]) if is_draft else {}
    may_arrange = scope.can_hand_over(user, handover.rep) and selectors.sees_all_items(user, handover)
    context = {
        "handover": handover, "is_draft": is_draft, "may_arrange": may_arrange,
        "rows": [(i, live.get(i.customer_id) if is_draft else i.snapshot.get("open_total")) for i in items],
        "successors": sorted({i.successor for i in items}, key=lambda u: u.pk),
        "team": list(selectors.team_members(actor=user).exclude(pk=handover.rep_id)) if may_arrange and is_draft else [],
        "may_acknowledge": handover.status == HandoverState.APPLIED
        and any(i.successor_id == user.pk and i.acknowledged_at is None for i in items),
        "may_cancel": may_arrange and handover.status != HandoverState.CANCELLED
        and (is_draft or handover.kind == HandoverKind.LEAVE),
    }
    return render(request, "field/handover/detail.html", context)


def _run(request: HttpRequest, handover_id: int, action: str, version: int) -> None:
    common = {"actor": request.user, "handover_id": handover_id, "request": request}
    if action == "acknowledge":
        services.handover_acknowledge(**common)
    elif action == "assign":
        services.handover_assign(version=version, assignments=assignments_from(request.POST), **common)
    elif action == "suggest":
        successors = [int(v) for v in request.POST.getlist("successors") if v.isdigit()]
        services.handover_suggest(version=version, successors=successors or None, **common)
    else:
        {"apply": services.handover_apply, "cancel": services.handover_cancel}[action](version=version, **common)


@login_required
@require_POST
@domain_errors
def handover_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in DONE:
        raise Http404
    handover = selectors.handover_get(user=request.user, handover_id=pk)
    form = VersionForm(request.POST)
    if not form.is_valid() and action != "acknowledge":
        messages.error(request, _("The form was incomplete; nothing was changed."))
        return redirect("field:handover", pk=handover.pk)
    try:
        _run(request, handover.pk, action, form.cleaned_data.get("version", 0))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except VersionConflict:
        messages.error(request, _("Someone changed this handover meanwhile; nothing was done. Look at it again."))
    else:
        messages.success(request, DONE[action])
    return redirect("field:handover", pk=handover.pk)


@login_required
@require_GET
@domain_errors
def handover_report(request: HttpRequest, pk: int) -> HttpResponse:
    raw = request.GET.get("successor", "")
    successor = int(raw) if raw.isdigit() and len(raw) < 18 else None
    try:
        pdf = services.handover_report(actor=request.user, handover_id=pk, successor_id=successor, request=request)
    except PdfUnavailable:
        return HttpResponse(_("PDF printing is not available on this server."), status=503, content_type="text/plain")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="handover-{pk}.pdf"'
    return response
