"""The downloadable import template: a header row in Chinese or English, one sample row that imports
cleanly, and a second sheet explaining each column and the values it accepts."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.customers.custom_fields import active_fields
from kehu.customers.imports.targets import SPECS, custom_label, spec_label
from kehu.customers.models import Contact, Customer, CustomField, CustomFieldType, Weekday

SAMPLE_ZH: dict[str, Any] = {
    "name": "北京海淀鑫源副食店", "short_name": "鑫源副食", "industry": "快消零售", "credit_code": "91110108MA01QN5T36",
    "phone": "010-88886666", "province": "北京市", "city": "北京市", "district": "海淀区",
    "address": "北京市海淀区中关村大街27号", "credit_limit": 50000, "payment_terms_days": 30, "opens_at": "08:00",
    "closes_at": "21:00", "visit_frequency_days": 14, "store_area": 80, "employees": 5, "annual_revenue": 1200000,
    "brands_carried": "清泉, 农夫山泉", "usual_order_size": 3000, "preferred_delivery": "上午送货",
    "notes": "示例行，可删除", "contact_name": "张伟", "contact_title": "老板", "contact_mobile": "13812345678",
    "contact_email": "zhangwei@example.com",
}
SAMPLE_CHOICES = {"kind": "company", "channel_level": "retailer", "status": "potential", "tier": "C",
                  "credit_rating": "B", "payment_habit": "monthly", "usual_order_day": Weekday.MONDAY}


def _field(key: str) -> models.Field | None:
    if key in ("owner", "org_unit"):
        return None
    model, name = (Contact, key.removeprefix("contact_")) if key.startswith("contact_") else (Customer, key)
    return model._meta.get_field(name)


def _choices_text(choices: Any) -> str:
    return "; ".join(f"{label} ({value})" for value, label in choices)


def _explain(key: str) -> str:
    field = _field(key)
    if key == "code":
        return _("Leave empty for a new card to get the next KH code; required to update cards by code.")
    if key == "owner":
        return _("Username or display name of an active user.")
    if key == "org_unit":
        return _("Code or name of an org unit; empty: the owner's unit.")
    if key == "is_key":
        return _("Yes or no (是/否, yes/no, 1/0).")
    if field is None:
        return ""
    if field.choices:
        return _("One of: %(choices)s") % {"choices": _choices_text(field.choices)}
    if isinstance(field, models.TimeField):
        return _("A time, HH:MM.")
    if isinstance(field, (models.DecimalField, models.IntegerField)):
        return _("A number.")
    if key in ("phone", "contact_phone"):
        return _("A mobile (13812345678), a landline with area code (010-62345678) or a 400 number.")
    if key == "contact_mobile":
        return _("An 11-digit mainland mobile number.")
    if key == "credit_code":
        return _("18 characters, with a valid check character.")
    if key == "address":
        return _("Free text; province, city and district are filled from it when those columns are empty.")
    return _("Text, at most %(n)d characters.") % {"n": field.max_length} if field.max_length else _("Text.")


def _custom_sample(field: CustomField) -> Any:
    if not field.is_required:
        return ""
    if field.field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE) and field.choices:
        return str(field.choices[0]["value"])
    return {CustomFieldType.NUMBER: 1, CustomFieldType.DATE: "2024-01-01", CustomFieldType.BOOLEAN: "yes"}.get(
        field.field_type, "-"
    )


def _custom_explain(field: CustomField) -> str:
    if field.field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
        return _("One of: %(choices)s") % {
            "choices": "; ".join(f"{c.get('label_zh') or c['value']} / {c.get('label_en') or c['value']} ({c['value']})"
                                 for c in field.choices)
        }
    return str(CustomFieldType(field.field_type).label)


def import_template(language: str) -> bytes:
    """The .xlsx template with headers in `language` ("zh", "zh-hans" or "en")."""
    language = "en" if language.startswith("en") else "zh-hans"
    fields = active_fields()
    buffer = io.BytesIO()
    with translation.override(language):
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF7"})
        required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6"})
        text = workbook.add_format({"num_format": "@"})
        sheet = workbook.add_worksheet(_("Customers"))
        guide = workbook.add_worksheet(_("Columns"))
        guide.write_row(0, 0, [_("Column"), _("Required"), _("What to enter")], bold)
        column = 0
        for spec in SPECS:
            sheet.write(0, column, spec_label(spec, language), required if spec.key == "name" else bold)
            value: Any = SAMPLE_ZH.get(spec.key, "")
            if spec.key in SAMPLE_CHOICES:
                field = _field(spec.key)
                value = str(dict(field.choices)[SAMPLE_CHOICES[spec.key]]) if field is not None else ""
            if isinstance(value, str):
                sheet.write_string(1, column, value, text)
            else:
                sheet.write_number(1, column, value)
            mark = _("Yes") if spec.key == "name" else ""
            guide.write_row(column + 1, 0, [spec_label(spec, language), mark, _explain(spec.key)])
            column += 1
        for field in fields:
            sheet.write(0, column, custom_label(field, language), required if field.is_required else bold)
            sheet.write(1, column, _custom_sample(field))
            mark = _("Yes") if field.is_required else ""
            guide.write_row(column + 1, 0, [custom_label(field, language), mark, _custom_explain(field)])
            column += 1
        sheet.set_column(0, column, 16)
        sheet.freeze_panes(1, 0)
        guide.set_column(0, 0, 24)
        guide.set_column(2, 2, 90)
        workbook.close()
    return buffer.getvalue()
