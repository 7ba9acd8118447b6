"""What happened to the demo cards after they were written: custom fields and tags, groups and
segments, near-duplicates, loans (借阅), archiving and recent edits, all through the real services
where one exists so the audit log and history read as they would in real use.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q

from kehu.accounts.models import AccessGrant
from kehu.customers.demo.cards import CardDrafter, Draft
from kehu.customers.demo.org import DemoOrg
from kehu.customers.demo.places import AREAS
from kehu.customers.models import (
    ChannelLevel,
    Contact,
    Customer,
    CustomerStatus,
    CustomField,
    CustomFieldType,
    GroupKind,
    Tag,
)
from kehu.customers.services import (
    customer_archive,
    customer_update,
    grant_decide,
    grant_request,
    group_add_members,
    group_create,
)

L = ChannelLevel
STORE_TYPE_CHOICES = [
    {"value": "community", "label_zh": "社区店", "label_en": "Neighbourhood store"},
    {"value": "school", "label_zh": "学校店", "label_en": "Near a school"},
    {"value": "transit", "label_zh": "交通枢纽", "label_en": "Transit hub"},
    {"value": "office", "label_zh": "写字楼", "label_en": "Office building"},
    {"value": "catering", "label_zh": "餐饮", "label_en": "Catering"},
    {"value": "supermarket", "label_zh": "商超", "label_en": "Supermarket"},
]
CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {
        "key": "freezer_count",
        "label_zh": "冰柜数量",
        "label_en": "Freezers",
        "field_type": CustomFieldType.NUMBER,
        "position": 1,
    },
    {
        "key": "store_type",
        "label_zh": "门店类型",
        "label_en": "Store type",
        "field_type": CustomFieldType.CHOICE,
        "choices": STORE_TYPE_CHOICES,
        "position": 2,
    },
    {
        "key": "is_chain",
        "label_zh": "是否连锁",
        "label_en": "Part of a chain",
        "field_type": CustomFieldType.BOOLEAN,
        "position": 3,
    },
)
GROUP_NAMES = (
    "春节备货重点客户",
    "冰柜投放试点门店",
    "校园周边网点",
    "连锁便利系统",
    "A类久未维护",
    "活跃批发商",
)
TAGS = ("重点维护", "新开户", "冰柜投放", "陈列协议", "节日促销", "欠款关注")


def custom_fields_ensure() -> set[str]:
    """Define the demo's custom fields unless an admin already has; return keys safe to fill."""
    usable = set()
    for spec in CUSTOM_FIELDS:
        values = {k: v for k, v in spec.items() if k != "key"}
        field, _created = CustomField.objects.get_or_create(key=spec["key"], defaults=values)
        if field.is_active and field.field_type == spec["field_type"]:
            usable.add(field.key)
    return usable


# --- near-duplicates ---------------------------------------------------------------------------
def _name_variants(draft: Draft) -> list[str]:
    name, district = draft.card.name, draft.district.name
    variants = [f"{draft.area.city}{name}" if not name.startswith(draft.area.province) else name]
    if name.startswith(district):
        variants.append(name.replace(district, district.removesuffix("区"), 1))
    if name.endswith(("副食店", "烟酒店", "食杂店", "百货店")):
        variants.append(name[:-1] + "商店")
    variants.append(name.replace("便利", "便民") if "便利" in name else name + "（老店）")
    return [v for v in variants if v != name]


def near_duplicate(drafter: CardDrafter, original: Draft, code: str, now: datetime) -> Draft:
    """The same shop registered again by the other rep: a slightly different name, the same phone."""
    rng, src = drafter.rng, original.card
    reps = drafter.org.reps(original.area)
    owner = next((r for r in reps if r.pk != src.owner_id), reps[0])
    phone = src.phone.replace("-", "") if rng.random() < 0.5 else src.phone
    card = Customer(
        code=code,
        name=rng.choice(_name_variants(original)),
        kind=src.kind,
        channel_level=src.channel_level,
        status=CustomerStatus.PROSPECT,
        tier=src.tier if src.tier in ("C", "D") else "C",
        phone=phone,
        province=src.province,
        city=src.city,
        district=src.district,
        adcode=src.adcode,
        street=src.street,
        address=src.address,
        lat=src.lat,
        lng=src.lng,
        geo_precision=src.geo_precision,
        owner=owner,
        org_unit=src.org_unit,
        upstream=src.upstream,
        custom={},
    )
    card.updated_at = card.created_at = now - timedelta(days=rng.uniform(2, 40))
    contacts = [
        Contact(customer=card, name=c.name, mobile=c.mobile, phone=c.phone, is_primary=True)
        for c in original.contacts[:1]
    ]
    return Draft(card=card, contacts=contacts, area=original.area, district=original.district, creator=owner)


