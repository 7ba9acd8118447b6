"""What a column can be imported into, and guessing that from the header row.

Column names are bilingual data, not UI strings: a Chinese file must be recognised while the UI is
in English and the other way round, so each target carries its Chinese and English header and the
synonyms old systems use. Custom fields are recognised by their key and both labels.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from django.utils.translation import get_language

from kehu.customers.custom_fields import active_fields
from kehu.customers.models import CustomField

CARD, CONTACT, CUSTOM = "card", "contact", "custom"
CUSTOM_PREFIX = "custom:"


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    group: str
    required_for_create: bool


@dataclass(frozen=True)
class _Spec:
    key: str
    zh: str
    en: str
    group: str = CARD
    synonyms: tuple[str, ...] = ()


SPECS: tuple[_Spec, ...] = (
    _Spec("code", "客户编码", "Code", synonyms=(
        "编码", "编号", "客户编号", "客户代码", "代码", "customer code", "customer no", "no",
    )),
    _Spec("name", "客户名称", "Customer name", synonyms=(
        "名称", "客户名", "公司名称", "单位名称", "企业名称", "店名", "门店名称", "客户", "name", "company", "company name",
    )),
    _Spec("short_name", "简称", "Short name", synonyms=("客户简称", "short name", "abbreviation")),
    _Spec("kind", "客户类型", "Kind", synonyms=("类型", "kind", "type")),
    _Spec("channel_level", "渠道级别", "Channel level", synonyms=("渠道", "渠道层级", "客户级别", "channel", "level")),
    _Spec("status", "状态", "Status", synonyms=("客户状态", "status")),
    _Spec("tier", "等级", "Tier", synonyms=("客户等级", "分级", "级别", "tier", "grade")),
    _Spec("is_key", "重点客户", "Key customer", synonyms=("是否重点", "重点", "key", "key account")),
    _Spec("industry", "行业", "Industry", synonyms=("所属行业", "industry")),
    _Spec("credit_code", "统一社会信用代码", "Unified social credit code", synonyms=(
        "信用代码", "社会信用代码", "税号", "纳税人识别号", "credit code", "uscc",
    )),
    _Spec("phone", "电话", "Phone", synonyms=("联系电话", "客户电话", "门店电话", "座机", "phone", "telephone", "tel")),
    _Spec("province", "省", "Province", synonyms=("省份", "所在省", "province")),
    _Spec("city", "市", "City", synonyms=("城市", "所在市", "地级市", "city")),
    _Spec("district", "区", "District", synonyms=("区县", "县区", "区/县", "所在区", "district", "county")),
    _Spec("street", "街道", "Street", synonyms=("street",)),
    _Spec("address", "地址", "Address", synonyms=("详细地址", "门店地址", "客户地址", "经营地址", "address")),
    _Spec("lat", "纬度", "Latitude", synonyms=("latitude", "lat")),
    _Spec("lng", "经度", "Longitude", synonyms=("longitude", "lng", "lon")),
    _Spec("owner", "负责人", "Owner", synonyms=("业务员", "业务代表", "客户经理", "销售", "跟进人", "owner", "sales rep", "rep")),
    _Spec("org_unit", "组织", "Org unit", synonyms=(
        "部门", "所属部门", "片区", "所属片区", "组织单元", "org unit", "department", "area",
    )),
    _Spec("credit_rating", "信用等级", "Credit rating", synonyms=("信用评级", "credit rating")),
    _Spec("credit_limit", "信用额度", "Credit limit", synonyms=("授信额度", "额度", "credit limit", "credit")),
    _Spec("payment_terms_days", "账期天数", "Payment terms (days)", synonyms=("账期", "付款期限", "payment terms", "terms")),
    _Spec("opens_at", "营业开始", "Opens at", synonyms=("开门时间", "营业时间起", "opens at", "opens")),
    _Spec("closes_at", "营业结束", "Closes at", synonyms=("关门时间", "营业时间止", "closes at", "closes")),
    _Spec("visit_frequency_days", "拜访周期天数", "Visit every (days)", synonyms=("拜访周期", "拜访频率", "visit frequency")),
    _Spec("store_area", "门店面积", "Store area (m²)", synonyms=("面积", "营业面积", "store area", "area m2")),
    _Spec("employees", "员工人数", "Employees", synonyms=("员工数", "人数", "employees", "staff")),
    _Spec("annual_revenue", "年营业额", "Annual revenue (yuan)", synonyms=("年销售额", "营业额", "annual revenue", "revenue")),
    _Spec("brands_carried", "经营品牌", "Brands carried", synonyms=("在售品牌", "brands", "brands carried")),
    _Spec("competitor_products", "竞品", "Competitors' products", synonyms=("竞品情况", "competitors", "competitor products")),
    _Spec("usual_order_day", "常订货日", "Usual order day", synonyms=("订货日", "order day", "usual order day")),
    _Spec("usual_order_size", "常订货额", "Usual order size (yuan)", synonyms=("订货金额", "单次订货额", "order size")),
    _Spec("preferred_delivery", "配送偏好", "Preferred delivery", synonyms=("送货偏好", "delivery", "preferred delivery")),
    _Spec("payment_habit", "付款习惯", "Payment habit", synonyms=("结算方式", "付款方式", "payment habit", "payment")),
    _Spec("notes", "备注", "Notes", synonyms=("说明", "notes", "remarks", "comment")),
    _Spec("contact_name", "联系人", "Contact name", CONTACT, ("联系人姓名", "联系人名称", "contact", "contact person")),
    _Spec("contact_title", "联系人职务", "Contact title", CONTACT, ("职务", "职位", "contact title", "title", "position")),
    _Spec("contact_mobile", "联系人手机", "Contact mobile", CONTACT,
        ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell", "contact mobile")),
    _Spec("contact_phone", "联系人座机", "Contact landline", CONTACT, ("联系人电话", "contact phone", "contact landline")),
    _Spec("contact_email", "邮箱", "Email", CONTACT, ("电子邮件", "电子邮箱", "联系人邮箱", "email", "e-mail")),
    _Spec("contact_wechat", "微信", "WeChat", CONTACT, ("微信号", "联系人微信", "wechat", "weixin")),
)
SPEC_BY_KEY = {spec.key: spec for spec in SPECS}
REQUIRED_FOR_CREATE = frozenset({"name"})
CARD_KEYS = frozenset(s.key for s in SPECS if s.group == CARD)
CONTACT_KEYS = frozenset(s.key for s in SPECS if s.group == CONTACT)


def is_chinese(language: str | None = None) -> bool:
    return (language or get_language() or "zh").startswith("zh")


def spec_label(spec: _Spec, language: str | None = None) -> str:
    return spec.zh if is_chinese(language) else spec.en


def custom_label(field: CustomField, language: str | None = None) -> str:
    return field.label_zh if is_chinese(language) else field.label_en


def import_targets(fields: list[CustomField] | None = None) -> list[Target]:
    """Every field a column can be imported into, in the active language (custom fields last)."""
    targets = [Target(s.key, spec_label(s), s.group, s.key in REQUIRED_FOR_CREATE) for s in SPECS]
    for field in active_fields() if fields is None else fields:
        targets.append(Target(f"{CUSTOM_PREFIX}{field.key}", custom_label(field), CUSTOM, field.is_required))
    return targets


def normalise_header(text: str) -> str:
    """Full-width to half-width, lower case, no spaces, no required-marks or bracketed hints."""
    cleaned = unicodedata.normalize("NFKC", str(text)).lower().strip()
    for mark in ("*", "(必填)", "(选填)", "(required)", "(optional)"):
        cleaned = cleaned.replace(mark, "")
    return "".join(cleaned.split()).strip(":：")


def synonym_table(fields: list[CustomField]) -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in SPECS:
        for word in (spec.zh, spec.en, spec.key, *spec.synonyms):
            table.setdefault(normalise_header(word), spec.key)
    for field in fields:
        for word in (field.label_zh, field.label_en, field.key):
            table.setdefault(normalise_header(word), f"{CUSTOM_PREFIX}{field.key}")
    return table


def guess_mapping(headers: list[str], fields: list[CustomField]) -> dict[str, str]:
    """{str(column index): target key} for the headers recognised; each target at most once."""
    table = synonym_table(fields)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        key = table.get(normalise_header(header), "")
        if key and key not in used:
            mapping[str(index)] = key
            used.add(key)
    return mapping


def header_signature(headers: list[str]) -> str:
    joined = "\x1f".join(normalise_header(h) for h in headers)
    return hashlib.sha256(joined.encode()).hexdigest()
