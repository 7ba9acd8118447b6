"""Parsing and validating the values of admin-defined custom fields (one place for web, API, import)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.customers.models import CustomField, CustomFieldType

TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "对", "√"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "不", "×", ""}


def active_fields() -> list[CustomField]:
    return list(CustomField.objects.filter(is_active=True))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def parse_value(field: CustomField, value: Any) -> Any:
    """Turn a submitted value into its stored JSON form, or raise ValidationError with a reason."""
    kind = field.field_type
    if kind == CustomFieldType.TEXT:
        text = str(value).strip()
        if len(text) > 500:
            raise ValidationError(_("At most 500 characters."))
        return text
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(_("'%(value)s' is not a number.") % {"value": value})
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise ValidationError(_("'%(value)s' is not a number.") % {"value": value}) from None
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise ValidationError(_("'%(value)s' is not a number.") % {"value": value})
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.DATE:
        if isinstance(value, datetime.datetime):  # spreadsheet cells often carry a midnight time
            value = value.date()
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(
                _("'%(value)s' is not a date; write it as YYYY-MM-DD.") % {"value": value}
            ) from None
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValidationError(_("'%(value)s' is not yes or no.") % {"value": value})
    allowed = field.choice_values()
    if kind == CustomFieldType.CHOICE:
        if str(value) not in allowed:
            raise ValidationError(
                _("'%(value)s' is not one of: %(allowed)s.") % {"value": value, "allowed": ", ".join(allowed)}
            )
        return str(value)
    items = value if isinstance(value, (list, tuple)) else [v for v in str(value).split(",") if v.strip()]
    wrong = [str(v) for v in items if str(v).strip() not in allowed]
    if wrong:
        raise ValidationError(
            _("'%(value)s' is not one of: %(allowed)s.") % {"value": wrong[0], "allowed": ", ".join(allowed)}
        )
    return list(dict.fromkeys(str(v).strip() for v in items))  # each choice once, in the order given


def custom_values_clean(
    fields: Iterable[CustomField], submitted: dict[str, Any], current: dict[str, Any]
) -> dict[str, Any]:
    """Merge submitted values over the current ones; errors are keyed `custom.<key>`."""
    if not isinstance(submitted, dict):
        raise ValidationError({"custom": [_("Custom fields must be an object of key → value.")]})
    by_key = {f.key: f for f in fields}
    errors: dict[str, list[str]] = {}
    result = {k: v for k, v in current.items() if k in by_key}
    for key, value in submitted.items():
        field = by_key.get(key)
        if field is None:
            errors[f"custom.{key}"] = [_("There is no custom field '%(key)s'.") % {"key": key}]
            continue
        if _empty(value):
            result.pop(key, None)
            continue
        try:
            result[key] = parse_value(field, value)
        except ValidationError as exc:
            errors[f"custom.{key}"] = list(exc.messages)
    for field in by_key.values():
        if field.is_required and _empty(result.get(field.key)) and f"custom.{field.key}" not in errors:
            errors[f"custom.{field.key}"] = [_("%(label)s is required.") % {"label": field.label}]
    if errors:
        raise ValidationError(errors)
    return result


def display_value(field: CustomField, value: Any) -> str:
    if _empty(value):
        return ""
    if field.field_type == CustomFieldType.BOOLEAN:
        return _("Yes") if value else _("No")
    if field.field_type == CustomFieldType.CHOICE:
        return field.choice_label(value)
    if field.field_type == CustomFieldType.MULTI_CHOICE:
        return "、".join(field.choice_label(v) for v in value)
    return str(value)