def duplicate_sources(rng: random.Random, drafts: list[Draft], count: int) -> list[Draft]:
    """One retailer per area (round robin) with a phone, a street address and a contact."""
    fit = [
        d
        for d in drafts
        if d.card.channel_level == L.RETAILER and d.card.phone and d.card.street and d.contacts
    ]
    chosen: list[Draft] = []
    for index in range(count):
        area = AREAS[index % len(AREAS)]
        pool = [d for d in fit if d.area == area and d not in chosen] or [d for d in fit if d not in chosen]
        if pool:
            chosen.append(rng.choice(pool))
    return chosen


# --- tags and groups ---------------------------------------------------------------------------
def tags_assign(rng: random.Random, cards: list[Customer], now: datetime) -> int:
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
    pairs: set[tuple[int, int]] = set()

    def tag(card: Customer, name: str) -> None:
        pairs.add((card.pk, tags[name].pk))

    for card in cards:
        if card.is_key:
            tag(card, "重点维护")
        if card.created_at > now - timedelta(days=30) and card.status != CustomerStatus.LOST:
            tag(card, "新开户")
        if (card.custom.get("freezer_count") or 0) >= 1:
            tag(card, "冰柜投放")
        if card.channel_level == L.RETAILER and card.status == CustomerStatus.ACTIVE and rng.random() < 0.08:
            tag(card, "陈列协议")
        if rng.random() < 0.05:
            tag(card, "节日促销")
        if (
            card.channel_level in (L.WHOLESALER, L.SUB_WHOLESALER)
            and card.credit_limit
            and rng.random() < 0.1
        ):
            tag(card, "欠款关注")
    through = Customer.tags.through
    through.objects.bulk_create([through(customer_id=c, tag_id=t) for c, t in sorted(pairs)], batch_size=500)
    return len(pairs)


def groups_create(org: DemoOrg, cards: list[Customer]) -> None:
    custodian = org.staff("custodian")
    static = {
        "春节备货重点客户": (
            "春节前需提前沟通备货的重点经销商和批发商。",
            [c.pk for c in cards if c.is_key and c.channel_level in (L.DISTRIBUTOR, L.WHOLESALER)],
        ),
        "冰柜投放试点门店": (
            "2026年冰柜投放试点，按季度复核陈列与销量。",
            [c.pk for c in cards if c.channel_level == L.RETAILER and c.custom.get("freezer_count")][:60],
        ),
        "校园周边网点": (
            "学校周边门店，开学季和夏季重点铺货。",
            [c.pk for c in cards if c.custom.get("store_type") == "school"],
        ),
        "连锁便利系统": ("连锁门店，统一谈判陈列和促销。", [c.pk for c in cards if c.custom.get("is_chain")]),
    }
    for name, (description, members) in static.items():
        group = group_create(
            actor=custodian, data={"name": name, "kind": GroupKind.STATIC, "description": description}
        )
        group_add_members(actor=custodian, group_id=group.pk, customer_ids=members)
    segments = {
        "A类久未维护": ("A 类客户超过 90 天未更新也未拜访，需尽快跟进。", {"tier": ["A"], "stale": "true"}),
        "活跃批发商": (
            "在合作中的二批、三批商。",
            {"channel_level": [L.WHOLESALER.value, L.SUB_WHOLESALER.value], "status": ["active"]},
        ),
    }
    for name, (description, filters) in segments.items():
        group_create(
            actor=custodian,
            data={"name": name, "kind": GroupKind.SEGMENT, "description": description, "filters": filters},
        )


# --- loans, archiving, recent edits ------------------------------------------------------------
def _card_in(area_code: str, level: str, skip: set[int]) -> Customer:
    return (
        Customer.objects.filter(org_unit__code=area_code, channel_level=level, archived_at__isnull=True)
        .exclude(pk__in=skip)
        .order_by("code")
        .first()
        or Customer.objects.filter(org_unit__code=area_code).exclude(pk__in=skip).order_by("code").first()
    )


