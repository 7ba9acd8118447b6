"""Building import files for the import tests (real .xlsx via xlsxwriter, real .csv bytes)."""

from __future__ import annotations

import csv
import io
from typing import Any

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.accounts.models import User
from kehu.customers.imports import import_check, import_configure, import_upload
from kehu.customers.models import ImportJob

HEADERS = ["Code", "Customer name", "Phone", "Credit limit", "Channel level", "Owner", "Address", "Contact", "Mobile"]


def xlsx_bytes(rows: list[list[Any]], formulas: dict[tuple[int, int], tuple[str, Any]] | None = None) -> bytes:
    """Rows (the first is the header) as an .xlsx; `formulas` puts (formula, cached value) at (row, col)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    for (r, c), (formula, cached) in (formulas or {}).items():
        sheet.write_formula(r, c, formula, None, cached)
    workbook.close()
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def upload(user: User, data: bytes, name: str = "customers.xlsx") -> ImportJob:
    return import_upload(user, SimpleUploadedFile(name, data))


def checked(
    user: User, data: bytes, name: str = "customers.xlsx", *, mode: str = "create", on_error: str = "skip",
    import_duplicates: bool = False, mapping: dict[str, str] | None = None,
) -> ImportJob:
    job = upload(user, data, name)
    job = import_configure(
        job, user, mapping=mapping if mapping is not None else job.mapping, mode=mode, on_error=on_error,
        import_duplicates=import_duplicates,
    )
    return import_check(job, user)


def problems_of(job: ImportJob) -> list[tuple[int, str, str, str]]:
    return [(p["row"], p["column"], p["value"], p["message"]) for p in job.problems]
