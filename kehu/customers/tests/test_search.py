"""The search key (full pinyin, initials, heteronym readings, phone digits) and the search box over it."""

import hypothesis
import pytest
from django.http import QueryDict

from kehu.customers.filters import CustomerFilter
from kehu.customers.models import Customer
from kehu.customers.search import MAX_VARIANTS, build_search_text, normalise_query, pinyin_variants
from kehu.testing import make_customer


def words(name: str, **kwargs) -> set[str]:
    return set(build_search_text(name=name, **kwargs).split())


# --- the search key ------------------------------------------------------------------------


def test_the_key_holds_the_name_its_full_pinyin_and_its_initials():
    assert build_search_text(name="北京海淀区单氏副食店") == (
        "北京海淀区单氏副食店 beijinghaidianqudanshifushidian bjhdqdsfsd "
        "beijinghaidianqushanshifushidian bjhdqssfsd"
    )


def test_initials_of_a_place_start_the_initials_of_the_name():
    assert any(word.startswith("bjhd") for word in words("北京海淀区单氏副食店"))


@pytest.mark.parametrize(
    ("name", "readings"),
    [
        ("单立新", {"danlixin", "dlx", "shanlixin", "slx"}),
        ("曾小明", {"zengxiaoming", "zxm"}),
        ("解晓东", {"xiexiaodong", "xxd", "jiexiaodong", "jxd"}),
        ("区家明", {"oujiaming", "ojm"}),
        ("仇建国", {"qiujianguo", "qjg"}),
        ("朴正浩", {"piaozhenghao", "pzh"}),
    ],
)
def test_heteronym_surnames_are_found_under_each_reading(name, readings):
    assert readings <= words(name)


def test_surname_only_readings_are_not_applied_inside_a_name():
    assert "guangzhoushiou" not in words("广州市区")
    assert words("广州市区") == {"广州市区", "guangzhoushiqu", "gzsq"}


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("重庆火锅店", "chongqinghuoguodian"),
        ("长沙湘菜馆", "changshaxiangcaiguan"),
        ("厦门鼓浪屿商行", "xiamengulangyushanghang"),
        ("六安茶行", "luanchaxing"),
        ("蚌埠副食", "bengbufushi"),
        ("单县羊汤", "shanxianyangtang"),
    ],
)
def test_place_names_are_read_as_places(name, reading):
    assert reading in words(name)


def test_a_place_name_reading_is_first():
    full, initials = pinyin_variants("重庆火锅店")[0]
    assert (full, initials) == ("chongqinghuoguodian", "cqhgd")


def test_the_short_name_code_and_phone_are_in_the_key_and_the_phone_also_without_hyphens():
    text = build_search_text(name="x", short_name="单记", code="KH0000001", phone="010-6234-5678")
    assert text == "x 单记 kh0000001 010-6234-5678 01062345678 danji dj shanji sj"


def test_a_full_width_phone_is_keyed_in_half_width_digits():
    assert "13812345678" in words("x", phone="１３８ １２３４ ５６７８")


def test_latin_words_are_kept_whole_and_lower_case():
    assert build_search_text(name="7-Eleven 便利店") == "7-eleven 便利店 7-elevenbianlidian 7-elevenbld"
    assert pinyin_variants("Family Mart") == []


def test_the_variant_count_is_capped():
    variants = pinyin_variants("长重单曾解乐尉翟万")
    assert len(variants) == MAX_VARIANTS == 16
    assert len(set(variants)) == 16
    assert len(build_search_text(name="长重单曾解乐尉翟万").split()) <= 1 + 2 * MAX_VARIANTS


def test_the_query_is_lower_case_without_spaces_and_phones_in_half_width():
    assert normalise_query(" BJ HD ") == "bjhd"
    assert normalise_query("１３８ 1234") == "1381234"
    assert normalise_query("+86 138 1234") == "1381234"
    assert normalise_query("010-6234") == "010-6234"


# --- the search box ------------------------------------------------------------------------


def search(user, q: str) -> set[str]:
    params = QueryDict(mutable=True)
    params["q"] = q
    return set(
        CustomerFilter(params, queryset=Customer.objects.visible_to(user)).qs.values_list("name", flat=True)
    )


ALICE, BOB, CAROL = "北京海淀区单氏副食店", "朝阳区百货批发部", "天津河西区便利店"


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("bjhd", {ALICE}),
        ("BJHD", {ALICE}),
        ("beijinghaidian", {ALICE}),
        ("shanshi", {ALICE}),
        ("danshi", {ALICE}),
        ("cyq", {BOB}),
        ("chaoyang", {BOB}),
        ("tjhx", {CAROL}),
        ("T00002", {BOB}),
        ("t00003", {CAROL}),
        ("6234", {ALICE}),
        ("62345678", {ALICE}),
        ("010-6234", {ALICE}),
        ("010 6234 5678", {ALICE}),
        ("０１０６２３４", {ALICE}),
        ("海淀", {ALICE}),
        ("便利店", {CAROL}),
        ("区", {ALICE, BOB, CAROL}),
        ("", {ALICE, BOB, CAROL}),
        ("xyzzy", set()),
    ],
)
def test_the_search_box_finds_by_initials_pinyin_code_phone_and_chinese(world, q, found):
    assert search(world.dora, q) == found


def test_the_search_box_finds_only_visible_cards(world):
    assert search(world.alice, "cyq") == set()
    assert search(world.alice, "bjhd") == {ALICE}
    assert search(world.mia, "q") == {ALICE, BOB}


def test_the_search_box_finds_a_heteronym_surname_under_each_reading(world):
    make_customer("曾记粮油店", world.alice, world.beijing)
    make_customer("重庆小面", world.alice, world.beijing)
    assert search(world.alice, "zjly") == {"曾记粮油店"}
    assert search(world.alice, "zengji") == {"曾记粮油店"}
    assert search(world.alice, "cqxm") == {"重庆小面"}
    assert search(world.alice, "chongqing") == {"重庆小面"}


POOL = "北京海淀区朝阳长沙重庆厦门乐清单曾行长大都和兴旺副食店商行超市有限公司批发部银行长春长寿的了着重量AbC123-（）· "


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(hypothesis.strategies.text(alphabet=POOL, max_size=16))
def test_the_cached_word_by_word_pinyin_is_exactly_pypinyins(text):
    from pypinyin import Style, lazy_pinyin

    from kehu.customers.search import default_pinyin

    assert default_pinyin(text) == lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: list(chars))


@pytest.mark.parametrize("needle", ["bjhd", "海淀区", "6813", "BJHD", "副食店", "zz%", "a_b", "兴旺", "x"])
def test_the_search_index_finds_exactly_the_cards_whose_key_holds_the_text(world, needle):
    """SQLite answers needles of 3+ characters from the trigram full-text index (migration 0007), kept
    by triggers through inserts, updates and deletes; PostgreSQL from its trigram index."""
    from kehu.customers.services import customer_update

    make_customer("北京海淀区兴旺副食店", world.alice, world.beijing, phone="010-68131234")
    renamed = make_customer("天津和平区老王商行", world.alice, world.beijing)
    gone = make_customer("北京海淀区将删除店", world.alice, world.beijing)
    customer_update(actor=world.alice, customer_id=renamed.pk, version=renamed.version,
                    data={"name": "北京海淀区老王副食店"})
    gone.delete()
    expected = {c.name for c in Customer.objects.all() if needle.lower() in c.search_text}
    assert search(world.dora, needle) == expected