def grants_create(org: DemoOrg, now: datetime) -> None:
    """Two active loans, one pending, one expired, one refused."""
    used: set[int] = set()
    stories = (  # card area, level, borrower, decision (None = pending), reason
        ("QQ-BJ", L.WHOLESALER, "rep_tj1", True, "天津门店反映从该批发部拿货，核对渠道供货价格。"),
        ("QQ-SH", L.DISTRIBUTOR, "rep_hz1", True, "协助上海经销商做杭州跨区配送，需要查看联系人。"),
        ("QQ-GZ", L.WHOLESALER, "rep_sz2", None, "深圳门店出现广州批次产品，需核实上游批发商是否窜货。"),
        ("QQ-HZ", L.RETAILER, "rep_sh2", True, "客户门店搬迁到上海，交接前了解历史资料。"),
        ("QQ-SZ", L.RETAILER, "rep_gz2", False, "想了解该门店的冰柜投放情况。"),
    )
    for index, (area_code, level, borrower, approve, reason) in enumerate(stories):
        card = _card_in(area_code, level, used)
        used.add(card.pk)
        grant = grant_request(actor=org.staff(borrower), customer_code=card.code, reason=reason, days=14)
        if approve is None:
            continue
        manager = org.staff(f"manager_{area_code.removeprefix('QQ-').lower()}")
        note = "同意，注意保密。" if approve else "请通过深圳片区业务员对接。"
        grant = grant_decide(actor=manager, grant_id=grant.pk, approve=approve, note=note)
        if index == 3:  # the loan that already ran out
            starts = now - timedelta(days=40)
            AccessGrant.objects.filter(pk=grant.pk).update(
                requested_at=starts - timedelta(days=1),
                decided_at=starts,
                starts_at=starts,
                expires_at=starts + timedelta(days=14),
            )


def archive_some(org: DemoOrg, count: int) -> None:
    """Shops that closed down: lost retailers, archived by their area manager."""
    lost = Customer.objects.filter(status=CustomerStatus.LOST, channel_level=L.RETAILER).select_related(
        "org_unit"
    )
    for card in lost.order_by("code")[:count]:
        area = next(a for a in AREAS if a.code == card.org_unit.code)
        customer_archive(actor=org.manager(area), customer_id=card.pk)


def recent_edits(rng: random.Random, org: DemoOrg, drafter: CardDrafter, count: int) -> int:
    """Edits made this week through `customer_update`, by the people who would make them."""
    pool = list(
        Customer.objects.filter(archived_at__isnull=True)
        .exclude(owner=None)
        .filter(~Q(status=CustomerStatus.POTENTIAL))
        .select_related("org_unit")
        .order_by("code")
    )
    done = 0
    for card in rng.sample(pool, min(count, len(pool))):
        area = next(a for a in AREAS if a.code == card.org_unit.code)
        actor, data = _edit_for(rng, org, drafter, card, area)
        if data:
            customer_update(actor=actor, customer_id=card.pk, data=data, version=card.version)
            done += 1
    return done


def _edit_for(
    rng: random.Random, org: DemoOrg, drafter: CardDrafter, card: Customer, area: Any
) -> tuple[Any, dict]:
    manager, roll = org.manager(area), rng.random()
    if roll < 0.2 and card.credit_limit:
        return org.staff("finance"), {
            "credit_limit": card.credit_limit + 2000 * rng.randint(1, 5),
            "credit_rating": rng.choice("ABC"),
        }
    if roll < 0.35 and card.tier in ("B", "C", "D"):
        return manager, {
            "tier": {"B": "A", "C": "B", "D": "C"}[card.tier],
            "is_key": card.is_key or card.tier == "B",
        }
    if roll < 0.45:
        return org.staff("custodian"), {
            "short_name": _short_name(card),
            "industry": card.industry or "便利零售",
        }
    owner = card.owner
    if roll < 0.6:
        return owner, {"phone": drafter.unique_phone(area, 0.5)}
    if roll < 0.75:
        return owner, {
            "opens_at": time(rng.choice((6, 7, 8)), 30),
            "closes_at": time(rng.choice((21, 22)), 30),
        }
    if roll < 0.9:
        brands = card.brands_carried
        if "清泉矿泉水" not in brands:
            brands = "、".join(x for x in ("清泉矿泉水", brands) if x)
        return owner, {"brands_carried": brands[:300], "usual_order_day": rng.randint(1, 6)}
    return owner, {
        "status": CustomerStatus.ACTIVE if card.status != CustomerStatus.ACTIVE else CustomerStatus.DORMANT,
        "notes": "本周拜访更新："
        + rng.choice(("老板同意增加陈列面。", "门店暂停进货，观察一个月。", "新开冷柜，补货频率提高。")),
    }


def _short_name(card: Customer) -> str:
    """What the custodian writes as the short name: the name without its place prefix."""
    short = card.name
    for prefix in (card.province, card.city, card.district, card.district.removesuffix("区")):
        short = short.removeprefix(prefix) if prefix else short
    return short[:12]
