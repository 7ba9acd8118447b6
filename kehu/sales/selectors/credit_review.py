"""Reads of credit-review suggestions for the asking user (visible_to), filtered by kind and status."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from kehu.core.errors import NotFound
from kehu.sales.models import CreditSuggestion, SuggestionStatus

KINDS = ("raise", "lower")


def suggestion_queryset(*, user: Any) -> QuerySet[CreditSuggestion]:
    return CreditSuggestion.objects.visible_to(user).select_related("customer__org_unit", "customer__owner", "decided_by")


def suggestion_list(*, user: Any, kind: str = "", status: str = SuggestionStatus.OPEN) -> QuerySet[CreditSuggestion]:
    """`kind` raise/lower (or "" for both); `status` open/accepted/dismissed (or "" for all)."""
    errors = {}
    if kind and kind not in KINDS:
        errors["kind"] = [_("Choose raise or lower.")]
    if status and status not in SuggestionStatus.values:
        errors["status"] = [_("Choose open, accepted or dismissed.")]
    if errors:
        raise ValidationError(errors)
    rows = suggestion_queryset(user=user)
    if status:
        rows = rows.filter(status=status)
    if kind == "raise":
        rows = rows.filter(suggested_limit__gt=F("current_limit"))
    elif kind == "lower":
        rows = rows.filter(suggested_limit__lt=F("current_limit"))
    return rows


def suggestion_get(*, user: Any, suggestion_id: int) -> CreditSuggestion:
    suggestion = suggestion_queryset(user=user).filter(pk=suggestion_id).first()
    if suggestion is None:
        raise NotFound
    return suggestion
