"""Offline geocoding: a table of real addresses, the odd inputs, the card hook and the batch command."""

from __future__ import annotations

import csv
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from kehu.customers.geocode import GEO_MESSAGE_KEY, fill_from_address, geocode
from kehu.customers.models import Customer, GeoPrecision
from kehu.testing import World, make_customer

TABLE = Path(__file__).with_name("geocode_addresses.csv")


def _rows() -> list[Any]:
    with TABLE.open(encoding="utf-8") as handle:
        return [pytest.param(row, id=f"{number}-{row['address']}") for number, row in enumerate(csv.DictReader(handle), 2)]


def test_the_table_is_large_and_has_ambiguous_rows() -> None:
    rows = [param.values[0] for param in _rows()]
    assert len(rows) >= 200
    assert sum(row["expected_adcode"] == "AMBIGUOUS" for row in rows) >= 15


@pytest.mark.parametrize("row", _rows())
def test_it_parses_the_address_table(row: dict[str, str]) -> None:
    result = geocode(row["address"], province=row["province"], city=row["city"], district=row["district"])

    if row["expected_adcode"] == "AMBIGUOUS":
        assert (result.ambiguous, result.precision, result.adcode, result.province) == (True, "none", "", "")
        assert len(result.candidates) >= 2
        return
    assert not result.ambiguous
    assert (result.province, result.city, result.district, result.adcode) == (
        row["expected_province"], row["expected_city"], row["expected_district"], row["expected_adcode"],
    )


def test_it_gives_the_district_centroid_with_six_places() -> None:
    result = geocode("北京市海淀区颐和园路5号")

    assert (result.lat, result.lng, result.precision) == (Decimal("39.959930"), Decimal("116.298262"), "district")
    assert result.street == "颐和园路5号"


def test_it_reads_full_width_characters_and_extra_spaces() -> None:
    result = geocode("  浙江省　杭州市  西湖区　文三路１２３号  ")

    assert (result.province, result.city, result.district, result.street) == ("浙江省", "杭州市", "西湖区", "文三路123号")


def test_a_municipality_is_its_own_city() -> None:
    result = geocode("上海市")

    assert (result.province, result.city, result.district, result.precision) == ("上海市", "上海市", "", "city")


def test_a_city_alone_has_city_precision() -> None:
    result = geocode("苏州市观前街")

    assert (result.province, result.city, result.adcode, result.precision) == ("江苏省", "苏州市", "320500", "city")


def test_empty_input_finds_nothing_and_says_nothing() -> None:
    assert geocode("") == geocode("   ")
    assert (geocode("").precision, geocode("").message, geocode("").lat) == ("none", "", None)


def test_a_street_alone_has_no_precision_and_explains() -> None:
    with translation.override("en"):
        result = geocode("人民路100号")

    assert (result.precision, result.province, result.street, result.ambiguous) == ("none", "", "人民路100号", False)
    assert result.message == "No province, city or district was recognised in this address."


def test_an_ambiguous_district_lists_its_candidates_and_never_guesses() -> None:
    result = geocode("鼓楼区中山路", province="江苏省")

    assert result.candidates == ["江苏省 南京市 鼓楼区", "江苏省 徐州市 鼓楼区"]
    assert (result.province, result.city, result.district, result.lat) == ("", "", "", None)
    assert "江苏省 徐州市 鼓楼区" in result.message


def test_a_street_named_after_a_city_is_not_that_city() -> None:
    assert geocode("广州市越秀区北京路").province == "广东省"
    assert geocode("上海市静安区南京西路").city == "上海市"


def test_fill_from_address_fills_the_place_from_a_free_text_address() -> None:
    data = {"name": "单氏副食店", "address": "北京市海淀区中关村大街27号"}

    filled = fill_from_address(data)

    assert filled == data | {
        "province": "北京市", "city": "北京市", "district": "海淀区", "street": "中关村大街27号", "adcode": "110108",
        "lat": Decimal("39.959930"), "lng": Decimal("116.298262"), "geo_precision": "district",
    }
    assert "province" not in data


def test_fill_from_address_keeps_a_point_the_caller_gave() -> None:
    data = {"address": "北京市海淀区", "lat": Decimal("39.99"), "lng": Decimal("116.31"), "geo_precision": "exact"}

    filled = fill_from_address(data)

    assert (filled["district"], filled["lat"], filled["lng"], filled["geo_precision"]) == (
        "海淀区", Decimal("39.99"), Decimal("116.31"), "exact",
    )


def test_fill_from_address_leaves_given_places_alone() -> None:
    data = {"address": "北京市海淀区", "city": "天津市"}

    assert fill_from_address(data) == data
    assert fill_from_address({"address": ""}) == {"address": ""}


def test_fill_from_address_reports_an_ambiguous_address_and_fills_nothing() -> None:
    filled = fill_from_address({"address": "朝阳区建国路88号", "province": ""})

    assert filled["province"] == "" and "district" not in filled and "lat" not in filled
    assert "北京市 北京市 朝阳区" in filled[GEO_MESSAGE_KEY]


def _geocode_command(*args: str) -> str:
    out = StringIO()
    call_command("geocode", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def cards(world: World) -> dict[str, Customer]:
    return {
        "free_text": make_customer("甲", world.alice, world.beijing, address="广东省深圳市南山区科技园"),
        "ambiguous": make_customer("乙", world.alice, world.beijing, address="朝阳区建国路88号"),
        "street": make_customer("丙", world.alice, world.beijing, address="人民路100号"),
        "exact": make_customer(
            "丁", world.alice, world.beijing, address="北京市朝阳区建国路88号", lat=Decimal("39.908"),
            lng=Decimal("116.459"), geo_precision=GeoPrecision.EXACT,
        ),
    }


def test_the_command_geocodes_every_card_and_counts_by_precision(world: World, cards: dict[str, Customer]) -> None:
    output = _geocode_command()

    free_text = Customer.objects.get(pk=cards["free_text"].pk)
    assert (free_text.province, free_text.city, free_text.district, free_text.adcode) == (
        "广东省", "深圳市", "南山区", "440305",
    )
    assert (free_text.street, free_text.geo_precision, free_text.lat is not None) == ("科技园", "district", True)
    alice_card = Customer.objects.get(pk=world.alice_card.pk)
    assert (alice_card.adcode, alice_card.geo_precision) == ("110108", "district")
    assert Customer.objects.get(pk=cards["ambiguous"].pk).province == ""
    assert "7 cards; exact: 1, district: 2, city: 0, province: 0, none: 4; changed: 3" in output
    assert "ambiguous, left for a person: 1" in output


def test_the_command_never_overwrites_an_exact_point(cards: dict[str, Customer]) -> None:
    _geocode_command()

    exact = Customer.objects.get(pk=cards["exact"].pk)
    assert (exact.lat, exact.lng, exact.geo_precision) == (Decimal("39.908000"), Decimal("116.459000"), "exact")
    assert (exact.district, exact.adcode) == ("朝阳区", "110105")


def test_the_command_dry_run_writes_nothing(cards: dict[str, Customer]) -> None:
    output = _geocode_command("--dry-run")

    assert "would change: 3" in output
    assert Customer.objects.exclude(adcode="").count() == 0


def test_the_command_only_missing_skips_cards_with_an_adcode(cards: dict[str, Customer]) -> None:
    Customer.objects.filter(pk=cards["free_text"].pk).update(adcode="440300", city="深圳市", province="广东省")

    output = _geocode_command("--only-missing")

    assert Customer.objects.get(pk=cards["free_text"].pk).district == ""
    assert "6 cards" in output
