"""POST /api/v1/customers/ answers 409 with the likely duplicates until the client confirms."""

from __future__ import annotations

from kehu.customers.models import Customer
from kehu.testing import api_as

URL = "/api/v1/customers/"
ALICE_PHONE = "010-62345678"  # alice_card's phone in the world fixture


def test_a_likely_duplicate_is_a_409_with_the_matches(world):
    response = api_as(world.alice).post(URL, {"name": "单氏副食", "phone": ALICE_PHONE})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Cards you can see look like this customer; send confirm_duplicates: true to create it anyway.",
        "code": "likely_duplicates",
        "matches": [
            {"id": world.alice_card.pk, "code": world.alice_card.code, "name": "北京海淀区单氏副食店",
             "score": 95, "reasons": ["same phone"]},
        ],
    }
    assert Customer.objects.count() == 3


def test_confirming_creates_the_card(world):
    body = {"name": "单氏副食", "phone": ALICE_PHONE, "confirm_duplicates": True}
    response = api_as(world.alice).post(URL, body)
    assert response.status_code == 201, response.json()
    card = Customer.objects.get(pk=response.json()["id"])
    assert (card.name, card.phone, card.owner) == ("单氏副食", ALICE_PHONE, world.alice)
    assert Customer.objects.count() == 4


def test_confirm_false_still_checks(world):
    response = api_as(world.alice).post(URL, {"name": "单氏副食", "phone": ALICE_PHONE, "confirm_duplicates": False})
    assert response.status_code == 409


def test_a_card_without_matches_is_created_directly(world):
    response = api_as(world.alice).post(URL, {"name": "海淀新开超市", "phone": "010-88889999"})
    assert response.status_code == 201


def test_a_rep_never_hears_of_a_card_they_cannot_see(world):
    response = api_as(world.carol).post(URL, {"name": "单氏副食", "phone": ALICE_PHONE})
    assert response.status_code == 201
    assert Customer.objects.filter(name="单氏副食", owner=world.carol).count() == 1


def test_one_who_may_not_create_gets_a_403_not_the_matches(world):
    response = api_as(world.aud).post(URL, {"name": "单氏副食", "phone": ALICE_PHONE})
    assert response.status_code == 403
    assert "matches" not in response.json()
