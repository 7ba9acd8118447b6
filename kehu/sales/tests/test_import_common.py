"""The shared sheet reader of the sales imports, on real .xlsx (xlsxwriter) and .csv (UTF-8, GBK) files."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from kehu.sales.imports.common import (
    Column,
    RowError,
    as_bool,
    as_date,
    as_decimal,
    as_int,
    as_text,
    read_sheet,
    write_template,
)

COLUMNS = (
    Column("sku", ("编码", "SKU", "商品编码"), required=True, convert=as_text(8), unique=True),
    Column("quantity", ("数量", "Quantity", "qty"), required=True, convert=as_decimal(places=3)),
    Column("price", ("单价", "Price"), convert=as_decimal(places=2)),
    Column("cases", ("箱数", "Cases"), convert=as_int(min_value=1)),
    Column("paid", ("已付", "Paid"), convert=as_bool),
    Column("day", ("日期", "Date"), convert=as_date),
)


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def xlsx(path: Path, rows: list[list[Any]], formulas: dict[str, tuple[str, Any]] | None = None) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()),
                                     book.add_format({"num_format": "yyyy-mm-dd"}))
            elif value is not None:
                sheet.write(r, c, value)
    for cell, (formula, cached) in (formulas or {}).items():
        sheet.write_formula(cell, formula, None, cached)
    book.close()
    return path


def csv_file(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_it_reads_an_xlsx_with_chinese_headers_and_converts_every_cell(tmp_path: Path):
    path = xlsx(tmp_path / "a.xlsx", [
        ["编码", "数量", "单价", "箱数", "已付", "日期"],
        ["A-1", 2.5, 12.3, 3, "是", datetime.date(2024, 3, 1)],
        ["B-2", 1, None, None, "否", "2024/3/2"],
    ])
    result = read_sheet(path, COLUMNS)
    assert result.errors == [] and result.unknown_headers == []
    assert result.rows == [
        (2, {"sku": "A-1", "quantity": Decimal("2.500"), "price": Decimal("12.30"), "cases": 3, "paid": True,
             "day": datetime.date(2024, 3, 1)}),
        (3, {"sku": "B-2", "quantity": Decimal("1.000"), "price": None, "cases": None, "paid": False,
             "day": datetime.date(2024, 3, 2)}),
    ]
    assert result.present == frozenset({"sku", "quantity", "price", "cases", "paid", "day"})


def test_english_headers_and_synonyms_match_without_case_spaces_or_the_required_star(tmp_path: Path):
    path = csv_file(tmp_path / "a.csv", "sku*, QTY ,Unknown thing\nA1,3,x\n")
    result = read_sheet(path, COLUMNS)
    assert result.errors == []
    assert result.unknown_headers == ["Unknown thing"]
    assert result.rows == [(2, {"sku": "A1", "quantity": Decimal("3.000")})]
    assert result.present == frozenset({"sku", "quantity"})  # absent columns are absent from each row


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk(tmp_path: Path, encoding: str):
    path = csv_file(tmp_path / "a.csv", "商品编码,数量,已付\n清泉-1,4,是\n", encoding)
    result = read_sheet(path, COLUMNS)
    assert result.errors == []
    assert result.rows == [(2, {"sku": "清泉-1", "quantity": Decimal("4.000"), "paid": True})]


def test_every_bad_cell_is_reported_with_its_row_column_and_value_not_only_the_first(tmp_path: Path):
    path = xlsx(tmp_path / "bad.xlsx", [
        ["SKU", "Quantity", "Price", "Cases", "Paid", "Date"],
        ["OK-1", 1, 1, 1, "yes", "2024-01-01"],
        ["TOO-LONG-SKU", "abc", 1.234, 0, "maybe", "yesterday"],
        [None, -1, None, 1.5, None, None],
        ["OK-1", 2, None, None, None, None],
    ])
    result = read_sheet(path, COLUMNS)
    found = [(e.row, e.column, e.value) for e in result.errors]
    assert found == [
        (3, "SKU", "TOO-LONG-SKU"), (3, "Quantity", "abc"), (3, "Price", "1.234"), (3, "Cases", "0"),
        (3, "Paid", "maybe"), (3, "Date", "yesterday"),
        (4, "SKU", ""), (4, "Quantity", "-1"), (4, "Cases", "1.5"),
        (5, "SKU", "OK-1"),
    ]
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(3, "Quantity")] == "'abc' is not a number."
    assert messages[(3, "Price")] == "'1.234' has more than 2 decimal places."
    assert messages[(3, "Cases")] == "'0' must be at least 1."
    assert messages[(3, "Paid")] == "'maybe' is not yes or no."
    assert messages[(3, "Date")] == "'yesterday' is not a date; write it as YYYY-MM-DD."
    assert messages[(4, "SKU")] == "This column is required; the cell is empty."
    assert messages[(4, "Cases")] == "'1.5' is not a whole number."
    assert messages[(5, "SKU")] == "The same value is already in row 2."
    assert "at most 8 characters" in messages[(3, "SKU")]


def test_a_cell_error_names_the_column_as_the_file_does_a_missing_one_in_the_active_language(tmp_path: Path):
    path = csv_file(tmp_path / "a.csv", "sku,QTY\nA1,x\n")
    assert [e.column for e in read_sheet(path, COLUMNS).errors] == ["QTY"]
    missing = csv_file(tmp_path / "b.csv", "单价\n1\n")
    with translation.override("en"):
        assert [e.column for e in read_sheet(missing, COLUMNS).errors] == ["SKU", "Quantity"]
    with translation.override("zh-hans"):
        assert [e.column for e in read_sheet(missing, COLUMNS).errors] == ["编码", "数量"]


def test_a_row_error_reads_like_the_customer_imports_in_chinese_and_english():
    error = RowError(3, "数量", "abc", "不是数字")
    with translation.override("zh-hans"):
        assert str(error) == "第 3 行，数量：abc — 不是数字"
        assert str(RowError(3, "数量", "", "必填")) == "第 3 行，数量：必填"
    with translation.override("en"):
        assert str(error) == "Row 3, 数量: abc — 不是数字"
    assert str(RowError(0, "", "", "The file is empty.")) == "The file is empty."
    assert error.as_dict() == {"row": 3, "column": "数量", "value": "abc", "message": "不是数字"}


def test_a_formula_error_is_a_row_error_and_a_formula_value_is_imported(tmp_path: Path):
    path = xlsx(tmp_path / "f.xlsx", [["SKU", "Quantity"], ["A1", None], ["A2", None]],
                formulas={"B2": ("=1/0", "#DIV/0!"), "B3": ("=1+1", 2)})
    result = read_sheet(path, COLUMNS)
    assert [(e.row, e.column) for e in result.errors] == [(2, "Quantity")]
    assert "formula" in result.errors[0].message
    assert result.rows[1] == (3, {"sku": "A2", "quantity": Decimal("2.000")})


def test_missing_required_columns_are_reported_on_the_header_row(tmp_path: Path):
    path = csv_file(tmp_path / "a.csv", "单价,箱数\n1,2\n")
    with translation.override("zh-hans"):
        result = read_sheet(path, COLUMNS)
    assert [(e.row, e.column) for e in result.errors] == [(1, "编码"), (1, "数量")]
    # Read under a Chinese UI, the message is Chinese (it is built when the file is read).
    assert result.errors[0].message == "缺少此必填列，请添加名为“编码”/“SKU”的列。"
    assert result.rows == []


def test_a_column_given_twice_is_refused(tmp_path: Path):
    path = csv_file(tmp_path / "a.csv", "SKU,编码,数量\nA,B,1\n")
    result = read_sheet(path, COLUMNS)
    assert [(e.row, e.column) for e in result.errors] == [(1, "编码")]
    assert "appears twice" in result.errors[0].message


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty."),
    (b"   \n  ", "The file is empty."),
    (b"SKU,Quantity\n", "The file has a header row but no data rows."),
    (b"\x89PNG\r\n\x1a\n\x00\x00junk", "This file is not a spreadsheet. Upload an .xlsx, .xls or .csv file."),
    (b"PK\x03\x04 not really a zip", "This file is not a spreadsheet Kehu can read. Upload an .xlsx, .xls or .csv file."),
])
def test_unusable_files_are_one_clear_error_on_row_0(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    result = read_sheet(path, COLUMNS)
    assert result.rows == []
    assert [(e.row, e.message) for e in result.errors] == [(0, message)]


def test_a_text_file_in_an_unknown_encoding_is_refused(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_bytes("SKU,数量\n".encode("utf-16-le").replace(b"\x00", b"") + b"\xff\xfe\xfd\n")
    result = read_sheet(path, COLUMNS)
    assert len(result.errors) == 1 and result.errors[0].row == 0
    assert "encoding" in result.errors[0].message


def test_too_many_rows_is_refused_before_anything_is_converted(tmp_path: Path):
    path = xlsx(tmp_path / "big.xlsx", [["SKU", "Quantity"], *[[f"S{i}", i] for i in range(12)]])
    result = read_sheet(path, COLUMNS, max_rows=10)
    assert [(e.row, e.message) for e in result.errors] == [
        (0, "This file has 12 data rows; at most 10 can be imported at once. Split it into smaller files.")
    ]
    csv_path = csv_file(tmp_path / "big.csv", "SKU,Quantity\n" + "".join(f"S{i},1\n" for i in range(11)))
    assert read_sheet(csv_path, COLUMNS, max_rows=10).errors[0].row == 0
    assert read_sheet(csv_path, COLUMNS, max_rows=11).errors == []


def test_empty_rows_are_skipped_but_keep_the_spreadsheet_row_numbers(tmp_path: Path):
    path = csv_file(tmp_path / "a.csv", "SKU,Quantity\nA,1\n,\n\nB,x\n")
    result = read_sheet(path, COLUMNS)
    assert [r for r, _v in result.rows] == [2, 5]
    assert [(e.row, e.value) for e in result.errors] == [(5, "x")]


def test_it_reads_a_django_upload_in_memory(tmp_path: Path):
    data = xlsx(tmp_path / "u.xlsx", [["SKU", "Quantity"], ["A", 1]]).read_bytes()
    upload = SimpleUploadedFile("whatever.bin", data)
    result = read_sheet(upload, COLUMNS)
    assert result.errors == [] and result.rows == [(2, {"sku": "A", "quantity": Decimal("1.000")})]


def test_money_from_excel_floats_is_rounded_only_for_binary_noise():
    money = as_decimal(places=2)
    assert money(12.300000000000001) == Decimal("12.30")
    assert money("¥1,234.5") == Decimal("1234.50")
    assert as_decimal(places=2, min_value=None)("-3") == Decimal("-3.00")
    with pytest.raises(Exception, match="too large"):
        money("1" * 20)


def test_dates_accept_excel_serials_and_common_chinese_forms():
    assert as_date(45352) == datetime.date(2024, 3, 1)
    assert as_date("2024年3月1日") == datetime.date(2024, 3, 1)
    assert as_date("2024.03.01") == datetime.date(2024, 3, 1)
    assert as_date("2024-03-01 00:00:00") == datetime.date(2024, 3, 1)


def test_the_template_has_the_headers_in_the_language_marks_required_and_explains_columns(tmp_path: Path):
    columns = (
        Column("sku", ("编码", "SKU"), required=True, help="The code", example="A-1"),
        Column("quantity", ("数量", "Quantity"), convert=as_decimal(), example=3),
    )
    for lang, headers in (("zh-hans", ["编码", "数量"]), ("en", ["SKU", "Quantity"])):
        book = openpyxl.load_workbook(io.BytesIO(write_template(columns, lang)))
        data, guide = book.worksheets
        assert [c.value for c in data[1]] == headers
        assert [c.value for c in data[2]] == ["A-1", 3]
        assert guide.cell(2, 1).value == headers[0] and guide.cell(2, 3).value == "The code"
        assert guide.cell(2, 2).value and not guide.cell(3, 2).value  # required marked
    # the template reads back through read_sheet without problems
    path = tmp_path / "t.xlsx"
    path.write_bytes(write_template(columns, "en"))
    assert read_sheet(path, columns).errors == []
