"""A small, synchronous sheet importer shared by the sales imports (products, orders, plans).

The customer import (kehu.customers.imports) is a big, resumable, background pipeline with column
mapping. The sales imports are short lists a person uploads and waits for, so this module only reads
and checks: it matches the header row to a fixed set of `Column`s (Chinese and English synonyms),
converts every cell and collects *every* problem with its spreadsheet row number and column label.
It never writes. The file is read with the customer import's reader (`open_table`: .xlsx/.xls via
calamine, .csv in UTF-8 or GBK/GB18030, sniffed by content) and its cell helpers (`cell_string`,
`parse_number`, `check_formula`, `CellError`).

The caller writes, all-or-nothing: when `result.errors` is empty it writes every row inside one
transaction, and a row that fails in the service (a `DomainError`, say) is turned into a `RowError`
and the transaction is rolled back, so nothing is half-written::

    COLUMNS = (
        Column("sku", ("编码", "SKU", "商品编码"), required=True, convert=as_text(40)),
        Column("quantity", ("数量", "Quantity", "qty"), required=True, convert=as_decimal(places=3)),
    )

    result = read_sheet(upload, COLUMNS, max_rows=5000)
    if result.errors:
        return result.errors                      # show them all; nothing written
    try:
        with transaction.atomic():
            for row, values in result.rows:      # values: {"sku": "A1", "quantity": Decimal("2")}
                try:
                    thing_write(actor=user, **values)
                except DomainError as exc:
                    raise RowsFailed([RowError(row, "", "", str(exc))]) from None
            if dry_run:
                raise RowsFailed([])               # checked everything, roll back
    except RowsFailed as failed:
        return failed.errors

Columns: `labels[0]` is the Chinese header and `labels[1]` the English one (the template uses them);
every label is a synonym accepted in an uploaded header, compared without case, spaces or full-width
differences, and a trailing "*" (the template's "required" mark) is ignored. In a row's dict a matched
column always has its key; an empty cell is `None` (a required column's empty cell is a RowError),
and a column that is not in the file is absent from the dict — so an update can tell "leave as is"
(absent) from "clear" (None).

A cell's error names its column as the file's header does (what the person sees in Excel); a
missing column is named by its label in the active language.

File-level problems (not a spreadsheet, empty, bad encoding, too many rows) are a RowError with
row 0; a missing required column or a duplicate header is a RowError on row 1, the header row.
"""

from __future__ import annotations

import datetime
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.customers.imports.convert import CellError, cell_string, check_formula, fold, is_empty, parse_bool, parse_number
from kehu.customers.imports.errors import ImportFileError
from kehu.customers.imports.reader import cell_text, open_table

Converter = Callable[[Any], Any]
DEFAULT_MAX_ROWS = 5000

__all__ = [
    "CellError", "Column", "RowError", "RowsFailed", "SheetResult", "as_bool", "as_date", "as_decimal",
    "as_int", "as_text", "read_sheet", "write_template",
]


def as_text(max_length: int | None = None) -> Converter:
    """A cell as trimmed text, refused when longer than `max_length`."""

    def convert(raw: Any) -> str:
        value = cell_string(raw)
        if "\x00" in value:  # PostgreSQL text cannot hold it
            raise CellError(_("Text cannot contain NUL (\\x00) characters."))
        if max_length is not None and len(value) > max_length:
            raise CellError(
                ngettext(
                    "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
                    "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
                    max_length,
                ) % {"limit_value": max_length, "show_value": len(value)}
            )
        return value

    return convert


def as_decimal(*, places: int = 2, min_value: Decimal | int | None = 0, max_digits: int = 14) -> Converter:
    """A number with at most `places` decimals (money: 2, quantities: 3); `min_value` None allows negatives."""

    def convert(raw: Any) -> Decimal:
        number = parse_number(raw)
        if number != number.quantize(Decimal(1).scaleb(-places)):
            # A float from Excel may carry binary noise (12.300000000000001): round it, else refuse.
            rounded = number.quantize(Decimal(1).scaleb(-places))
            if not isinstance(raw, float) or abs(number - rounded) > Decimal("1e-9"):
                raise CellError(
                    _("'%(value)s' has more than %(places)d decimal places.") % {"value": cell_string(raw), "places": places}
                )
            number = rounded
        number = number.quantize(Decimal(1).scaleb(-places))
        if min_value is not None and number < min_value:
            raise CellError(_("'%(value)s' must be at least %(min)s.") % {"value": cell_string(raw), "min": min_value})
        if len(number.as_tuple().digits) > max_digits:
            raise CellError(_("'%(value)s' is too large.") % {"value": cell_string(raw)})
        return number

    return convert


