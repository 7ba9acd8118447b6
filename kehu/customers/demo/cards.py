"""Drafting the demo cards in memory: placement, channel position, names, contacts, custom values."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from kehu.accounts.models import User
from kehu.customers.demo import names
from kehu.customers.demo.org import DemoOrg
from kehu.customers.demo.places import Area, District
from kehu.customers.demo.profiles import INACTIVE, apply_profile, apply_standing, richness_for
from kehu.customers.models import ChannelLevel, Contact, Customer, CustomerKind, CustomerStatus, GeoPrecision

L = ChannelLevel
SIX_PLACES = Decimal("0.000001")
STORE_TYPES = {  # trade word in the name → store_type choice
    "超市": "supermarket",
    "饭店": "catering",
    "酒楼": "catering",
    "火锅": "catering",
    "菜馆": "catering",
    "面馆": "catering",
    "烧烤": "catering",
    "茶餐厅": "catering",
}
NEIGHBOURHOOD_TYPES = ("community", "community", "community", "school", "transit", "office")


@dataclass
class Draft:
    """A card not yet saved, with its contacts and the story of how it came to be."""

    card: Customer
    contacts: list[Contact]
    area: Area
    district: District
    creator: User
    earlier: dict[str, Any] = field(default_factory=dict)  # field → value before the last edit
    editor: User | None = None  # who made the last edit (when `earlier` is not empty)


def level_plan(count: int) -> dict[str, int]:
    """How many cards of each channel level an area with `count` cards gets."""
    distributors = max(2, round(count * 0.012))
    wholesalers = max(2, round(count * 0.08))
    subs = max(1, round(count * 0.06))
    end_users = round(count * 0.03)
    retailers = count - distributors - wholesalers - subs - end_users
    return {
        L.DISTRIBUTOR: distributors,
        L.WHOLESALER: wholesalers,
        L.SUB_WHOLESALER: subs,
        L.END_USER: end_users,
        L.RETAILER: retailers,
    }


def split_evenly(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class CardDrafter:
    """Makes one plausible card at a time; keeps names, phones and credit codes unique."""

    def __init__(self, rng: random.Random, org: DemoOrg, now: datetime) -> None:
        self.rng, self.org, self.now = rng, org, now
        self.names: set[str] = set()
        self.phones: set[str] = set()
        self.credit_codes: set[str] = set()

    # --- identity -------------------------------------------------------------------------
    def _unique(self, make: Any, seen: set[str]) -> Any:
        for _attempt in range(50):
            value = make()
            key = value[0] if isinstance(value, tuple) else value
            if key not in seen:
                seen.add(key)
                return value
        raise RuntimeError("Ran out of distinct demo values; the name tables are too small.")

    def unique_phone(self, area: Area, mobile_share: float) -> str:
        def make() -> str:
            if self.rng.random() < mobile_share:
                return names.mobile(self.rng)
            return names.landline(self.rng, area)

        return str(self._unique(make, self.phones))

    def _credit_code(self, adcode: str, individual: bool) -> str:
        return str(self._unique(lambda: names.credit_code(self.rng, adcode, individual), self.credit_codes))

    # --- placement ------------------------------------------------------------------------
    def owner_for(self, area: Area, district: District, level: str) -> User | None:
        """Distributors mostly stay with the area manager; the two reps split the districts."""
        if level == L.DISTRIBUTOR and self.rng.random() < 0.7:
            return self.org.manager(area)
        if level == L.RETAILER and self.rng.random() < 0.015:
            return None  # an unassigned lead (公海客户)
        index = area.districts.index(district)
        return self.org.reps(area)[0 if index < len(area.districts) / 2 else 1]

    def _place(self, card: Customer, area: Area, district: District, richness: float) -> None:
        rng = self.rng
        card.province, card.city, card.district, card.adcode = (
            area.province,
            area.city,
            district.name,
            district.adcode,
        )
        if rng.random() < max(richness, 0.3):
            card.street = names.street_address(rng, rng.choice(district.roads))
            card.address = names.full_address(area, district, card.street)
        if not card.street and richness < 0.3 and rng.random() < 0.6:
            card.geo_precision = GeoPrecision.NONE
            return
        exact = bool(card.street) and rng.random() < 0.25
        jitter_lat, jitter_lng = (rng.uniform(-0.015, 0.015), rng.uniform(-0.018, 0.018)) if exact else (0, 0)
        card.lat = Decimal(district.lat + jitter_lat).quantize(SIX_PLACES)
        card.lng = Decimal(district.lng + jitter_lng).quantize(SIX_PLACES)
        card.geo_precision = GeoPrecision.EXACT if exact else GeoPrecision.DISTRICT

    # --- the card -------------------------------------------------------------------------
    def draft(
        self, area: Area, level: str, upstream: Customer | None, code: str, district: District | None = None
    ) -> Draft:
        rng = self.rng
        district = district or rng.choice(area.districts)
        road = rng.choice(district.roads)
        name, short = self._unique(lambda: names.shop_name(rng, level, area, district, road), self.names)
        catering = any(
            word in name for word in ("饭店", "酒楼", "火锅", "菜馆", "面馆", "烧烤", "茶餐厅", "大酒店")
        )
        richness = richness_for(rng, level)
        company = level in (L.DISTRIBUTOR, L.WHOLESALER) or name.endswith("公司") or rng.random() < 0.2
        owner = self.owner_for(area, district, level)
        card = Customer(
            code=code,
            name=name,
            channel_level=level,
            upstream=upstream,
            owner=owner,
            org_unit=self.org.units[area.code],
            kind=CustomerKind.COMPANY if company else CustomerKind.INDIVIDUAL,
        )
        apply_standing(rng, card)
        leaf = level in (L.RETAILER, L.END_USER)  # nothing downstream hangs on its supplier
        if card.status == CustomerStatus.POTENTIAL and leaf and rng.random() < 0.5:
            card.upstream = None  # not trading with us yet: supplier unknown
        if rng.random() < richness:
            card.short_name = short
        self._place(card, area, district, richness)
        apply_profile(rng, card, richness, catering)
        if rng.random() < max(richness, 0.6):
            card.phone = self.unique_phone(area, 0.15 if company else 0.55)
        if company and rng.random() < max(richness, 0.85 if level != L.RETAILER else 0.5):
            card.credit_code = self._credit_code(district.adcode, individual=False)
        elif not company and rng.random() < richness * 0.5:
            card.credit_code = self._credit_code(district.adcode, individual=True)
        card.custom = self._custom_values(card, name, richness)
        contacts = self._contacts(card, area, richness)
        self._dates(card)
        creator = owner or self.org.manager(area)
        return Draft(card=card, contacts=contacts, area=area, district=district, creator=creator)

    def _custom_values(self, card: Customer, name: str, richness: float) -> dict[str, Any]:
        rng, values = self.rng, {}
        if card.channel_level in (L.RETAILER, L.SUB_WHOLESALER, L.WHOLESALER) and rng.random() < richness:
            values["freezer_count"] = rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4))
        if card.channel_level in (L.RETAILER, L.END_USER) and rng.random() < richness:
            kind = next((v for word, v in STORE_TYPES.items() if word in name), None)
            values["store_type"] = kind or rng.choice(NEIGHBOURHOOD_TYPES)
        if card.channel_level in (L.RETAILER, L.SUB_WHOLESALER) and rng.random() < richness:
            values["is_chain"] = rng.random() < 0.12
        return values

    def _contacts(self, card: Customer, area: Area, richness: float) -> list[Contact]:
        rng = self.rng
        if richness < 0.15:
            count = rng.choice((0, 1))
        elif card.channel_level == L.DISTRIBUTOR:
            count = rng.randint(2, 3)
        else:
            count = rng.choice((1, 1, 1, 2, 2, 3))
        people = []
        for index in range(count):
            person = names.person_name(rng)
            contact = Contact(customer=card, name=person, is_primary=index == 0)
            if rng.random() < 0.9:
                contact.mobile = self.unique_phone(area, 1.0)
            if rng.random() < 0.2 or not contact.mobile:
                contact.phone = self.unique_phone(area, 0.0)
            if rng.random() < richness * 0.8:
                contact.title = rng.choice(names.CONTACT_TITLES)
            if rng.random() < richness * 0.4:
                contact.email = names.email_for(rng, person)
            if rng.random() < richness * 0.6:
                contact.wechat = names.wechat_for(rng, person)
            if rng.random() < richness * 0.3:
                contact.birthday = date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28))
            people.append(contact)
        return people

    def _dates(self, card: Customer) -> None:
        """About a quarter of cards untouched for more than 90 days (stale); the rest recent."""
        rng = self.rng
        updated_days = rng.uniform(95, 700) if rng.random() < 0.25 else rng.uniform(0.5, 85)
        card.updated_at = self.now - timedelta(days=updated_days, minutes=rng.randint(0, 600))
        edited = rng.random() < 0.7
        card.created_at = (
            card.updated_at - timedelta(days=rng.uniform(10, 600)) if edited else card.updated_at
        )

    # --- the story: what the card looked like before its last edit ------------------------
    def evolve(self, draft: Draft) -> None:
        """Pick the change(s) the last edit made, so history shows a plausible before → after."""
        card, rng = draft.card, self.rng
        if card.created_at == card.updated_at:
            return
        manager = self.org.manager(draft.area)
        if card.credit_limit and rng.random() < 0.25:
            cut = max(Decimal(1000), (card.credit_limit * Decimal("0.3") / 1000).quantize(Decimal(1)) * 1000)
            draft.earlier["credit_limit"] = max(Decimal(0), card.credit_limit - cut).quantize(Decimal("0.01"))
            if card.credit_rating and rng.random() < 0.4:
                draft.earlier["credit_rating"] = ""
            draft.editor = self.org.staff("finance")
            return
        self._evolve_profile(draft, manager)
        if not draft.earlier:
            card.created_at = card.updated_at  # nothing to tell: it was written once
            return
        if draft.editor is None:
            draft.editor = card.owner or manager

    def _evolve_profile(self, draft: Draft, manager: User) -> None:
        card, rng, earlier = draft.card, self.rng, draft.earlier
        step_down = {"A": "B", "B": "C", "C": "D"}
        status_before = {
            CustomerStatus.ACTIVE: CustomerStatus.PROSPECT,
            CustomerStatus.DORMANT: CustomerStatus.ACTIVE,
            CustomerStatus.LOST: CustomerStatus.DORMANT,
        }
        if card.status in status_before and rng.random() < 0.35:
            earlier["status"] = status_before[card.status]
        if card.tier in step_down and card.status not in INACTIVE and rng.random() < 0.3:
            earlier["tier"] = step_down[card.tier]
            draft.editor = manager
        if card.is_key and rng.random() < 0.5:
            earlier["is_key"] = False
            draft.editor = manager
        if card.owner_id and card.owner in self.org.reps(draft.area) and rng.random() < 0.12:
            other = next(u for u in self.org.reps(draft.area) if u.pk != card.owner_id)
            earlier["owner"] = other.pk
            draft.creator, draft.editor = other, manager
        if card.phone and rng.random() < 0.2:
            earlier["phone"] = self.unique_phone(draft.area, 0.3)
        if card.brands_carried and (not earlier or rng.random() < 0.2):
            earlier["brands_carried"] = card.brands_carried.split("、", 1)[-1]
        if not earlier and card.short_name:
            earlier["short_name"] = ""
