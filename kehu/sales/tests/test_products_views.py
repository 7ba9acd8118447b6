"""The catalogue pages: list (search, filters, keyset pages, query count), detail with the price grid,
create/edit with conflicts, activation, and the order-entry autocomplete contract."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kehu.sales.models import Product, ProductPrice
from kehu.sales.services.products import product_update
from kehu.sales.testing import make_product
from kehu.testing import World


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def client_as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def catalogue(world: World) -> dict[str, Product]:
    water = make_product("QQ-550", "清泉矿泉水", "36.00", spec="550ml×24", category="饮用水", unit="箱")
    juice = make_product("GZ-1", "鲜橙汁", "48.00", spec="1L×12", category="果汁")
    old = make_product("OLD-1", "老款矿泉水", "30.00", category="饮用水", is_active=False)
    ProductPrice.objects.create(product=water, channel_level="distributor", price=Decimal("28.00"))
    ProductPrice.objects.create(product=water, channel_level="retailer", price=Decimal("34.00"))
    return {"water": water, "juice": juice, "old": old}


def skus(response: Any) -> list[str]:
    return [p.sku for p in response.context["page"].rows]


def test_the_list_shows_every_product_with_its_level_prices(world: World, catalogue: dict[str, Product]):
    response = client_as(world.alice).get(reverse("sales:products"))
    assert response.status_code == 200
    assert skus(response) == ["GZ-1", "OLD-1", "QQ-550"]
    html = response.content.decode()
    assert "28.00" in html and "34.00" in html and "清泉矿泉水" in html
    assert reverse("sales:product-create") not in html  # a rep does not manage the catalogue


def test_the_list_searches_by_name_pinyin_initials_and_sku(world: World, catalogue: dict[str, Product]):
    client = client_as(world.alice)
    for q, expected in (("矿泉水", ["OLD-1", "QQ-550"]), ("qqkqs", ["QQ-550"]), ("xcz", ["GZ-1"]),
                        ("gz-1", ["GZ-1"]), ("qingquan", ["QQ-550"]), ("nothing", [])):
        assert skus(client.get(reverse("sales:products"), {"q": q})) == expected, q


def test_the_list_filters_by_category_and_active(world: World, catalogue: dict[str, Product]):
    client = client_as(world.alice)
    assert skus(client.get(reverse("sales:products"), {"category": "饮用水"})) == ["OLD-1", "QQ-550"]
    assert skus(client.get(reverse("sales:products"), {"category": "饮用水", "is_active": "true"})) == ["QQ-550"]
    assert skus(client.get(reverse("sales:products"), {"is_active": "false"})) == ["OLD-1"]
    # a category that does not exist (or junk) matches nothing rather than failing
    response = client.get(reverse("sales:products"), {"category": "nope", "is_active": "maybe"})
    assert response.status_code == 200 and skus(response) == []


def test_the_list_pages_by_keyset_and_htmx_gets_the_results_fragment(world: World):
    for i in range(120):
        make_product(f"P{i:03d}", f"产品{i}", "1.00")
    client = client_as(world.bob)
    first = client.get(reverse("sales:products"))
    assert skus(first)[:2] == ["P000", "P001"] and len(skus(first)) == 50
    assert first.context["total"] == 120
    following = client.get(reverse("sales:products") + first.context["next_url"], HTTP_HX_REQUEST="true")
    assert following.templates[0].name == "sales/products/list_results.html"
    assert skus(following)[0] == "P050"
    back = client.get(reverse("sales:products") + following.context["previous_url"])
    assert skus(back)[0] == "P000"
    junk = client.get(reverse("sales:products"), {"cursor": "!!!not-a-cursor"})
    assert junk.status_code == 200 and skus(junk)[0] == "P000"


def test_the_list_costs_the_same_few_queries_for_many_products(world: World, django_assert_max_num_queries: Any):
    for i in range(60):
        product = make_product(f"P{i:03d}", f"产品{i}", "1.00", category=f"类{i % 5}")
        ProductPrice.objects.create(product=product, channel_level="retailer", price=Decimal("0.90"))
    client = client_as(world.alice)
    client.get(reverse("sales:products"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("sales:products"), {"q": "cp", "category": "类1"})
    assert response.status_code == 200 and len(skus(response)) == 12


def test_the_detail_shows_the_price_list_read_only_to_a_rep(world: World, catalogue: dict[str, Product]):
    response = client_as(world.carol).get(reverse("sales:product-detail", args=[catalogue["water"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "28.00" in html and "34.00" in html
    assert reverse("sales:product-prices", args=[catalogue["water"].pk]) not in html
    assert client_as(world.carol).get(reverse("sales:product-detail", args=[999999])).status_code == 404


def test_the_price_grid_saves_through_htmx_and_an_empty_cell_removes_the_level_price(world: World, catalogue: dict[str, Product]):
    water = catalogue["water"]
    client = client_as(world.cathy)
    detail = client.get(reverse("sales:product-detail", args=[water.pk]))
    assert reverse("sales:product-prices", args=[water.pk]) in detail.content.decode()
    response = client.post(reverse("sales:product-prices", args=[water.pk]), {
        "version": 1, "price_distributor": "27.50", "price_retailer": "", "price_wholesaler": "30"},
        HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "sales/products/price_grid.html"
    assert dict(ProductPrice.objects.filter(product=water).values_list("channel_level", "price")) == {
        "distributor": Decimal("27.50"), "wholesaler": Decimal("30.00")}
    water.refresh_from_db()
    assert water.version == 2


def test_the_price_grid_refuses_bad_prices_with_field_messages(world: World, catalogue: dict[str, Product]):
    water = catalogue["water"]
    response = client_as(world.cathy).post(reverse("sales:product-prices", args=[water.pk]), {
        "version": 1, "price_distributor": "-1", "price_retailer": "abc"})
    assert response.status_code == 400
    grid = response.context["grid"]
    assert set(grid.errors) == {"price_distributor", "price_retailer"}
    assert ProductPrice.objects.get(product=water, channel_level="distributor").price == Decimal("28.00")


def test_a_stale_price_grid_answers_409_with_the_saved_prices(world: World, catalogue: dict[str, Product]):
    water = catalogue["water"]
    product_update(actor=world.dora, product_id=water.pk, data={"list_price": "37"}, version=1)
    response = client_as(world.cathy).post(reverse("sales:product-prices", args=[water.pk]), {
        "version": 1, "price_distributor": "1.00"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()
    assert response.context["grid"]["version"].value() == 2
    assert ProductPrice.objects.get(product=water, channel_level="distributor").price == Decimal("28.00")


def test_create_and_edit_through_the_forms(world: World):
    client = client_as(world.dora)
    assert client.get(reverse("sales:product-create")).status_code == 200
    response = client.post(reverse("sales:product-create"), {
        "sku": "N1", "name": "新品", "spec": "", "unit": "瓶", "pack_size": 6, "category": "", "list_price": "9.9",
        "is_active": "on"})
    product = Product.objects.get(sku="N1")
    assert response.status_code == 302 and response["Location"] == reverse("sales:product-detail", args=[product.pk])
    assert (product.list_price, product.unit, product.is_active) == (Decimal("9.90"), "瓶", True)
    response = client.post(reverse("sales:product-edit", args=[product.pk]), {
        "sku": "N1", "name": "新品改", "unit": "瓶", "pack_size": 6, "list_price": "10", "version": 1})
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.list_price, product.version, product.is_active) == ("新品改", Decimal("10.00"), 2, True)


def test_the_form_shows_field_errors_and_a_duplicate_sku(world: World, catalogue: dict[str, Product]):
    response = client_as(world.dora).post(reverse("sales:product-create"), {
        "sku": "qq-550", "name": "x", "unit": "瓶", "pack_size": 1, "list_price": "1"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"sku": ["Another product already has the SKU qq-550."]}
    response = client_as(world.dora).post(reverse("sales:product-create"), {
        "sku": "", "name": "", "unit": "瓶", "pack_size": 0, "list_price": "-1"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"sku", "name", "pack_size", "list_price"}
    assert Product.objects.count() == 3


def test_a_stale_edit_keeps_the_input_and_shows_what_is_saved(world: World, catalogue: dict[str, Product]):
    juice = catalogue["juice"]
    product_update(actor=world.ada, product_id=juice.pk, data={"name": "橙汁"}, version=1)
    response = client_as(world.dora).post(reverse("sales:product-edit", args=[juice.pk]), {
        "sku": "GZ-1", "name": "苹果汁", "unit": "件", "pack_size": 1, "list_price": "48", "version": 1})
    assert response.status_code == 409
    assert response.context["conflict"] is True
    assert ("Name", "橙汁", "苹果汁") in [(str(a), b, c) for a, b, c in response.context["differences"]]
    assert response.context["form"]["version"].value() == "2"
    juice.refresh_from_db()
    assert juice.name == "橙汁"


def test_activate_and_deactivate_buttons(world: World, catalogue: dict[str, Product]):
    water = catalogue["water"]
    client = client_as(world.cathy)
    response = client.post(reverse("sales:product-active", args=[water.pk]), {"is_active": "0", "version": 1})
    assert response.status_code == 302
    water.refresh_from_db()
    assert (water.is_active, water.version) == (False, 2)
    client.post(reverse("sales:product-active", args=[water.pk]), {"is_active": "1", "version": 1})  # stale
    water.refresh_from_db()
    assert water.is_active is False
    client.post(reverse("sales:product-active", args=[water.pk]), {"is_active": "1", "version": 2})
    water.refresh_from_db()
    assert water.is_active is True
    assert client.post(reverse("sales:product-active", args=[water.pk]), {"is_active": "1", "version": "x"}).status_code == 302


# --- the order-entry autocomplete: a contract with the orders page -----------------------------


def test_autocomplete_json_gives_the_price_for_the_channel_level(world: World, catalogue: dict[str, Product]):
    client = client_as(world.alice)
    url = reverse("sales:product-autocomplete")
    response = client.get(url, {"q": "qq", "format": "json", "channel_level": "distributor"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert json.loads(response.content) == [{
        "id": catalogue["water"].pk, "sku": "QQ-550", "name": "清泉矿泉水", "spec": "550ml×24", "unit": "箱",
        "list_price": "36.00", "price": "28.00",
    }]
    wholesaler = json.loads(client.get(url, {"q": "qq", "format": "json", "channel_level": "wholesaler"}).content)
    assert wholesaler[0]["price"] == "36.00"  # no level price: the list price
    no_level = json.loads(client.get(url, {"q": "qq", "format": "json"}).content)
    assert no_level[0]["price"] == "36.00"


def test_autocomplete_takes_the_level_of_a_visible_customer(world: World, catalogue: dict[str, Product]):
    world.alice_card.channel_level = "retailer"
    world.alice_card.save()
    client = client_as(world.alice)
    url = reverse("sales:product-autocomplete")
    found = json.loads(client.get(url, {"q": "qqkqs", "format": "json", "customer": world.alice_card.pk}).content)
    assert found[0]["price"] == "34.00"
    hidden = client.get(url, {"q": "qq", "format": "json", "customer": world.carol_card.pk})
    assert hidden.status_code == 404


def test_autocomplete_leaves_out_inactive_products_and_answers_empty_for_no_text(world: World, catalogue: dict[str, Product]):
    client = client_as(world.alice)
    url = reverse("sales:product-autocomplete")
    assert [p["sku"] for p in json.loads(client.get(url, {"q": "矿泉水", "format": "json"}).content)] == ["QQ-550"]
    assert json.loads(client.get(url, {"q": "  ", "format": "json"}).content) == []


def test_autocomplete_html_is_a_fragment_of_options_with_the_same_data(world: World, catalogue: dict[str, Product]):
    response = client_as(world.alice).get(reverse("sales:product-autocomplete"),
                                          {"q": "qq", "channel_level": "retailer"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'data-pick-id="{catalogue["water"].pk}"' in html and 'data-price="34.00"' in html
    assert 'data-sku="QQ-550"' in html and 'data-unit="箱"' in html
    empty = client_as(world.alice).get(reverse("sales:product-autocomplete"), {"q": "zzzz"}).content.decode()
    assert "No product matches." in empty


@pytest.mark.parametrize("params", [{"channel_level": "moon"}, {"customer": "abc"}, {"customer": "99999999999999999999999"},
                                    {"customer": "-1"}, {"q": "x" * 5000}, {"q": "\x00"}])
def test_autocomplete_junk_is_never_a_500(world: World, catalogue: dict[str, Product], params: dict[str, str]):
    client = client_as(world.alice)
    for extra in ({}, {"format": "json"}):
        response = client.get(reverse("sales:product-autocomplete"), {"q": "qq", **params, **extra})
        assert response.status_code in (200, 400, 404), (params, response.status_code)
    bad = client.get(reverse("sales:product-autocomplete"), {"q": "qq", "format": "json", "channel_level": "moon"})
    assert bad.status_code == 400 and "channel_level" in json.loads(bad.content)


def test_after_an_htmx_price_save_the_activate_button_carries_the_new_version(world: World, catalogue: dict[str, Product]):
    water = catalogue["water"]
    response = client_as(world.cathy).post(reverse("sales:product-prices", args=[water.pk]), {
        "version": 1, "price_distributor": "27"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="active-version" hx-swap-oob="true"' in html and 'value="2" id="active-version"' in html
