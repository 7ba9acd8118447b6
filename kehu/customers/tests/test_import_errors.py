"""Every class of import error: reported by row and column with the value, never an unhandled exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu.customers.imports import ImportFileError, format_problem, import_commit
from kehu.customers.models import Customer
from kehu.customers.tests.import_helpers import HEADERS, checked, csv_bytes, problems_of, upload, xlsx_bytes
from kehu.testing import World


def row(**values: object) -> list[object]:
    base = {"Code": "", "Customer name": "鑫源副食店", "Phone": "", "Credit limit": "", "Channel level": "",
            "Owner": "", "Address": "", "Contact": "", "Mobile": ""}
    base.update({k.replace("_", " "): v for k, v in values.items()})
    return [base[h] for h in HEADERS]


def test_a_text_in_a_number_column_is_reported_by_row_and_column(world: World):
    rows = [HEADERS, row(), row(**{"Customer name": "二号店", "Credit limit": "abc"})]
    job = checked(world.cathy, xlsx_bytes(rows))
    assert problems_of(job) == [(3, "Credit limit", "abc", "'abc' is not a number.")]
    assert format_problem(job.problems[0]) == "Row 3, Credit limit: abc — 'abc' is not a number."
    assert job.summary == {"rows": 2, "create": 1, "update": 0, "unchanged": 0, "skip": 1, "errors": 1, "duplicates": 0}


def test_a_negative_or_too_precise_amount_breaks_the_fields_own_validators(world: World):
    rows = [HEADERS, row(**{"Credit limit": -5}), row(**{"Customer name": "二号店", "Credit limit": 12.345})]
    job = checked(world.cathy, xlsx_bytes(rows))
    assert problems_of(job) == [
        (2, "Credit limit", "-5", "Must be zero or more."),
        (3, "Credit limit", "12.345", "Ensure that there are no more than 2 decimal places."),
    ]


def test_a_missing_name_is_required(world: World):
    job = checked(world.cathy, xlsx_bytes([HEADERS, row(**{"Customer name": "", "Phone": "13812345678"})]))
    assert problems_of(job) == [(2, "Customer name", "", "This field is required.")]


def test_an_unknown_choice_lists_what_is_accepted_and_labels_are_accepted(world: World):
    rows = [HEADERS, row(**{"Channel level": "megastore"}),
            row(**{"Customer name": "乙", "Channel level": "零售终端"}),
            row(**{"Customer name": "丙", "Channel level": "Wholesaler"}),
            row(**{"Customer name": "丁", "Channel level": "end_user"})]
    job = checked(world.cathy, xlsx_bytes(rows))
    [(number, column, value, message)] = problems_of(job)
    assert (number, column, value) == (2, "Channel level", "megastore")
    assert message.startswith("'megastore' is not one of: General distributor (distributor), Wholesaler (wholesaler)")
    job = import_commit(job, world.cathy)
    levels = dict(Customer.objects.filter(name__in=["乙", "丙", "丁"]).values_list("name", "channel_level"))
    assert levels == {"乙": "retailer", "丙": "wholesaler", "丁": "end_user"}


def test_a_bad_credit_code_gets_the_validators_reason(world: World):
    headers = ["Customer name", "统一社会信用代码"]
    job = checked(world.cathy, xlsx_bytes([headers, ["甲", "91110108MA01C8XK23"], ["乙", "9111"]]))
    assert problems_of(job) == [
        (2, "统一社会信用代码", "91110108MA01C8XK23",
         "The check character of this credit code should be '2', not '3': a character is probably mistyped."),
        (3, "统一社会信用代码", "9111", "A unified social credit code has 18 characters; this one has 4."),
    ]


def test_a_phone_that_is_no_phone_is_refused(world: World):
    job = checked(world.cathy, xlsx_bytes([HEADERS, row(Phone="12345")]))
    assert problems_of(job) == [
        (2, "Phone", "12345", "Enter a mobile (13812345678), a landline with area code (010-62345678) or a 400 number.")
    ]


def test_a_code_twice_in_the_file_is_an_error_on_the_later_row(world: World):
    rows = [HEADERS, row(Code="A1"), row(Code="A2", **{"Customer name": "乙"}), row(Code="A1", **{"Customer name": "丙"})]
    job = checked(world.cathy, xlsx_bytes(rows))
    assert problems_of(job) == [(4, "Code", "A1", "This code already appears in row 2.")]


def test_a_code_already_taken_cannot_be_created(world: World):
    job = checked(world.cathy, xlsx_bytes([HEADERS, row(Code=world.bob_card.code)]))
    assert problems_of(job) == [(2, "Code", "T00002", "Another card already has the code T00002.")]


def test_unknown_owner_and_org_unit_are_reported(world: World):
    headers = ["Customer name", "业务员", "部门"]
    rows = [headers, ["甲", "nobody", "北京片区"], ["乙", "Alice 艾丽", "火星片区"], ["丙", "bob", "TJ"]]
    job = checked(world.cathy, xlsx_bytes(rows))
    assert problems_of(job) == [
        (2, "业务员", "nobody", "No active user has the username or name 'nobody'."),
        (3, "部门", "火星片区", "No org unit has the code or name '火星片区'."),
    ]
    job = import_commit(job, world.cathy)
    card = Customer.objects.get(name="丙")
    assert (card.owner, card.org_unit) == (world.bob, world.tianjin)


def test_an_owner_alone_brings_the_owners_org_unit(world: World):
    job = import_commit(checked(world.cathy, xlsx_bytes([["名称", "负责人"], ["甲", "Alice 艾丽"]])), world.cathy)
    card = Customer.objects.get(name="甲")
    assert (job.status, card.owner, card.org_unit) == ("done", world.alice, world.beijing)


def test_a_file_in_neither_utf8_nor_gb18030_is_a_bad_encoding(world: World):
    with pytest.raises(ImportFileError) as caught:
        upload(world.cathy, b"name,phone\n\xff\xfe\xfa,1\n", "customers.csv")
    assert "bad encoding" in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"   \n"])
def test_an_empty_file_is_refused(world: World, data: bytes):
    with pytest.raises(ImportFileError, match="The file is empty."):
        upload(world.cathy, data, "customers.csv")


def test_a_header_without_rows_is_refused(world: World):
    with pytest.raises(ImportFileError, match="no data rows"):
        upload(world.cathy, xlsx_bytes([HEADERS]))


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,  # a picture renamed .xlsx
    b"PK\x03\x04" + b"\x00" * 200,  # a broken zip
])
def test_a_file_that_is_not_a_spreadsheet_is_refused(world: World, data: bytes, settings):
    stored_before = set(Path(settings.MEDIA_ROOT).rglob("*"))
    with pytest.raises(ImportFileError) as caught:
        upload(world.cathy, data, "customers.xlsx")
    assert "not a spreadsheet" in str(caught.value)
    assert set(Path(settings.MEDIA_ROOT).rglob("*")) == stored_before  # nothing kept of a refused file


def test_a_formula_error_is_a_row_error_and_a_formula_value_is_imported(world: World):
    rows = [["Customer name", "Credit limit"], ["甲", None], ["乙", None]]
    data = xlsx_bytes(rows, formulas={(1, 1): ("=1/0", "#DIV/0!"), (2, 1): ("=1000*2", 2000)})
    job = checked(world.cathy, data)
    [(number, column, _value, message)] = problems_of(job)
    assert (number, column) == (2, "Credit limit")
    assert message == "This cell's formula gives an error ; fix the formula or type the value."
    import_commit(job, world.cathy)
    assert Customer.objects.get(name="乙").credit_limit == 2000
    assert not Customer.objects.filter(name="甲").exists()


def test_an_error_value_typed_into_a_csv_is_a_row_error(world: World):
    job = checked(world.cathy, csv_bytes([["名称", "信用额度"], ["甲", "#N/A"]]), "c.csv")
    assert problems_of(job) == [
        (2, "信用额度", "#N/A", "This cell's formula gives an error #N/A; fix the formula or type the value.")
    ]


def test_more_rows_than_the_limit_are_refused_with_a_clear_message(world: World, settings):
    settings.KEHU_IMPORT_MAX_ROWS = 3
    rows = [HEADERS] + [row(**{"Customer name": f"店{i}"}) for i in range(5)]
    for data, name in ((xlsx_bytes(rows), "big.xlsx"), (csv_bytes(rows), "big.csv")):
        with pytest.raises(ImportFileError) as caught:
            upload(world.cathy, data, name)
        assert str(caught.value) == (
            "This file has 5 data rows; at most 3 can be imported at once. Split it into smaller files."
        )


def test_odd_cells_of_every_type_never_raise(world: World):
    import datetime

    headers = ["名称", "信用额度", "员工人数", "营业开始", "重点客户", "常订货日", "纬度", "电话", "等级"]
    rows = [headers,
            ["甲", True, 1.5, "25:99", "maybe", "周八", 200, 3.0, "Z"],
            ["乙", datetime.date(2020, 1, 1), -1, 0.5, "是", "周一", "北纬", "x" * 80, "a"],
            ["丙", "1e400", "1e9", "8:30", 1, 3, 39.9, "13812345678", "B"]]
    job = checked(world.cathy, xlsx_bytes(rows))
    assert job.status == "checked"
    fields = {(p["row"], p["field"]) for p in job.problems}
    assert (2, "credit_limit") in fields and (2, "employees") in fields and (2, "opens_at") in fields
    assert (2, "is_key") in fields and (2, "usual_order_day") in fields and (2, "lat") in fields
    assert (3, "employees") in fields and (3, "lat") in fields and (3, "phone") in fields
    assert (4, "credit_limit") in fields, job.problems
    job = import_commit(job, world.cathy)
    assert job.status == "done"


def test_a_file_removed_after_upload_fails_the_check_with_a_message(world: World):
    from kehu.customers.imports import import_check, import_configure

    job = upload(world.cathy, xlsx_bytes([HEADERS, row()]))
    job = import_configure(job, world.cathy, mapping=job.mapping, mode="create", on_error="skip")
    Path(job.file.path).unlink()
    job = import_check(job, world.cathy)
    assert (job.status, job.error) == ("failed", "The uploaded file is gone; upload it again.")


def test_problems_are_reported_in_the_uploaders_language(world: World):
    from django.utils import translation

    with translation.override("zh-hans"):
        job = checked(world.cathy, xlsx_bytes([["客户名称", "信用额度"], ["甲", 1], ["乙", "abc"]]))
        assert job.language == "zh-hans"
        assert format_problem(job.problems[0]) == "第 3 行，信用额度：abc — “abc”不是数字。"
