"""Completeness: the weighted share of a card's filled items, with weights overridable per deployment."""

import datetime
from decimal import Decimal

import pytest

from kehu.customers.completeness import DEFAULT_WEIGHTS, completeness_score, missing_items, weights
from kehu.customers.models import Contact, Customer, CustomField
from kehu.customers.services import contact_create, customer_create

TOTAL = 32  # the sum of the default weights


def full_card(**overrides) -> Customer:
    fields = dict(
        name="北京海淀区单氏副食店",
        short_name="单氏",
        industry="副食",
        phone="010-62345678",
        address="中关村大街1号",
        district="海淀区",
        lat=Decimal("39.98"),
        lng=Decimal("116.31"),
        credit_code="91110108MA01C8XK22",
        owner_id=1,
        credit_rating="A",
        opens_at=datetime.time(8),
        closes_at=datetime.time(21),
        store_area=Decimal("120"),
        employees=6,
        annual_revenue=Decimal("1200000"),
        brands_carried="清泉",
        competitor_products="农夫山泉",
        usual_order_day=1,
        usual_order_size=Decimal("3000"),
        preferred_delivery="上午",
        payment_habit="monthly",
    )
    fields.update(overrides)
    return Customer(**fields)


def with_mobile() -> list[Contact]:
    return [Contact(name="单立新", mobile="13812345678")]


def test_the_default_weights_add_up_to_32():
    assert sum(DEFAULT_WEIGHTS.values()) == TOTAL == sum(weights().values())


def test_an_empty_card_scores_0():
    assert completeness_score(Customer(name="空白"), [], []) == 0


def test_an_empty_card_of_an_individual_scores_the_credit_code_it_does_not_need():
    assert completeness_score(Customer(name="个人", kind="individual"), [], []) == 6  # 2 of 32


def test_a_full_card_with_a_reachable_contact_scores_100():
    assert completeness_score(full_card(), with_mobile(), []) == 100


def test_a_contact_without_a_mobile_earns_the_contact_but_not_the_mobile():
    assert completeness_score(full_card(), [Contact(name="单立新")], []) == 94  # 30 of 32


def test_no_contact_loses_both_contact_items():
    assert completeness_score(full_card(), [], []) == 84  # 27 of 32


@pytest.mark.parametrize(
    ("overrides", "score"),
    [
        ({"phone": ""}, 91),  # 29 of 32
        ({"address": "", "street": "中关村大街"}, 100),  # the street counts as an address
        ({"lat": None}, 94),  # a position needs both coordinates
        ({"opens_at": None}, 97),  # opening hours need both times
        ({"owner_id": None}, 94),
        ({"employees": 0}, 100),  # zero employees is a value
    ],
)
def test_each_item_counts_its_weight(overrides, score):
    assert completeness_score(full_card(**overrides), with_mobile(), []) == score


def test_weights_from_settings_override_the_defaults(settings):
    settings.KEHU_COMPLETENESS_WEIGHTS = {"contact": 0, "contact_mobile": 0, "phone": 10}
    assert weights()["phone"] == 10 and weights()["address"] == 3
    assert completeness_score(full_card(), [], []) == 100
    assert completeness_score(full_card(phone=""), [], []) == 71  # 24 of 34


def test_a_weight_of_zero_everywhere_scores_100(settings):
    settings.KEHU_COMPLETENESS_WEIGHTS = {name: 0 for name in DEFAULT_WEIGHTS}
    assert completeness_score(Customer(name="空白"), [], []) == 100


def test_custom_fields_count_their_own_weight(db):
    fridges = CustomField(key="fridges", label_zh="冰柜", label_en="Fridges", field_type="number", weight=8)
    assert completeness_score(full_card(), with_mobile(), [fridges]) == 80  # 32 of 40
    assert completeness_score(full_card(custom={"fridges": 0}), with_mobile(), [fridges]) == 100


def test_missing_items_are_listed_heaviest_first():
    assert missing_items(Customer(name="空白"), []) == [
        "phone",
        "address",
        "contact",
        "district",
        "position",
        "credit_code",
        "owner",
        "contact_mobile",
        "short_name",
        "industry",
        "credit_rating",
        "opening_hours",
        "store_area",
        "employees",
        "annual_revenue",
        "brands_carried",
        "competitor_products",
        "usual_order_day",
        "usual_order_size",
        "preferred_delivery",
        "payment_habit",
    ]
    assert missing_items(full_card(), with_mobile()) == []
    assert missing_items(full_card(phone="", industry=""), []) == [
        "phone",
        "contact",
        "contact_mobile",
        "industry",
    ]


def test_the_score_is_stored_on_every_write(world):
    card = customer_create(actor=world.alice, data={"name": "新店", "phone": "13812345678"})
    assert Customer.objects.get(pk=card.pk).completeness == 16  # owner 2 + phone 3 = 5 of 32
    contact_create(actor=world.alice, customer_id=card.pk, data={"name": "王强", "mobile": "13912345678"})
    assert Customer.objects.get(pk=card.pk).completeness == 31  # + contact 3 + mobile 2 = 10 of 32


def test_the_stored_score_uses_the_overridden_weights(world, settings):
    settings.KEHU_COMPLETENESS_WEIGHTS = {name: 0 for name in DEFAULT_WEIGHTS} | {"phone": 1, "industry": 1}
    card = customer_create(actor=world.alice, data={"name": "新店", "phone": "13812345678"})
    assert Customer.objects.get(pk=card.pk).completeness == 50
