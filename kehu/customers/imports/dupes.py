"""Likely duplicates of new rows: against the cards the importer can see and against earlier rows.

The rules and scores are the duplicate finder's (kehu/customers/dedupe: Keys, compare); only the
candidate search is batched for a file: exact credit codes and phones of a whole batch in two
indexed queries, and similar names inside blocks of (district, first or second character of the
normalised name), each district's existing cards loaded once. The cost grows with the size of a
block, not with the size of the file or the base.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Max
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from kehu.customers.dedupe import COLUMNS, MAX_BLOCK, NAME_FLOOR, Keys, compare
from kehu.customers.dedupe.normalise import phone_variants
from kehu.customers.models import Customer

MIN_SCORE = 70  # the create service's threshold (likely_duplicates)
MAX_MATCHES = 5


@dataclass(frozen=True, slots=True)
class Known:
    keys: Keys
    id: int | None  # None: an earlier row of this file
    code: str
    name: str
    row: int | None = None


def _one_parameter(values: set[str]) -> RawSQL:
    """An IN list passed as one parameter: a batch has tens of thousands of phone spellings, and the
    ORM prepares each list item separately. Still served by the phone and credit-code indexes."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", [sorted(values)])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(sorted(values), ensure_ascii=False)])


class DuplicateFinder:
    def __init__(self, actor: Any) -> None:
        # The cards there were before this import: while committing, the rows written by earlier
        # batches are in the table too, and are already known here as earlier rows of the file.
        top = Customer.objects.aggregate(top=Max("id"))["top"] or 0
        self.base = Customer.objects.visible_to(actor).filter(archived_at__isnull=True, pk__lte=top).order_by()
        self.by_credit: dict[str, list[Known]] = defaultdict(list)
        self.by_phone: dict[str, list[Known]] = defaultdict(list)
        self.blocks: dict[tuple[Any, ...], list[Known]] = defaultdict(list)
        self.loaded_regions: set[tuple[str, str, str]] = set()
        self.seen_ids: set[int] = set()

    def prepare(self, probes: list[Keys]) -> None:
        """Load the existing cards a batch of new rows could match."""
        credits = {k.credit_code for k in probes if k.credit_code}
        phones = {v for k in probes if k.phone for v in phone_variants(k.phone)}
        rows: list[dict[str, Any]] = []
        if credits:
            rows += list(self.base.filter(credit_code__in=_one_parameter(credits)).values(*COLUMNS, "code"))
        if phones:
            rows += list(self.base.filter(phone__in=_one_parameter(phones)).values(*COLUMNS, "code"))
        for region in {k.region for k in probes if k.name} - self.loaded_regions:
            self.loaded_regions.add(region)
            province, city, district = region
            rows += list(self.base.filter(province=province, city=city, district=district).values(*COLUMNS, "code"))
        for row in rows:
            if row["id"] not in self.seen_ids:
                self.seen_ids.add(row["id"])
                self._add(Known(Keys.of(row, row["id"]), row["id"], row["code"], row["name"]))

    def _add(self, known: Known) -> None:
        keys = known.keys
        if keys.credit_code:
            self.by_credit[keys.credit_code].append(known)
        if keys.phone:
            self.by_phone[keys.phone].append(known)
        for position in (0, 1):
            if len(keys.name) > position:
                self.blocks[(*keys.region, position, keys.name[position])].append(known)

    def remember(self, keys: Keys, *, row: int, code: str, name: str) -> None:
        """A new row becomes a candidate for the rows after it."""
        self._add(Known(keys, None, code, name, row))

    def matches(self, probe: Keys, own_id: int | None = None) -> list[dict[str, Any]]:
        candidates: dict[int, Known] = {}
        for known in self.by_credit.get(probe.credit_code, [])[:MAX_BLOCK] if probe.credit_code else []:
            candidates[id(known)] = known
        for known in self.by_phone.get(probe.phone, [])[:MAX_BLOCK] if probe.phone else []:
            candidates[id(known)] = known
        for position in (0, 1):
            if len(probe.name) > position:
                block = self.blocks.get((*probe.region, position, probe.name[position]), [])
                if block:
                    names = [k.keys.name for k in block]
                    for _name, _score, index in process.extract(
                        probe.name, names, scorer=fuzz.ratio, score_cutoff=NAME_FLOOR, limit=MAX_MATCHES * 4
                    ):
                        candidates[id(block[index])] = block[index]
        scored = []
        for known in candidates.values():
            if own_id is not None and known.id == own_id:
                continue
            score, reasons = compare(probe, known.keys)
            if score >= MIN_SCORE:
                scored.append((score, known, reasons))
        scored.sort(key=lambda s: (-s[0], s[1].row or 0, s[1].id or 0))
        return [self._describe(known, score, reasons) for score, known, reasons in scored[:MAX_MATCHES]]

    @staticmethod
    def _describe(known: Known, score: int, reasons: list[str]) -> dict[str, Any]:
        reason = "; ".join(reasons) or _("similar (%(score)d)") % {"score": score}
        if known.row is not None:
            reason = _("row %(row)d of this file: %(reason)s") % {"row": known.row, "reason": reason}
        return {"id": known.id, "code": known.code, "name": known.name, "reason": reason, "score": score}
