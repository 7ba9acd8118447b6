"""Reading an uploaded spreadsheet: .xlsx / .xls through python-calamine, .csv in UTF-8 (with or without
BOM) or GB18030 (a superset of GBK, what Chinese Excel saves). The content decides the format, not the
file name: a PNG renamed .xlsx is refused as "not a spreadsheet".

Row 1 is the header; data rows keep their spreadsheet numbers (the first data row is row 2), so a
problem can name the row a person sees in Excel. Fully empty rows are skipped but still counted.

Formulas: calamine returns each formula's cached value, which is what Excel showed when the file was
saved, and that value is imported. A formula whose cached value is an error (#DIV/0!, #N/A …) comes
back from calamine as an empty cell, so for .xlsx the sheet XML is scanned for error cells (t="e")
and those cells are reported as row errors. In .xls and .csv an error shows as its text (#DIV/0!),
which is caught by the same error-literal check.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import python_calamine as calamine
from django.conf import settings
from django.utils.translation import gettext as _

from kehu.customers.imports.errors import ImportFileError

ERROR_LITERALS = frozenset({"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})
# Marks a cell whose formula evaluated to an error; a string, so it survives pickling to worker processes.
FORMULA_ERROR = "\x00#formula-error\x00"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGICS = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"BM", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")
_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*?\st="e"')
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')


@dataclass
class Table:
    path: Path
    file_format: str  # xlsx | xls | csv
    encoding: str  # csv only
    headers: list[str]
    total_rows: int  # non-empty data rows
    error_cells: set[tuple[int, int]] = field(default_factory=set)  # (row number, column index)

    def iter_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(spreadsheet row number, cells) of each non-empty data row, read again from the file."""
        raw = _raw_rows(self)
        next(raw, None)  # the header
        for number, cells in enumerate(raw, start=2):
            if self.error_cells:
                cells = [FORMULA_ERROR if (number, i) in self.error_cells else c for i, c in enumerate(cells)]
            if any(c not in ("", None) for c in cells):
                yield number, cells

    def sample(self, count: int = 5) -> list[list[str]]:
        rows = []
        for _number, cells in self.iter_rows():
            rows.append([cell_text(c) for c in cells[: len(self.headers)]])
            if len(rows) >= count:
                break
        return rows


def sniff_format(head: bytes) -> str:
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        return "xls"
    if head.startswith(_BINARY_MAGICS) or b"\x00" in head:
        raise ImportFileError(_("This file is not a spreadsheet. Upload an .xlsx, .xls or .csv file."))
    return "csv"


def _not_readable() -> ImportFileError:
    return ImportFileError(_("This file is not a spreadsheet Kehu can read. Upload an .xlsx, .xls or .csv file."))


def open_table(path: str | Path, *, max_rows: int | None = None) -> Table:
    """The header and row count of the file's first sheet. Raises ImportFileError for an unusable file."""
    limit = max_rows if max_rows is not None else settings.KEHU_IMPORT_MAX_ROWS
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    kind = sniff_format(head)
    table = Table(path, kind, "", [], 0)
    if kind == "csv":
        table.encoding = _decode(path.read_bytes())[1]
    elif kind == "xlsx":
        declared, table.error_cells = _scan_xlsx(path)
        if declared is not None and declared - 1 > limit:
            raise _too_many(declared - 1, limit)
    raw = _raw_rows(table)
    header = next(raw, None)
    if header is None:
        raise ImportFileError(_("The file is empty."))
    headers = [_text(c) for c in header]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError(_("The first row must hold the column names, but it is empty."))
    table.headers = headers
    count = 0
    error_rows = {r for r, _c in table.error_cells}
    for number, cells in enumerate(raw, start=2):
        if number in error_rows or any(c not in ("", None) for c in cells):
            count += 1
    if count > limit:
        raise _too_many(count, limit)
    if not count:
        raise ImportFileError(_("The file has a header row but no data rows."))
    table.total_rows = count
    return table


def _too_many(rows: int, limit: int) -> ImportFileError:
    return ImportFileError(
        _("This file has %(rows)s data rows; at most %(limit)s can be imported at once. Split it into smaller files.")
        % {"rows": f"{rows:,}", "limit": f"{limit:,}"}
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raw_rows(table: Table) -> Iterator[list[Any]]:
    if table.file_format == "csv":
        yield from _csv_rows(table)
        return
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(table.path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except calamine.PasswordError:
        raise ImportFileError(
            _("This workbook is password-protected. Save it without a password and upload again.")
        ) from None
    except Exception:  # calamine raises many kinds for a damaged or foreign file
        raise _not_readable() from None
    yield from rows


def _first_sheet_member(archive: zipfile.ZipFile) -> str | None:
    """The XML part of the workbook's first sheet (usually xl/worksheets/sheet1.xml)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        first = book.find("m:sheets/m:sheet", ns)
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    if first is None:
        return None
    rel_id = first.get(f"{{{ns['r']}}}id")
    for rel in rels.findall("p:Relationship", ns):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _scan_xlsx(path: Path) -> tuple[int | None, set[tuple[int, int]]]:
    """(declared last row, cells holding a formula error) from the first sheet's XML, streamed."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise _not_readable() from None
    with archive:
        member = _first_sheet_member(archive)
        if member is None or member not in archive.namelist():
            return None, set()
        declared: int | None = None
        errors: set[tuple[int, int]] = set()
        tail = b""
        with archive.open(member) as stream:
            first = True
            while chunk := stream.read(1 << 20):
                data = tail + chunk
                if first:
                    found = _DIMENSION.search(data[:4096])
                    if found and found.group(1):
                        declared = int(found.group(1))
                    first = False
                for match in _ERROR_CELL.finditer(data):
                    errors.add((int(match.group(2)), _column_index(match.group(1).decode())))
                tail = data[-256:]
    return declared, errors


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig":
            return text, "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, encoding
    raise ImportFileError(
        _("This file's text encoding is not UTF-8 or GBK/GB18030 (bad encoding). Save it as UTF-8 CSV or as .xlsx.")
    )


def _csv_rows(table: Table) -> Iterator[list[Any]]:
    text, _encoding = _decode(table.path.read_bytes())
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error:
        raise _not_readable() from None


def cell_text(value: Any) -> str:
    """A cell as a person reads it (problem reports, sample rows)."""
    if value == FORMULA_ERROR:
        return "#ERROR"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _text(value)
