"""Bulk cards for the scale benchmark: `kehu bench seed --customers 1000000`.

The demo company's org tree and logins (org.py), with N cards drafted from the same tables and
distributions as `kehu demo` (names, places, profiles), but as plain rows instead of model
instances, streamed to the database in chunks by bulk_write (COPY on PostgreSQL, executemany on
SQLite). What it leaves out at this size, on purpose: unique names/phones (a million shops repeat
names, as real ones do), near-duplicate stories, groups, the audit trail of creations and the
before/after history of edits — every card and contact gets one creation ("+") history record,
so the card page's history tab reads what it reads in production.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from pypinyin import lazy_pinyin

from kehu.customers.completeness import completeness_score
from kehu.customers.demo import names
from kehu.customers.demo.cards import CardDrafter, level_plan, split_evenly
from kehu.customers.demo.org import DemoOrg
from kehu.customers.demo.places import AREAS, Area, District
from kehu.customers.demo.profiles import apply_profile, apply_standing, richness_for
from kehu.customers.demo.story import TAGS
from kehu.customers.models import ChannelLevel, Contact, Customer, CustomerStatus, CustomField
from kehu.customers.search import build_search_text_segmented

L = ChannelLevel
LEVEL_ORDER = (L.DISTRIBUTOR, L.WHOLESALER, L.SUB_WHOLESALER, L.RETAILER, L.END_USER)
CATERING_WORDS = ("饭店", "酒楼", "火锅", "菜馆", "面馆", "烧烤", "茶餐厅", "大酒店")


def _defaults(model: type) -> dict[str, Any]:
    out = {}
    for f in model._meta.concrete_fields:
        if not f.primary_key:
            out[f.attname] = f.get_default()
    return out


CARD_DEFAULTS = _defaults(Customer)
CONTACT_DEFAULTS = _defaults(Contact)


def shop_name(
    rng: random.Random, level: str, area: Area, district: District, road: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """names.shop_name's distribution, returned in parts (place, brand, trade) for cached pinyin."""
    brand = rng.choice(names.BRAND_WORDS)
    if level == L.DISTRIBUTOR:
        trade = rng.choice(names.DISTRIBUTOR_TRADES)
        return (area.short, brand, trade), (brand, trade[:2])
    if level == L.END_USER:
        tail = rng.choice(names.END_USER_NAMES)
        prefix = area.short if tail.endswith("公司") else names._district_short(district)
        return (prefix, brand, tail), (brand, tail[:2])
    if level == L.WHOLESALER:
        trade = rng.choice(names.WHOLESALE_TRADES)
    elif level == L.SUB_WHOLESALER:
        trade = rng.choice(names.SUB_WHOLESALE_TRADES)
    else:
        trade = rng.choice(names.CATERING_TRADES if rng.random() < 0.15 else names.RETAIL_TRADES)
    if rng.random() < 0.12:
        family = (names.person_name(rng, heteronym_share=0.5)[0], rng.choice("记氏家"))
        return (*family, trade), (*family, trade[:2])
    place: tuple[str, ...] = (names._place_prefix(rng, district, road),)
    if level in (L.WHOLESALER, L.SUB_WHOLESALER) and rng.random() < 0.35:
        place = (area.short, names._district_short(district))
    return (*place, brand, trade), (brand, trade[:2])


@functools.lru_cache(maxsize=4096)
def _pinyin_handle(person: str) -> str:
    return "".join(lazy_pinyin(person))


@dataclass
class Chunk:
    """Rows ready to write: card and contact attribute dicts, (customer_id, tag name) pairs."""

    cards: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    tags: list[tuple[int, str]] = field(default_factory=list)


