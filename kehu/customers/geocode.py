"""Offline parsing of Chinese addresses into province / city / district / street with adcode and centroid.

The area table (adcodes and centroids) is cpca's; the matching is ours, because cpca silently picks the
first of several districts sharing a name (朝阳区 is in Beijing and in Changchun). Here every place name
found in the address (or passed as a column) is a *mention*; each candidate area scores one point per
mention that names it or one of its ancestors, and the best-supported deepest area wins. When several
unrelated areas tie, the address is ambiguous and is left for a person instead of guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

import ahocorasick
from django.utils.translation import gettext as _

from kehu.customers.models import GeoPrecision

PROVINCE, CITY, COUNTY = 0, 1, 2
_PRECISION_BY_RANK = {PROVINCE: GeoPrecision.PROVINCE, CITY: GeoPrecision.CITY, COUNTY: GeoPrecision.DISTRICT}
_PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_MUNICIPALITIES = {"11", "12", "31", "50"}
_PROVINCE_ABBR = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
                  "新疆维吾尔自治区": "新疆", "宁夏回族自治区": "宁夏", "香港特别行政区": "香港",
                  "澳门特别行政区": "澳门"}
# A short name followed by one of these is a street or a building named after a place (北京路, 长春花园).
_STREET_AFTER = re.compile(r"(?:[路街道巷弄里桥]|大道|大街|大厦|广场|花园|中路|东路|西路|南路|北路|公园|小区)")
_COUNTRY_PREFIX = re.compile(r"^(?:中华人民共和国|中国)")
_STREET_PUNCT = " ,，、;；:：-—_/"
_SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Area:
    code: str  # 6 digits
    name: str
    rank: int
    lng: Decimal | None
    lat: Decimal | None

    @property
    def ancestor_codes(self) -> tuple[str, ...]:
        """Own code and the codes of the province and city it belongs to."""
        return (self.code[:2] + "0000", self.code[:4] + "00", self.code)[: self.rank + 1]


@dataclass(frozen=True)
class GeoResult:
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    adcode: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None
    precision: str = GeoPrecision.NONE.value
    ambiguous: bool = False
    candidates: list[str] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int  # exclusive
    areas: tuple[Area, ...]
    is_weak: bool  # counts only next to a mention of its province or city


class _Gazetteer:
    def __init__(self, areas: Iterable[Area], nations: Iterable[str]) -> None:
        self.by_code = {area.code: area for area in areas}
        nation = "|".join(sorted({n.removesuffix("族") for n in nations if n}, key=len, reverse=True))
        self._autonomous = re.compile(rf"^(.{{2,}}?)(?:(?:{nation})族?)+自治[州县旗]$")
        self.names: dict[str, list[tuple[Area, bool]]] = {}
        for area in self.by_code.values():
            if area.name in _PLACEHOLDER_NAMES:
                continue
            self._add(area.name, area, is_abbr=False)
            for short in self._short_names(area):
                self._add(short, area, is_abbr=True)
        self.automaton = ahocorasick.Automaton()
        for key, entries in self.names.items():
            self.automaton.add_word(key, (key, tuple(entries)))
        self.automaton.make_automaton()

    def _add(self, key: str, area: Area, *, is_abbr: bool) -> None:
        entries = self.names.setdefault(key, [])
        if all(existing is not area for existing, _abbr in entries):
            entries.append((area, is_abbr))

    def _short_names(self, area: Area) -> list[str]:
        name = area.name
        if area.rank == PROVINCE:
            return [_PROVINCE_ABBR.get(name, re.sub(r"[省市]$", "", name))]
        autonomous = self._autonomous.match(name)
        if autonomous:
            stem = autonomous.group(1)
            return [stem, stem + name[-1]]
        for suffix in ("新区", "林区", "特区", "地区", "市", "区", "县", "旗", "盟"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                return [name.removesuffix(suffix)]
        return []

    def lookup(self, name: str) -> tuple[Area, ...]:
        return tuple(area for area, _abbr in self.names.get(name, ()))


@cache
def _gazetteer() -> _Gazetteer:
    import cpca  # builds cpca's own matcher on import: only pay for it when geocoding

    def decimal_or_none(value: str) -> Decimal | None:
        return Decimal(value).quantize(_SIX_PLACES) if value else None

    areas = []
    for info in cpca.ad_2_addr_dict.values():
        areas.append(Area(info.adcode, info.name, info.rank, decimal_or_none(info.longitude),
                          decimal_or_none(info.latitude)))
    from importlib.resources import files

    nations = files("cpca.resources").joinpath("56_nations.csv").read_text(encoding="utf-8").split()
    return _Gazetteer(areas, nations)


def normalize_address(text: str) -> str:
    """Half-width, single-spaced, no spaces next to Chinese characters, no country prefix."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()
    text = re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text)
    return _COUNTRY_PREFIX.sub("", text)


