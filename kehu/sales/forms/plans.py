"""Parsing the plan pages' input: the edit grid (lines and support items), the progress filters, copy, import.

The grid posts `line-<n>-product|product_label|quantity|amount|schedule` and
`support-<n>-kind|description|cost`; blank rows are ignored. The service checks the values and
names a bad cell as `lines.<i>.<field>`; `GridInput.row_errors` maps that back to the grid row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.sales.models import PlanLine, PlanSupport, SupportKind
from kehu.sales.selectors.plan_progress import GROUPS
from kehu.sales.services.plans import LineInput, SupportInput, month_start

BLANK_LINES = 3
BLANK_SUPPORTS = 1
_KEY = re.compile(r"^(line|support)-(\d{1,4})-([a-z_]+)$")
LINE_FIELDS = ("product", "product_label", "quantity", "amount", "schedule")
SUPPORT_FIELDS = ("kind", "description", "cost")


@dataclass
class GridInput:
    lines: list[LineInput] = field(default_factory=list)
    supports: list[SupportInput] = field(default_factory=list)
    line_rows: list[dict[str, Any]] = field(default_factory=list)
    support_rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    version: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def apply(self, error: ValidationError) -> None:
        """Put the service's `lines.<i>.<field>` messages on the grid rows; others stay page-level."""
        for key, messages in error.message_dict.items():
            parts = key.split(".")
            rows = {"lines": self.line_rows, "supports": self.support_rows}.get(parts[0])
            if rows is not None and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
                rows[int(parts[1])].setdefault("errors", {})[parts[2]] = messages
            else:
                self.errors.setdefault(key, []).extend(messages)


def _rows(data: QueryDict, kind: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for key in data:
        match = _KEY.match(key)
        if match and match.group(1) == kind and match.group(3) in names:
            found.setdefault(int(match.group(2)), {})[match.group(3)] = data.get(key, "").strip()[:400]
    return [found[i] for i in sorted(found)]


def grid_parse(data: QueryDict) -> GridInput:
    grid = GridInput(note=data.get("note", "").strip()[:400], version=data.get("version", "").strip()[:30])
    for row in _rows(data, "line", LINE_FIELDS):
        if not any(row.get(name) for name in ("product", "product_label", "quantity", "amount", "schedule")):
            continue
        grid.lines.append((row.get("product", ""), row.get("quantity", ""), row.get("amount", ""), row.get("schedule", "")))
        grid.line_rows.append(dict(row))
    for row in _rows(data, "support", SUPPORT_FIELDS):
        if not any(row.get(name) for name in SUPPORT_FIELDS):
            continue
        grid.supports.append((row.get("kind", ""), row.get("description", ""), row.get("cost", "")))
        grid.support_rows.append(dict(row))
    return grid


def grid_from_plan(lines: list[PlanLine], supports: list[PlanSupport], actuals: dict[int, Any]) -> GridInput:
    grid = GridInput()
    for line in lines:
        sold = actuals.get(line.product_id)
        grid.line_rows.append({
            "product": str(line.product_id), "product_label": f"{line.product.sku} {line.product}",
            "quantity": f"{line.quantity.normalize():f}", "amount": f"{line.amount:.2f}", "schedule": line.schedule,
            "actual_quantity": sold[0] if sold else None, "actual_amount": sold[1] if sold else None,
            "unit": line.product.unit,
        })
    for item in supports:
        grid.support_rows.append({"kind": item.kind, "description": item.description, "cost": f"{item.cost:.2f}"})
    return grid


def with_blanks(rows: list[dict[str, Any]], blanks: int) -> list[dict[str, Any]]:
    return [*rows, *({} for _ in range(blanks))]


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value: Any) -> str:
        return f"{value:%Y-%m}" if isinstance(value, date) else str(value or "")


class MonthFormField(forms.Field):
    widget = MonthInput

    def to_python(self, value: Any) -> date | None:
        if value in (None, ""):
            return None
        try:
            return month_start(str(value)[:20])
        except ValidationError:
            raise ValidationError(_("Enter a month as YYYY-MM.")) from None


def unit_choices(units: list[Any]) -> list[tuple[int, str]]:
    return [(u.pk, f"{'· ' * max(u.depth, 0)}{u.name}") for u in units]


def this_month() -> date:
    return timezone.localdate().replace(day=1)


class ProgressFilterForm(forms.Form):
    month = MonthFormField(label=_("Month"), required=False)
    period = forms.ChoiceField(label=_("Period"), required=False,
                               choices=[("month", _("Month")), ("ytd", _("Year to date"))])
    group_by = forms.ChoiceField(label=_("Group by"), required=False, choices=list(GROUPS.items()))
    org_unit = forms.TypedChoiceField(label=_("Org unit"), required=False, coerce=int, empty_value=None)
    rep = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    behind = forms.BooleanField(label=_("Behind plan only"), required=False)
    approved_only = forms.BooleanField(label=_("Approved plans only"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = [("", _("All I can see")), *unit_choices(units)]

    def query(self) -> dict[str, Any]:
        """What the progress selector needs; invalid parts fall back to their defaults."""
        self.is_valid()
        data = self.cleaned_data  # the fields that parsed; a bad one falls back to its default alone
        group_by = data.get("group_by") or "customer"
        period = data.get("period") or "month"
        if group_by == "month":
            period = "ytd"
        return {"month": data.get("month") or this_month(), "period": period, "group_by": group_by,
                "org_unit": data.get("org_unit"), "rep": data.get("rep"), "behind": bool(data.get("behind")),
                "approved_only": bool(data.get("approved_only")),
                "page": data.get("page") or 1}


class CopyForm(forms.Form):
    org_unit = forms.TypedChoiceField(label=_("Org unit"), coerce=int)
    month = MonthFormField(label=_("Plan month"))
    growth = forms.DecimalField(label=_("Growth (%)"), max_digits=7, decimal_places=2, min_value=-100, max_value=1000,
                                initial=10, help_text=_("Last year's same month × (1 + growth). 10 means +10 %."))

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = unit_choices(units)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx, .xls or .csv)"))
    dry_run = forms.BooleanField(label=_("Check only, do not save"), required=False)


class DecisionForm(forms.Form):
    version = forms.IntegerField(min_value=0, max_value=2**63 - 1)
    text = forms.CharField(required=False, max_length=300)


SUPPORT_KINDS = SupportKind.choices
