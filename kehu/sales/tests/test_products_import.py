"""Importing the catalogue from .xlsx/.csv: create or update by SKU, channel prices, all or nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden
from kehu.sales.imports.products import COLUMNS, products_import_file, products_template
from kehu.sales.models import Product, ProductPrice
from kehu.sales.selectors.products import product_search
from kehu.sales.testing import make_product
from kehu.testing import World, api_as

HEADER_ZH = ["商品编码", "商品名称", "规格", "单位", "装箱数", "类别", "标准价", "是否启用",
             "总经销价", "批发价", "二批价", "零售价", "终端价"]


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def upload(rows: list[list[Any]], name: str = "products.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows))


def prices_of(sku: str) -> dict[str, Decimal]:
    return dict(ProductPrice.objects.filter(product__sku=sku).values_list("channel_level", "price"))


def test_it_creates_products_with_their_channel_prices_from_chinese_headers(world: World):
    result = products_import_file(actor=world.cathy, source=upload([
        HEADER_ZH,
        ["QQ-550", "清泉矿泉水", "550ml×24", "箱", 24, "饮用水", 36, "是", 28, 30, 32, 34, None],
        ["QQ-1500", "清泉矿泉水", "1.5L×12", "箱", 12, "饮用水", "42.5", "停用", None, None, None, None, 45],
    ]))
    assert result.errors == []
    assert (result.rows, result.created, result.updated, result.unchanged) == (2, 2, 0, 0)
    small = Product.objects.get(sku="QQ-550")
    assert (small.name, small.spec, small.unit, small.pack_size, small.category, small.list_price, small.is_active) == (
        "清泉矿泉水", "550ml×24", "箱", 24, "饮用水", Decimal("36.00"), True)
    assert prices_of("QQ-550") == {"distributor": Decimal("28.00"), "wholesaler": Decimal("30.00"),
                                   "sub_wholesaler": Decimal("32.00"), "retailer": Decimal("34.00")}
    big = Product.objects.get(sku="QQ-1500")
    assert (big.list_price, big.is_active) == (Decimal("42.50"), False)
    assert prices_of("QQ-1500") == {"end_user": Decimal("45.00")}
    assert product_search(q="qqkqs") == [small]  # search text written by the bulk insert
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert event.detail == {"object_type": "product", "created": 2, "updated": 0, "unchanged": 0}


def test_it_updates_by_sku_ignoring_case_and_changes_only_the_columns_in_the_file(world: World):
    product = make_product("QQ-550", "清泉水", "30.00", spec="550ml", category="水", pack_size=24)
    ProductPrice.objects.create(product=product, channel_level="distributor", price=Decimal("20"))
    ProductPrice.objects.create(product=product, channel_level="retailer", price=Decimal("25"))
    result = products_import_file(actor=world.dora, source=upload([
        ["SKU", "List price", "Distributor price", "Retailer price"],
        ["qq-550", 31, 21, None],
    ]))
    assert result.errors == [] and (result.created, result.updated) == (0, 1)
    product.refresh_from_db()
    assert (product.sku, product.name, product.spec, product.pack_size, product.list_price, product.version) == (
        "QQ-550", "清泉水", "550ml", 24, Decimal("31.00"), 2)
    # an empty price cell removes the level's price; a level without a column is kept
    assert prices_of("QQ-550") == {"distributor": Decimal("21.00")}


def test_an_unchanged_row_keeps_the_version(world: World):
    make_product("A1", "苹果汁", "5.00")
    result = products_import_file(actor=world.dora, source=upload([["SKU", "Name", "List price"], ["A1", "苹果汁", 5]]))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert Product.objects.get(sku="A1").version == 1


def test_a_csv_in_gbk_imports(world: World):
    text = "商品编码,商品名称,标准价,批发价\nG1,绿茶,3.5,3\n"
    result = products_import_file(actor=world.cathy, source=SimpleUploadedFile("p.csv", text.encode("gbk")))
    assert result.errors == [] and result.created == 1
    assert prices_of("G1") == {"wholesaler": Decimal("3.00")}


def test_a_bad_last_row_leaves_nothing_written(world: World):
    existing = make_product("A1", "苹果汁", "5.00")
    rows = [["SKU", "Name", "List price", "Wholesaler price"]]
    rows += [[f"N{i}", f"新品{i}", 10, 8] for i in range(50)]
    rows += [["A1", "苹果汁改", 6, 5]]
    rows += [["LAST", "没有价格的新品", None, None]]  # a new product needs a list price: refused by the service
    result = products_import_file(actor=world.cathy, source=upload(rows))
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (53, "List price", "A new product needs a list price.")]
    assert Product.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.name, existing.list_price, existing.version) == ("苹果汁", Decimal("5.00"), 1)
    assert not ProductPrice.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORT).exists()


def test_a_bad_cell_in_the_last_row_leaves_nothing_written_either(world: World):
    rows = [["SKU", "Name", "List price"], ["N1", "新品", 10], ["N2", "新品二", "ten"]]
    result = products_import_file(actor=world.cathy, source=upload(rows))
    assert [(e.row, e.column, e.value, e.message) for e in result.errors] == [
        (3, "List price", "ten", "'ten' is not a number.")]
    assert not Product.objects.exists()


def test_every_problem_is_listed_with_row_column_value_and_message(world: World):
    rows = [
        HEADER_ZH[:8],
        ["D1", "甲", None, None, 0, None, -1, "也许"],
        ["D1", "乙", None, None, 1, None, 1, "是"],
        ["X" * 41, "丙", None, None, 1, None, 1, None],
    ]
    result = products_import_file(actor=world.cathy, source=upload(rows))
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (2, "装箱数", "0"), (2, "标准价", "-1"), (2, "是否启用", "也许"),
        (3, "商品编码", "D1"),
        (4, "商品编码", "X" * 41),
    ]
    assert not Product.objects.exists()


def test_the_sheet_checks_pass_but_the_model_refuses_a_name_too_long_in_the_named_column(world: World):
    make_product("A1", "苹果汁")
    result = products_import_file(actor=world.cathy, source=upload([["SKU", "Name"], ["A1", "名" * 201]]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "Name")]


def test_a_dry_run_counts_and_writes_nothing(world: World):
    make_product("A1", "苹果汁", "5.00")
    result = products_import_file(actor=world.cathy, dry_run=True, source=upload([
        ["SKU", "Name", "List price"], ["A1", "苹果汁", 6], ["B1", "梨汁", 7]]))
    assert result.errors == [] and (result.dry_run, result.created, result.updated) == (True, 1, 1)
    assert Product.objects.count() == 1 and Product.objects.get().list_price == Decimal("5.00")
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORT).exists()


def test_a_new_product_needs_a_name_and_the_sku_column(world: World):
    result = products_import_file(actor=world.cathy, source=upload([["Name", "List price"], ["梨汁", 7]]))
    assert [(e.row, e.column) for e in result.errors] == [(1, "SKU")]
    result = products_import_file(actor=world.cathy, source=upload([["SKU", "List price"], ["P9", 7]]))
    assert [(e.row, e.column, e.message) for e in result.errors] == [(2, "Name", "This field cannot be blank.")]


@pytest.mark.parametrize("who", ["alice", "mia", "fiona", "aud"])
def test_only_catalogue_roles_import(world: World, who: str):
    with pytest.raises(Forbidden):
        products_import_file(actor=world.everyone[who], source=upload([["SKU", "Name", "List price"], ["A", "b", 1]]))
    assert not Product.objects.exists()


def test_the_template_has_every_column_and_imports_its_sample_row(world: World, tmp_path: Path):
    for lang, first, price in (("zh-hans", "商品编码", "总经销价"), ("en", "SKU", "Distributor price")):
        book = openpyxl.load_workbook(io.BytesIO(products_template(lang)))
        headers = [c.value for c in book.worksheets[0][1]]
        assert headers[0] == first and price in headers and len(headers) == len(COLUMNS)
    path = tmp_path / "t.xlsx"
    path.write_bytes(products_template("zh-hans"))
    result = products_import_file(actor=world.cathy, source=str(path))
    assert result.errors == [] and result.created == 1
    assert prices_of("QQ-550") == {"distributor": Decimal("28.00"), "wholesaler": Decimal("30.00"),
                                   "sub_wholesaler": Decimal("32.00"), "retailer": Decimal("34.00")}


# --- web page ----------------------------------------------------------------------------------


def client_as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_import_page_shows_each_problem_and_writes_nothing(world: World):
    client = client_as(world.cathy)
    assert client.get(reverse("sales:product-import")).status_code == 200
    response = client.post(reverse("sales:product-import"), {
        "file": upload([["SKU", "Name", "List price"], ["A", "甲", 1], ["B", "乙", "abc"]])})
    assert response.status_code == 400
    html = response.content.decode()
    assert "&#x27;abc&#x27; is not a number." in html and "<td>3</td>" in html
    assert not Product.objects.exists()


def test_the_import_page_imports_and_goes_back_to_the_list(world: World):
    client = client_as(world.cathy)
    response = client.post(reverse("sales:product-import"), {
        "file": upload([["SKU", "Name", "List price"], ["A", "甲", 1]])})
    assert response.status_code == 302 and response["Location"] == reverse("sales:products")
    assert Product.objects.get().sku == "A"


def test_the_import_page_check_only_reports_counts(world: World):
    response = client_as(world.cathy).post(reverse("sales:product-import"), {
        "file": upload([["SKU", "Name", "List price"], ["A", "甲", 1]]), "dry_run": "on"})
    assert response.status_code == 200 and "1 new products" in response.content.decode()
    assert not Product.objects.exists()


def test_the_import_page_without_a_file_is_a_form_error(world: World):
    response = client_as(world.cathy).post(reverse("sales:product-import"), {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_the_template_downloads(world: World):
    response = client_as(world.cathy).get(reverse("sales:product-import-template") + "?lang=en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert [c.value for c in openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0][1]][0] == "SKU"


# --- API ---------------------------------------------------------------------------------------


def test_the_api_imports_and_reports_counts(world: World):
    response = api_as(world.cathy).post("/api/v1/products/import/", {
        "file": upload([["SKU", "Name", "List price"], ["A", "甲", 1]])}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json() == {"dry_run": False, "rows": 1, "created": 1, "updated": 0, "unchanged": 0,
                               "unknown_headers": []}


def test_the_api_dry_run_writes_nothing(world: World):
    response = api_as(world.cathy).post("/api/v1/products/import/", {
        "file": upload([["SKU", "Name", "List price", "Colour"], ["A", "甲", 1, "red"]]), "dry_run": "true"},
        format="multipart")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["created"] == 1
    assert response.json()["unknown_headers"] == ["Colour"]
    assert not Product.objects.exists()


def test_the_api_answers_400_with_every_row_error(world: World):
    response = api_as(world.cathy).post("/api/v1/products/import/", {
        "file": upload([["SKU", "Name", "List price"], ["A", "甲", "x"], ["B", "乙", -3]])}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The file has problems; nothing was imported."
    assert body["errors"] == [
        {"row": 2, "column": "List price", "value": "x", "message": "'x' is not a number."},
        {"row": 3, "column": "List price", "value": "-3", "message": "'-3' must be at least 0."},
    ]
    assert not Product.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"file": "not a file"}, {"file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x00")},
                                     {"file": SimpleUploadedFile("e.csv", b"")}])
def test_the_api_answers_400_to_junk_uploads(world: World, payload: dict[str, Any]):
    response = api_as(world.cathy).post("/api/v1/products/import/", payload, format="multipart")
    assert response.status_code == 400
    assert not Product.objects.exists()


def test_the_api_import_is_refused_to_a_rep(world: World):
    response = api_as(world.alice).post("/api/v1/products/import/", {
        "file": upload([["SKU", "Name", "List price"], ["A", "甲", 1]])}, format="multipart")
    assert response.status_code == 403
    assert not Product.objects.exists()


def test_a_nul_character_is_refused_never_written(world: World):
    text = "SKU,Name,List price\n" + "".join(f"S{i},名{i},1\n" for i in range(300)) + "S-X,bad\x00name,1\n"
    result = products_import_file(actor=world.cathy, source=SimpleUploadedFile("p.csv", text.encode()))
    assert [e.row for e in result.errors] == [0]  # the CSV reader refuses the whole file
    result = products_import_file(actor=world.cathy, source=upload([["SKU", "Name", "List price"], ["S1", "a\x00b", 1]]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "Name")]
    assert not Product.objects.exists()


def test_a_sku_created_by_someone_else_between_matching_and_writing_is_a_clear_error(world: World, monkeypatch: Any):
    from kehu.sales.services import products as services

    real = services._products_by_sku

    def matched_then_raced(skus: Any) -> Any:
        found = real(skus)
        make_product("RACE-1", "别人刚建的")  # inside the same transaction: stands in for a concurrent insert
        return found

    monkeypatch.setattr(services, "_products_by_sku", matched_then_raced)
    result = products_import_file(actor=world.cathy, source=upload([["SKU", "Name", "List price"], ["RACE-1", "我的", 1]]))
    assert [(e.row, e.message) for e in result.errors] == [
        (0, "Another user added one of these SKUs meanwhile; nothing was imported. Upload the file again.")]
    assert list(Product.objects.values_list("sku", flat=True)) == []  # the whole transaction rolled back
