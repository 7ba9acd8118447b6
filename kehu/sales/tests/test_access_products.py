"""Access matrix of the catalogue: every role against every page and endpoint of the products area,
and the sales admin: every sales model registered, read-only, customer-owned rows scoped."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.customers.models import Customer
from kehu.sales.models import (
    Allocation,
    Collection,
    CreditHold,
    CreditSuggestion,
    Order,
    Payment,
    PlanLine,
    PlanSupport,
    Product,
    ProductPrice,
    SalesPlan,
)
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World, api_as

EVERYONE = ["alice", "bob", "carol", "mia", "tom", "dora", "fiona", "cathy", "aud", "ada"]
CATALOGUE = {"dora", "cathy", "ada"}


@pytest.fixture
def water(world: World) -> Product:
    product = make_product("QQ-550", "清泉矿泉水", "36.00")
    ProductPrice.objects.create(product=product, channel_level="distributor", price=Decimal("28"))
    return product


def client_as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sheet(sku: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    page = book.add_worksheet()
    page.write_row(0, 0, ["SKU", "Name", "List price"])
    page.write_row(1, 0, [sku, "导入品", 5])
    book.close()
    return SimpleUploadedFile("p.xlsx", buffer.getvalue())


# --- reads: everyone signed in ------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_every_signed_in_user_reads_the_catalogue(world: World, water: Product, who: str):
    client = client_as(world.everyone[who])
    assert client.get(reverse("sales:products")).status_code == 200
    assert client.get(reverse("sales:product-detail", args=[water.pk])).status_code == 200
    assert client.get(reverse("sales:product-autocomplete"), {"q": "qq"}).status_code == 200
    found = client.get(reverse("sales:product-autocomplete"), {"q": "qq", "format": "json",
                                                               "channel_level": "distributor"}).json()
    assert [(p["sku"], p["price"]) for p in found] == [("QQ-550", "28.00")]
    api = api_as(world.everyone[who])
    assert [p["sku"] for p in api.get("/api/v1/products/").json()["results"]] == ["QQ-550"]
    assert api.get(f"/api/v1/products/{water.pk}/").json()["prices"] == {"distributor": "28.00"}


@pytest.mark.parametrize("who", EVERYONE)
def test_the_autocomplete_prices_by_a_customer_only_the_user_sees(world: World, water: Product, who: str):
    user = world.everyone[who]
    client = client_as(user)
    visible = set(Customer.objects.visible_to(user).values_list("pk", flat=True))
    for card in (world.alice_card, world.bob_card, world.carol_card):
        response = client.get(reverse("sales:product-autocomplete"), {"q": "qq", "format": "json", "customer": card.pk})
        assert response.status_code == (200 if card.pk in visible else 404), (who, card.name)


def test_anonymous_visitors_get_nothing(world: World, water: Product):
    client = Client()
    for name, args in (("sales:products", []), ("sales:product-detail", [water.pk]),
                       ("sales:product-autocomplete", []), ("sales:product-create", []),
                       ("sales:product-import", []), ("sales:product-import-template", []),
                       ("sales:product-edit", [water.pk])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/login" in response["Location"], name
    assert client.post(reverse("sales:product-prices", args=[water.pk]), {"version": 1}).status_code == 302
    api = APIClient()
    assert api.get("/api/v1/products/").status_code in (401, 403)
    assert api.post("/api/v1/products/", {"sku": "X", "name": "x", "list_price": "1"}, format="json").status_code in (401, 403)
    assert Product.objects.count() == 1


# --- writes: catalogue roles only -----------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_catalogue_pages_by_role(world: World, water: Product, who: str):
    client = client_as(world.everyone[who])
    allowed = who in CATALOGUE
    gets = [reverse("sales:product-create"), reverse("sales:product-edit", args=[water.pk]),
            reverse("sales:product-import"), reverse("sales:product-import-template")]
    for url in gets:
        assert client.get(url).status_code == (200 if allowed else 403), url
    detail = client.get(reverse("sales:product-detail", args=[water.pk])).content.decode()
    assert (reverse("sales:product-edit", args=[water.pk]) in detail) is allowed
    assert (reverse("sales:product-prices", args=[water.pk]) in detail) is allowed

    posts = [
        (reverse("sales:product-create"), {"sku": f"N-{who}", "name": "新", "unit": "件", "pack_size": 1,
                                           "list_price": "1"}),
        (reverse("sales:product-edit", args=[water.pk]), {"sku": "QQ-550", "name": f"改-{who}", "unit": "件",
                                                          "pack_size": 1, "list_price": "36", "version": 1}),
        (reverse("sales:product-prices", args=[water.pk]), {"version": 2, "price_retailer": "30"}),
        (reverse("sales:product-active", args=[water.pk]), {"is_active": "0", "version": 3}),
        (reverse("sales:product-import"), {"file": sheet(f"I-{who}")}),
    ]
    for url, data in posts:
        status = client.post(url, data).status_code
        assert (status == 403) is (not allowed), (url, status)
    water.refresh_from_db()
    if allowed:
        assert (water.name, water.is_active, water.version) == (f"改-{who}", False, 4)
        assert set(Product.objects.values_list("sku", flat=True)) == {"QQ-550", f"N-{who}", f"I-{who}"}
        assert ProductPrice.objects.get(product=water, channel_level="retailer").price == Decimal("30.00")
    else:
        assert (water.name, water.is_active, water.version) == ("清泉矿泉水", True, 1)
        assert list(Product.objects.values_list("sku", flat=True)) == ["QQ-550"]
        assert not ProductPrice.objects.filter(channel_level="retailer").exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_catalogue_api_writes_by_role(world: World, water: Product, who: str):
    api = api_as(world.everyone[who])
    allowed = who in CATALOGUE
    url = f"/api/v1/products/{water.pk}/"
    calls = [
        lambda: api.post("/api/v1/products/", {"sku": f"N-{who}", "name": "新", "list_price": "1"}),
        lambda: api.patch(url, {"name": f"改-{who}", "version": 1}),
        lambda: api.put(f"{url}prices/", {"prices": {"retailer": "30"}, "version": 2}),
        lambda: api.post(f"{url}deactivate/", {"version": 3}),
        lambda: api.post(f"{url}activate/", {"version": 4}),
        lambda: api.post("/api/v1/products/import/", {"file": sheet(f"I-{who}")}, format="multipart"),
        lambda: api.put(url, {"sku": "QQ-550", "name": "整体", "list_price": "36", "version": 5}),
    ]
    for call in calls:
        status = call().status_code
        assert status in ((200, 201) if allowed else (403,)), (who, status)
    # a forbidden writer is refused before the body is looked at: junk is a 403 too, not a 400
    if not allowed:
        assert api.post("/api/v1/products/", {"junk": True}).status_code == 403
    water.refresh_from_db()
    assert water.version == (6 if allowed else 1)
    assert Product.objects.count() == (3 if allowed else 1)


# --- the admin: every sales model, read-only, scoped --------------------------------------------


def admin_request(user: Any) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_sales_model_is_registered_in_the_admin():
    from django.apps import apps

    models = [m for m in apps.get_app_config("sales").get_models() if not m.__name__.startswith("Historical")]
    assert [m.__name__ for m in models if m not in admin.site._registry] == []
    for model in models:
        model_admin = admin.site._registry[model]
        request = admin_request(None)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


@pytest.fixture
def sales_rows(world: World, water: Product) -> dict[str, Any]:
    """One of each customer-owned row for each of the three cards."""
    for card in (world.alice_card, world.bob_card, world.carol_card):
        order = make_booked_order(card, [(water, 2, "30")], order_date=date(2026, 3, 5))
        payment = Payment.objects.create(customer=card, amount=Decimal("10"), unallocated=Decimal("0"))
        Allocation.objects.create(payment=payment, order=order, amount=Decimal("10"))
        Collection.objects.create(customer=card, order=order, due_on=date(2026, 4, 1), amount=Decimal("50"))
        plan = SalesPlan.objects.create(customer=card, month=date(2026, 3, 1))
        PlanLine.objects.create(plan=plan, product=water, quantity=Decimal("5"), amount=Decimal("150"))
        PlanSupport.objects.create(plan=plan, kind=PlanSupport._meta.get_field("kind").choices[0][0])
        CreditHold.objects.create(order=order, customer=card, exposure=Decimal("60"), credit_limit=Decimal("0"))
        CreditSuggestion.objects.create(customer=card, current_limit=Decimal("0"), suggested_limit=Decimal("100"))
    return {}


def _customers_reached(model: Any, rows: Any) -> set[int]:
    """The customers the rows belong to, followed through the model's own `customer_lookup`."""
    lookup = model._default_manager.get_queryset().customer_lookup
    reached = set()
    for row in rows:
        target = row
        for part in lookup.split("__"):
            target = getattr(target, part)
        reached.add(target.pk)
    return reached


