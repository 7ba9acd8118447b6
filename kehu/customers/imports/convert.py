"""Turning one cell into one field value with the field's own rules.

The card form runs `full_clean`; per row that is too slow for a 100k-row file, and it validates every
field while an import sets only the mapped ones. So each mapped column gets a converter built once
from the model field: parse the cell (numbers, dates and booleans as Excel stores them, choices by
code or by their Chinese or English label), then the field's own `run_validators` — the same
validators (kehu/core/validators.py, max length, decimal places, ranges) the form and the API run.
Custom fields go through custom_fields.parse_value, the function the form and the API use.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.accounts.models import OrgUnit, User
from kehu.customers.custom_fields import FALSE_WORDS, TRUE_WORDS, parse_value
from kehu.customers.imports.reader import ERROR_LITERALS, FORMULA_ERROR
from kehu.customers.imports.targets import CONTACT_KEYS, CUSTOM_PREFIX
from kehu.customers.models import Contact, Customer, CustomField, CustomFieldType, Weekday

Converter = Callable[[Any], Any]
AMBIGUOUS = -1
WEEKDAY_WORDS = {
    "周一": 1, "周二": 2, "周三": 3, "周四": 4, "周五": 5, "周六": 6, "周日": 7, "周天": 7,
    "星期一": 1, "星期二": 2, "星期三": 3, "星期四": 4, "星期五": 5, "星期六": 6, "星期日": 7, "星期天": 7,
    "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
}


class CellError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def fold(text: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).lower().split())


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def cell_string(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, (datetime.date, datetime.time)):
        return raw.isoformat()
    return unicodedata.normalize("NFKC", str(raw)).strip() if isinstance(raw, str) else str(raw).strip()


def check_formula(raw: Any) -> None:
    if isinstance(raw, str) and (raw == FORMULA_ERROR or raw.strip().upper() in ERROR_LITERALS):
        shown = "" if raw == FORMULA_ERROR else raw.strip()
        raise CellError(
            _("This cell's formula gives an error %(error)s; fix the formula or type the value.") % {"error": shown}
        )


def _validated(field: models.Field, value: Any) -> Any:
    try:
        field.run_validators(value)
    except ValidationError as exc:
        raise CellError(" ".join(exc.messages)) from None
    return value


def _not_number(raw: Any) -> CellError:
    return CellError(_("'%(value)s' is not a number.") % {"value": cell_string(raw)})


def parse_number(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise _not_number(raw)
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "").replace("¥", "").replace(" ", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _not_number(raw) from None
    if not number.is_finite():
        raise _not_number(raw)
    return number


def _choice_map(choices: list[tuple[Any, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices:
                table.setdefault(fold(value), value)
                table.setdefault(fold(str(label)), value)
    return table


def _unknown_choice(raw: Any, choices: list[tuple[Any, Any]]) -> CellError:
    allowed = ", ".join(f"{label} ({value})" if str(label) != str(value) else str(value) for value, label in choices)
    return CellError(_("'%(value)s' is not one of: %(allowed)s.") % {"value": cell_string(raw), "allowed": allowed})


def choice_converter(choices: list[tuple[Any, Any]], extra: dict[str, Any] | None = None) -> Converter:
    table = {**_choice_map(choices), **(extra or {})}

    def convert(raw: Any) -> Any:
        value = table.get(fold(cell_string(raw)))
        if value is None:
            raise _unknown_choice(raw, choices)
        return value

    return convert


def parse_bool(raw: Any) -> bool:
    """是/否, yes/no, true/false, 1/0, √/× (and real booleans)."""
    if isinstance(raw, bool):
        return raw
    word = fold(cell_string(raw))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("'%(value)s' is not yes or no.") % {"value": cell_string(raw)})


def _time(raw: Any) -> datetime.time:
    if isinstance(raw, datetime.datetime):
        return raw.time()
    if isinstance(raw, datetime.time):
        return raw
    if isinstance(raw, float) and 0 <= raw < 1:  # an unformatted Excel time: a fraction of a day
        seconds = min(round(raw * 86400), 86399)
        return datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    text = cell_string(raw).replace("：", ":")
    try:
        return datetime.time.fromisoformat(text if len(text) > 4 else text.zfill(5))
    except ValueError:
        raise CellError(_("'%(value)s' is not a time; write it as HH:MM.") % {"value": cell_string(raw)}) from None


def field_converter(field: models.Field) -> Converter:
    """Cell → value of a concrete model field, by the field's own parsing and validators."""
    if field.name == "usual_order_day":
        return choice_converter(list(Weekday.choices), {**WEEKDAY_WORDS, **{str(d): d for d in range(1, 8)}})
    if field.choices:
        return choice_converter(list(field.choices))
    if isinstance(field, models.BooleanField):
        return parse_bool
    if isinstance(field, models.DecimalField):
        def decimal(raw: Any) -> Decimal:
            return _validated(field, parse_number(raw))
        return decimal
    if isinstance(field, models.IntegerField):
        def integer(raw: Any) -> int:
            number = parse_number(raw)
            if number != number.to_integral_value():
                raise CellError(_("'%(value)s' is not a whole number.") % {"value": cell_string(raw)})
            return _validated(field, int(number))
        return integer
    if isinstance(field, models.TimeField):
        def time(raw: Any) -> datetime.time:
            return _validated(field, _time(raw))
        return time

    upper = field.name == "credit_code"
    limit = field.max_length or 0
    # The max-length validator runs only when the length is over (same message); others always.
    others = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]

    def text(raw: Any) -> str:
        value = cell_string(raw)
        if upper:
            value = value.upper()
        if (limit and len(value) > limit) or others:
            _validated(field, value)
        return value
    return text


