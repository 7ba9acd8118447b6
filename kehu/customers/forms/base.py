"""Putting a service's ValidationError back onto the form that sent the data."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

BIGINT_MAX = 2**63 - 1


def form_key(service_key: str) -> str:
    """Service error keys name card fields; custom fields come as `custom.<key>`, shown as `cf_<key>`."""
    if service_key.startswith("custom."):
        return "cf_" + service_key.removeprefix("custom.")
    return service_key


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        name = form_key(key)
        field = form.fields.get(name)
        shown_elsewhere = name in getattr(form, "hidden_fields_with_own_errors", ())
        if field is None or (field.widget.is_hidden and not shown_elsewhere):
            label = str(field.label) if field is not None and field.label else key
            form.add_error(None, [f"{label}: {m}" for m in messages] if field is None else messages)
        else:
            form.add_error(name, messages)