@pytest.mark.parametrize("who", EVERYONE)
def test_admin_querysets_of_customer_owned_sales_rows_are_scoped(world: World, sales_rows: Any, who: str):
    user = world.everyone[who]
    visible = set(Customer.objects.visible_to(user).values_list("pk", flat=True))
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "sales" or not hasattr(model._default_manager.get_queryset(), "visible_to"):
            continue
        assert getattr(model_admin, "scoped", False) is True, model.__name__
        rows = list(model_admin.get_queryset(admin_request(user)))
        reached = _customers_reached(model, rows)
        assert reached == visible, (who, model.__name__, reached, visible)
        for inline in model_admin.get_inline_instances(admin_request(user)):
            inline_rows = list(inline.get_queryset(admin_request(user)))
            assert _customers_reached(inline.model, inline_rows) <= visible, (who, inline.model.__name__)
        checked += 1
    assert checked == 12


def test_the_admin_pages_answer_for_a_staff_superuser(world: World, sales_rows: Any):
    world.ada.is_staff = world.ada.is_superuser = True
    world.ada.save()
    client = client_as(world.ada)
    order = Order.objects.filter(customer=world.alice_card).get()
    for url in ("/admin/sales/product/", "/admin/sales/order/", f"/admin/sales/order/{order.pk}/change/",
                "/admin/sales/salesplan/", "/admin/sales/payment/", "/admin/sales/allocation/",
                "/admin/sales/creditpolicy/", "/admin/sales/salesmonth/", "/admin/sales/customermonth/"):
        assert client.get(url).status_code == 200, url


def test_a_staff_rep_sees_only_own_orders_in_the_admin_and_404_for_others(world: World, sales_rows: Any):
    from django.contrib.auth.models import Permission

    world.bob.is_staff = True
    world.bob.save()
    world.bob.user_permissions.add(*Permission.objects.filter(content_type__app_label="sales", codename__startswith="view_"))
    client = client_as(world.bob)
    page = client.get("/admin/sales/order/")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == list(Order.objects.filter(customer=world.bob_card))
    alice_order = Order.objects.get(customer=world.alice_card)
    assert client.get(f"/admin/sales/order/{alice_order.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/sales/order/{alice_order.pk}/history/").status_code == 404
