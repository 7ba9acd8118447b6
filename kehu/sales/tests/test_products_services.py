"""Catalogue writes: create, update with a version check, the price lists, activation, the audit rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.sales.models import Product, ProductPrice
from kehu.sales.selectors.products import product_price, product_search
from kehu.sales.services.products import (
    product_activate,
    product_create,
    product_deactivate,
    product_price_set,
    product_update,
)
from kehu.sales.testing import make_product
from kehu.testing import World, errors_of

WATER = {"sku": "QQ-550", "name": "清泉矿泉水", "spec": "550ml×24", "unit": "箱", "pack_size": 24,
         "category": "饮用水", "list_price": Decimal("36.00")}


def test_it_creates_a_product_searchable_by_pinyin_with_an_audit_row(world: World):
    product = product_create(actor=world.cathy, data=WATER, prices={"distributor": Decimal("28.00")})
    product.refresh_from_db()
    assert (product.sku, product.name, product.unit, product.pack_size, product.list_price, product.version) == (
        "QQ-550", "清泉矿泉水", "箱", 24, Decimal("36.00"), 1)
    assert product.is_active
    assert product_search(q="qqkqs") == [product]
    assert product_search(q="qq-550") == [product]
    assert product_price(product, "distributor") == Decimal("28.00")
    assert product_price(product, "retailer") == Decimal("36.00")
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="product")
    assert (event.actor, event.object_id, event.detail) == (world.cathy, product.pk, {"prices": {"distributor": [None, "28.00"]}})


@pytest.mark.parametrize("who", ["alice", "mia", "fiona", "aud"])
def test_only_catalogue_roles_write(world: World, who: str):
    user = world.everyone[who]
    with pytest.raises(Forbidden):
        product_create(actor=user, data=WATER)
    product = make_product("P1", "苹果汁")
    with pytest.raises(Forbidden):
        product_update(actor=user, product_id=product.pk, data={"name": "x"}, version=1)
    with pytest.raises(Forbidden):
        product_price_set(actor=user, product_id=product.pk, prices={"retailer": "1"}, version=1)
    with pytest.raises(Forbidden):
        product_deactivate(actor=user, product_id=product.pk, version=1)
    product.refresh_from_db()
    assert (product.name, product.version, product.is_active) == ("苹果汁", 1, True)
    assert not ProductPrice.objects.exists()


@pytest.mark.parametrize("who", ["dora", "cathy", "ada"])
def test_directors_custodians_and_admins_write(world: World, who: str):
    product = product_create(actor=world.everyone[who], data=WATER)
    assert Product.objects.filter(pk=product.pk).exists()


def test_an_inactive_user_cannot_write(world: World):
    world.cathy.is_active = False
    with pytest.raises(Forbidden):
        product_create(actor=world.cathy, data=WATER)


def test_the_model_rules_answer_field_errors(world: World):
    errors = errors_of(product_create, actor=world.cathy,
                       data={"sku": "", "name": "x" * 201, "list_price": Decimal("-1"), "pack_size": 0})
    assert set(errors) == {"sku", "name", "list_price", "pack_size"}
    assert errors["list_price"] == ["Must be zero or more."]
    assert Product.objects.count() == 0


def test_a_sku_is_unique_whatever_its_case(world: World):
    make_product("QQ-550", "old")
    errors = errors_of(product_create, actor=world.cathy, data={**WATER, "sku": "qq-550"})
    assert errors == {"sku": ["Another product already has the SKU qq-550."]}


def test_unknown_fields_are_refused(world: World):
    errors = errors_of(product_create, actor=world.cathy, data={**WATER, "search_text": "x", "version": 9})
    assert set(errors) == {"search_text", "version"}


def test_bad_prices_are_field_errors_by_level_and_nothing_is_written(world: World):
    errors = errors_of(product_create, actor=world.cathy, data=WATER,
                       prices={"moon": "1", "retailer": "-2", "wholesaler": "abc"})
    assert set(errors) == {"prices.moon", "prices.retailer", "prices.wholesaler"}
    assert not Product.objects.exists()


def test_update_checks_the_version_bumps_it_and_refreshes_the_search_text(world: World):
    product = make_product("P1", "苹果汁", "5.00")
    updated = product_update(actor=world.dora, product_id=product.pk, data={"name": "橙汁", "list_price": "6.5"},
                             version=1)
    assert (updated.name, updated.list_price, updated.version) == ("橙汁", Decimal("6.50"), 2)
    assert product_search(q="cz") == [updated]
    assert product_search(q="pgz") == []
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=product.pk)
    assert event.detail == {"fields": ["name", "list_price"], "list_price": ["5.00", "6.50"]}
    with pytest.raises(VersionConflict) as stale:
        product_update(actor=world.dora, product_id=product.pk, data={"name": "葡萄汁"}, version=1)
    assert stale.value.current.version == 2 and stale.value.current.name == "橙汁"
    assert errors_of(product_update, actor=world.dora, product_id=product.pk, data={}, version=None) == {
        "version": ["Send the version you edited so concurrent edits are caught."]}
    assert errors_of(product_update, actor=world.dora, product_id=product.pk, data={}, version="x") == {
        "version": ["The version must be a whole number."]}


def test_an_update_that_changes_nothing_keeps_the_version_and_writes_no_audit_row(world: World):
    product = make_product("P1", "苹果汁", "5.00")
    same = product_update(actor=world.dora, product_id=product.pk, data={"name": "苹果汁", "list_price": "5"}, version=1)
    assert same.version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_a_missing_product_is_not_found(world: World):
    with pytest.raises(NotFound):
        product_update(actor=world.dora, product_id=999999, data={}, version=1)


def test_the_price_list_sets_changes_and_removes_level_prices_as_one_versioned_change(world: World):
    product = make_product("P1", "苹果汁", "5.00")
    product = product_price_set(actor=world.cathy, product_id=product.pk, version=1,
                                prices={"distributor": "3.50", "wholesaler": Decimal("4")})
    assert product.version == 2
    assert dict(ProductPrice.objects.values_list("channel_level", "price")) == {
        "distributor": Decimal("3.50"), "wholesaler": Decimal("4.00")}
    product = product_price_set(actor=world.cathy, product_id=product.pk, version=2,
                                prices={"distributor": "3.60", "wholesaler": None, "retailer": ""})
    assert product.version == 3
    assert dict(ProductPrice.objects.values_list("channel_level", "price")) == {"distributor": Decimal("3.60")}
    assert product_price(product, "wholesaler") == Decimal("5.00")
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE).latest("id")
    assert event.detail["prices"] == {"distributor": ["3.50", "3.60"], "wholesaler": ["4.00", None]}
    with pytest.raises(VersionConflict):
        product_price_set(actor=world.cathy, product_id=product.pk, version=2, prices={"retailer": "1"})
    assert not ProductPrice.objects.filter(channel_level="retailer").exists()


def test_a_product_edit_and_a_price_edit_from_the_same_version_conflict(world: World):
    product = make_product("P1", "苹果汁", "5.00")
    product_price_set(actor=world.cathy, product_id=product.pk, version=1, prices={"retailer": "4.8"})
    with pytest.raises(VersionConflict):
        product_update(actor=world.dora, product_id=product.pk, data={"list_price": "6"}, version=1)


def test_deactivate_and_activate_are_status_changes(world: World):
    product = make_product("P1", "苹果汁")
    product = product_deactivate(actor=world.ada, product_id=product.pk, version=1)
    assert (product.is_active, product.version) == (False, 2)
    assert product_search(q="pgz") == []
    again = product_deactivate(actor=world.ada, product_id=product.pk, version=2)
    assert again.version == 2  # already inactive: nothing to do
    product = product_activate(actor=world.ada, product_id=product.pk, version=2)
    assert (product.is_active, product.version) == (True, 3)
    details = list(AuditEvent.objects.filter(action=AuditAction.STATUS_CHANGE).order_by("id").values_list("detail", flat=True))
    assert details == [{"is_active": False}, {"is_active": True}]
    with pytest.raises(VersionConflict):
        product_deactivate(actor=world.ada, product_id=product.pk, version=2)


def test_a_nul_character_is_a_field_error_not_a_database_error(world: World):
    errors = errors_of(product_create, actor=world.cathy, data={**WATER, "spec": "a\x00b"})
    assert errors == {"spec": ["Text cannot contain NUL (\\x00) characters."]}