def as_int(*, min_value: int | None = 0, max_value: int | None = 2_147_483_647) -> Converter:
    """A whole number within [min_value, max_value]."""

    def convert(raw: Any) -> int:
        number = parse_number(raw)
        if number != number.to_integral_value():
            raise CellError(_("'%(value)s' is not a whole number.") % {"value": cell_string(raw)})
        if min_value is not None and number < min_value:
            raise CellError(_("'%(value)s' must be at least %(min)s.") % {"value": cell_string(raw), "min": min_value})
        if max_value is not None and number > max_value:
            raise CellError(_("'%(value)s' is too large.") % {"value": cell_string(raw)})
        return int(number)

    return convert


# 是/否, yes/no, true/false, 1/0, √/×: the customer import's reading.
as_bool = parse_bool


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def as_date(raw: Any) -> datetime.date:
    """An Excel date, a date serial number or text as 2024-01-31, 2024/1/31, 2024年1月31日."""
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 <= raw < 2_958_466:
        return _EXCEL_EPOCH + datetime.timedelta(days=int(raw))
    text = cell_string(raw).split(" ")[0].split("T")[0]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CellError(_("'%(value)s' is not a date; write it as YYYY-MM-DD.") % {"value": cell_string(raw)})


@dataclass(frozen=True)
class Column:
    """One expected column: `labels[0]` Chinese header, `labels[1]` English header, the rest synonyms."""

    key: str
    labels: tuple[str, ...]
    required: bool = False
    convert: Converter = field(default=as_text())
    help: str = ""  # the template's "what to enter" (a lazy translation is fine)
    example: Any = None  # the template's sample row; no sample row when no column has one
    unique: bool = False  # the same value twice in one file is a row error (SKU, order number)

    def label(self, lang: str = "") -> str:
        """The header shown to a person: Chinese, or English when `lang` (default: the active language) is English."""
        lang = lang or translation.get_language() or "zh-hans"
        if lang.startswith("en") and len(self.labels) > 1:
            return self.labels[1]
        return self.labels[0]


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (1 = header, 0 = the whole file), the column's label, the cell's text."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        if self.row == 0:
            return self.message
        values = {"row": self.row, "column": self.column, "value": self.value, "message": self.message}
        if self.value:
            return _("Row %(row)d, %(column)s: %(value)s — %(message)s") % values
        return _("Row %(row)d, %(column)s: %(message)s") % values

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


