"""The credit review page: suggestions to raise or lower limits with their evidence; accept (with an
editable limit) or dismiss. Thin: reads through `selectors.credit_review`, writes through
`services.credit_review`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.accounts import scope
from kehu.core.errors import VersionConflict
from kehu.core.pagination import keyset_page, page_links
from kehu.customers.views.cards import domain_errors
from kehu.sales.models import CreditSuggestion, SuggestionStatus
from kehu.sales.selectors.credit_review import suggestion_get, suggestion_list
from kehu.sales.services import credit_review as services
from kehu.sales.services.credit_review import Rule

PAGE_SIZE = 50
RULE_TEXT = {
    Rule.OVERDUE: gettext_lazy("Money is overdue longer than the rating's policy allows"),
    Rule.LATE: gettext_lazy("Pays late on average"),
    Rule.STEADY: gettext_lazy("Pays on time, buys every month and often reaches the limit"),
}


def _decorate(user: Any, rows: list[CreditSuggestion]) -> list[CreditSuggestion]:
    for row in rows:
        row.rule_text = RULE_TEXT.get(row.evidence.get("rule", ""), "")  # type: ignore[attr-defined]
        row.may_decide = (  # type: ignore[attr-defined]
            row.status == SuggestionStatus.OPEN and scope.can_decide_credit(user, row.customer)
        )
    return rows


def _filters(request: HttpRequest) -> tuple[str, str]:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", SuggestionStatus.OPEN)
    return kind, status


def _render(request: HttpRequest, status_code: int = 200, error: str = "", error_pk: int | None = None) -> HttpResponse:
    kind, status = _filters(request)
    try:
        rows = suggestion_list(user=request.user, kind=kind, status=status)
    except ValidationError:
        kind, status, status_code = "", SuggestionStatus.OPEN, 400
        error = error or _("Unknown filter; showing the open suggestions.")
        rows = suggestion_list(user=request.user)
    page = keyset_page(rows, ordering="-created_at", cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    return render(request, "sales/credit_review/list.html", {
        "suggestions": _decorate(request.user, list(page.rows)),
        "kind": kind, "status": status, "statuses": SuggestionStatus.choices,
        "error": error, "error_pk": error_pk,
        **page_links(request, page),
    }, status=status_code)


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _back(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("next_query", "")
    url = redirect("sales:credit-review").url
    return redirect(f"{url}?{query}" if query and "\n" not in query else url)


@login_required
@require_POST
@domain_errors
def suggestion_accept(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = suggestion_get(user=request.user, suggestion_id=pk)
    try:
        done = services.credit_suggestion_accept(
            actor=request.user, suggestion=suggestion, limit=request.POST.get("limit"), request=request
        )
    except ValidationError as exc:
        message = " ".join(m for ms in exc.message_dict.values() for m in ms)
        return _render(request, 400, message, pk)
    except VersionConflict:
        return _render(request, 409, _("Someone decided this suggestion already; the list shows it as it is now."), pk)
    messages.success(request, _("%(name)s: credit limit set to %(limit)s.") % {
        "name": done.customer.name, "limit": done.evidence.get("accepted_limit", "")})
    return _back(request)


@login_required
@require_POST
@domain_errors
def suggestion_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = suggestion_get(user=request.user, suggestion_id=pk)
    try:
        done = services.credit_suggestion_dismiss(actor=request.user, suggestion=suggestion, request=request)
    except VersionConflict:
        return _render(request, 409, _("Someone decided this suggestion already; the list shows it as it is now."), pk)
    messages.success(request, _("%(name)s: suggestion dismissed; the limit is unchanged.") % {"name": done.customer.name})
    return _back(request)
