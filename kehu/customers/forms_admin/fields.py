"""The admin form for custom card fields, including the `value|中文|English` choice lines."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kehu.customers.forms_admin.base import ServiceErrorsMixin
from kehu.customers.models import CustomField, CustomFieldType

CHOICE_TYPES = frozenset({CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE})
VALUE_MAX, LABEL_MAX = 40, 60
# Multi-choice values travel comma-separated and are matched quoted; neither may appear in a value.
FORBIDDEN_IN_VALUE = (",", "，", '"')


def parse_choice_lines(text: str) -> list[dict[str, str]]:
    """`value|中文|English` per line (｜ accepted too); errors name the line."""
    choices: list[dict[str, str]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.replace("｜", "|").split("|")]
        problem = _choice_problem(parts, seen)
        if problem:
            errors.append(_("Line %(line)d: %(problem)s") % {"line": number, "problem": problem})
            continue
        seen.add(parts[0])
        choices.append({"value": parts[0], "label_zh": parts[1], "label_en": parts[2]})
    if errors:
        raise ValidationError(errors)
    return choices


def _choice_problem(parts: list[str], seen: set[str]) -> Any:
    if len(parts) != 3 or not all(parts):
        return _("write value|中文|English — three parts, none empty.")
    value, label_zh, label_en = parts
    if any(mark in value for mark in FORBIDDEN_IN_VALUE):
        return _("the value “%(value)s” may not contain a comma or a quote.") % {"value": value}
    if len(value) > VALUE_MAX:
        return _("the value may have at most %(max)d characters.") % {"max": VALUE_MAX}
    if len(label_zh) > LABEL_MAX or len(label_en) > LABEL_MAX:
        return _("a label may have at most %(max)d characters.") % {"max": LABEL_MAX}
    if value in seen:
        return _("the value “%(value)s” is already used on an earlier line.") % {"value": value}
    return None


def choices_to_lines(choices: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['value']}|{c['label_zh']}|{c['label_en']}" for c in choices)


class CustomFieldForm(ServiceErrorsMixin, forms.Form):
    key = forms.CharField(
        label=_("Key"), max_length=40,
        help_text=_("Lower-case letters, digits and _, starting with a letter; cannot change later."),
    )
    label_zh = forms.CharField(label=_("Chinese label"), max_length=LABEL_MAX)
    label_en = forms.CharField(label=_("English label"), max_length=LABEL_MAX)
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    choices = forms.CharField(
        label=_("Choices"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Choice types only: one choice per line, written value|中文|English."),
    )
    is_required = forms.BooleanField(label=_("Required"), required=False)
    weight = forms.IntegerField(
        label=_("Completeness weight"), min_value=0, max_value=100, initial=1,
        help_text=_("How much a filled-in value counts towards the card's completeness (0 = not at all)."),
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, instance: CustomField | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = field_initial(instance)
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is not None:
            # Values live on the cards under the key; renaming it would orphan them.
            self.fields["key"].disabled = True
            self.fields["field_type"].disabled = True
            self.fields["field_type"].help_text = _("The type cannot change once cards may hold values.")

    def clean_key(self) -> str:
        return str(self.cleaned_data["key"]).strip()

    def clean_choices(self) -> list[dict[str, str]]:
        return parse_choice_lines(self.cleaned_data.get("choices") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, choices = data.get("field_type"), data.get("choices")
        if kind in CHOICE_TYPES and choices == []:
            self.add_error(
                "choices", _("A choice field needs at least one choice, one per line: value|中文|English.")
            )
        if kind and kind not in CHOICE_TYPES and choices:
            self.add_error(
                "choices", _("Only choice fields have choices: clear this box or pick a choice type.")
            )
        return data

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.instance is not None:
            data.pop("key", None)
        return data


def field_initial(field: CustomField) -> dict[str, Any]:
    return {
        "key": field.key, "label_zh": field.label_zh, "label_en": field.label_en,
        "field_type": field.field_type, "choices": choices_to_lines(field.choices),
        "is_required": field.is_required, "weight": field.weight, "position": field.position,
        "is_active": field.is_active,
    }
