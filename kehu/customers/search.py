"""The search key behind the list's search box: name, short name, code, phone, full pinyin and
initials, under every reading of heteronymous surnames and place names.

`search_text` is stored lower-case on the card and matched with a plain substring test, which
PostgreSQL serves from a trigram index.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin, load_phrases_dict
from pypinyin.core import _default_pinyin

from kehu.core.validators import normalise_phone

# Surname readings (姓氏读音) that differ from the character's common reading.
SURNAME_READINGS: dict[str, list[str]] = {
    "单": ["shan"], "曾": ["zeng"], "解": ["xie"], "区": ["ou"], "仇": ["qiu"], "朴": ["piao"],
    "查": ["zha"], "盖": ["ge"], "覃": ["qin"], "尉": ["yu", "wei"], "缪": ["miao"], "乐": ["yue", "le"],
    "员": ["yun"], "种": ["chong"], "繁": ["po"], "宓": ["mi"], "召": ["shao"], "郇": ["huan"],
    "燕": ["yan"], "任": ["ren"], "纪": ["ji"], "翟": ["zhai", "di"], "谌": ["chen"], "祭": ["zhai"],
    "秘": ["bi"], "句": ["gou"], "万": ["wan", "mo"], "长": ["chang"], "重": ["chong", "zhong"],
}

# Place names whose reading the general phrase dictionary gets wrong or leaves ambiguous.
PLACE_PHRASES: dict[str, list[list[str]]] = {
    "长寿": [["cháng"], ["shòu"]], "长沙": [["cháng"], ["shā"]], "长春": [["cháng"], ["chūn"]],
    "长治": [["cháng"], ["zhì"]], "长安": [["cháng"], ["ān"]], "长宁": [["cháng"], ["níng"]],
    "重庆": [["chóng"], ["qìng"]], "厦门": [["xià"], ["mén"]], "六安": [["lù"], ["ān"]],
    "蚌埠": [["bèng"], ["bù"]], "乐清": [["yuè"], ["qīng"]], "乐亭": [["lào"], ["tíng"]],
    "番禺": [["pān"], ["yú"]], "丽水": [["lí"], ["shuǐ"]], "东阿": [["dōng"], ["ē"]],
    "铅山": [["yán"], ["shān"]], "大埔": [["dà"], ["bù"]], "尉氏": [["yù"], ["shì"]],
    "洪洞": [["hóng"], ["tóng"]], "涡阳": [["guō"], ["yáng"]], "台州": [["tāi"], ["zhōu"]],
    "天台": [["tiān"], ["tāi"]], "莘县": [["shēn"], ["xiàn"]], "亳州": [["bó"], ["zhōu"]],
    "歙县": [["shè"], ["xiàn"]], "黄陂": [["huáng"], ["pí"]], "筠连": [["jūn"], ["lián"]],
    "济南": [["jǐ"], ["nán"]], "济宁": [["jǐ"], ["níng"]], "嘉兴": [["jiā"], ["xīng"]],
    "会稽": [["kuài"], ["jī"]], "单县": [["shàn"], ["xiàn"]], "郫都": [["pí"], ["dū"]],
}
load_phrases_dict(PLACE_PHRASES)

MAX_VARIANTS = 16
HAN_RE = re.compile(r"[\u3400-\u9fff]")


# Characters whose extra readings only make sense at the start of a name (a surname).
FIRST_ONLY = frozenset("区万任燕纪种员召句秘祭仇朴查盖覃缪宓郇翟谌")


def _alternatives() -> dict[str, list[str]]:
    alt: dict[str, list[str]] = {char: list(readings) for char, readings in SURNAME_READINGS.items()}
    for phrase, readings in PLACE_PHRASES.items():
        for char, (reading,) in zip(phrase, readings, strict=True):
            plain = _strip_tone(reading)
            if plain not in alt.setdefault(char, []):
                alt[char].append(plain)
    return alt


def _strip_tone(syllable: str) -> str:
    return "".join(TONELESS.get(c, c) for c in syllable)


TONELESS = {c: base for base, marked in {
    "a": "āáǎà", "e": "ēéěè", "i": "īíǐì", "o": "ōóǒò", "u": "ūúǔù", "v": "ǖǘǚǜü",
}.items() for c in marked}
ALTERNATIVES = _alternatives()


def _keep(chars: str) -> list[str]:
    return list(chars)


@functools.lru_cache(maxsize=200_000)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors=_keep))


def default_pinyin(text: str) -> list[str]:
    """`lazy_pinyin(text)`, exactly, several times faster on names: pypinyin segments the text into
    words (phrase dictionary, forward maximum matching) and converts each word on its own, so the
    words (北京, 海淀区, 副食店, 商行 …) are converted once and cached. Converting is the costly part
    (style conversion per character, pure Python); segmenting is cheap."""
    out: list[str] = []
    for word in _default_pinyin.seg(text):
        out.extend(_word_pinyin(word))
    return out


def _readings(text: str, leading: bool = True) -> list[list[str]]:
    """Per character: the phrase-aware default reading first, then surname/place-name readings.

    `leading`: `text` starts the name, so its first character may take a surname reading."""
    default = default_pinyin(text)
    if len(default) != len(text):  # a non-Han run came back as one item; keep it whole
        return [[d.lower()] for d in default]
    out: list[list[str]] = []
    for index, (char, reading) in enumerate(zip(text, default, strict=True)):
        readings = [reading.lower()]
        if char in ALTERNATIVES and ((index == 0 and leading) or char not in FIRST_ONLY):
            readings += [r for r in ALTERNATIVES[char] if r not in readings]
        out.append(readings)
    return out


def pinyin_variants(text: str) -> list[tuple[str, str]]:
    """(full pinyin, initials) for each plausible reading of `text`, most likely first, capped."""
    text = "".join(text.split())
    if not HAN_RE.search(text):
        return []
    return _variants(_readings(text))


def _variants(readings: list[list[str]] | list[tuple[str, ...]]) -> list[tuple[str, str]]:
    combos = itertools.islice(itertools.product(*readings), MAX_VARIANTS)
    variants = []
    for combo in combos:
        full = "".join(combo)
        initials = "".join(part[0] for part in combo if part)
        variants.append((full, initials))
    return variants


def _unique(parts: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for part in parts:
        if part and part not in seen:
            seen[part] = None
    return list(seen)


@functools.lru_cache(maxsize=100_000)
def _pinyin_parts(text: str) -> tuple[str, ...]:
    """Full pinyin and initials of every reading of `text`; cached, since shop names repeat a lot
    (bulk imports and the benchmark seed compute them for hundreds of thousands of rows)."""
    return tuple(part for full, initials in pinyin_variants(text) for part in (full, initials))


def build_search_text(*, name: str, short_name: str = "", code: str = "", phone: str = "") -> str:
    parts = [name, short_name, code, phone, normalise_phone(phone).replace("-", "")]
    parts.extend(_pinyin_parts(name))
    parts.extend(_pinyin_parts(short_name))
    return " ".join(_unique(p.lower() for p in parts))


@functools.lru_cache(maxsize=20_000)
def _segment_readings(segment: str, leading: bool) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(r) for r in _readings(segment, leading))


def _segments_pinyin(segments: tuple[str, ...]) -> list[str]:
    segments = tuple(s for s in ("".join(x.split()) for x in segments) if s)
    if not any(HAN_RE.search(s) for s in segments):
        return []
    readings = [r for i, s in enumerate(segments) for r in _segment_readings(s, i == 0)]
    return [part for full, initials in _variants(readings) for part in (full, initials)]


def build_search_text_segmented(
    *, name: tuple[str, ...], short_name: tuple[str, ...] = (), code: str = "", phone: str = ""
) -> str:
    """`build_search_text` for a name given in parts (place, brand, trade …), for bulk writers.

    Pinyin is looked up once per distinct part instead of once per distinct name, which keeps a
    million generated or imported names fast. The result equals build_search_text's except where
    the phrase dictionary would read two characters differently across a part boundary."""
    full, short = "".join(name), "".join(short_name)
    parts = [full, short, code, phone, normalise_phone(phone).replace("-", "")]
    parts.extend(_segments_pinyin(name))
    parts.extend(_segments_pinyin(short_name))
    return " ".join(_unique(p.lower() for p in parts))


def normalise_query(q: str) -> str:
    """What the search box's text is matched as: lower-case, no spaces, half-width digits."""
    cleaned = "".join(q.split()).lower()
    return normalise_phone(cleaned) if cleaned[:1].isdigit() or cleaned.startswith("+") else cleaned
