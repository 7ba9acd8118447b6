"""Web pages of the append-only audit log: search and filter, and the bulk-viewing flags.

Auditors, data custodians and administrators only; everyone else gets 403. There is nothing to
edit or delete here, by design.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kehu.accounts import scope
from kehu.accounts.filters import AuditEventFilter
from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.pagination import Page, keyset_page, page_links

PAGE_SIZE = 50
FILTER_ORDER = ("user", "action", "object_type", "object_id", "since", "until", "q")
FLAG_WINDOW = timedelta(days=7)
FLAG_SPAN = timedelta(hours=1)


def _require_reader(request: HttpRequest) -> None:
    if not scope.can_read_audit_log(request.user):
        raise PermissionDenied(_("Only auditors, data custodians and administrators read the audit log."))


def _page(request: HttpRequest, events: QuerySet[AuditEvent]) -> tuple[Page, dict[str, str | None]]:
    page = keyset_page(events, ordering="-at", cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    return page, page_links(request, page)


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.all())
    valid = filterset.is_valid()
    page, links = _page(request, filterset.qs if valid else AuditEvent.objects.none())
    recent_flags = AuditEvent.objects.filter(
        action=AuditAction.BULK_VIEW_FLAG, at__gte=timezone.now() - FLAG_WINDOW
    ).count()
    context: dict[str, Any] = {
        "filter": filterset, "fields": [filterset.form[name] for name in FILTER_ORDER],
        "events": page.rows, "recent_flags": recent_flags,
    }
    return render(request, "accounts/audit_log.html", {**context, **links}, status=200 if valid else 400)


def _cards_around() -> Subquery:
    """Distinct cards the flagged user opened from an hour before the flag to an hour after it."""
    views = AuditEvent.objects.filter(
        actor=OuterRef("actor"), action=AuditAction.VIEW, object_type="customer",
        at__gte=OuterRef("at") - FLAG_SPAN, at__lt=OuterRef("at") + FLAG_SPAN,
    )
    distinct = views.order_by().values("actor").annotate(n=Count("object_id", distinct=True)).values("n")
    return Subquery(distinct[:1], output_field=IntegerField())


@login_required
@require_GET
def audit_flags(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    flags = AuditEvent.objects.filter(action=AuditAction.BULK_VIEW_FLAG)
    flags = flags.select_related("actor").annotate(cards_around=_cards_around())
    page, links = _page(request, flags)
    return render(request, "accounts/audit_flags.html", {"flags": page.rows, **links})
