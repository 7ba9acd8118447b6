"""Finding likely duplicate cards: normalisation, the check before saving, the whole-base report."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kehu.accounts.models import Role, User
from kehu.customers.dedupe import duplicate_pairs, likely_duplicates, normalise_name, phone_digits
from kehu.customers.models import Customer, CustomerStatus
from kehu.testing import make_customer

HAIDIAN = {"province": "北京市", "city": "北京市", "district": "海淀区"}
CHAOYANG = {"province": "北京市", "city": "北京市", "district": "朝阳区"}

NAMES = [
    # width, case, spaces and punctuation
    ("ＡＢＣ便利店", (), "abc便利"),
    ("Ａｂｃ　Mart", (), "abcmart"),
    ("永辉·副食-店", (), "永辉副食"),
    ("永辉 副食 商店", (), "永辉副食"),
    # remarks in brackets, full- and half-width
    ("永辉副食店（老店）", (), "永辉副食"),
    ("永辉副食店(二号店)", (), "永辉副食"),
    ("【新开】永辉副食店", (), "永辉副食"),
    # legal forms and outlet words
    ("鑫源商贸有限公司", (), "鑫源商贸"),
    ("鑫源商贸有限责任公司", (), "鑫源商贸"),
    ("鑫源食品股份有限公司", (), "鑫源食品"),
    ("鑫源食品公司", (), "鑫源食品"),
    ("金盛烟酒商行", (), "金盛烟酒"),
    ("金盛副食商店", (), "金盛副食"),
    ("金盛食杂店", (), "金盛食杂"),
    ("金盛百货经营部", (), "金盛百货"),
    ("金盛五金门市部", (), "金盛五金"),
    # trade words that tell businesses apart stay
    ("金盛副食批发部", (), "金盛副食批发"),
    ("金盛超市", (), "金盛超市"),
    ("金盛便利超市", (), "金盛便利超市"),
    # leading places: full names everywhere, short city names, the card's own district
    ("北京市海淀区永辉副食商店", (), "永辉副食"),
    ("北京永辉副食店", (), "永辉副食"),
    ("海淀区永辉副食商店", (), "永辉副食"),
    ("北京海淀永辉副食店", ("北京市", "北京市", "海淀区"), "永辉副食"),
    ("上海浦东永辉便利店", ("上海市", "上海市", "浦东新区"), "永辉便利"),
    ("杭州市西湖区好邻食杂店", (), "好邻食杂"),
    # a county's short name is a shop word elsewhere; a place alone is never stripped to nothing
    ("惠民超市", (), "惠民超市"),
    ("惠民超市", ("山东省", "滨州市", "惠民县"), "惠民超市"),
    ("北京店", (), "北京"),
    # traditional characters
    ("永輝副食店", (), "永辉副食"),
    ("東興煙酒商行", (), "东兴烟酒"),
    ("萬達國際貿易有限公司", (), "万达国际贸易"),
    ("廣州市華潤便利店", (), "华润便利"),
]


@pytest.mark.parametrize(("name", "places", "expected"), NAMES)
def test_it_normalises_names(name, places, expected):
    assert normalise_name(name, places=places) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("+86 138 1234 5678", "13812345678"), ("0086-13812345678", "13812345678"),
     ("010-62345678", "01062345678"), ("（010）6234 5678", "01062345678"), ("１３８１２３４５６７８", "13812345678")],
)
def test_it_reduces_phones_to_digits(phone, expected):
    assert phone_digits(phone) == expected


# --- before saving one card ----------------------------------------------------------------
def codes(matches):
    return [m.customer.code for m in matches]


def test_it_finds_a_card_by_credit_code_in_any_case(world):
    matches = likely_duplicates(user=world.alice, data={"name": "完全不同", "credit_code": "91110108ma01c8xk22"})
    assert codes(matches) == [world.alice_card.code]
    assert matches[0].score == 98 and matches[0].reasons == ["same credit code"]


@pytest.mark.parametrize("phone", ["010-62345678", "01062345678", "+86 010 6234 5678", "010 62345678"])
def test_it_finds_a_card_by_phone_written_differently(world, phone):
    matches = likely_duplicates(user=world.alice, data={"name": "另一家店", "phone": phone})
    assert codes(matches) == [world.alice_card.code]
    assert matches[0].score == 95 and matches[0].reasons == ["same phone"]


def test_it_finds_a_mobile_stored_with_spaces_by_its_digits(world):
    card = make_customer("某店", world.alice, world.beijing, phone="+86 139 1234 5678", **HAIDIAN)
    matches = likely_duplicates(user=world.alice, data={"name": "别的店", "phone": "13912345678"})
    assert codes(matches) == [card.code]


def test_it_finds_a_similar_name_in_the_same_district_only(world):
    near = make_customer("海淀区永辉副食商店", world.alice, world.beijing, **HAIDIAN)
    make_customer("永辉副食店", world.alice, world.beijing, **CHAOYANG)
    matches = likely_duplicates(user=world.alice, data={"name": "北京海淀永辉副食店", **HAIDIAN})
    assert codes(matches) == [near.code]
    assert matches[0].score == 90
    assert matches[0].reasons == ["similar name in the same district (100)"]


def test_a_different_shop_in_the_same_district_is_not_a_match(world):
    make_customer("海淀区永辉副食商店", world.alice, world.beijing, **HAIDIAN)
    assert likely_duplicates(user=world.alice, data={"name": "金盛烟酒商行", **HAIDIAN}) == []


def test_a_similar_name_and_the_same_address_score_higher_than_the_name_alone(world):
    card = make_customer(
        "鑫源便利店", world.alice, world.beijing, address="北京市海淀区中关村大街12号", **HAIDIAN
    )
    matches = likely_duplicates(
        user=world.alice, data={"name": "鑫源便民店", "address": "中关村大街 12号", **HAIDIAN}
    )
    assert codes(matches) == [card.code]
    assert matches[0].score == 90  # name 75 alone would not be shown
    assert matches[0].reasons == ["similar address (100)"]


def test_it_finds_the_same_address_under_another_name_with_a_lower_score(world):
    card = make_customer("金盛烟酒商行", world.alice, world.beijing, address="北京市海淀区学院路8号", **HAIDIAN)
    matches = likely_duplicates(user=world.alice, data={"name": "万家乐超市", "address": "学院路8号", **HAIDIAN})
    assert codes(matches) == [card.code]
    assert matches[0].score == 70 and matches[0].reasons == ["similar address (100)"]


def test_it_only_offers_cards_the_user_can_see(world):
    tianjin = {"province": "天津市", "city": "天津市", "district": "河西区"}
    Customer.objects.filter(pk=world.carol_card.pk).update(phone="022-23456789", **tianjin)
    data = {"name": "天津河西区便利店", "phone": "02223456789", **tianjin}
    assert likely_duplicates(user=world.alice, data=data) == []
    assert codes(likely_duplicates(user=world.carol, data=data)) == [world.carol_card.code]


def test_it_skips_archived_cards_and_the_card_being_edited(world):
    data = {"name": world.alice_card.name, "phone": world.alice_card.phone, **HAIDIAN}
    assert likely_duplicates(user=world.alice, data=data, exclude_id=world.alice_card.pk) == []
    Customer.objects.filter(pk=world.alice_card.pk).update(archived_at=timezone.now())
    assert likely_duplicates(user=world.cathy, data=data) == []


def test_it_returns_at_most_limit_matches_best_first(world):
    for index in range(4):
        make_customer(f"永辉副食{index}店", world.alice, world.beijing, **HAIDIAN)
    same_phone = make_customer("别的名字", world.alice, world.beijing, phone="13712345678", **HAIDIAN)
    matches = likely_duplicates(user=world.alice, data={"name": "永辉副食", "phone": "137 1234 5678", **HAIDIAN}, limit=3)
    assert len(matches) == 3
    assert matches[0].customer == same_phone
    assert [m.score for m in matches] == [95, 89, 89]


# --- the whole base ----------------------------------------------------------------------------
def test_the_report_ranks_exact_identifiers_above_similar_names(world):
    by_code = make_customer("完全不同的店", world.bob, world.beijing, credit_code="91110108MA01C8XK22")
    by_phone = make_customer("又一家店", world.bob, world.beijing, phone="01062345678")
    a = make_customer("海淀区永辉副食商店", world.alice, world.beijing, **HAIDIAN)
    b = make_customer("北京永辉副食店", world.bob, world.beijing, **HAIDIAN)
    pairs = duplicate_pairs(user=world.cathy)
    assert [({p.first.pk, p.second.pk}, p.score, p.reasons) for p in pairs] == [
        ({world.alice_card.pk, by_code.pk}, 98, ["same credit code"]),
        ({world.alice_card.pk, by_phone.pk}, 95, ["same phone"]),
        ({a.pk, b.pk}, 90, ["similar name in the same district (100)"]),
    ]
    assert duplicate_pairs(user=world.carol) == []


@pytest.fixture
def demo(db):
    call_command("demo", customers=300, seed=7, stdout=StringIO())
    return User.objects.get(role=Role.CUSTODIAN, username="custodian")


def planted_pairs() -> set[frozenset[int]]:
    """The demo's near-duplicates are its last six cards, each at its original's address."""
    planted = set()
    for copy in Customer.objects.filter(code__startswith="KH").order_by("-code")[:6]:
        assert copy.status == CustomerStatus.PROSPECT and copy.address
        original = Customer.objects.exclude(pk=copy.pk).get(
            province=copy.province, city=copy.city, district=copy.district, address=copy.address
        )
        planted.add(frozenset((original.pk, copy.pk)))
    return planted


def test_the_report_finds_the_demos_planted_duplicates_first(demo):
    planted = planted_pairs()
    pairs = duplicate_pairs(user=demo)
    assert len(planted) == 6
    assert {frozenset((p.first.pk, p.second.pk)) for p in pairs[:6]} == planted
    assert [p.score for p in pairs[:6]] == [97] * 6
    for pair in pairs[:6]:
        assert pair.reasons[0] == "same phone" and pair.reasons[-1] == "similar address (100)"
    # The generator also made two shops with one name in one district (朝阳友谊副食店, 友谊副食商店):
    # nothing else ties them together, so they come last, as names to check.
    rest = pairs[6:]
    assert [(p.score, p.reasons) for p in rest] == [(90, ["similar name in the same district (100)"])] * 2
    assert all(normalise_name(p.first.name, places=[p.first.district]) ==
               normalise_name(p.second.name, places=[p.second.district]) for p in rest)
    assert {frozenset((p.first.pk, p.second.pk)) for p in duplicate_pairs(user=demo, min_score=95)} == planted


def test_the_check_before_saving_finds_each_planted_original(demo):
    for pair in planted_pairs():
        original, copy = sorted(Customer.objects.filter(pk__in=pair), key=lambda c: c.code)
        data = {f: getattr(copy, f) for f in ("name", "phone", "province", "city", "district", "address")}
        matches = likely_duplicates(user=demo, data=data, exclude_id=copy.pk)
        assert matches[0].customer == original
