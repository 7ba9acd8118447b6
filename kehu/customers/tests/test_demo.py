"""`kehu demo`: the demo company is complete, valid, consistent, deterministic and loaded once."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from kehu.accounts.models import AccessGrant, GrantStatus, OrgUnit, Role, User
from kehu.core.validators import validate_credit_code, validate_landline, validate_mobile, validate_phone
from kehu.customers.demo.places import AREAS, HQ_CODE
from kehu.customers.demo.story import GROUP_NAMES
from kehu.customers.filters import CustomerFilter, clean_filters
from kehu.customers.models import ChannelLevel, Contact, Customer, CustomerGroup, GroupKind
from kehu.customers.search import SURNAME_READINGS

L = ChannelLevel
CARDS = 200


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return run_demo("--customers", str(CARDS), "--seed", "7")


def test_it_builds_the_org_tree(demo):
    hq = OrgUnit.objects.get(code=HQ_CODE)
    units = OrgUnit.objects.filter(path__startswith=hq.path)
    assert Counter(unit.depth for unit in units) == {0: 1, 1: 3, 2: 6}
    areas = units.filter(path__regex=r"^/\d+/\d+/\d+/$")
    assert sorted(a.name for a in areas) == sorted(a.name for a in AREAS)


def test_it_seats_one_manager_and_two_reps_per_area_and_one_of_each_other_role(demo):
    roles = Counter(User.objects.values_list("role", flat=True))
    assert roles == {
        Role.MANAGER: 6,
        Role.REP: 12,
        Role.DIRECTOR: 1,
        Role.FINANCE: 1,
        Role.CUSTODIAN: 1,
        Role.AUDITOR: 1,
        Role.ADMIN: 1,
    }
    for area in AREAS:
        people = Counter(User.objects.filter(org_unit__code=area.code).values_list("role", flat=True))
        assert people == {Role.MANAGER: 1, Role.REP: 2}
    assert all("\u4e00" <= u.display_name[0] <= "\u9fff" for u in User.objects.all())
    assert User.objects.get(username="admin").is_staff


def test_it_prints_the_logins_and_the_password(demo):
    assert "kehu-demo-2026" in demo
    assert "rep_bj1" in demo and "manager_gz" in demo and "custodian" in demo


def test_every_card_and_contact_passes_the_model_validators(demo):
    errors = []
    cards = list(Customer.objects.all())
    assert len(cards) == CARDS
    for card in cards:
        try:
            card.full_clean()
        except ValidationError as exc:
            errors.append((card.code, exc.message_dict))
    for contact in Contact.objects.all():
        try:
            contact.full_clean()
        except ValidationError as exc:
            errors.append((contact.name, exc.message_dict))
    assert errors == []


def test_credit_codes_and_phones_are_well_formed(demo):
    cards = Customer.objects.all()
    codes = [c.credit_code for c in cards if c.credit_code]
    assert len(codes) > CARDS // 3
    for code in codes:
        validate_credit_code(code)
    for phone in [c.phone for c in cards if c.phone]:
        validate_phone(phone)
    contacts = Contact.objects.all()
    for contact in contacts:
        if contact.mobile:
            validate_mobile(contact.mobile)
        if contact.phone:
            validate_landline(contact.phone)
    assert Counter(c.customer_id for c in contacts).most_common(1)[0][1] <= 3


def test_cards_sit_in_real_districts_of_their_area(demo):
    for card in Customer.objects.select_related("org_unit"):
        area = next(a for a in AREAS if a.code == card.org_unit.code)
        district = next(d for d in area.districts if d.name == card.district)
        assert (card.province, card.city, card.adcode) == (area.province, area.city, district.adcode)
        if card.lat is not None:
            assert abs(float(card.lat) - district.lat) < 0.02 and abs(float(card.lng) - district.lng) < 0.02
    precisions = Counter(Customer.objects.values_list("geo_precision", flat=True))
    assert precisions["district"] > precisions["exact"] > 0


def test_upstream_chains_run_retailer_to_wholesaler_to_distributor_inside_one_area(demo):
    allowed = {
        L.DISTRIBUTOR: set(),
        L.WHOLESALER: {L.DISTRIBUTOR},
        L.SUB_WHOLESALER: {L.WHOLESALER},
        L.RETAILER: {L.WHOLESALER, L.SUB_WHOLESALER},
        L.END_USER: {L.DISTRIBUTOR, L.WHOLESALER},
    }
    cards = {c.pk: c for c in Customer.objects.all()}
    assert Counter(c.channel_level for c in cards.values())[L.DISTRIBUTOR] >= 2 * len(AREAS)
    for card in cards.values():
        if card.channel_level == L.DISTRIBUTOR:
            assert card.upstream_id is None
            continue
        if card.upstream_id is None:
            assert card.channel_level in (L.RETAILER, L.END_USER)
            continue
        upstream = cards[card.upstream_id]
        assert upstream.channel_level in allowed[card.channel_level]
        assert upstream.org_unit_id == card.org_unit_id
        top = upstream
        while top.upstream_id:
            top = cards[top.upstream_id]
            assert top.org_unit_id == card.org_unit_id
        assert top.channel_level == L.DISTRIBUTOR
    retailers = [c for c in cards.values() if c.channel_level == L.RETAILER]
    linked = [c for c in retailers if c.upstream_id]
    assert len(linked) > 0.8 * len(retailers)


def test_every_card_has_search_text_completeness_and_a_creation_record(demo):
    cards = Customer.objects.all()
    assert all(c.search_text and c.code.lower() in c.search_text for c in cards)
    created = Customer.history.filter(history_type="+")
    assert created.count() == CARDS
    assert not created.filter(history_user=None).exists()
    scores = [c.completeness for c in cards]
    assert min(scores) < 45 and max(scores) >= 95
    contact_records = Contact.history.filter(history_type="+")
    assert contact_records.count() == Contact.objects.count()


def test_history_shows_who_changed_what(demo):
    updates = list(Customer.history.filter(history_type="~").select_related("history_user"))
    assert len(updates) > CARDS // 3
    assert all(u.history_user is not None for u in updates)
    changed = [u for u in updates if u.prev_record and u.diff_against(u.prev_record).changes]
    assert len(changed) == len(updates)
    editors = {u.history_user.role for u in updates}
    assert {Role.REP, Role.MANAGER, Role.FINANCE} <= editors
    card = Customer.objects.get(pk=updates[0].id)
    assert card.version == 1 + Customer.history.filter(id=card.pk, history_type="~").count()


def test_some_cards_are_stale_archived_or_near_duplicates(demo):
    live = Customer.objects.in_daily_work()
    assert 0.1 * CARDS < live.stale().count() < 0.5 * CARDS
    assert Customer.objects.archived().count() >= 2
    phones = Counter(c.phone.replace("-", "") for c in Customer.objects.exclude(phone=""))
    assert sum(1 for n in phones.values() if n == 2) >= 5


def test_groups_segments_tags_and_custom_fields_are_filled(demo):
    groups = CustomerGroup.objects.all()
    assert Counter(g.kind for g in groups) == {GroupKind.STATIC: 4, GroupKind.SEGMENT: 2}
    assert {g.name for g in groups} == set(GROUP_NAMES)
    for group in groups:
        if group.kind == GroupKind.SEGMENT:
            assert clean_filters(group.filters) == group.filters
        else:
            assert group.members.exists()
    assert Customer.objects.filter(tags__name="重点维护").exists()
    assert Customer.objects.exclude(custom={}).count() > CARDS // 2


def test_cards_are_lent_across_areas(demo):
    grants = AccessGrant.objects.select_related("customer__org_unit", "grantee__org_unit")
    statuses = Counter(g.status for g in grants)
    assert statuses[GrantStatus.PENDING] == 1 and statuses[GrantStatus.REFUSED] == 1
    active = [g for g in grants if g.is_active]
    assert len(active) == 2 and sum(1 for g in grants if g.is_expired) == 1
    for grant in active:
        assert grant.grantee.role == Role.REP
        assert grant.grantee.org_unit_id != grant.customer.org_unit_id
        assert Customer.objects.visible_to(grant.grantee).filter(pk=grant.customer_id).exists()


def test_running_it_again_changes_nothing(demo):
    before = (
        Customer.objects.count(),
        User.objects.count(),
        Contact.objects.count(),
        OrgUnit.objects.count(),
    )
    out = run_demo("--customers", str(CARDS))
    assert "already loaded" in out
    assert "kehu-demo-2026" in out
    after = (Customer.objects.count(), User.objects.count(), Contact.objects.count(), OrgUnit.objects.count())
    assert after == before


def test_the_same_seed_gives_the_same_cards(db):
    def snapshot() -> list[tuple[str, ...]]:
        return list(
            Customer.objects.order_by("code").values_list("code", "name", "phone", "credit_code", "district")
        )

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        run_demo("--customers", "80", "--seed", "11")
        first = snapshot()
        raise Rollback
    run_demo("--customers", "80", "--seed", "11")
    assert snapshot() == first
    assert len(first) == 80


def test_if_empty_leaves_a_database_with_customers_alone(world):
    out = run_demo("--customers", "80", "--if-empty")
    assert "not loaded" in out
    assert not OrgUnit.objects.filter(code=HQ_CODE).exists()


def test_it_loads_next_to_existing_data(world):
    run_demo("--customers", "80")
    assert Customer.objects.count() == 3 + 80
    assert Customer.objects.filter(code__startswith="KH").count() == 80


def test_it_refuses_clearly_when_names_are_taken(db):
    User.objects.create_user("admin", password="x-long-enough-1")
    with pytest.raises(CommandError, match="users admin already exist"):
        run_demo("--customers", "80")
    assert not OrgUnit.objects.filter(code=HQ_CODE).exists()


def test_it_refuses_too_few_customers(db):
    with pytest.raises(CommandError, match="at least"):
        run_demo("--customers", "10")


def test_family_shops_are_found_by_the_surname_reading_of_their_name(demo):
    second = {"记": "ji", "氏": "shi", "家": "jia"}
    live = Customer.objects.in_daily_work()  # the list hides archived cards
    family = [c for c in live if c.name[0] in SURNAME_READINGS and c.name[1] in second]
    assert family
    for card in family:
        query = SURNAME_READINGS[card.name[0]][0] + second[card.name[1]]  # 曾记 → zengji, 单氏 → shanshi
        assert card in CustomerFilter({"q": query}, queryset=Customer.objects.all()).qs
