"""Coordinate datums used by Chinese map tiles: WGS-84, GCJ-02 (火星坐标) and BD-09.

Kehu stores every position as WGS-84 (what a phone's GPS and cpca's centroids give). AMap (高德)
tiles are drawn in GCJ-02, so a WGS-84 point must be shifted before it is plotted on them;
Tianditu (天地图, CGCS2000) and OpenStreetMap need no shift. The forward transform is the
published one; GCJ-02 → WGS-84 has no closed form, so it is inverted by fixed-point iteration
(error below a millimetre after a few steps). Outside mainland China GCJ-02 equals WGS-84.

The same formulas live in `kehu/field/static/field/map.js` (the browser converts at draw time);
`kehu/field/tests/test_map_geo.py` checks both against the same reference pairs.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings

LatLng = tuple[float, float]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as GCJ-02 uses it
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0


def out_of_china(lat: float, lng: float) -> bool:
    """The usual rectangle outside which GCJ-02 is WGS-84 unchanged."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> LatLng:
    lat, lng = float(lat), float(lng)
    if out_of_china(lat, lng):
        return lat, lng
    d_lat = _shift_lat(lng - 105.0, lat - 35.0)
    d_lng = _shift_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float, *, tolerance: float = 1e-10) -> LatLng:
    """Inverse by iteration: find w with wgs84_to_gcj02(w) == (lat, lng)."""
    lat, lng = float(lat), float(lng)
    if out_of_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _ in range(30):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        e_lat, e_lng = g_lat - lat, g_lng - lng
        w_lat, w_lng = w_lat - e_lat, w_lng - e_lng
        if abs(e_lat) < tolerance and abs(e_lng) < tolerance:
            break
    return w_lat, w_lng


def gcj02_to_bd09(lat: float, lng: float) -> LatLng:
    x, y = float(lng), float(lat)
    z = math.sqrt(x * x + y * y) + 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) + 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float) -> LatLng:
    x, y = float(lng) - 0.0065, float(lat) - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def wgs84_to_bd09(lat: float, lng: float) -> LatLng:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def bd09_to_wgs84(lat: float, lng: float) -> LatLng:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))


def to_datum(lat: float, lng: float, datum: str) -> LatLng:
    """A stored WGS-84 point in the datum a tile preset draws in ("wgs84", "gcj02", "bd09")."""
    if datum == "gcj02":
        return wgs84_to_gcj02(lat, lng)
    if datum == "bd09":
        return wgs84_to_bd09(lat, lng)
    return float(lat), float(lng)


# Tile presets ---------------------------------------------------------------------------------
# `datum` says which coordinates the tiles are drawn in: the browser (KehuMap in map.js) shifts
# every stored WGS-84 point into it before plotting. The API always serves WGS-84.

TILE_PRESETS: dict[str, dict[str, Any]] = {
    "osm": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "subdomains": "",
        "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
        "max_zoom": 19,
        "datum": "wgs84",
    },
    "amap": {
        "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "subdomains": "1234",
        "attribution": "&copy; 高德地图 AutoNavi",
        "max_zoom": 18,
        "datum": "gcj02",
    },
    "tianditu": {
        "url": (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
        ),
        # Tianditu's vector base carries no place names: they come as a second, transparent layer.
        "labels_url": (
            "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
        ),
        "subdomains": "01234567",
        "attribution": "&copy; 天地图 Tianditu",
        "max_zoom": 18,
        "datum": "wgs84",
    },
}


def map_tiles() -> dict[str, Any]:
    """The configured tile source as KehuMap.create() reads it (settings KEHU_MAP_TILES & co.).

    An unknown preset falls back to OpenStreetMap; KEHU_MAP_TILE_URL replaces the preset's URL but
    keeps its datum (an intranet mirror of AMap tiles is still GCJ-02)."""
    name = settings.KEHU_MAP_TILES if settings.KEHU_MAP_TILES in TILE_PRESETS else "osm"
    preset = dict(TILE_PRESETS[name])
    key = settings.KEHU_TIANDITU_KEY
    preset["preset"] = name
    preset["needs_key"] = name == "tianditu" and not key and not settings.KEHU_MAP_TILE_URL
    if settings.KEHU_MAP_TILE_URL:
        preset["url"] = settings.KEHU_MAP_TILE_URL
        preset.pop("labels_url", None)
    for field in ("url", "labels_url"):
        if field in preset:
            preset[field] = preset[field].replace("{key}", key)
    preset["convert"] = preset["datum"] != "wgs84"
    return preset
