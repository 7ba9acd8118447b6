"""How the duplicate report scales: `scored_pairs` over N synthetic cards, N = 2,000 and 20,000.

Cards are made in memory with the demo's name, address and phone generators (no database), and one
in 300 is a near-duplicate planted the way the demo plants them. Prints seconds per size, the
ratio, and recall/precision on the planted pairs.  Run: .venv/bin/python bench/bench_dedupe.py
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

from kehu.customers.dedupe import Keys, scored_pairs  # noqa: E402
from kehu.customers.dedupe.normalise import _normalise_name  # noqa: E402
from kehu.customers.demo import names  # noqa: E402
from kehu.customers.demo.places import AREAS  # noqa: E402

LEVELS = ("retailer",) * 8 + ("sub_wholesaler", "wholesaler", "end_user")


def synthetic(count: int, seed: int = 7) -> tuple[list[dict], set[frozenset[int]]]:
    rng, rows, planted, taken = random.Random(seed), [], set(), set()
    for pk in range(1, count + 1):
        if pk % 300 == 0 and rows:
            src = rng.choice(rows)
            copy = dict(src, id=pk, name=src["province"].removesuffix("市") + src["name"] + "（老店）")
            copy["phone"] = src["phone"].replace("-", "")
            rows.append(copy)
            planted.add(frozenset((src["id"], pk)))
            continue
        area = rng.choice(AREAS)
        district = rng.choice(area.districts)
        road = rng.choice(district.roads)
        name = names.shop_name(rng, rng.choice(LEVELS), area, district, road)[0]
        while name in taken:  # full names are unique, as in the demo
            name = names.shop_name(rng, rng.choice(LEVELS), area, district, road)[0]
        taken.add(name)
        street = names.street_address(rng, road)
        phone = names.mobile(rng) if rng.random() < 0.4 else names.landline(rng, area)
        rows.append({
            "id": pk, "name": name,
            "phone": phone if rng.random() < 0.7 else "", "credit_code": "",
            "province": area.province, "city": area.city, "district": district.name,
            "address": names.full_address(area, district, street) if rng.random() < 0.6 else "", "street": "",
        })
    return rows, planted


def run(count: int) -> float:
    rows, planted = synthetic(count)
    _normalise_name.cache_clear()
    started = time.perf_counter()
    keys = [Keys.of(row, row["id"]) for row in rows]
    found = scored_pairs(keys, min_score=85)
    seconds = time.perf_counter() - started
    pairs = {frozenset((a, b)) for _s, a, b, _r in found}
    top = {frozenset((a, b)) for s, a, b, _r in found if s >= 95}
    print(
        f"{count:>6} cards: {seconds:6.2f} s, {len(found)} pairs ≥ 85, planted {len(planted)}, "
        f"found {len(planted & pairs)}; precision ≥ 85: {len(planted & pairs) / max(len(pairs), 1):.0%}, "
        f"≥ 95: {len(planted & top) / max(len(top), 1):.0%}"
    )
    return seconds


if __name__ == "__main__":
    small, large = run(2_000), run(20_000)
    print(f"20k / 2k time ratio: {large / small:.1f} (10.0 would be linear)")