def _scan(text: str, gazetteer: _Gazetteer) -> list[_Mention]:
    """Place names in `text`, leftmost-longest and non-overlapping; weak names only fill the gaps."""
    hits = []
    for end, (key, entries) in gazetteer.automaton.iter(text):
        start, is_abbr = end - len(key) + 1, all(abbr for _area, abbr in entries)
        if is_abbr and _STREET_AFTER.match(text, end + 1):
            continue
        is_weak = all(area.rank == COUNTY for area, _abbr in entries) and (is_abbr or len(key) <= 2)
        hits.append(_Mention(start, end + 1, tuple(area for area, _abbr in entries), is_weak))
    hits.sort(key=lambda hit: (hit.start, -hit.end))
    strong = _non_overlapping(h for h in hits if not h.is_weak)
    # A short district name after a full one is part of the street (西湖区余杭塘路).
    first_county = min((m.start for m in strong if any(a.rank == COUNTY for a in m.areas)), default=len(text))
    weak = [h for h in hits if h.is_weak and h.start < first_county and not _overlaps(h, strong)]
    return sorted(strong + _non_overlapping(weak), key=lambda m: m.start)


def _overlaps(hit: _Mention, mentions: list[_Mention]) -> bool:
    return any(hit.start < m.end and m.start < hit.end for m in mentions)


def _non_overlapping(hits: Iterable[_Mention]) -> list[_Mention]:
    chosen: list[_Mention] = []
    for hit in hits:
        if not chosen or hit.start >= chosen[-1].end:
            chosen.append(hit)
    return chosen


def _hint_mentions(hints: Iterable[str], gazetteer: _Gazetteer) -> list[_Mention]:
    mentions = []
    for hint in hints:
        areas = gazetteer.lookup(normalize_address(hint))
        if areas:
            mentions.append(_Mention(-1, -1, areas, is_weak=False))
    return mentions


def _best_areas(mentions: list[_Mention]) -> tuple[list[Area], dict[str, _Mention]]:
    """The best-supported areas (ancestors of another winner dropped) and the mention naming each code."""
    named: dict[str, _Mention] = {}
    for mention in mentions:
        for area in mention.areas:
            named.setdefault(area.code, mention)
    support: dict[str, int] = {}
    for mention in mentions:
        for area in mention.areas:
            backers = [m for m in mentions if any(a.code in area.ancestor_codes for a in m.areas)]
            if mention.is_weak and not any(m is not mention for m in backers):
                continue
            support[area.code] = len({id(m) for m in backers})
    if not support:
        return [], named
    top = max(support.values())
    winners = [code for code, score in support.items() if score == top]
    gazetteer = _gazetteer()
    areas = [gazetteer.by_code[code] for code in winners]
    deepest = [a for a in areas if not any(a.code in b.ancestor_codes[:-1] for b in areas)]
    return sorted(deepest, key=lambda a: a.code), named


