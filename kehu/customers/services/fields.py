"""Defining custom card fields (admins only). Values live in Customer.custom under the field's key."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.models import CustomField, CustomFieldType

FIELD_ATTRS = frozenset(
    {"key", "label_zh", "label_en", "field_type", "choices", "is_required", "weight", "position", "is_active"}
)
CHOICE_TYPES = frozenset({CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE})
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _require_admin(actor: User) -> None:
    if not scope.can_manage_custom_fields(actor):
        raise Forbidden(_("Only an administrator can define custom fields."))


def _clean_choices(raw: Any) -> tuple[list[dict[str, str]], list[str]]:
    """Choices as [{"value", "label_zh", "label_en"}] with unique, non-empty values."""
    if not isinstance(raw, list) or not raw:
        return [], [_('List the choices as [{"value", "label_zh", "label_en"}, …].')]
    clean: list[dict[str, str]] = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not all(str(item.get(k, "")).strip() for k in ("value", "label_zh")):
            return [], [_("Choice %(n)d needs a value and a Chinese label.") % {"n": index}]
        value = str(item["value"]).strip()[:60]
        if any(mark in value for mark in ',"，'):
            # Multi-choice values travel comma-separated and are matched quoted inside JSON.
            return [], [_("Choice %(n)d: a value cannot contain a comma or a double quote.") % {"n": index}]
        zh = str(item["label_zh"]).strip()[:60]
        en = str(item.get("label_en") or zh).strip()[:60]
        clean.append({"value": value, "label_zh": zh, "label_en": en})
    values = [c["value"] for c in clean]
    if len(set(values)) != len(values):
        return [], [_("Each choice needs its own value.")]
    return clean, []


def _apply(field: CustomField, data: dict[str, Any]) -> None:
    unknown = set(data) - FIELD_ATTRS
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    if field.pk and "key" in data and data["key"] != field.key:
        errors["key"] = [_("The key cannot change: stored values are kept under it. Add a new field.")]
    if field.pk and "field_type" in data and data["field_type"] != field.field_type:
        errors["field_type"] = [_("The type cannot change: stored values would not fit. Add a new field.")]
    for name, value in data.items():
        setattr(field, name, value.strip() if isinstance(value, str) else value)
    if not KEY_RE.match(field.key or ""):
        errors.setdefault("key", [_("Lower-case letters, digits and _; start with a letter.")])
    for name in ("label_zh", "label_en"):
        if not (getattr(field, name) or "").strip():
            errors[name] = [_("This field is required.")]
    if field.field_type in CHOICE_TYPES:
        field.choices, choice_errors = _clean_choices(field.choices)
        if choice_errors:
            errors["choices"] = choice_errors
    else:
        field.choices = []
    if CustomField.objects.filter(key=field.key).exclude(pk=field.pk).exists():
        errors.setdefault("key", [_("Another custom field already uses this key.")])
    try:
        field.full_clean(exclude=list(errors), validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def custom_field_create(
    *, actor: User, data: dict[str, Any], request: HttpRequest | None = None
) -> CustomField:
    _require_admin(actor)
    field = CustomField()
    _apply(field, data)
    field.save()
    audit_record(actor=actor, action=AuditAction.SETTINGS, obj=field, request=request,
                 detail={"custom_field": field.key, "change": "create"})
    return field


@transaction.atomic
def custom_field_update(
    *, actor: User, field_id: int, data: dict[str, Any], request: HttpRequest | None = None
) -> CustomField:
    _require_admin(actor)
    field = CustomField.objects.select_for_update().filter(pk=field_id).first()
    if field is None:
        raise NotFound
    _apply(field, data)
    field.save()
    audit_record(actor=actor, action=AuditAction.SETTINGS, obj=field, request=request,
                 detail={"custom_field": field.key, "change": "update", "fields": sorted(data)})
    return field


@transaction.atomic
def custom_field_deactivate(*, actor: User, field_id: int, request: HttpRequest | None = None) -> CustomField:
    """Retire a field: it leaves forms, filters and checks; stored values stay for a later return."""
    return custom_field_update(actor=actor, field_id=field_id, data={"is_active": False}, request=request)
