"""Building the whole demo company in one transaction, and counting what is there."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from kehu.accounts.models import AccessGrant, OrgUnit, User
from kehu.customers.custom_fields import active_fields
from kehu.customers.demo import story
from kehu.customers.demo.cards import CardDrafter, Draft, level_plan, split_evenly
from kehu.customers.demo.org import DemoOrg, org_create, seats, taken_unit_codes, taken_usernames
from kehu.customers.demo.places import AREAS, HQ_CODE, Area
from kehu.customers.demo.store import cards_save
from kehu.customers.models import ChannelLevel, Contact, Customer, CustomerGroup

L = ChannelLevel
DEFAULT_SEED = 2026
DEFAULT_CUSTOMERS = 2000
MIN_CUSTOMERS = 60
NEAR_DUPLICATES = 6
ARCHIVED = 4
RECENT_EDITS = 40  # for 2,000 cards; fewer for a smaller demo
SAVE_ORDER = (L.DISTRIBUTOR, L.WHOLESALER, L.SUB_WHOLESALER, L.RETAILER, L.END_USER)


class DemoError(Exception):
    """The demo cannot be loaded into this database; the message says why."""


def _codes(start: int) -> Iterator[str]:
    number = start
    while True:
        yield f"KH{number:07d}"
        number += 1


def _first_code_number(total: int) -> int:
    """Continue after the highest id, as the card service does, and make sure no code is taken."""
    start = (Customer.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    wanted = [f"KH{n:07d}" for n in range(start, start + total)]
    if Customer.objects.filter(code__in=wanted).exists():
        raise DemoError(
            f"Card codes {wanted[0]}…{wanted[-1]} are partly taken; load the demo into an empty database."
        )
    return start


def _pick(rng: random.Random, candidates: list[Draft], district_name: str) -> Draft:
    """An upstream supplier, preferably from the same district."""
    near = [d for d in candidates if d.district.name == district_name]
    return rng.choice(near if near and rng.random() < 0.6 else candidates)


def _draft_area(drafter: CardDrafter, area: Area, count: int, codes: Iterator[str]) -> dict[str, list[Draft]]:
    rng, plan = drafter.rng, level_plan(count)
    out: dict[str, list[Draft]] = {level: [] for level in SAVE_ORDER}
    for _ in range(plan[L.DISTRIBUTOR]):
        out[L.DISTRIBUTOR].append(drafter.draft(area, L.DISTRIBUTOR, None, next(codes)))
    # Each lower level buys from the level above, inside the same area.
    uplinks = {
        L.WHOLESALER: lambda: out[L.DISTRIBUTOR],
        L.SUB_WHOLESALER: lambda: out[L.WHOLESALER],
        L.RETAILER: lambda: out[L.WHOLESALER] if rng.random() < 0.75 else out[L.SUB_WHOLESALER],
        L.END_USER: lambda: out[L.DISTRIBUTOR] + out[L.WHOLESALER],
    }
    for level in (L.WHOLESALER, L.SUB_WHOLESALER, L.RETAILER, L.END_USER):
        for _ in range(plan[level]):
            district = rng.choice(area.districts)
            upstream = _pick(rng, uplinks[level](), district.name).card
            out[level].append(drafter.draft(area, level, upstream, next(codes), district))
    return out


def _draft_all(drafter: CardDrafter, total: int, now: datetime) -> dict[str, list[Draft]]:
    codes = _codes(_first_code_number(total))
    by_level: dict[str, list[Draft]] = {level: [] for level in SAVE_ORDER}
    for area, count in zip(AREAS, split_evenly(total - NEAR_DUPLICATES, len(AREAS)), strict=True):
        for level, drafts in _draft_area(drafter, area, count, codes).items():
            by_level[level].extend(drafts)
    for level_drafts in by_level.values():
        for draft in level_drafts:
            drafter.evolve(draft)
    sources = story.duplicate_sources(drafter.rng, by_level[L.RETAILER], NEAR_DUPLICATES)
    by_level[L.RETAILER].extend(story.near_duplicate(drafter, s, next(codes), now) for s in sources)
    return by_level


def _drop_unusable_custom_values(by_level: dict[str, list[Draft]], usable: set[str]) -> None:
    for drafts in by_level.values():
        for draft in drafts:
            draft.card.custom = {k: v for k, v in draft.card.custom.items() if k in usable}


def demo_conflicts() -> list[str]:
    """Why the demo cannot be loaded here (names already taken), or an empty list."""
    problems = []
    if taken_unit_codes():
        problems.append("org units " + ", ".join(taken_unit_codes()) + " already exist")
    if taken_usernames():
        problems.append("users " + ", ".join(taken_usernames()) + " already exist")
    groups = sorted(CustomerGroup.objects.filter(name__in=story.GROUP_NAMES).values_list("name", flat=True))
    if groups:
        problems.append("customer groups " + ", ".join(groups) + " already exist")
    return problems


@transaction.atomic
def demo_build(
    *, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED, now: datetime | None = None
) -> DemoOrg:
    """Create the demo company with `customers` cards. Deterministic for a given seed."""
    if customers < MIN_CUSTOMERS:
        raise DemoError(f"The demo needs at least {MIN_CUSTOMERS} customers to fill its channel tree.")
    conflicts = demo_conflicts()
    if conflicts:
        raise DemoError("The demo company cannot be loaded: " + "; ".join(conflicts) + ".")
    now = now or timezone.now()
    rng = random.Random(seed)
    org = org_create()
    usable = story.custom_fields_ensure()
    drafter = CardDrafter(rng, org, now)
    by_level = _draft_all(drafter, customers, now)
    _drop_unusable_custom_values(by_level, usable)
    fields = active_fields()
    for level in SAVE_ORDER:
        cards_save(by_level[level], fields)
    cards = [d.card for level in SAVE_ORDER for d in by_level[level]]
    story.tags_assign(rng, cards, now)
    story.groups_create(org, cards)
    story.archive_some(org, ARCHIVED)
    story.grants_create(org, now)
    story.recent_edits(rng, org, drafter, max(10, min(RECENT_EDITS, customers // 50)))
    return org


def demo_counts() -> dict[str, object]:
    """What the demo company holds now (printed by the command, asserted by the tests)."""
    hq = OrgUnit.objects.filter(code=HQ_CODE).first()
    units = OrgUnit.objects.filter(path__startswith=hq.path) if hq else OrgUnit.objects.none()
    cards = Customer.objects.filter(org_unit__in=units)
    usernames = [s.username for s in seats()]
    return {
        "org_units": units.count(),
        "users": dict(Counter(User.objects.filter(username__in=usernames).values_list("role", flat=True))),
        "customers": cards.count(),
        "by_level": dict(cards.values_list("channel_level").annotate(n=Count("id")).order_by()),
        "by_status": dict(cards.values_list("status").annotate(n=Count("id")).order_by()),
        "contacts": Contact.objects.filter(customer__in=cards).count(),
        "stale": cards.stale().in_daily_work().count(),
        "archived": cards.archived().count(),
        "groups": dict(CustomerGroup.objects.values_list("kind").annotate(n=Count("id")).order_by()),
        "grants": dict(
            AccessGrant.objects.filter(customer__in=cards)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        ),
        "history_records": Customer.history.filter(org_unit__in=units).count(),
    }
