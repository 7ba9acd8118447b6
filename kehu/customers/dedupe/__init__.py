"""Likely duplicate customer cards: before a card is created or imported, and over the whole base.

Exact keys first (credit code, phone digits), then similar names and addresses inside one district
(or one city when the district is unknown). Cards are only ever compared inside such blocks, so
the cost grows with the size of a block, not with the size of the table.

Names are compared with rapidfuzz's `fuzz.ratio` (normalised Indel similarity) on the normalised
core (see `normalise`). Token scorers (`token_set_ratio`) need space-separated words, which
Chinese names do not have, so on them they degrade to `ratio` anyway; `partial_ratio` and `WRatio`
give 100 whenever a short core is contained in a longer one (永辉 in 永辉副食批发), which inside a
district produces more false matches than it finds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from kehu.customers.dedupe.normalise import normalise_address, normalise_name, phone_digits, phone_variants
from kehu.customers.models import Customer

__all__ = [
    "Match",
    "Pair",
    "duplicate_pairs",
    "likely_duplicates",
    "normalise_address",
    "normalise_name",
    "phone_digits",
]

NAME_FLOOR = 60  # below this a name is not similar, whatever else matches
NAME_REASON = 80  # a name this similar is worth telling the user about
ADDRESS_MATCH = 90
CREDIT_SCORE, PHONE_SCORE = 98, 95
NAME_ONLY_CAP, NAME_ADDRESS_CAP = 90, 94  # so exact identifiers always rank above fuzzy matches
MAX_BLOCK = 200  # a phone or credit code on more cards than this is a switchboard, not an identity
COLUMNS = ("id", "name", "phone", "credit_code", "province", "city", "district", "address", "street")


@dataclass(frozen=True, slots=True)
class Keys:
    """The comparable form of one card (saved or about to be saved)."""

    id: int | None
    region: tuple[str, str, str]
    name: str
    phone: str
    credit_code: str
    address: str

    @classmethod
    def of(cls, data: dict[str, Any], id: int | None = None) -> Keys:
        province, city, district = (str(data.get(k) or "").strip() for k in ("province", "city", "district"))
        places = (province, city, district)
        address = str(data.get("address") or "") or str(data.get("street") or "")
        return cls(
            id=id,
            region=(province, city, district),  # district "" means: compared within the city
            name=normalise_name(str(data.get("name") or ""), places=places),
            phone=phone_digits(str(data.get("phone") or "")),
            credit_code=str(data.get("credit_code") or "").strip().upper(),
            address=normalise_address(address, places=places),
        )


@dataclass(frozen=True)
class Match:
    customer: Customer
    score: int  # 0–100
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Pair:
    first: Customer
    second: Customer
    score: int
    reasons: list[str] = field(default_factory=list)


def compare(a: Keys, b: Keys) -> tuple[int, list[str]]:
    """How likely two cards are one business (0–100), and why, in the active language."""
    reasons: list[str] = []
    exact = 0
    if a.credit_code and a.credit_code == b.credit_code:
        exact = CREDIT_SCORE
        reasons.append(_("same credit code"))
    if a.phone and a.phone == b.phone:
        exact = max(exact, PHONE_SCORE)
        reasons.append(_("same phone"))
    fuzzy, corroborated = 0, False
    if a.region == b.region and a.name and b.name:
        name = round(fuzz.ratio(a.name, b.name))
        address = round(fuzz.ratio(a.address, b.address)) if a.address and b.address else 0
        if name >= NAME_REASON:
            reasons.append(_("similar name in the same district (%(score)d)") % {"score": name})
        if address >= ADDRESS_MATCH:
            reasons.append(_("similar address (%(score)d)") % {"score": address})
        fuzzy = _fuzzy_score(name, address)
        corroborated = name >= NAME_REASON or address >= ADDRESS_MATCH
    score = max(exact, fuzzy)
    if exact and corroborated:
        score = min(100, exact + 2)
    return score, reasons


def _fuzzy_score(name: int, address: int) -> int:
    if name < NAME_FLOOR:
        return round(address * 0.7)  # one building houses many shops
    if address >= ADDRESS_MATCH:
        return min(NAME_ADDRESS_CAP, round(name + (100 - name) * 0.6))
    return min(NAME_ONLY_CAP, name)


# --- before saving one card -------------------------------------------------------------------
class LikelyDuplicates(Exception):
    """A new card looks like visible cards (`matches`); nothing was written. Confirm to create it."""

    def __init__(self, matches: list[Match]) -> None:
        super().__init__("likely duplicates")
        self.matches = matches


def likely_duplicates(
    *, user: Any, data: dict[str, Any], exclude_id: int | None = None, limit: int = 5, min_score: int = 70
) -> list[Match]:
    """Visible, unarchived cards that may be the business in `data` (a card's fields), best first."""
    probe = Keys.of(data)
    base = Customer.objects.visible_to(user).filter(archived_at__isnull=True).order_by()
    if exclude_id is not None:
        base = base.exclude(pk=exclude_id)
    rows: dict[int, dict[str, Any]] = {}
    if probe.credit_code:  # cust_credit_code_idx
        rows.update(_rows(base.filter(credit_code=probe.credit_code)[:MAX_BLOCK]))
    if probe.phone:  # cust_phone_idx; other spellings of the number are caught in the district below
        rows.update(_rows(base.filter(phone__in=phone_variants(probe.phone))[:MAX_BLOCK]))
    if probe.name or probe.address:  # cust_region_idx
        province, city, district = probe.region
        rows.update(_rows(base.filter(province=province, city=city, district=district)))
    scored = []
    for pk, row in rows.items():
        score, reasons = compare(probe, Keys.of(row, pk))
        if score >= min_score:
            scored.append((score, pk, reasons))
    scored.sort(key=lambda s: (-s[0], s[1]))
    top = scored[:limit]
    cards = Customer.objects.in_bulk([pk for _s, pk, _r in top])
    return [Match(customer=cards[pk], score=score, reasons=reasons) for score, pk, reasons in top]


def _rows(queryset: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    for row in queryset.values(*COLUMNS):
        yield row["id"], row


# --- the whole base ---------------------------------------------------------------------------
def duplicate_pairs(*, user: Any, min_score: int = 85, limit: int = 500) -> list[Pair]:
    """Pairs of visible, unarchived cards that are probably one business, most certain first."""
    queryset = Customer.objects.visible_to(user).filter(archived_at__isnull=True).order_by()
    keys = [Keys.of(row, row["id"]) for row in queryset.values(*COLUMNS).iterator(chunk_size=5000)]
    scored = scored_pairs(keys, min_score=min_score)[:limit]
    cards = Customer.objects.in_bulk({pk for _s, a, b, _r in scored for pk in (a, b)})
    return [Pair(first=cards[a], second=cards[b], score=s, reasons=r) for s, a, b, r in scored]


def scored_pairs(keys: list[Keys], *, min_score: int = 85) -> list[tuple[int, int, int, list[str]]]:
    """(score, id, id, reasons) for every candidate pair at or above `min_score`, best first."""
    by_id = {k.id: k for k in keys}
    results = []
    for a, b in candidate_pairs(keys):
        score, reasons = compare(by_id[a], by_id[b])
        if score >= min_score:
            results.append((score, a, b, reasons))
    results.sort(key=lambda r: (-r[0], r[1], r[2]))
    return results


def candidate_pairs(keys: list[Keys]) -> set[tuple[int, int]]:
    """Id pairs (smaller first) that share a block: credit code, phone, district + address,
    district + first character of the name, or district + the name's second character (so that
    one changed character at the start does not hide a pair)."""
    exact: dict[tuple[str, ...], list[int]] = defaultdict(list)
    fuzzy: dict[tuple[str, ...], list[Keys]] = defaultdict(list)
    for k in keys:
        if k.credit_code:
            exact["credit", k.credit_code].append(k.id)  # type: ignore[arg-type]
        if k.phone:
            exact["phone", k.phone].append(k.id)  # type: ignore[arg-type]
        if k.address:
            exact[("address", *k.region, k.address)].append(k.id)  # type: ignore[arg-type]
        for position in (0, 1):
            if len(k.name) > position:
                fuzzy[(*k.region, str(position), k.name[position])].append(k)
    pairs: set[tuple[int, int]] = set()
    for ids in exact.values():
        pairs.update(_all_pairs(ids[:MAX_BLOCK]))
    for block in fuzzy.values():
        pairs.update(_similar_names(block))
    return pairs


def _all_pairs(ids: Iterable[int]) -> Iterator[tuple[int, int]]:
    yield from combinations(sorted(ids), 2)


def _similar_names(block: list[Keys]) -> Iterator[tuple[int, int]]:
    if len(block) < 2:
        return
    names = [k.name for k in block]
    matrix = process.cdist(names, names, scorer=fuzz.ratio, score_cutoff=NAME_FLOOR, workers=1)
    for i, j in zip(*matrix.nonzero(), strict=True):
        if i < j:
            a, b = block[i].id, block[j].id
            yield (a, b) if a < b else (b, a)  # type: ignore[misc]
