"""Comparable forms of customer names, addresses and phones for duplicate detection.

A shop is registered as 北京海淀永辉副食店 by one rep and 海淀区永辉副食商店 by another; both should
come out as 永辉副食. Only what does not tell two businesses apart is removed: width, case,
punctuation, remarks in brackets, legal forms, generic outlet words and leading place names. Trade
words (副食, 烟酒, 超市, 批发) stay: 鑫源副食批发部 and 鑫源副食店 are often two businesses.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

# Traditional → simplified for characters common in shop names and addresses. A full converter
# (OpenCC) is a heavy dependency for the few dozen characters that actually occur here.
_TRADITIONAL = (
    "東門號樂興發豐華貿業廣場會藥飲館麵雞魚鮮電車實貨銷壽寶萬達順陽滙匯與國際眾園藝聯鄉鎮區縣"
    "廳廠莊記張陳劉楊黃趙吳鄭謝許馮鄧蕭葉蘇盧錢龍鳳雲長慶齊進運煙糧農菓鋪舖務網訊頭質團貴紅綠"
    "線灣歡麗靈愛億倉儲開關間閣樓廈濱衛氣車輛醫療飯粵滬閩瀋遼蘭湯澤瑪鋼鐵鐘錶傢俱裝飾燈絲綢"
    "織廚餅糖醬點湯燒臘鹵滷總經營銷售購買賣價單據條碼來這個們為輝鴻榮錦燦傑強偉軍濤鵬麥蘋鄰義禮誠"
    "揚韓龔嚴顧賈譚陸範羅孫馬潤"
)
_SIMPLIFIED = (
    "东门号乐兴发丰华贸业广场会药饮馆面鸡鱼鲜电车实货销寿宝万达顺阳汇汇与国际众园艺联乡镇区县"
    "厅厂庄记张陈刘杨黄赵吴郑谢许冯邓萧叶苏卢钱龙凤云长庆齐进运烟粮农果铺铺务网讯头质团贵红绿"
    "线湾欢丽灵爱亿仓储开关间阁楼厦滨卫气车辆医疗饭粤沪闽沈辽兰汤泽玛钢铁钟表家具装饰灯丝绸"
    "织厨饼糖酱点汤烧腊卤卤总经营销售购买卖价单据条码来这个们为辉鸿荣锦灿杰强伟军涛鹏麦苹邻义礼诚"
    "扬韩龚严顾贾谭陆范罗孙马润"
)
SIMPLIFY = str.maketrans(_TRADITIONAL, _SIMPLIFIED)

# Longest first: each is tried once, in order, at the end of the name.
LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "责任公司", "公司")
OUTLET_SUFFIXES = ("经营部", "门市部", "营业部", "门市", "商店", "商行", "店", "部")
PLACE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "新区", "省", "市", "区", "县")

# What is left when a shop is named after its place only (惠民超市 in 惠民县): too generic to compare.
GENERIC_TRADES = frozenset(
    "超市 便利 便民 便利超市 生活超市 副食 烟酒 百货 食杂 小卖 批发 商贸 贸易 食品 饮品 果蔬 饭 酒楼 宾馆 大酒".split()
)

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^】]*】|〔[^〕]*〕|〈[^〉]*〉")
_NOT_WORD = re.compile(r"[\W_]+")
_NOT_DIGIT = re.compile(r"\D+")
_MIN_CORE = 2  # never normalise a name down to less than this many characters


def _short(place: str) -> str:
    for suffix in PLACE_SUFFIXES:
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return place


@cache
def _national_places() -> tuple[frozenset[str], frozenset[str]]:
    """(full names of every province, city and county; short forms of provinces and cities).

    County short forms (海淀, 惠民, 康乐, 兴隆 …) are too often ordinary shop words to strip
    everywhere; they are stripped only for the card's own district (see `places`).
    """
    spec = importlib.util.find_spec("cpca")  # locate cpca's table without importing pandas
    if spec is None or spec.origin is None:
        return frozenset(), frozenset()
    full, short = set(), set()
    with (Path(spec.origin).parent / "resources" / "adcodes.csv").open(encoding="utf-8") as table:
        for row in csv.DictReader(table):
            code, name = row["adcode"], row["name"]
            if not code.endswith("000000"):
                continue
            full.add(name)
            if code.endswith("00000000"):
                short.add(_short(name))
    return frozenset(full), frozenset(short)


def _strip_places(text: str, extra: frozenset[str]) -> str:
    full, short = _national_places()
    for _round in range(3):  # province, city, district at most
        for size in range(min(len(text) - _MIN_CORE, 12), 1, -1):
            head = text[:size]
            if head in full or head in short or head in extra:
                text = text[size:]
                break
        else:
            return text
    return text


def _strip_suffixes(text: str) -> str:
    for group in (LEGAL_SUFFIXES, OUTLET_SUFFIXES):
        for suffix in group:
            if text.endswith(suffix) and len(text) - len(suffix) >= _MIN_CORE:
                text = text[: -len(suffix)]
                break
    return text


def clean_text(value: str) -> str:
    """Half-width, lower-case, simplified, without bracketed remarks, spaces and punctuation."""
    text = unicodedata.normalize("NFKC", value or "").lower().translate(SIMPLIFY)
    text = _BRACKETED.sub("", text)
    return _NOT_WORD.sub("", text)


def _place_forms(places: Iterable[str]) -> frozenset[str]:
    forms = set()
    for place in places:
        place = clean_text(place)
        if place:
            forms.update({place, _short(place)})
    return frozenset(f for f in forms if len(f) >= 2)


@lru_cache(maxsize=100_000)
def _normalise_name(name: str, places: tuple[str, ...]) -> str:
    text = clean_text(name)
    core = _strip_suffixes(_strip_places(text, _place_forms(places)))
    if len(core) >= _MIN_CORE and core not in GENERIC_TRADES:
        return core
    return _strip_suffixes(text)  # the "place" was the shop's own name, e.g. 惠民超市 in 惠民县


def normalise_name(name: str, *, places: Iterable[str] = ()) -> str:
    """The comparable core of a business name: 北京市海淀区永辉副食商店（老店） → 永辉副食.

    `places` are the card's own province, city and district; their short forms (海淀, 浦东) are
    stripped too.
    """
    return _normalise_name(name or "", tuple(places))


def normalise_address(address: str, *, places: Iterable[str] = ()) -> str:
    """The address without width, punctuation and the leading province/city/district."""
    return _strip_places(clean_text(address), _place_forms(places))


def phone_digits(phone: str) -> str:
    """Only the digits of a phone, without the country code: +86 138-1234-5678 → 13812345678."""
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", phone or ""))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            return digits[len(prefix):]
    return digits


def phone_variants(phone: str) -> list[str]:
    """How the same number may have been typed into the phone column, for an indexed IN lookup."""
    digits = phone_digits(phone)
    if len(digits) < 7:
        return []
    forms = {digits, "+86" + digits, "+86 " + digits, "+86-" + digits}
    if len(digits) == 11 and digits[0] == "1":
        spaced = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        forms |= {spaced, "+86 " + spaced, f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"}
    if digits[0] == "0":
        for cut in (3, 4):
            forms |= {f"{digits[:cut]}-{digits[cut:]}", f"{digits[:cut]} {digits[cut:]}"}
            forms.add(f"({digits[:cut]}){digits[cut:]}")
    return sorted(forms)
