"""Access matrix of the order pages, the card's Sales tab, the order import page and its API.

Every role of the world against every page and action: who sees which orders (hidden = 404, the same
as missing), who may enter and change them (403 on a visible card), and what is refused leaves no trace.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.sales.models import Order, OrderStatus
from kehu.sales.services.orders import LineInput, order_create
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import PASSWORD, api_as

USERS = ["alice", "bob", "carol", "mia", "tom", "dora", "fiona", "cathy", "aud", "ada"]
CARDS = ["alice_card", "bob_card", "carol_card"]
ALL = set(CARDS)
SEES = {
    "alice": {"alice_card"}, "bob": {"bob_card"}, "carol": {"carol_card"},
    "mia": {"alice_card", "bob_card"}, "tom": {"carol_card"},
    "dora": ALL, "fiona": ALL, "cathy": ALL, "aud": ALL, "ada": ALL,
}
TAKES_ORDERS = {
    "alice": {"alice_card"}, "bob": {"bob_card"}, "carol": {"carol_card"},
    "mia": {"alice_card", "bob_card"}, "tom": {"carol_card"},
    "dora": ALL, "ada": ALL, "fiona": set(), "cathy": set(), "aud": set(),
}
IMPORTERS = {"alice", "bob", "carol", "mia", "tom", "dora", "ada"}


@pytest.fixture
def soy(world):
    return make_product("P1", "酱油", "10.00")


@pytest.fixture
def orders(world, soy):
    """A confirmed order and a draft on each card."""
    out = {}
    for card in CARDS:
        customer = getattr(world, card)
        out[card] = make_booked_order(customer, [(soy, 1, "10.00")])
        out[f"{card}_draft"] = order_create(actor=world.dora, customer=customer, lines=[LineInput(soy.pk, Decimal(1))])
    return out


def login(client, name: str):
    client.login(username=name, password=PASSWORD)
    return client


def expected(name: str, card: str, *, write: bool) -> int:
    if card not in SEES[name]:
        return 404
    if write and card not in TAKES_ORDERS[name]:
        return 403
    return 200


@pytest.mark.parametrize("name", USERS)
def test_the_list_shows_only_visible_orders(client, world, orders, name):
    page = login(client, name).get(reverse("sales:orders"))
    assert page.status_code == 200
    shown = {o.customer_id for o in page.context["page"].rows}
    assert shown == {getattr(world, card).pk for card in SEES[name]}


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("card", CARDS)
def test_the_detail_and_the_cards_orders(client, world, orders, name, card):
    login(client, name)
    want = expected(name, card, write=False)
    assert client.get(reverse("sales:order-detail", args=[orders[card].pk])).status_code == want
    assert client.get(reverse("sales:card-orders", args=[getattr(world, card).pk])).status_code == want
    tab = client.get(reverse("customers:detail", args=[getattr(world, card).pk]) + "?tab=sales")
    assert tab.status_code == want
    if want == 200:
        assert orders[card].number in tab.content.decode()


@pytest.mark.parametrize("name", USERS)
def test_the_tab_never_shows_another_cards_orders(client, world, orders, name):
    card = sorted(SEES[name])[0]
    html = login(client, name).get(reverse("customers:detail", args=[getattr(world, card).pk]) + "?tab=sales").content.decode()
    for other in set(CARDS) - {card}:
        assert orders[other].number not in html


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("card", CARDS)
def test_entering_an_order(client, world, soy, name, card):
    login(client, name)
    customer = getattr(world, card)
    want = expected(name, card, write=True)
    assert client.get(reverse("sales:order-new") + f"?customer={customer.pk}").status_code == want
    data = {"customer": customer.pk, "order_date": "2025-03-01", "settlement": "credit", "lines-TOTAL": "1",
            "lines-0-product_text": "P1", "lines-0-quantity": "2"}
    response = client.post(reverse("sales:order-new"), data)
    assert response.status_code == (302 if want == 200 else want)
    assert Order.objects.filter(customer=customer).count() == (1 if want == 200 else 0)


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("card", CARDS)
def test_editing_and_status_changes(client, world, orders, name, card):
    login(client, name)
    want = expected(name, card, write=True)
    draft, booked = orders[f"{card}_draft"], orders[card]
    assert client.get(reverse("sales:order-edit", args=[draft.pk])).status_code == want
    edit = {"order_date": "2025-03-01", "settlement": "credit", "note": "x", "version": draft.version, "lines-TOTAL": "1",
            "lines-0-product_text": "P1", "lines-0-quantity": "5"}
    assert client.post(reverse("sales:order-edit", args=[draft.pk]), edit).status_code == (302 if want == 200 else want)
    draft.refresh_from_db()
    assert (draft.note == "x") == (want == 200)
    deliver = client.post(reverse("sales:order-deliver", args=[booked.pk]), {"version": booked.version})
    assert deliver.status_code == (302 if want == 200 else want)
    booked.refresh_from_db()
    assert (booked.status == OrderStatus.DELIVERED) == (want == 200)
    copied = client.post(reverse("sales:order-copy", args=[booked.pk]), {})
    assert copied.status_code == (302 if want == 200 else want)
    cancel = client.post(reverse("sales:order-cancel", args=[draft.pk]), {"version": draft.version})
    assert cancel.status_code == (302 if want == 200 else want)
    draft.refresh_from_db()
    assert (draft.status == OrderStatus.CANCELLED) == (want == 200)
    assert Order.objects.filter(customer=getattr(world, card)).count() == (3 if want == 200 else 2)


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("card", CARDS)
def test_confirming(client, world, orders, name, card):
    Customer.objects.filter(pk=getattr(world, card).pk).update(credit_limit=Decimal("100000"))
    login(client, name)
    want = expected(name, card, write=True)
    draft = orders[f"{card}_draft"]
    response = client.post(reverse("sales:order-confirm", args=[draft.pk]), {"version": draft.version})
    assert response.status_code == (302 if want == 200 else want)
    draft.refresh_from_db()
    assert (draft.status == OrderStatus.CONFIRMED) == (want == 200)


@pytest.mark.parametrize("name", USERS)
def test_bulk_confirm_touches_only_what_the_user_may_confirm(client, world, orders, name):
    Customer.objects.update(credit_limit=Decimal("100000"))
    drafts = [orders[f"{card}_draft"] for card in CARDS]
    login(client, name).post(reverse("sales:orders-confirm-bulk"), {"order": [d.pk for d in drafts]})
    confirmed = {card for card, d in zip(CARDS, drafts, strict=True)
                 if Order.objects.get(pk=d.pk).status == OrderStatus.CONFIRMED}
    visible = SEES[name]
    # All or nothing over the visible selection: confirmed only when the user may take orders for all of it.
    assert confirmed == (visible if visible <= TAKES_ORDERS[name] else set())


@pytest.mark.parametrize("name", USERS)
def test_the_import_page_and_template(client, world, name):
    login(client, name)
    want = 200 if name in IMPORTERS else 403
    assert client.get(reverse("sales:order-import")).status_code == want
    assert client.get(reverse("sales:order-import-template")).status_code == want


def _file(code: str) -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text).writerows([["Order number", "Customer code", "SKU", "Quantity"], ["E1", code, "P1", "1"]])
    return SimpleUploadedFile("o.csv", text.getvalue().encode())


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("card", CARDS)
def test_the_import_api(world, soy, name, card):
    customer = getattr(world, card)
    response = api_as(world.everyone[name]).post("/api/v1/order-imports/", {"file": _file(customer.code)}, format="multipart")
    if name not in IMPORTERS:
        assert response.status_code == 403
    elif card in TAKES_ORDERS[name]:
        assert response.status_code == 201
    else:
        assert response.status_code == 400
        assert response.json()["errors"][0]["column"] == "Customer code"
    assert Order.objects.filter(customer=customer).count() == (1 if response.status_code == 201 else 0)


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("card", CARDS)
def test_the_import_page(client, world, soy, name, card):
    login(client, name)
    customer = getattr(world, card)
    response = client.post(reverse("sales:order-import"), {"file": _file(customer.code), "import": "1"})
    if name not in IMPORTERS:
        assert response.status_code == 403
    else:
        assert response.status_code == (200 if card in TAKES_ORDERS[name] else 400)
    assert Order.objects.filter(customer=customer).count() == (1 if response.status_code == 200 else 0)


def test_anonymous_users_are_sent_to_log_in(client, world, orders):
    order = orders["alice_card"]
    for url in (reverse("sales:orders"), reverse("sales:order-new"), reverse("sales:order-detail", args=[order.pk]),
                reverse("sales:order-edit", args=[order.pk]), reverse("sales:order-import"),
                reverse("sales:card-orders", args=[world.alice_card.pk])):
        assert client.get(url).status_code == 302
    assert client.post(reverse("sales:order-confirm", args=[order.pk])).status_code == 302
    assert client.post("/api/v1/order-imports/", {}).status_code in (401, 403)