class BulkDrafter:
    """Drafts N cards area by area and level by level, so every upstream exists before its buyers."""

    def __init__(
        self,
        *,
        org: DemoOrg,
        rng: random.Random,
        now: datetime,
        custom_fields: list[CustomField],
        first_card_id: int,
        first_contact_id: int,
        contacts_per_customer: float | None = None,
    ) -> None:
        self.org, self.rng, self.now = org, rng, now
        self.helper = CardDrafter(rng, org, now)  # its placement, custom values and dates work on any object
        self.custom_fields = custom_fields
        self.next_card, self.next_contact = first_card_id, first_contact_id
        self.contacts_per_customer = contacts_per_customer
        # area code → level → district name → ids, and level → all ids in the area (upstream picks)
        self.ids: dict[str, dict[str, dict[str, list[int]]]] = {}
        self.all_ids: dict[str, dict[str, list[int]]] = {}

    # --- the plan ---------------------------------------------------------------------------
    def plan(self, total: int) -> list[tuple[str, Area, int]]:
        """(level, area, count) in writing order: all distributors first, then their buyers."""
        per_area = {a.code: level_plan(n) for a, n in zip(AREAS, split_evenly(total, len(AREAS)), strict=True)}
        return [(level, area, per_area[area.code][level]) for level in LEVEL_ORDER for area in AREAS]

    def chunks(self, total: int, size: int) -> Iterator[Chunk]:
        chunk = Chunk()
        for level, area, count in self.plan(total):
            for _ in range(count):
                self._card(chunk, area, level)
                if len(chunk.cards) >= size:
                    yield chunk
                    chunk = Chunk()
        if chunk.cards:
            yield chunk

    # --- one card ---------------------------------------------------------------------------
    def _upstream(self, area: Area, level: str, district: str) -> int | None:
        rng, by_level = self.rng, self.all_ids.get(area.code, {})
        if level == L.DISTRIBUTOR:
            return None
        if level == L.WHOLESALER:
            source = L.DISTRIBUTOR
        elif level == L.SUB_WHOLESALER:
            source = L.WHOLESALER
        elif level == L.RETAILER:
            source = L.WHOLESALER if rng.random() < 0.75 else L.SUB_WHOLESALER
        else:
            source = L.DISTRIBUTOR if rng.random() < 0.3 else L.WHOLESALER
        near = self.ids.get(area.code, {}).get(source, {}).get(district)
        if near and rng.random() < 0.6:
            return rng.choice(near)
        candidates = by_level.get(source)
        return rng.choice(candidates) if candidates else None

    def _remember(self, area: Area, level: str, district: str, pk: int) -> None:
        if level in (L.RETAILER, L.END_USER):
            return  # nobody buys from them
        self.ids.setdefault(area.code, {}).setdefault(level, {}).setdefault(district, []).append(pk)
        self.all_ids.setdefault(area.code, {}).setdefault(level, []).append(pk)

    def _card(self, chunk: Chunk, area: Area, level: str) -> None:
        rng, helper = self.rng, self.helper
        district = rng.choice(area.districts)
        pk, self.next_card = self.next_card, self.next_card + 1
        card = SimpleNamespace(**CARD_DEFAULTS)
        card.custom = {}
        card.id, card.code, card.channel_level = pk, f"KH{pk:07d}", level
        name_parts, short_parts = shop_name(rng, level, area, district, rng.choice(district.roads))
        card.name = name = "".join(name_parts)
        richness = richness_for(rng, level)
        company = level in (L.DISTRIBUTOR, L.WHOLESALER) or name.endswith("公司") or rng.random() < 0.2
        card.kind = "company" if company else "individual"
        owner = helper.owner_for(area, district, level)
        card.owner_id = owner.pk if owner else None
        card.org_unit_id = self.org.units[area.code].pk
        apply_standing(rng, card)
        card.upstream_id = self._upstream(area, level, district.name)
        if card.status == CustomerStatus.POTENTIAL and level in (L.RETAILER, L.END_USER) and rng.random() < 0.5:
            card.upstream_id = None
        if rng.random() < richness:
            card.short_name = "".join(short_parts)
        else:
            short_parts = ()
        helper._place(card, area, district, richness)
        apply_profile(rng, card, richness, any(w in name for w in CATERING_WORDS))
        if rng.random() < max(richness, 0.6):
            card.phone = names.mobile(rng) if rng.random() < (0.15 if company else 0.55) else names.landline(rng, area)
        if company and rng.random() < max(richness, 0.85 if level != L.RETAILER else 0.5):
            card.credit_code = names.credit_code(rng, district.adcode, False)
        elif not company and rng.random() < richness * 0.5:
            card.credit_code = names.credit_code(rng, district.adcode, True)
        card.custom = helper._custom_values(card, name, richness)
        helper._dates(card)
        people = self._contacts(card, area, richness)
        card.search_text = build_search_text_segmented(
            name=name_parts, short_name=short_parts, code=card.code, phone=card.phone
        )
        card.completeness = completeness_score(card, people, self.custom_fields)  # type: ignore[arg-type]
        creator = owner or self.org.manager(area)
        row = vars(card)
        row["history_user_id"] = creator.pk
        chunk.cards.append(row)
        for person in people:
            contact = vars(person)
            contact["history_user_id"] = creator.pk
            chunk.contacts.append(contact)
        chunk.tags.extend((pk, tag) for tag in self._tags(card))
        self._remember(area, level, district.name, pk)

    def _contact_count(self, card: SimpleNamespace, richness: float) -> int:
        rng = self.rng
        if self.contacts_per_customer is not None:
            whole = int(self.contacts_per_customer)
            return whole + (1 if rng.random() < self.contacts_per_customer - whole else 0)
        if richness < 0.15:
            return rng.choice((0, 1))
        if card.channel_level == L.DISTRIBUTOR:
            return rng.randint(2, 3)
        return rng.choice((1, 1, 1, 2, 2, 3))

    def _contacts(self, card: SimpleNamespace, area: Area, richness: float) -> list[SimpleNamespace]:
        rng, people = self.rng, []
        for index in range(self._contact_count(card, richness)):
            person = SimpleNamespace(**CONTACT_DEFAULTS)
            person.id, self.next_contact = self.next_contact, self.next_contact + 1
            person.customer_id, person.is_primary = card.id, index == 0
            person.name = names.person_name(rng)
            if rng.random() < 0.9:
                person.mobile = names.mobile(rng)
            if rng.random() < 0.2 or not person.mobile:
                person.phone = names.landline(rng, area)
            if rng.random() < richness * 0.8:
                person.title = rng.choice(names.CONTACT_TITLES)
            handle = _pinyin_handle(person.name)
            if rng.random() < richness * 0.4:
                suffix = rng.randint(60, 99) if rng.random() < 0.6 else rng.randint(100, 999)
                person.email = f"{handle}{suffix}@{rng.choice(names.EMAIL_DOMAINS)}"
            if rng.random() < richness * 0.6:
                person.wechat = f"{handle}{rng.randint(1, 9999)}"
            if rng.random() < richness * 0.3:
                person.birthday = date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28))
            person.created_at = person.updated_at = card.created_at
            people.append(person)
        return people

    def _tags(self, card: SimpleNamespace) -> list[str]:
        """The demo's tagging rules (story.tags_assign), decided per card."""
        rng, out = self.rng, []
        if card.is_key:
            out.append(TAGS[0])
        if card.created_at > self.now - timedelta(days=30) and card.status != CustomerStatus.LOST:
            out.append(TAGS[1])
        if (card.custom.get("freezer_count") or 0) >= 1:
            out.append(TAGS[2])
        if card.channel_level == L.RETAILER and card.status == CustomerStatus.ACTIVE and rng.random() < 0.08:
            out.append(TAGS[3])
        if rng.random() < 0.05:
            out.append(TAGS[4])
        if card.channel_level in (L.WHOLESALER, L.SUB_WHOLESALER) and card.credit_limit and rng.random() < 0.1:
            out.append(TAGS[5])
        return out


def custom_json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


__all__ = ["BulkDrafter", "Chunk", "District", "custom_json"]
