"""Name parts and generators for plausible Chinese people, shops, phones and credit codes.

Everything takes a `random.Random` so the demo is reproducible with a seed.
"""

from __future__ import annotations

import random

from pypinyin import lazy_pinyin

from kehu.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_char
from kehu.customers.demo.places import Area, District

# Common surnames, then surnames whose reading differs from the character's usual one (单 shàn,
# 曾 zēng, 解 xiè, 区 ōu, 仇 qiú …) so the search box's pinyin handling can be shown.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严武戴莫孔向汤"
)
HETERONYM_SURNAMES = "单曾解区仇查翟乐覃任"
# fmt: off
GIVEN_NAMES = tuple((
    "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 建国 "
    "志强 海燕 春梅 文 斌 宇 浩 鹏 晓东 立新 红梅 玉兰 国庆 卫东 德明 俊杰 思远 雪 子豪 雅婷 "
    "嘉怡 永康 金凤 宏伟 丽华 小龙 少华 惠敏 振华 佳琪 文博 海涛 淑珍"
).split())
CONTACT_TITLES = tuple("老板 老板娘 店长 采购经理 总经理 财务 仓库主管 副总经理 业务经理".split())

# Brand-ish words for shop names: auspicious, generic, not real chains.
BRAND_WORDS = tuple((
    "鑫源 金盛 福源 恒达 佳美 兴隆 万福 永盛 宏发 顺心 惠民 家乐 利民 聚鑫 德胜 润发 祥和 "
    "富强 新城 友谊 百信 天天 便民 好邻 喜来 旺角 金穗 合意 隆昌 瑞丰 宝泉 兴旺 春晖 四季 "
    "乐购 万家 同兴 信达 荣昌 康乐 金泰 华润 福满 鸿运 永辉 嘉禾 盛达 和顺 美佳 大众"
).split())
RETAIL_TRADES = tuple((
    "副食店 便利店 超市 烟酒商行 小卖部 食杂店 便利超市 百货店 烟酒店 果蔬超市 生活超市 "
    "副食商店"
).split())
CATERING_TRADES = tuple("饭店 酒楼 火锅店 川菜馆 面馆 烧烤店 茶餐厅".split())
WHOLESALE_TRADES = tuple("百货批发部 副食批发部 食品批发行 酒水批发部 粮油副食批发部 商贸行".split())
SUB_WHOLESALE_TRADES = tuple("批发部 食品商行 酒水商行 副食配送部 饮料批发店".split())
DISTRIBUTOR_TRADES = tuple((
    "商贸有限公司 食品有限公司 供应链管理有限公司 饮品经销有限公司 贸易有限公司"
).split())
END_USER_NAMES = tuple((
    "大酒店 餐饮管理有限公司 科技有限公司 物业服务有限公司 职业技术学校食堂 宾馆"
).split())
ADDRESS_SUFFIXES = ("", "", "", *"底商 1层 临街商铺 B座一层 东门旁".split())

MOBILE_PREFIXES = tuple((
    "130 131 132 133 134 135 136 137 138 139 145 147 150 151 152 153 155 156 157 158 159 166 "
    "173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199"
).split())
EMAIL_DOMAINS = tuple("163.com 126.com qq.com sina.com foxmail.com".split())
# fmt: on
GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


# Surnames are listed roughly by frequency; weight them so 王, 李, 张 are common and 汤 is rare.
SURNAME_WEIGHTS = [1 / (rank + 8) for rank in range(len(SURNAMES))]


def person_name(rng: random.Random, heteronym_share: float = 0.05) -> str:
    if rng.random() < heteronym_share:
        surname = rng.choice(HETERONYM_SURNAMES)
    else:
        surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    return surname + rng.choice(GIVEN_NAMES)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, area: Area) -> str:
    return f"{area.landline_prefix}-{rng.choice(area.landline_first_digits)}{rng.randrange(10**7):07d}"


def _district_short(district: District) -> str:
    """海淀区 → 海淀, 浦东新区 → 浦东 (how shops name their neighbourhood)."""
    name = district.name
    for suffix in ("新区", "区"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _place_prefix(rng: random.Random, district: District, road: str) -> str:
    roll = rng.random()
    if roll < 0.35:
        return district.name
    if roll < 0.6:
        return _district_short(district)
    if roll < 0.75:
        return road.removesuffix("大街").removesuffix("路").removesuffix("道")[:3]
    return ""


def shop_name(rng: random.Random, level: str, area: Area, district: District, road: str) -> tuple[str, str]:
    """(full name, short name) for a card at this channel level."""
    brand = rng.choice(BRAND_WORDS)
    if level == "distributor":
        trade = rng.choice(DISTRIBUTOR_TRADES)
        return f"{area.short}{brand}{trade}", f"{brand}{trade[:2]}"
    if level == "end_user":
        tail = rng.choice(END_USER_NAMES)
        prefix = area.short if tail.endswith("公司") else _district_short(district)
        return f"{prefix}{brand}{tail}", f"{brand}{tail[:2]}"
    if level == "wholesaler":
        trade = rng.choice(WHOLESALE_TRADES)
    elif level == "sub_wholesaler":
        trade = rng.choice(SUB_WHOLESALE_TRADES)
    else:
        trade = rng.choice(CATERING_TRADES if rng.random() < 0.15 else RETAIL_TRADES)
    if rng.random() < 0.12:
        # Family shops go by the owner's surname (曾记, 单氏): the surname leads, so its own
        # reading (zēng, shàn, ōu …) is what people type into the search box.
        family = person_name(rng, heteronym_share=0.5)[0] + rng.choice("记氏家")
        return f"{family}{trade}", f"{family}{trade[:2]}"
    place = _place_prefix(rng, district, road)
    if level in ("wholesaler", "sub_wholesaler") and rng.random() < 0.35:
        # Registered trading names often lead with city and district: 北京海淀…, searched as "bjhd".
        place = f"{area.short}{_district_short(district)}"
    return f"{place}{brand}{trade}", f"{brand}{trade[:2]}"


def street_address(rng: random.Random, road: str) -> str:
    number = rng.randint(1, 388)
    return f"{road}{number}号{rng.choice(ADDRESS_SUFFIXES)}"


def full_address(area: Area, district: District, street: str) -> str:
    city = "" if area.city == area.province else area.city
    return f"{area.province}{city}{district.name}{street}"


def _gb11714_check(body: str) -> str:
    """Check character of the 9-character organisation code (GB 11714) inside a credit code."""
    total = sum(int(c, 36) * w for c, w in zip(body, GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, adcode: str, individual: bool) -> str:
    """A well-formed unified social credit code registered in `adcode` (92… for sole traders)."""
    kind = "92" if individual else "91"
    if rng.random() < 0.7:
        body = "MA" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = f"{kind}{adcode}{body}{_gb11714_check(body)}"
    return first17 + credit_code_check_char(first17)


def email_for(rng: random.Random, name: str) -> str:
    handle = "".join(lazy_pinyin(name))
    suffix = rng.randint(60, 99) if rng.random() < 0.6 else rng.randint(100, 999)
    return f"{handle}{suffix}@{rng.choice(EMAIL_DOMAINS)}"


def wechat_for(rng: random.Random, name: str) -> str:
    if rng.random() < 0.5:
        return f"wxid_{''.join(rng.choice('abcdefghijkmnpqrstuvwxyz23456789') for _ in range(10))}"
    return "".join(lazy_pinyin(name)) + str(rng.randint(1, 9999))
