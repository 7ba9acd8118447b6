"""Access matrix of `/api/v1/orders/`: every role of the world against every endpoint.

Who sees which orders follows the card: reps their own cards, managers their subtree, the
see-all roles everything. Who may write: `can_take_orders` (the card's owner rep, its manager,
the director, admins); finance, the custodian and the auditor read only.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kehu.sales.models import Order
from kehu.sales.services.orders import LineInput, order_create
from kehu.sales.testing import make_product
from kehu.testing import World, api_as, results

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
EVERYONE = ["alice", "bob", "carol", "mia", "tom", "dora", "fiona", "cathy", "aud", "ada"]
# The cards each role sees (alice_card, bob_card: Beijing; carol_card: Tianjin).
SEES = {
    "alice": {"alice"}, "bob": {"bob"}, "carol": {"carol"}, "mia": {"alice", "bob"}, "tom": {"carol"},
    "dora": {"alice", "bob", "carol"}, "fiona": {"alice", "bob", "carol"}, "cathy": {"alice", "bob", "carol"},
    "aud": {"alice", "bob", "carol"}, "ada": {"alice", "bob", "carol"},
}
# Who may take orders for alice_card.
SELLS_FOR_ALICE = {"alice", "mia", "dora", "ada"}


@pytest.fixture
def orders(world: World) -> dict[str, Order]:
    beer = make_product("BEER-01", "青岛啤酒", "3.00")
    made = {}
    for owner in ("alice", "bob", "carol"):
        card = getattr(world, f"{owner}_card")
        card.credit_limit = Decimal("100000")
        card.save()
        made[owner] = order_create(actor=getattr(world, owner), customer=card,
                                   lines=[LineInput(product_id=beer.pk, quantity=Decimal(2))])
    return made


@pytest.mark.parametrize("who", EVERYONE)
def test_list_and_retrieve_show_exactly_the_orders_of_visible_cards(world: World, orders: dict, who: str) -> None:
    client = api_as(world.everyone[who])
    assert {row["id"] for row in results(client.get(URL))} == {orders[o].pk for o in SEES[who]}
    for owner, order in orders.items():
        expected = 200 if owner in SEES[who] else 404
        assert client.get(f"{URL}{order.pk}/").status_code == expected, owner
    # A filter on another card's id does not reveal its orders.
    assert results(client.get(URL, {"customer": world.carol_card.pk})) == (
        [] if "carol" not in SEES[who] else results(client.get(URL, {"customer": world.carol_card.pk})))


@pytest.mark.parametrize("who", EVERYONE)
def test_create_for_alices_card(world: World, orders: dict, who: str) -> None:
    client = api_as(world.everyone[who])
    product = orders["alice"].lines.first().product_id
    response = client.post(URL, {"customer": world.alice_card.pk, "lines": [{"product": product, "quantity": "1"}]})
    if who in SELLS_FOR_ALICE:
        assert response.status_code == 201, response.json()
    elif "alice" in SEES[who]:
        assert response.status_code == 403
    else:
        assert response.status_code == 400 and response.json() == {"customer": ["No such customer."]}
    assert Order.objects.filter(customer=world.alice_card).count() == (2 if who in SELLS_FOR_ALICE else 1)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("action", ["update", "confirm", "cancel", "copy", "deliver"])
def test_writes_on_alices_draft(world: World, orders: dict, who: str, action: str) -> None:
    client = api_as(world.everyone[who])
    order = orders["alice"]
    if action == "update":
        response = client.patch(f"{URL}{order.pk}/", {"version": 1, "note": "x"})
    else:
        response = client.post(f"{URL}{order.pk}/{action}/", {})
    if "alice" not in SEES[who]:
        assert response.status_code == 404
    elif who not in SELLS_FOR_ALICE:
        assert response.status_code == 403
    elif action == "deliver":  # allowed to try; a draft cannot be delivered
        assert response.status_code == 400
    else:
        assert response.status_code in (200, 201), response.json()
    order.refresh_from_db()
    changed = who in SELLS_FOR_ALICE and action in ("update", "confirm", "cancel")
    assert (order.version > 1) == changed


@pytest.mark.parametrize("who", EVERYONE)
def test_no_delete(world: World, orders: dict, who: str) -> None:
    response = api_as(world.everyone[who]).delete(f"{URL}{orders['alice'].pk}/")
    assert response.status_code in (404, 405)
    assert Order.objects.filter(pk=orders["alice"].pk).exists()


def test_anonymous_gets_nothing(world: World, orders: dict) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    assert client.get(URL).status_code in (401, 403)
    assert client.get(f"{URL}{orders['alice'].pk}/").status_code in (401, 403)
    assert client.post(URL, {}).status_code in (401, 403)
