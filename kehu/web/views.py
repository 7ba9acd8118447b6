"""The home dashboard: the user's own numbers at a glance, each a link to the list that explains it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from kehu.accounts import scope
from kehu.accounts.models import AccessGrant, GrantStatus, User
from kehu.customers.models import Customer
from kehu.field.selectors.dashboard import field_numbers


def _url(name: str, query: str = "") -> str:
    """The page's URL, or "" while the module that serves it has not landed yet."""
    try:
        return reverse(name) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


def dashboard_numbers(user: User) -> dict[str, Any]:
    visible = Customer.objects.visible_to(user).in_daily_work()
    decidable = scope.grants_decidable_q(user)
    waiting = AccessGrant.objects.filter(status=GrantStatus.PENDING)
    return {
        "my_cards": visible.filter(owner=user).count(),
        "visible_cards": visible.count(),
        "stale_cards": visible.stale().count(),
        "my_pending_loans": AccessGrant.objects.filter(grantee=user, status=GrantStatus.PENDING).count(),
        "loans_to_decide": waiting.count() if decidable is None else waiting.filter(decidable).count(),
        **field_numbers(user),
    }


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    links = {
        "my_cards": _url("customers:list", f"owner={user.pk}"),
        "visible_cards": _url("customers:list"),
        "stale_cards": _url("customers:list", "stale=true"),
        "loans": _url("customers:grants"),
        "create": _url("customers:create") if scope.can_create(user) else "",
        "today": _url("field:today"),
        "unreturned": _url("field:unreturned"),
        "handovers": _url("field:handovers"),
    }
    return render(request, "web/home.html", {"numbers": dashboard_numbers(user), "links": links})