class Lookups:
    """Owners by username or display name, org units by code or name: loaded once per import."""

    def __init__(self) -> None:
        self.users: dict[str, int] = {}
        self.user_units: dict[int, int | None] = {}
        for pk, username, display, unit in User.objects.filter(is_active=True).values_list(
            "pk", "username", "display_name", "org_unit_id"
        ):
            self.user_units[pk] = unit
            self._add(self.users, username, pk)
            if display:
                self._add(self.users, display, pk)
        self.units: dict[str, int] = {}
        self.unit_ids: set[int] = set()
        for pk, code, name in OrgUnit.objects.values_list("pk", "code", "name"):
            self.unit_ids.add(pk)
            self._add(self.units, code, pk)
            self._add(self.units, name, pk)

    @staticmethod
    def _add(table: dict[str, int], word: str, pk: int) -> None:
        key = fold(word)
        table[key] = pk if table.get(key, pk) == pk else AMBIGUOUS

    def owner(self, raw: Any) -> int:
        pk = self.users.get(fold(cell_string(raw)))
        if pk is None:
            raise CellError(_("No active user has the username or name '%(value)s'.") % {"value": cell_string(raw)})
        if pk == AMBIGUOUS:
            raise CellError(_("Several users are called '%(value)s'; use the username.") % {"value": cell_string(raw)})
        return pk

    def org_unit(self, raw: Any) -> int:
        pk = self.units.get(fold(cell_string(raw)))
        if pk is None:
            raise CellError(_("No org unit has the code or name '%(value)s'.") % {"value": cell_string(raw)})
        if pk == AMBIGUOUS:
            raise CellError(_("Several org units are called '%(value)s'; use the code.") % {"value": cell_string(raw)})
        return pk


def custom_converter(field: CustomField) -> Converter:
    labels: dict[str, str] = {}
    for choice in field.choices:
        for word in (choice.get("value"), choice.get("label_zh"), choice.get("label_en")):
            if word not in (None, ""):
                labels.setdefault(fold(word), str(choice["value"]))

    def convert(raw: Any) -> Any:
        value: Any = raw
        if field.field_type == CustomFieldType.CHOICE:
            value = labels.get(fold(cell_string(raw)), cell_string(raw))
        elif field.field_type == CustomFieldType.MULTI_CHOICE:
            parts = [p for p in cell_string(raw).replace("，", ",").replace("、", ",").split(",") if p.strip()]
            value = [labels.get(fold(p), p.strip()) for p in parts]
        elif isinstance(raw, str):
            value = cell_string(raw)
        try:
            return parse_value(field, value)
        except ValidationError as exc:
            raise CellError(" ".join(exc.messages)) from None

    return convert


def build_converters(mapping: dict[int, str], fields: list[CustomField], lookups: Lookups) -> dict[int, Converter]:
    by_key = {f.key: f for f in fields}
    converters: dict[int, Converter] = {}
    for index, key in mapping.items():
        if key == "owner":
            converters[index] = lookups.owner
        elif key == "org_unit":
            converters[index] = lookups.org_unit
        elif key.startswith(CUSTOM_PREFIX):
            converters[index] = custom_converter(by_key[key.removeprefix(CUSTOM_PREFIX)])
        elif key in CONTACT_KEYS:
            converters[index] = field_converter(Contact._meta.get_field(key.removeprefix("contact_")))
        else:
            converters[index] = field_converter(Customer._meta.get_field(key))
    return converters
