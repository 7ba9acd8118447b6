"""`kehu geocode [--only-missing] [--dry-run]`: fill province/city/district/adcode/centroid for every card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from kehu.customers.geocode import geocode
from kehu.customers.models import Customer, GeoPrecision

CHUNK = 1000
FIELDS = ["province", "city", "district", "street", "adcode", "lat", "lng", "geo_precision"]


class Command(BaseCommand):
    help = "Geocode the addresses of all customer cards offline; a picked map point (precision exact) is kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only-missing", action="store_true", help="Only cards without an adcode yet.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would change, write nothing.")

    def handle(self, *args: Any, only_missing: bool = False, dry_run: bool = False, **options: Any) -> None:
        counts: Counter[str] = Counter()
        changed = 0
        for chunk in _chunks(_cards(only_missing=only_missing)):
            dirty = [card for card in chunk if _apply(card, counts)]
            changed += len(dirty)
            if dirty and not dry_run:
                with transaction.atomic():
                    Customer.objects.bulk_update(dirty, FIELDS, batch_size=CHUNK)
        by_precision = ", ".join(f"{p.value}: {counts[p.value]}" for p in GeoPrecision)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(f"{sum(counts[p.value] for p in GeoPrecision)} cards; {by_precision}; {verb}: {changed}")
        self.stdout.write(f"ambiguous, left for a person: {counts['ambiguous']}")


def _cards(*, only_missing: bool) -> Iterator[Customer]:
    cards = Customer.objects.only("pk", *FIELDS, "address").order_by("pk")
    if only_missing:
        cards = cards.filter(adcode="")
    return cards.iterator(chunk_size=CHUNK)


def _chunks(cards: Iterator[Customer]) -> Iterator[list[Customer]]:
    chunk: list[Customer] = []
    for card in cards:
        chunk.append(card)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _apply(card: Customer, counts: Counter[str]) -> bool:
    """Geocode one card in memory; True when something changed. Ambiguous cards keep what they have."""
    is_exact = card.geo_precision == GeoPrecision.EXACT
    result = geocode(card.address, province=card.province, city=card.city, district=card.district)
    if result.ambiguous:
        counts["ambiguous"] += 1
    if result.precision == GeoPrecision.NONE:
        counts[card.geo_precision] += 1
        return False
    before = [getattr(card, name) for name in FIELDS]
    card.province, card.city, card.district, card.adcode = result.province, result.city, result.district, result.adcode
    card.street = card.street or result.street
    if not is_exact:
        card.lat, card.lng, card.geo_precision = result.lat, result.lng, result.precision
    counts[card.geo_precision] += 1
    return before != [getattr(card, name) for name in FIELDS]
