"""Web pages of credit control: the hold queue, one hold with its decision, and the settings page
(default limit per rating, overdue tolerance, dormant-after days per tier).

Thin: holds are read through `kehu.sales.selectors.credit` (visible_to), decisions and settings
go through `kehu.sales.services.credit`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.accounts import scope
from kehu.core.errors import Forbidden
from kehu.core.pagination import keyset_page, page_links
from kehu.customers.views.cards import domain_errors
from kehu.sales.forms.credit import CreditSettingsForm, HoldDecisionForm
from kehu.sales.models import CreditHold, HoldStatus
from kehu.sales.selectors.credit import (
    credit_assess,
    credit_policies,
    hold_get,
    hold_queue,
    hold_reason_text,
    lifecycle_rules,
)
from kehu.sales.services import credit as services

PAGE_SIZE = 50
PENDING_SHOWN = 200


def _decorate(user: Any, holds: list[CreditHold]) -> list[CreditHold]:
    """What a row needs, without a query per row (the customer's org unit is selected with it)."""
    for hold in holds:
        hold.reason_texts = [hold_reason_text(r) for r in hold.reasons or []]  # type: ignore[attr-defined]
        hold.excess = hold.exposure - hold.credit_limit  # type: ignore[attr-defined]
        hold.may_decide = (  # type: ignore[attr-defined]
            hold.status == HoldStatus.PENDING and services.may_decide_hold(user, hold)
        )
    return holds


@login_required
def hold_list(request: HttpRequest) -> HttpResponse:
    """The queue: every pending hold (oldest waiting first), then decided ones, newest first, paged."""
    holds = hold_queue(user=request.user).select_related("customer__org_unit")
    pending = list(holds.filter(status=HoldStatus.PENDING).order_by("created_at", "id")[:PENDING_SHOWN + 1])
    decided = keyset_page(holds.exclude(status=HoldStatus.PENDING), ordering="-created_at",
                          cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    return render(request, "sales/credit/holds.html", {
        "pending": _decorate(request.user, pending[:PENDING_SHOWN]),
        "pending_more": len(pending) > PENDING_SHOWN,
        "decided": _decorate(request.user, list(decided.rows)),
        "form": HoldDecisionForm(),
        "may_manage_policy": scope.can_manage_credit_policy(request.user),
        **page_links(request, decided),
    })


def _render_detail(request: HttpRequest, hold: CreditHold, form: HoldDecisionForm | None = None,
                   status: int = 200) -> HttpResponse:
    (hold,) = _decorate(request.user, [hold])
    now = credit_assess(hold.customer, order_total=hold.order.total) if hold.status == HoldStatus.PENDING else None
    return render(request, "sales/credit/hold_detail.html", {
        "hold": hold,
        "now": now,
        "now_reasons": [hold_reason_text(r) for r in now.reasons] if now else [],
        "form": form or HoldDecisionForm(),
    }, status=status)


@login_required
@domain_errors
def hold_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, hold_get(user=request.user, hold_id=pk))


@login_required
@require_POST
@domain_errors
def hold_decide(request: HttpRequest, pk: int) -> HttpResponse:
    hold = hold_get(user=request.user, hold_id=pk)
    if not services.may_decide_hold(request.user, hold):
        raise Forbidden(services.not_yours_message(request.user, hold))
    form = HoldDecisionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, hold, form, status=400)
    data = form.cleaned_data
    try:
        if form.approves:
            services.hold_approve(actor=request.user, hold=hold, reason=data["reason"],
                                  one_off_raise=data["one_off_raise"])
        else:
            services.hold_reject(actor=request.user, hold=hold, reason=data["reason"])
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_detail(request, hold_get(user=request.user, hold_id=pk), form, status=400)
    if form.approves:
        messages.success(request, _("Order %(number)s approved and confirmed.") % {"number": hold.order.number})
    else:
        messages.success(request, _("Order %(number)s rejected; it is a draft again.") % {"number": hold.order.number})
    return redirect("sales:holds")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def credit_policy(request: HttpRequest) -> HttpResponse:
    """Everyone reads the company's credit settings; an admin changes them."""
    may_edit = scope.can_manage_credit_policy(request.user)
    if request.method == "POST" and not may_edit:
        raise Forbidden(_("Only an administrator can change the credit policy."))
    form = CreditSettingsForm(request.POST or None, policies=credit_policies(), rules=lifecycle_rules())
    if request.method == "POST" and form.is_valid():
        try:
            services.credit_settings_update(actor=request.user, policies=form.policy_values(),
                                            rules=form.rule_values())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Credit settings saved."))
            return redirect("sales:credit-policy")
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/credit/policy.html", {"form": form, "may_edit": may_edit}, status=status)
