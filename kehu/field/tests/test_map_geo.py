"""Datum conversions (kehu.field.geo) and the tile presets the map pages are given."""

from __future__ import annotations

import pytest

from kehu.field.geo import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    map_tiles,
    out_of_china,
    to_datum,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from kehu.field.routing.matrix import haversine_m
from kehu.field.testing import BEIJING

TIANANMEN_WGS84 = (39.908722, 116.397499)
TIANANMEN_GCJ02 = (39.910124, 116.403741)  # the published AMap position of the same spot


def test_tiananmen_shifts_to_its_amap_position_within_two_metres():
    shifted = wgs84_to_gcj02(*TIANANMEN_WGS84)
    assert haversine_m(shifted, TIANANMEN_GCJ02) < 2.0


def test_the_shift_in_beijing_is_several_hundred_metres():
    assert 450 < haversine_m(wgs84_to_gcj02(*TIANANMEN_WGS84), TIANANMEN_WGS84) < 650


@pytest.mark.parametrize("point", [*BEIJING.values(), (31.2304, 121.4737), (22.5431, 114.0579), (43.8171, 125.3235)])
def test_the_iterative_inverse_round_trips_below_a_centimetre(point):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
    assert haversine_m(back, point) < 0.01


def test_the_inverse_of_the_published_amap_position_lands_on_tiananmen_within_two_metres():
    assert haversine_m(gcj02_to_wgs84(*TIANANMEN_GCJ02), TIANANMEN_WGS84) < 2.0


def test_outside_china_nothing_moves():
    tokyo = (35.6762, 139.6503)
    assert out_of_china(*tokyo)
    assert wgs84_to_gcj02(*tokyo) == tokyo
    assert gcj02_to_wgs84(*tokyo) == tokyo


def test_bd09_round_trips_within_ten_centimetres():
    gcj = wgs84_to_gcj02(*TIANANMEN_WGS84)
    assert haversine_m(bd09_to_gcj02(*gcj02_to_bd09(*gcj)), gcj) < 0.1
    assert haversine_m(bd09_to_wgs84(*wgs84_to_bd09(*TIANANMEN_WGS84)), TIANANMEN_WGS84) < 0.1


def test_to_datum_takes_decimals_and_knows_each_datum():
    from decimal import Decimal

    lat, lng = Decimal("39.908722"), Decimal("116.397499")
    assert to_datum(lat, lng, "wgs84") == TIANANMEN_WGS84
    assert to_datum(lat, lng, "gcj02") == wgs84_to_gcj02(*TIANANMEN_WGS84)
    assert to_datum(lat, lng, "bd09") == wgs84_to_bd09(*TIANANMEN_WGS84)


# --- Tile presets ------------------------------------------------------------------------------


def test_openstreetmap_is_the_default_and_needs_no_shift(settings):
    settings.KEHU_MAP_TILES, settings.KEHU_MAP_TILE_URL, settings.KEHU_TIANDITU_KEY = "osm", "", ""
    tiles = map_tiles()
    assert tiles["preset"] == "osm"
    assert tiles["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert (tiles["datum"], tiles["convert"], tiles["needs_key"]) == ("wgs84", False, False)


def test_amap_tiles_are_gcj02_so_positions_are_shifted(settings):
    settings.KEHU_MAP_TILES, settings.KEHU_MAP_TILE_URL = "amap", ""
    tiles = map_tiles()
    assert tiles["url"].startswith("https://webrd0{s}.is.autonavi.com/appmaptile?")
    assert "x={x}&y={y}&z={z}" in tiles["url"]
    assert (tiles["subdomains"], tiles["datum"], tiles["convert"]) == ("1234", "gcj02", True)


def test_tianditu_carries_the_key_and_a_label_layer_and_is_not_shifted(settings):
    settings.KEHU_MAP_TILES, settings.KEHU_MAP_TILE_URL, settings.KEHU_TIANDITU_KEY = "tianditu", "", "k3y"
    tiles = map_tiles()
    assert tiles["url"].startswith("https://t{s}.tianditu.gov.cn/vec_w/wmts?")
    assert tiles["url"].endswith("TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k3y")
    assert tiles["labels_url"].startswith("https://t{s}.tianditu.gov.cn/cva_w/wmts?")
    assert tiles["labels_url"].endswith("&tk=k3y")
    assert (tiles["datum"], tiles["convert"], tiles["needs_key"]) == ("wgs84", False, False)


def test_tianditu_without_a_key_says_so(settings):
    settings.KEHU_MAP_TILES, settings.KEHU_MAP_TILE_URL, settings.KEHU_TIANDITU_KEY = "tianditu", "", ""
    assert map_tiles()["needs_key"] is True


def test_an_intranet_tile_url_replaces_the_preset_url_but_keeps_its_datum(settings):
    settings.KEHU_MAP_TILES = "amap"
    settings.KEHU_MAP_TILE_URL = "http://tiles.intranet/amap/{z}/{x}/{y}.png"
    tiles = map_tiles()
    assert tiles["url"] == "http://tiles.intranet/amap/{z}/{x}/{y}.png"
    assert (tiles["datum"], tiles["convert"]) == ("gcj02", True)
    assert "labels_url" not in tiles


def test_an_unknown_preset_falls_back_to_openstreetmap(settings):
    settings.KEHU_MAP_TILES, settings.KEHU_MAP_TILE_URL = "google", ""
    assert map_tiles()["preset"] == "osm"


@pytest.mark.parametrize(("preset", "datum"), [("osm", "wgs84"), ("amap", "gcj02"), ("tianditu", "wgs84")])
def test_the_map_page_gives_the_browser_the_preset(client, world, settings, preset, datum):
    import json
    import re

    settings.KEHU_MAP_TILES, settings.KEHU_MAP_TILE_URL, settings.KEHU_TIANDITU_KEY = preset, "", "k"
    client.force_login(world.mia)
    html = client.get("/field/map/").content.decode()
    found = re.search(r'<script id="kehu-map-tiles" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    tiles = json.loads(found.group(1))
    assert (tiles["preset"], tiles["datum"], tiles["convert"]) == (preset, datum, datum != "wgs84")
    assert "vendor/leaflet/leaflet.js" in html and "vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "unpkg" not in html and "cdn" not in html.lower()
