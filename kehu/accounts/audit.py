"""Writing to the append-only audit log, and the bulk-viewing (bulk-copying) detector."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from kehu.accounts.models import AuditAction, AuditEvent, User


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # X-Forwarded-For is set by whoever sends the request; believe it only behind our own proxy.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.KEHU_BEHIND_PROXY else ""
    ip = forwarded.split(",")[-1].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


def audit_record(
    *,
    actor: User | None,
    action: AuditAction,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    username: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        username=username or (actor.get_username() if actor is not None else ""),
        action=action,
        object_type=obj._meta.model_name or "" if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        object_repr=str(obj)[:200] if obj is not None else "",
        ip=client_ip(request),
        detail=detail or {},
    )


def card_view_record(*, actor: User, customer: models.Model, request: HttpRequest | None = None) -> None:
    """Audit a card view, then flag the viewer once an hour if they opened too many distinct cards."""
    audit_record(actor=actor, action=AuditAction.VIEW, obj=customer, request=request)
    since = timezone.now() - timedelta(hours=1)
    threshold = settings.KEHU_BULK_VIEW_THRESHOLD
    recent = AuditEvent.objects.filter(actor=actor, at__gte=since)
    distinct = (
        recent.filter(action=AuditAction.VIEW, object_type="customer").values("object_id").distinct().count()
    )
    if distinct > threshold and not recent.filter(action=AuditAction.BULK_VIEW_FLAG).exists():
        audit_record(
            actor=actor, action=AuditAction.BULK_VIEW_FLAG, request=request,
            detail={"distinct_cards_last_hour": distinct, "threshold": threshold},
        )
