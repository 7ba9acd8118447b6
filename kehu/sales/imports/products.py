"""Importing the product catalogue from .xlsx/.csv: create or update by SKU, all or nothing.

Columns (Chinese / English header, then synonyms): SKU, name, spec, unit, pack size, category, list
price, active, and one price column per channel level. The price columns follow the channel level
names the app uses (总经销商, 批发商, 二批商, 零售终端, 终端用户): 总经销价, 批发价, 二批价,
零售价 (the retail terminal's price) and 终端价 (the end user's price). An empty price cell removes
that level's price (the list price then applies); a price column left out of the file changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.core.errors import Forbidden
from kehu.customers.imports.convert import CellError, cell_string, fold
from kehu.customers.models import ChannelLevel
from kehu.sales.imports.common import (
    Column,
    RowError,
    RowsFailed,
    as_bool,
    as_decimal,
    as_int,
    as_text,
    read_sheet,
    write_template,
)
from kehu.sales.services.products import ImportedRow, ImportOutcome, ImportRowsInvalid, product_import

MAX_ROWS = 5000
PRICE_PREFIX = "price_"
ACTIVE_WORDS = {"启用": True, "在售": True, "有效": True, "active": True, "停用": False, "停售": False,
                "无效": False, "inactive": False}


def _active(raw: Any) -> bool:
    word = fold(cell_string(raw))
    if word in ACTIVE_WORDS:
        return ACTIVE_WORDS[word]
    try:
        return as_bool(raw)
    except CellError:
        raise CellError(_("'%(value)s' is not yes or no (是/否, 启用/停用).") % {"value": cell_string(raw)}) from None


_money = as_decimal(places=2, min_value=0, max_digits=14)
PRODUCT_COLUMNS: tuple[Column, ...] = (
    Column("sku", ("商品编码", "SKU", "编码", "货号", "产品编码", "品号", "code", "item code"), required=True,
           convert=as_text(40), unique=True, example="QQ-550",
           help=gettext_lazy("Required. The product's code; a row whose SKU exists updates that product.")),
    Column("name", ("商品名称", "Name", "名称", "品名", "产品名称", "product", "product name"), convert=as_text(200),
           example="清泉矿泉水", help=gettext_lazy("Required for a new product.")),
    Column("spec", ("规格", "Spec", "规格型号", "specification"), convert=as_text(100), example="550ml×24",
           help=gettext_lazy("Text, at most 100 characters.")),
    Column("unit", ("单位", "Unit", "计量单位"), convert=as_text(16), example="箱",
           help=gettext_lazy("Text, at most 16 characters; empty: 件 for a new product.")),
    Column("pack_size", ("装箱数", "Pack size", "箱规", "每箱数量", "包装数"), convert=as_int(min_value=1), example=24,
           help=gettext_lazy("A whole number, 1 or more.")),
    Column("category", ("类别", "Category", "分类", "品类", "产品类别"), convert=as_text(60), example="饮用水",
           help=gettext_lazy("Text, at most 60 characters.")),
    Column("list_price", ("标准价", "List price", "统一价", "价格", "售价", "单价", "price"), convert=_money, example=36,
           help=gettext_lazy("Required for a new product. A number with at most 2 decimals, 0 or more.")),
    Column("is_active", ("是否启用", "Active", "启用", "在售", "状态"), convert=_active, example="是",
           help=gettext_lazy("Yes or no (是/否, 启用/停用); empty: yes for a new product.")),
)
PRICE_LABELS: dict[str, tuple[str, ...]] = {
    ChannelLevel.DISTRIBUTOR: ("总经销价", "Distributor price", "总经销商价", "总代价", "经销价"),
    ChannelLevel.WHOLESALER: ("批发价", "Wholesaler price", "批发商价", "一批价"),
    ChannelLevel.SUB_WHOLESALER: ("二批价", "Sub-wholesaler price", "二批商价", "二级批发价"),
    ChannelLevel.RETAILER: ("零售价", "Retailer price", "零售终端价", "retail terminal price"),
    ChannelLevel.END_USER: ("终端价", "End user price", "终端用户价"),
}
PRICE_EXAMPLES = {ChannelLevel.DISTRIBUTOR: 28, ChannelLevel.WHOLESALER: 30, ChannelLevel.SUB_WHOLESALER: 32,
                  ChannelLevel.RETAILER: 34}
PRICE_COLUMNS: tuple[Column, ...] = tuple(
    Column(f"{PRICE_PREFIX}{level}", labels, convert=_money, example=PRICE_EXAMPLES.get(level, ""),
           help=gettext_lazy("The price for this channel level; empty: the list price applies."))
    for level, labels in PRICE_LABELS.items()
)
COLUMNS = PRODUCT_COLUMNS + PRICE_COLUMNS
FIELD_LABELS = {c.key: c for c in COLUMNS}


@dataclass
class ProductImportResult:
    """What an import did (or, for a dry run, would do); `errors` non-empty means nothing was written."""

    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _DryRun(Exception):
    def __init__(self, outcome: ImportOutcome) -> None:
        super().__init__("dry run")
        self.outcome = outcome


def _imported_row(number: int, values: dict[str, Any]) -> ImportedRow:
    data = {k: v for k, v in values.items() if not k.startswith(PRICE_PREFIX)}
    prices: dict[str, Decimal | None] = {
        k.removeprefix(PRICE_PREFIX): v for k, v in values.items() if k.startswith(PRICE_PREFIX)
    }
    return ImportedRow(row=number, data=data, prices=prices)


def _row_errors(invalid: ImportRowsInvalid, rows: dict[int, dict[str, Any]]) -> list[RowError]:
    out = []
    for number, fields in sorted(invalid.errors.items()):
        for name, messages in fields.items():
            column = FIELD_LABELS.get(name)
            value = rows.get(number, {}).get(name)
            out.append(RowError(number, column.label() if column else name,
                                "" if value is None else cell_string(value), " ".join(messages)))
    return out


def products_import_file(
    *, actor: User, source: Any, dry_run: bool = False, request: HttpRequest | None = None
) -> ProductImportResult:
    """Read and check the whole file, then write every row in one transaction (or, dry run, roll back).

    Raises Forbidden for a user who may not change the catalogue, before the file is read."""
    if not scope.can_manage_catalogue(actor):
        raise Forbidden(_("Only a director, a data custodian or an administrator may change the product catalogue."))
    sheet = read_sheet(source, COLUMNS, max_rows=MAX_ROWS)
    result = ProductImportResult(dry_run=dry_run, rows=len(sheet.rows), unknown_headers=sheet.unknown_headers,
                                 errors=list(sheet.errors))
    if sheet.errors:
        return result
    rows = [_imported_row(number, values) for number, values in sheet.rows]
    try:
        with transaction.atomic():
            try:
                outcome = product_import(actor=actor, rows=rows, request=request)
            except ImportRowsInvalid as invalid:
                raise RowsFailed(_row_errors(invalid, dict(sheet.rows))) from None
            if dry_run:
                raise _DryRun(outcome)
    except RowsFailed as failed:
        result.errors = failed.errors
        return result
    except _DryRun as rolled_back:
        outcome = rolled_back.outcome
    result.created, result.updated, result.unchanged = outcome.created, outcome.updated, outcome.unchanged
    return result


def products_template(lang: str) -> bytes:
    return write_template(COLUMNS, lang)
