"""`kehu bench seed`: bulk cards that are valid, visible through the normal selectors, searchable."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.http import QueryDict

from kehu.accounts.models import AccessGrant, User
from kehu.core.validators import validate_credit_code
from kehu.customers.completeness import completeness_score
from kehu.customers.custom_fields import active_fields
from kehu.customers.demo.bulk import shop_name
from kehu.customers.demo.bulk_write import SeedError, bench_seed
from kehu.customers.demo.places import AREAS
from kehu.customers.models import ChannelLevel, Contact, Customer
from kehu.customers.search import build_search_text, build_search_text_segmented, pinyin_variants
from kehu.customers.selectors import customer_contacts, customer_get, customer_history, customer_list

pytestmark = pytest.mark.django_db

N = 600


@pytest.fixture
def seeded():
    result = bench_seed(customers=N, seed=7, chunk=250)
    return result


def _list(user, **params):
    query = QueryDict(mutable=True)
    query.update(params)
    return customer_list(user=user, params=query).qs


def test_seed_writes_n_cards_with_contacts_tags_and_a_creation_record_each(seeded):
    assert seeded.customers == N == Customer.objects.count()
    assert seeded.contacts == Contact.objects.count() > N  # about 1.5 per card
    assert Customer.tags.through.objects.count() == seeded.tags > 0
    assert Customer.history.filter(history_type="+").count() == N
    assert Contact.history.count() == seeded.contacts
    assert set(Customer.objects.values_list("channel_level", flat=True)) == set(ChannelLevel.values)
    assert AccessGrant.objects.exists()  # the demo's loans, so the scope's grant branch is exercised


def test_seeded_cards_pass_the_model_validators(seeded):
    sample = Customer.objects.order_by("?")[:120]
    for card in sample:
        card.full_clean()
        if card.credit_code:
            validate_credit_code(card.credit_code)
    for contact in Contact.objects.order_by("?")[:120]:
        contact.full_clean()


def test_derived_fields_are_what_the_app_computes(seeded):
    fields = list(active_fields())
    same = 0
    cards = list(Customer.objects.prefetch_related("contacts").order_by("?")[:100])
    for card in cards:
        assert card.completeness == completeness_score(card, card.contacts.all(), fields)
        app = build_search_text(name=card.name, short_name=card.short_name, code=card.code, phone=card.phone)
        same += card.search_text == app
        full, initials = pinyin_variants(card.name)[0]
        assert {card.name, card.code.lower(), full, initials} <= set(card.search_text.split())
    assert same >= 95  # only readings across a name-part boundary may differ


def test_channel_tree_links_each_level_to_the_level_above_in_the_same_area(seeded):
    above = {
        ChannelLevel.WHOLESALER: {ChannelLevel.DISTRIBUTOR},
        ChannelLevel.SUB_WHOLESALER: {ChannelLevel.WHOLESALER},
        ChannelLevel.RETAILER: {ChannelLevel.WHOLESALER, ChannelLevel.SUB_WHOLESALER},
        ChannelLevel.END_USER: {ChannelLevel.DISTRIBUTOR, ChannelLevel.WHOLESALER},
    }
    linked = Customer.objects.filter(upstream__isnull=False).select_related("upstream")
    assert linked.count() > N / 2
    for card in linked:
        assert card.upstream.channel_level in above[card.channel_level]
        assert card.upstream.org_unit_id == card.org_unit_id


def test_demo_logins_see_their_share_through_the_selectors(seeded):
    director = User.objects.get(username="director")
    manager = User.objects.get(username="manager_bj")
    rep = User.objects.get(username="rep_bj1")
    everything = _list(director).count()
    assert everything == N
    assert 0 < _list(rep).count() < _list(manager).count() < everything
    card = _list(rep).first()
    assert customer_get(user=rep, customer_id=card.pk) == card
    assert customer_history(user=rep, customer=card)[0].kind == "+"
    assert all(c.customer_id == card.pk for c in customer_contacts(user=rep, customer=card))


def test_cards_are_found_by_pinyin_initials_and_name_fragments(seeded):
    director = User.objects.get(username="director")
    wholesaler = Customer.objects.filter(name__startswith="北京", channel_level=ChannelLevel.WHOLESALER).first()
    assert wholesaler is not None
    initials = _list(director, q="bj")
    assert initials.filter(pk=wholesaler.pk).exists()
    fragment = wholesaler.name[2:4]
    assert _list(director, q=fragment).filter(pk=wholesaler.pk).exists()


def test_the_same_seed_gives_the_same_cards_and_a_second_seed_adds_after_the_first():
    bench_seed(customers=80, seed=3, chunk=50)
    again = bench_seed(customers=80, seed=3, chunk=50)  # the demo company is reused
    assert again.customers == 80 and Customer.objects.count() == 160
    rows = list(Customer.objects.order_by("id").values_list("name", "phone", "owner__username"))
    assert rows[:80] == rows[80:]
    assert Customer.objects.order_by("id").last().code == f"KH{Customer.objects.order_by('id').last().pk:07d}"


def test_segmented_search_text_matches_the_app_for_generated_names():
    rng = random.Random(1)
    same = total = 0
    for _ in range(300):
        area = rng.choice(AREAS)
        district = rng.choice(area.districts)
        name, short = shop_name(rng, rng.choice(ChannelLevel.values), area, district, rng.choice(district.roads))
        total += 1
        full, brief = "".join(name), "".join(short)
        same += build_search_text_segmented(name=name, short_name=short, code="KH1", phone="") == build_search_text(
            name=full, short_name=brief, code="KH1", phone=""
        )
    assert same / total > 0.95  # only readings across a part boundary may differ


def test_too_few_customers_is_refused():
    with pytest.raises(SeedError):
        bench_seed(customers=10)


def test_command_prints_the_rate():
    out = StringIO()
    call_command("bench", "seed", "--customers", "120", "--contacts-per-customer", "2", stdout=out)
    assert "Seeded 120 customers, 240 contacts" in out.getvalue() and "customers/s" in out.getvalue()


@pytest.mark.parametrize("needle", ["兴旺", "超市", "店", "北京", "海淀"])
def test_one_and_two_character_searches_find_exactly_the_substring_matches(seeded, needle):
    """On PostgreSQL these go through the grams index (migration 0006); the answer must not change."""
    director = User.objects.get(username="director")
    expected = set(
        Customer.objects.filter(search_text__contains=needle, archived_at__isnull=True).values_list("id", flat=True)
    )
    assert expected
    assert set(_list(director, q=needle).values_list("id", flat=True)) == expected