def _parts(area: Area) -> tuple[str, str, str]:
    """Official names; a municipality is its own city, a county under a province is its own city."""
    by_code = _gazetteer().by_code
    province = by_code[area.ancestor_codes[0]].name
    if area.rank == PROVINCE:
        return province, (province if area.code[:2] in _MUNICIPALITIES else ""), ""
    city_area = by_code.get(area.ancestor_codes[1])
    city = city_area.name if city_area and area.rank >= CITY else ""
    if area.code[:2] in _MUNICIPALITIES:
        city = province
    elif city in _PLACEHOLDER_NAMES or not city:
        city = area.name
    return province, city, area.name if area.rank == COUNTY else ""


def _centroid(area: Area) -> tuple[Decimal | None, Decimal | None]:
    for code in reversed(area.ancestor_codes):
        candidate = _gazetteer().by_code.get(code)
        if candidate and candidate.lat is not None:
            return candidate.lat, candidate.lng
    return None, None


def _precision(area: Area) -> str:
    if area.rank == PROVINCE and area.code[:2] in _MUNICIPALITIES:
        return GeoPrecision.CITY.value
    return _PRECISION_BY_RANK[area.rank].value


def geocode(address: str, *, province: str = "", city: str = "", district: str = "") -> GeoResult:
    """Parse a free-text Chinese address; `province`/`city`/`district` are other columns that may settle it."""
    result = _geocode_cached(address or "", province or "", city or "", district or "")
    if result.ambiguous:
        message = _("This address could be in several places (%(places)s); add the province or city.") % {
            "places": ", ".join(result.candidates)
        }
        return replace(result, message=message)
    if result.precision == GeoPrecision.NONE and (address or "").strip():
        return replace(result, message=_("No province, city or district was recognised in this address."))
    return result


@lru_cache(maxsize=65536)
def _geocode_cached(address: str, province: str, city: str, district: str) -> GeoResult:
    """The parse without its message: cached results must not freeze the language of the first caller."""
    gazetteer = _gazetteer()
    text = normalize_address(address)
    mentions = _scan(text, gazetteer) + _hint_mentions((province, city, district), gazetteer)
    areas, named = _best_areas(mentions)
    if not areas:
        return GeoResult(street=text.strip(_STREET_PUNCT))
    if len(areas) > 1:
        candidates = [" ".join(p for p in _parts(area) if p) for area in areas]
        return GeoResult(street=text, ambiguous=True, candidates=candidates)
    area = areas[0]
    province_name, city_name, district_name = _parts(area)
    last_end = max((named[code].end for code in area.ancestor_codes if code in named), default=-1)
    street = text[last_end:] if last_end > 0 else text
    lat, lng = _centroid(area)
    return GeoResult(
        province=province_name, city=city_name, district=district_name, street=street.strip(_STREET_PUNCT),
        adcode=area.code, lat=lat, lng=lng, precision=_precision(area),
    )


GEO_MESSAGE_KEY = "geo_message"
_PLACE_FIELDS = ("province", "city", "district")


def fill_from_address(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of card `data` with the place filled from `address` when no province/city/district was given.

    A point the caller gave (lat and lng) is kept with its precision. When the address is ambiguous or
    names no place, the parts stay empty and the explanation is under ``GEO_MESSAGE_KEY``.
    """
    filled = dict(data)
    if not filled.get("address") or any(filled.get(name) for name in _PLACE_FIELDS):
        return filled
    result = geocode(str(filled["address"]))
    if result.message:
        filled[GEO_MESSAGE_KEY] = result.message
    if result.precision == GeoPrecision.NONE:
        return filled
    filled.update(province=result.province, city=result.city, district=result.district, adcode=result.adcode)
    if not filled.get("street"):
        filled["street"] = result.street
    if filled.get("lat") is None or filled.get("lng") is None:
        filled.update(lat=result.lat, lng=result.lng, geo_precision=result.precision)
    return filled