class RowsFailed(Exception):
    """Raised inside the caller's transaction to roll it back and hand the row errors out."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row errors")
        self.errors = errors


@dataclass
class SheetResult:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    present: frozenset[str] = frozenset()  # the keys of the columns found in the header

    @property
    def ok(self) -> bool:
        return not self.errors


@contextmanager
def _local_path(source: str | Path | UploadedFile | Any) -> Iterator[Path]:
    """A path on disk for a path, a Django upload (in memory or a temporary file) or a binary file object."""
    if isinstance(source, (str, Path)):
        yield Path(source)
        return
    temporary = getattr(source, "temporary_file_path", None)
    if callable(temporary):
        yield Path(temporary())
        return
    handle, name = tempfile.mkstemp(suffix=".upload")
    try:
        with os.fdopen(handle, "wb") as out:
            if hasattr(source, "chunks"):
                for chunk in source.chunks():
                    out.write(chunk)
            else:
                if hasattr(source, "seek"):
                    source.seek(0)
                out.write(source.read())
        yield Path(name)
    finally:
        os.unlink(name)


def _header_key(text: str) -> str:
    return fold(text).rstrip("*＊")


def _match_headers(headers: Sequence[str], columns: Sequence[Column]) -> tuple[dict[int, Column], list[str], list[RowError]]:
    by_label: dict[str, Column] = {}
    for column in columns:
        for label in (column.key, *column.labels):
            by_label.setdefault(_header_key(label), column)
    matched: dict[int, Column] = {}
    seen: dict[str, str] = {}
    unknown: list[str] = []
    errors: list[RowError] = []
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        column = by_label.get(_header_key(header))
        if column is None:
            unknown.append(header)
        elif column.key in seen:
            errors.append(RowError(1, header, "", _("This column appears twice (also as “%(other)s”); keep one.")
                                   % {"other": seen[column.key]}))
        else:
            seen[column.key] = header
            matched[index] = column
    for column in columns:
        if column.required and column.key not in seen:
            errors.append(RowError(1, column.label(), "", _("This required column is missing; add a column named “%(names)s”.")
                                   % {"names": "”/“".join(column.labels[:2])}))
    return matched, unknown, errors


def _convert_row(number: int, cells: list[Any], matched: dict[int, Column], headers: Sequence[str],
                 firsts: dict[str, dict[Any, int]], errors: list[RowError]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, column in matched.items():
        raw = cells[index] if index < len(cells) else None
        label = headers[index]  # as the person's file names it
        if is_empty(raw):
            values[column.key] = None
            if column.required:
                errors.append(RowError(number, label, "", _("This column is required; the cell is empty.")))
            continue
        try:
            check_formula(raw)
            value = column.convert(raw)
        except CellError as exc:
            errors.append(RowError(number, label, cell_text(raw), exc.message))
            continue
        except ValidationError as exc:
            errors.append(RowError(number, label, cell_text(raw), " ".join(exc.messages)))
            continue
        values[column.key] = value
        if column.unique:
            key = fold(value) if isinstance(value, str) else value
            first = firsts.setdefault(column.key, {}).setdefault(key, number)
            if first != number:
                errors.append(RowError(number, label, cell_text(raw),
                                       _("The same value is already in row %(row)d.") % {"row": first}))
    return values


def read_sheet(source: str | Path | UploadedFile | Any, columns: Sequence[Column], *,
               max_rows: int = DEFAULT_MAX_ROWS) -> SheetResult:
    """Read, match and convert every row of the first sheet; all problems go to `errors`, nothing raises."""
    result = SheetResult()
    with _local_path(source) as path:
        try:
            table = open_table(path, max_rows=max_rows)
        except ImportFileError as exc:
            result.errors.append(RowError(0, "", "", exc.message))
            return result
        matched, result.unknown_headers, result.errors = _match_headers(table.headers, columns)
        result.present = frozenset(c.key for c in matched.values())
        if result.errors:
            return result
        firsts: dict[str, dict[Any, int]] = {}
        try:
            for number, cells in table.iter_rows():
                values = _convert_row(number, cells, matched, table.headers, firsts, result.errors)
                result.rows.append((number, values))
        except ImportFileError as exc:
            result.errors.append(RowError(0, "", "", exc.message))
    return result


def write_template(columns: Iterable[Column], lang: str) -> bytes:
    """An .xlsx with the header row in `lang` ("zh-hans" or "en"), a sample row when the columns have
    examples, and a second sheet explaining each column."""
    columns = list(columns)
    lang = "en" if lang.startswith("en") else "zh-hans"
    buffer = io.BytesIO()
    with translation.override(lang):
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        plain = workbook.add_format({"bold": True, "bg_color": "#E8EEF7"})
        required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6"})
        sheet = workbook.add_worksheet(_("Data"))
        guide = workbook.add_worksheet(_("Columns"))
        guide.write_row(0, 0, [_("Column"), _("Required"), _("What to enter")], plain)
        has_examples = any(c.example is not None for c in columns)
        for index, column in enumerate(columns):
            sheet.write_string(0, index, column.label(lang), required if column.required else plain)
            if has_examples and column.example is not None:
                if isinstance(column.example, (int, float, Decimal)) and not isinstance(column.example, bool):
                    sheet.write_number(1, index, float(column.example))
                else:
                    sheet.write_string(1, index, str(column.example))
            guide.write_row(index + 1, 0, [column.label(lang), _("Yes") if column.required else "", str(column.help)])
        sheet.set_column(0, max(len(columns) - 1, 0), 14)
        sheet.freeze_panes(1, 0)
        guide.set_column(0, 0, 20)
        guide.set_column(2, 2, 80)
        workbook.close()
    return buffer.getvalue()
