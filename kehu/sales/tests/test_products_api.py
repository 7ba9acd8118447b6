"""`/api/v1/products/`: CRUD with nested channel prices, filters, cursor pages, 409 and 400, junk never 500."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from kehu.sales.models import Product, ProductPrice
from kehu.sales.testing import make_product
from kehu.testing import World, api_as, results

URL = "/api/v1/products/"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def water(world: World) -> Product:
    product = make_product("QQ-550", "清泉矿泉水", "36.00", spec="550ml×24", category="饮用水", unit="箱", pack_size=24)
    ProductPrice.objects.create(product=product, channel_level="distributor", price=Decimal("28"))
    return product


def test_a_product_reads_with_its_channel_prices(world: World, water: Product):
    body = api_as(world.alice).get(f"{URL}{water.pk}/").json()
    assert body == {
        "id": water.pk, "sku": "QQ-550", "name": "清泉矿泉水", "spec": "550ml×24", "unit": "箱", "pack_size": 24,
        "category": "饮用水", "list_price": "36.00", "is_active": True, "prices": {"distributor": "28.00"},
        "version": 1, "created_at": body["created_at"], "updated_at": body["updated_at"],
    }


def test_create_with_prices_then_update_with_the_version(world: World):
    api = api_as(world.cathy)
    response = api.post(URL, {"sku": "N1", "name": "新品", "list_price": "9.9", "prices": {"retailer": "9.5"}})
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["list_price"], created["unit"], created["prices"], created["version"]) == (
        "9.90", "件", {"retailer": "9.50"}, 1)
    response = api.patch(f"{URL}{created['id']}/", {"name": "新品改", "version": 1,
                                                     "prices": {"retailer": None, "wholesaler": "9.00"}})
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["prices"], response.json()["version"]) == (
        "新品改", {"wholesaler": "9.00"}, 2)


def test_a_stale_version_answers_409_with_the_current_record(world: World, water: Product):
    api = api_as(world.dora)
    assert api.patch(f"{URL}{water.pk}/", {"list_price": "37", "version": 1}).status_code == 200
    response = api.patch(f"{URL}{water.pk}/", {"list_price": "38", "version": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "version_conflict"
    assert response.json()["current"]["list_price"] == "37.00" and response.json()["current"]["version"] == 2
    assert api.patch(f"{URL}{water.pk}/", {"list_price": "38"}).json() == {
        "version": ["Send the version you edited so concurrent edits are caught."]}


def test_validation_errors_are_a_400_field_map(world: World, water: Product):
    api = api_as(world.cathy)
    response = api.post(URL, {"sku": "qq-550", "name": "", "list_price": "-1", "pack_size": 0,
                              "prices": {"moon": "1", "retailer": "abc"}})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"name", "prices"}  # the serializer's own checks come first
    assert api.post(URL, {"sku": "Z", "name": "x", "list_price": "-1"}).json() == {"list_price": ["Must be zero or more."]}
    response = api.post(URL, {"sku": "qq-550", "name": "x", "list_price": "1", "prices": {"moon": "1"}})
    assert response.json() == {"prices": {"moon": ["Not a channel level; use one of: distributor, wholesaler, "
                                                   "sub_wholesaler, retailer, end_user."]}}
    response = api.post(URL, {"sku": "qq-550", "name": "x", "list_price": "1"})
    assert response.json() == {"sku": ["Another product already has the SKU qq-550."]}
    response = api.post(URL, {"sku": "Z", "name": "x", "list_price": "1", "pack_size": 0})
    assert response.json() == {"pack_size": ["Must be 1 or more."]}
    response = api.post(URL, {"sku": "Z", "name": "x", "list_price": "1", "colour": "red"})
    assert response.json() == {"colour": ["Unknown field."]}
    assert Product.objects.count() == 1


def test_the_price_list_endpoint_and_activation(world: World, water: Product):
    api = api_as(world.ada)
    response = api.put(f"{URL}{water.pk}/prices/", {"version": 1, "prices": {"distributor": None, "end_user": "40"}})
    assert response.status_code == 200, response.json()
    assert (response.json()["prices"], response.json()["version"]) == ({"end_user": "40.00"}, 2)
    assert api.put(f"{URL}{water.pk}/prices/", {"version": 1, "prices": {}}).status_code == 409
    assert api.put(f"{URL}{water.pk}/prices/", {"prices": {}}).json() == {"version": ["This field is required."]}
    response = api.post(f"{URL}{water.pk}/deactivate/", {"version": 2})
    assert (response.status_code, response.json()["is_active"], response.json()["version"]) == (200, False, 3)
    response = api.post(f"{URL}{water.pk}/activate/", {"version": 3})
    assert (response.json()["is_active"], response.json()["version"]) == (True, 4)
    assert api.post(f"{URL}{water.pk}/activate/", {"version": 3}).status_code == 409


def test_products_are_never_deleted(world: World, water: Product):
    assert api_as(world.ada).delete(f"{URL}{water.pk}/").status_code == 405
    assert Product.objects.filter(pk=water.pk).exists()


def test_filters_q_category_is_active_and_cursor_pages(world: World, water: Product):
    make_product("GZ-1", "鲜橙汁", "48.00", category="果汁")
    make_product("OLD-1", "老款矿泉水", "30.00", category="饮用水", is_active=False)
    api = api_as(world.bob)
    sku = lambda **params: [p["sku"] for p in results(api.get(URL, params))]  # noqa: E731
    assert sku() == ["GZ-1", "OLD-1", "QQ-550"]
    assert sku(q="qqkqs") == ["QQ-550"]
    assert sku(q="矿泉水") == ["OLD-1", "QQ-550"]
    assert sku(category="饮用水", is_active="true") == ["QQ-550"]
    assert sku(is_active="false") == ["OLD-1"]
    assert sku(ordering="-list_price") == ["GZ-1", "QQ-550", "OLD-1"]
    first = api.get(URL, {"page_size": 2}).json()
    assert [p["sku"] for p in first["results"]] == ["GZ-1", "OLD-1"] and first["next"]
    second = api.get(first["next"]).json()
    assert [p["sku"] for p in second["results"]] == ["QQ-550"] and second["next"] is None


def test_the_list_reads_prices_without_a_query_per_product(world: World, django_assert_max_num_queries: Any):
    for i in range(40):
        product = make_product(f"P{i:02d}", f"产品{i}")
        ProductPrice.objects.create(product=product, channel_level="retailer", price=Decimal("1"))
    api = api_as(world.alice)
    api.get(URL)
    with django_assert_max_num_queries(6):
        assert len(results(api.get(URL))) == 40


@pytest.mark.parametrize("params", [
    {"is_active": "maybe"}, {"ordering": "search_text"}, {"cursor": "garbage"}, {"page_size": "-1"},
    {"q": "\x00"}, {"q": "x" * 500}, {"category": "c" * 500}, {"page_size": "99999999999999999999"},
])
def test_junk_query_parameters_are_never_a_500(world: World, water: Product, params: dict[str, str]):
    response = api_as(world.alice).get(URL, params)
    assert response.status_code in (200, 400, 404), (params, response.status_code)


@pytest.mark.parametrize("body", [
    [], "text", {"list_price": "1e400"}, {"list_price": "NaN"}, {"pack_size": 2**70}, {"prices": "cheap"},
    {"prices": {"retailer": "1e30"}}, {"prices": ["retailer"]}, {"sku": "\x00", "name": "x", "list_price": "1"},
    {"version": "old"}, {"is_active": "perhaps"}, {"sku": None}, {"name": "名" * 500},
])
def test_junk_bodies_are_a_400_never_a_500(world: World, water: Product, body: Any):
    api = api_as(world.cathy)
    assert api.post(URL, body).status_code == 400, body
    patched = api.patch(f"{URL}{water.pk}/", body)
    assert patched.status_code == 400, (body, patched.status_code, patched.content[:200])
    water.refresh_from_db()
    assert water.version == 1


@pytest.mark.parametrize("path", ["abc/", "0/", "99999999999999999999999/", "-1/", "999999/"])
def test_unknown_ids_are_404(world: World, path: str):
    api = api_as(world.cathy)
    assert api.get(f"{URL}{path}").status_code == 404
    assert api.patch(f"{URL}{path}", {"version": 1}).status_code == 404
