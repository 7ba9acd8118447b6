"""Order import from an ERP export: grouping, resolution among visible cards, row errors, all or nothing,
the credit check on confirmed rows, duplicates refused; the web page and the API."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import AccessGrant, GrantStatus
from kehu.core.errors import Forbidden
from kehu.customers.models import Customer
from kehu.sales.imports.common import RowError
from kehu.sales.imports.orders import order_import
from kehu.sales.models import CreditHold, Order, OrderLine, OrderSource, OrderStatus
from kehu.sales.testing import make_product
from kehu.testing import PASSWORD, api_as

HEAD = ["Order number", "Customer code", "Date", "SKU", "Quantity", "Unit price", "Discount", "Settlement", "Status"]


@pytest.fixture
def goods(world):
    return make_product("P1", "酱油", "10.00"), make_product("P2", "香醋", "5.00")


def csv_file(rows: list[list[Any]], head: list[str] = HEAD, name: str = "orders.csv") -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text).writerows([head, *rows])
    return SimpleUploadedFile(name, text.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_file(rows: list[list[Any]], head: list[str]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate([head, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, timezone.datetime(value.year, value.month, value.day), date_format)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return SimpleUploadedFile("orders.xlsx", buffer.getvalue())


def set_limit(card: Customer, limit: str) -> None:
    Customer.objects.filter(pk=card.pk).update(credit_limit=Decimal(limit))


def two_orders(world) -> list[list[Any]]:
    a, b = world.alice_card.code, world.bob_card.code
    return [
        ["ERP-1", a, "2025-03-01", "P1", "3", "", "", "赊销", "draft"],
        ["ERP-1", a, "2025-03-01", "P2", "2", "4.50", "1", "赊销", "draft"],
        ["ERP-2", b, "2025-03-02", "P2", "10", "", "", "cash", "草稿"],
    ]


def test_rows_are_grouped_into_orders_by_their_number(world, goods):
    result = order_import(actor=world.mia, source=csv_file(two_orders(world)))
    assert result.ok, result.errors
    first, second = Order.objects.order_by("external_ref")
    assert (first.external_ref, first.customer, first.order_date, first.source, first.status) == (
        "ERP-1", world.alice_card, date(2025, 3, 1), OrderSource.IMPORT, OrderStatus.DRAFT)
    assert list(first.lines.values_list("product__sku", "quantity", "unit_price", "discount", "amount")) == [
        ("P1", Decimal("3.000"), Decimal("10.00"), Decimal("0.00"), Decimal("30.00")),
        ("P2", Decimal("2.000"), Decimal("4.50"), Decimal("1.00"), Decimal("8.00")),
    ]
    assert (first.total, first.settlement) == (Decimal("38.00"), "credit")
    assert (second.customer, second.total, second.settlement) == (world.bob_card, Decimal("50.00"), "cash")
    assert [(o.ref, o.number, o.lines) for o in result.orders] == [("ERP-1", first.number, 2), ("ERP-2", second.number, 1)]


def test_an_xlsx_with_chinese_headers_and_date_cells(world, goods):
    head = ["订单号", "客户编码", "日期", "商品编码", "数量", "单价", "折扣", "结算方式", "状态"]
    rows = [["E-9", world.alice_card.code, date(2025, 1, 31), "P1", 2, 9.5, None, "现结", "草稿"]]
    result = order_import(actor=world.alice, source=xlsx_file(rows, head))
    assert result.ok, result.errors
    order = Order.objects.get()
    assert (order.order_date, order.total, order.settlement) == (date(2025, 1, 31), Decimal("19.00"), "cash")


def test_confirmed_rows_go_through_the_credit_check_and_holds_are_results(world, goods):
    set_limit(world.alice_card, "100")
    set_limit(world.bob_card, "100000")
    rows = [
        ["ERP-1", world.alice_card.code, "2025-03-01", "P1", "30", "", "", "", "confirmed"],  # 300 > 100
        ["ERP-2", world.bob_card.code, "2025-03-01", "P1", "1", "", "", "", "已确认"],
    ]
    result = order_import(actor=world.mia, source=csv_file(rows))
    assert result.ok and result.errors == []
    held, booked = Order.objects.get(external_ref="ERP-1"), Order.objects.get(external_ref="ERP-2")
    assert (held.status, booked.status) == (OrderStatus.HELD, OrderStatus.CONFIRMED)
    assert CreditHold.objects.filter(order=held).count() == 1
    assert [o.ref for o in result.held] == ["ERP-1"] and [o.ref for o in result.confirmed] == ["ERP-2"]


def test_a_dry_run_checks_everything_and_writes_nothing(world, goods):
    set_limit(world.alice_card, "100")
    rows = [["ERP-1", world.alice_card.code, "2025-03-01", "P1", "30", "", "", "", "confirmed"]]
    result = order_import(actor=world.alice, source=csv_file(rows), dry_run=True)
    assert result.ok and [o.ref for o in result.held] == ["ERP-1"]
    assert Order.objects.count() == 0 and CreditHold.objects.count() == 0 and OrderLine.objects.count() == 0


def test_all_or_nothing_when_the_last_row_fails_in_the_service(world, goods):
    rows = [*two_orders(world), ["ERP-3", world.bob_card.code, "2025-03-03", "P1", "1", "10", "50", "", "confirmed"]]
    result = order_import(actor=world.mia, source=csv_file(rows))
    assert result.errors == [RowError(5, "SKU", "", "Line 1: the discount 50.00 is more than the line's value 10.00.")]
    assert result.orders == []
    assert Order.objects.count() == 0 and OrderLine.objects.count() == 0 and CreditHold.objects.count() == 0


def test_all_or_nothing_when_the_last_row_fails_the_checks(world, goods):
    rows = [*two_orders(world), ["ERP-3", world.bob_card.code, "2025-03-03", "NOPE", "1", "", "", "", ""]]
    result = order_import(actor=world.mia, source=csv_file(rows))
    assert result.errors == [RowError(5, "SKU", "NOPE", "No product with this SKU.")]
    assert Order.objects.count() == 0


def test_every_problem_is_reported_with_row_column_and_value(world, goods):
    a = world.alice_card.code
    rows = [
        ["E1", a, "31/02/2025", "P1", "abc", "1.234", "-1", "barter", "shipped"],
        ["E2", "NO-SUCH", "2025-01-01", "P1", "0", "", "", "", ""],
        ["E3", world.carol_card.code, "2025-01-01", "P1", "1", "", "", "", ""],  # Carol's card: hidden from Alice
        ["", a, "2025-01-01", "P1", "1", "", "", "", ""],
    ]
    result = order_import(actor=world.alice, source=csv_file(rows))
    found = {(e.row, e.column, e.value) for e in result.errors}
    assert found == {
        (2, "Date", "31/02/2025"), (2, "Quantity", "abc"), (2, "Unit price", "1.234"), (2, "Discount", "-1"),
        (2, "Settlement", "barter"), (2, "Status", "shipped"),
        (3, "Quantity", "0"), (3, "Customer code", "NO-SUCH"),
        (4, "Customer code", world.carol_card.code),
        (5, "Order number", ""),
    }
    hidden = next(e for e in result.errors if e.row == 4)
    unknown = next(e for e in result.errors if e.row == 3 and e.column == "Customer code")
    assert hidden.message == unknown.message == "No customer with this code among the cards you can see."
    assert Order.objects.count() == 0


def test_a_visible_card_the_user_may_not_take_orders_for_is_refused(world, goods):
    now = timezone.now()
    AccessGrant.objects.create(customer=world.carol_card, grantee=world.alice, requested_by=world.alice, reason="visit",
                               days=3, status=GrantStatus.APPROVED, starts_at=now - timedelta(hours=1),
                               expires_at=now + timedelta(days=3))
    rows = [["E1", world.carol_card.code, "2025-01-01", "P1", "1", "", "", "", ""]]
    result = order_import(actor=world.alice, source=csv_file(rows))
    assert result.errors == [RowError(2, "Customer code", world.carol_card.code,
                                      "You may not take orders for this customer.")]


def test_rows_of_one_order_must_agree(world, goods):
    rows = [
        ["E1", world.alice_card.code, "2025-01-01", "P1", "1", "", "", "", ""],
        ["E1", world.bob_card.code, "2025-01-02", "P2", "1", "", "", "", ""],
    ]
    result = order_import(actor=world.mia, source=csv_file(rows))
    assert {(e.row, e.column) for e in result.errors} == {(3, "Customer code"), (3, "Date")}


def test_an_order_number_already_imported_is_refused(world, goods):
    assert order_import(actor=world.mia, source=csv_file(two_orders(world))).ok
    again = order_import(actor=world.mia, source=csv_file(two_orders(world)))
    assert {(e.row, e.column, e.value) for e in again.errors} == {(2, "Order number", "ERP-1"), (4, "Order number", "ERP-2")}
    assert Order.objects.count() == 2


def test_a_missing_required_column_is_reported_on_the_header(world, goods):
    result = order_import(actor=world.alice, source=csv_file([["E1", "P1", "1"]], head=["Order number", "SKU", "Quantity"]))
    assert [(e.row, e.column) for e in result.errors] == [(1, "Customer code")]


def test_roles_that_do_not_take_orders_may_not_import(world, goods):
    for user in (world.fiona, world.cathy, world.aud):
        with pytest.raises(Forbidden):
            order_import(actor=user, source=csv_file(two_orders(world)))


# --- web page ---------------------------------------------------------------------------------------


def test_the_page_checks_then_imports_the_kept_file(client, world, goods):
    client.login(username="mia", password=PASSWORD)
    url = reverse("sales:order-import")
    assert client.get(url).status_code == 200
    checked = client.post(url, {"file": csv_file(two_orders(world)), "check": "1"})
    assert checked.status_code == 200 and Order.objects.count() == 0
    assert "The file is ready: 2 orders would be imported" in checked.content.decode()
    token = checked.context["token"]
    done = client.post(url, {"token": token, "import": "1"})
    assert done.status_code == 200 and Order.objects.count() == 2
    assert "2 orders imported" in done.content.decode()
    # The kept file is gone: the same token cannot import twice.
    assert client.post(url, {"token": token, "import": "1"}).status_code == 400
    assert Order.objects.count() == 2


def test_the_page_lists_problems_and_imports_nothing(client, world, goods):
    client.login(username="alice", password=PASSWORD)
    rows = [["E1", world.alice_card.code, "2025-01-01", "NOPE", "1", "", "", "", ""]]
    page = client.post(reverse("sales:order-import"), {"file": csv_file(rows), "import": "1"})
    assert page.status_code == 400 and Order.objects.count() == 0
    html = page.content.decode()
    assert "1 problem — nothing was imported" in html and "No product with this SKU." in html and "NOPE" in html


def test_a_token_from_another_session_is_refused(client, world, goods):
    client.login(username="mia", password=PASSWORD)
    checked = client.post(reverse("sales:order-import"), {"file": csv_file(two_orders(world)), "check": "1"})
    token = checked.context["token"]
    client.logout()
    client.login(username="alice", password=PASSWORD)
    assert client.post(reverse("sales:order-import"), {"token": token, "import": "1"}).status_code == 400
    assert Order.objects.count() == 0


def test_the_template_download_has_the_columns(client, world):
    client.login(username="alice", password=PASSWORD)
    response = client.get(reverse("sales:order-import-template") + "?lang=en")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:5] == ["Order number", "Customer code", "Date", "SKU", "Quantity"]


# --- API ----------------------------------------------------------------------------------------------


def test_the_api_dry_run_then_import(world, goods):
    api = api_as(world.mia)
    url = "/api/v1/order-imports/"
    checked = api.post(url, {"file": csv_file(two_orders(world)), "dry_run": "true"}, format="multipart")
    assert checked.status_code == 200, checked.json()
    assert checked.json()["counts"] == {"orders": 2, "confirmed": 0, "held": 0, "drafts": 2}
    assert Order.objects.count() == 0
    done = api.post(url, {"file": csv_file(two_orders(world))}, format="multipart")
    assert done.status_code == 201
    assert {o["ref"] for o in done.json()["orders"]} == {"ERP-1", "ERP-2"} and Order.objects.count() == 2


def test_the_api_answers_400_with_every_row_problem(world, goods):
    rows = [["E1", world.alice_card.code, "2025-01-01", "NOPE", "x", "", "", "", ""]]
    response = api_as(world.alice).post("/api/v1/order-imports/", {"file": csv_file(rows)}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert {(e["row"], e["column"], e["value"]) for e in body["errors"]} == {(2, "Quantity", "x"), (2, "SKU", "NOPE")}
    assert len(body["file"]) == 2 and Order.objects.count() == 0


def test_the_api_needs_a_file(world):
    response = api_as(world.alice).post("/api/v1/order-imports/", {"dry_run": "true"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_the_api_template(world):
    response = api_as(world.alice).get("/api/v1/order-imports/template/?lang=en")
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_a_sku_in_another_case_is_found(world, goods):
    rows = [["E1", world.alice_card.code, "2025-01-01", "p2", "1", "", "", "", ""]]
    assert order_import(actor=world.alice, source=csv_file(rows)).ok
    assert OrderLine.objects.get().product.sku == "P2"


def test_a_file_that_is_not_a_spreadsheet_is_one_error(world):
    upload = SimpleUploadedFile("orders.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    result = order_import(actor=world.alice, source=upload)
    assert [(e.row, e.message) for e in result.errors] == [
        (0, "This file is not a spreadsheet. Upload an .xlsx, .xls or .csv file.")]
