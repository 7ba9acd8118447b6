"""customer_merge: values chosen, every related row moved, tombstone left, history and audit written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.accounts.models import AccessGrant, AuditAction, AuditEvent, GrantStatus
from kehu.core.errors import Forbidden, NotFound, VersionConflict
from kehu.customers.merge_selectors import customer_relations, merge_differences, merge_moves, survivor_id
from kehu.customers.models import Contact, Customer, CustomerGroup, GroupKind, Tag
from kehu.customers.services import customer_merge, customer_restore
from kehu.testing import World, errors_of, make_customer

pytestmark = pytest.mark.django_db


def merge(w: World, survivor: Customer, merged: Customer, choices: dict[str, str] | None = None, **kw: Any) -> Customer:
    survivor.refresh_from_db()
    merged.refresh_from_db()
    return customer_merge(
        kw.pop("user", w.cathy), survivor=survivor, merged=merged, choices=choices or {},
        survivor_version=kw.pop("survivor_version", survivor.version),
        merged_version=kw.pop("merged_version", merged.version), **kw,
    )


def twin(w: World, **fields: Any) -> Customer:
    return make_customer("北京海淀区单氏副食店（重复）", w.bob, w.beijing, **fields)


# One builder per relation to Customer: it puts a row of that kind on the merged card. A new app
# whose model points at Customer must add a builder here (test_every_relation_has_a_builder).
def _contact(w: World, card: Customer) -> None:
    Contact.objects.create(customer=card, name="王五", mobile="13900001111")


def _grant(w: World, card: Customer) -> None:
    now = timezone.now()
    AccessGrant.objects.create(
        customer=card, grantee=w.carol, requested_by=w.carol, reason="cover", days=3,
        status=GrantStatus.APPROVED, starts_at=now, expires_at=now + timedelta(days=3),
    )


def _downstream(w: World, card: Customer) -> None:
    make_customer("下游小卖部", w.alice, w.beijing, upstream=card)


def _group(w: World, card: Customer) -> None:
    CustomerGroup.objects.create(name="重点门店", kind=GroupKind.STATIC).members.add(card)


def _tag(w: World, card: Customer) -> None:
    card.tags.add(Tag.objects.create(name="夜市"))


# Sales (kehu.sales): rows written straight to the models, as kehu/sales/testing.py does.
def _product() -> Any:
    from kehu.sales.models import Product

    return Product.objects.get_or_create(sku="MERGE-1", defaults={"name": "合并测试品", "list_price": Decimal("5")})[0]


def _order(w: World, card: Customer) -> None:
    from kehu.sales.testing import make_booked_order

    make_booked_order(card, [(_product(), 2, "5.00")])


def _sold(w: World, card: Customer) -> None:
    from kehu.sales.models import Order

    Order.objects.create(number="SELL-1", customer=w.bob_card, seller=card)


def _hold(w: World, card: Customer) -> None:
    from kehu.sales.models import CreditHold, Order

    order = Order.objects.create(number="HOLD-1", customer=card, status="held", total=Decimal("9"))
    CreditHold.objects.create(order=order, customer=card, exposure=Decimal("9"), credit_limit=Decimal("0"))


def _suggestion(w: World, card: Customer) -> None:
    from kehu.sales.models import CreditSuggestion

    CreditSuggestion.objects.create(customer=card, current_limit=Decimal("0"), suggested_limit=Decimal("1000"))


def _plan(w: World, card: Customer) -> None:
    from kehu.sales.models import SalesPlan

    SalesPlan.objects.create(customer=card, month=timezone.localdate().replace(day=1))


def _payment(w: World, card: Customer) -> None:
    from kehu.sales.models import Payment

    Payment.objects.create(customer=card, amount=Decimal("3"), unallocated=Decimal("3"))


def _collection(w: World, card: Customer) -> None:
    from kehu.sales.models import Collection

    Collection.objects.create(customer=card, due_on=timezone.localdate(), amount=Decimal("3"))


def _sales_month(w: World, card: Customer) -> None:
    from kehu.sales.models import SalesMonth

    SalesMonth.objects.create(customer=card, product=_product(), month=timezone.localdate().replace(day=1, year=2020))


def _customer_month(w: World, card: Customer) -> None:
    from kehu.sales.models import CustomerMonth

    CustomerMonth.objects.create(customer=card, month=timezone.localdate().replace(day=1, year=2020))


# Field work (kehu.field).
def _visit(w: World, card: Customer) -> None:
    from kehu.field.models import Visit

    Visit.objects.create(customer=card, rep=w.alice, planned_on=timezone.localdate())


def _territory(w: World, card: Customer) -> None:
    from kehu.field.models import TerritorySuggestion

    today = timezone.localdate()
    TerritorySuggestion.objects.create(
        customer=card, from_rep=w.alice, to_rep=w.bob, period_start=today, period_end=today, why="closer"
    )


def _handover(w: World, card: Customer) -> None:
    from kehu.field.models import Handover, HandoverItem

    handover = Handover.objects.create(kind="leave", rep=w.alice, starts_on=timezone.localdate(), created_by=w.mia)
    HandoverItem.objects.create(handover=handover, customer=card, successor=w.bob)


BUILDERS = {
    "accounts.accessgrant.customer": _grant,
    "customers.contact.customer": _contact,
    "customers.customer.upstream": _downstream,
    "customers.customergroup_members.customer": _group,
    "customers.customer_tags.customer": _tag,
    "sales.order.customer": _order,
    "sales.order.seller": _sold,
    "sales.credithold.customer": _hold,
    "sales.creditsuggestion.customer": _suggestion,
    "sales.salesplan.customer": _plan,
    "sales.payment.customer": _payment,
    "sales.collection.customer": _collection,
    "sales.salesmonth.customer": _sales_month,
    "sales.customermonth.customer": _customer_month,
    "field.visit.customer": _visit,
    "field.territorysuggestion.customer": _territory,
    "field.handoveritem.customer": _handover,
}


def test_every_relation_has_a_builder() -> None:
    found = {r.key for r in customer_relations()}
    missing = found - set(BUILDERS)
    assert not missing, f"Add a row builder to this test for each new relation to Customer: {sorted(missing)}"


def test_merge_moves_every_related_row_and_nothing_but_history_points_at_the_tombstone(world: World) -> None:
    w = world
    gone = twin(w)
    for build in BUILDERS.values():
        build(w, gone)
    assert {label for label, n in merge_moves(gone)} == {r.label for r in customer_relations()}

    merge(w, w.alice_card, gone)

    # The walk: every relation Django knows of, including ones added by apps written later.
    leftovers = {}
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        model = rel.related_model
        if hasattr(model, "instance_type"):  # django-simple-history: history stays as it was
            continue
        if rel.many_to_many:
            count = getattr(gone, rel.get_accessor_name()).count()
        else:
            count = model._base_manager.filter(**{rel.field.name: gone.pk}).count()
        if model is Customer and rel.field.name == "merged_into":
            continue
        leftovers[f"{model._meta.label_lower}.{rel.field.name}"] = count
    for field in Customer._meta.many_to_many:
        leftovers[f"customer.{field.name}"] = getattr(gone, field.name).count()
    assert leftovers and not any(leftovers.values()), leftovers
    assert w.alice_card.contacts.count() == 2
    assert list(w.alice_card.groups.values_list("name", flat=True)) == ["重点门店"]
    assert list(w.alice_card.tags.values_list("name", flat=True)) == ["夜市"]
    assert w.alice_card.grants.get().grantee == w.carol
    assert list(w.alice_card.downstream.values_list("name", flat=True)) == ["下游小卖部"]


def test_tombstone_points_at_the_survivor_and_stays_archived(world: World) -> None:
    gone = twin(world)
    merge(world, world.alice_card, gone)
    gone.refresh_from_db()
    assert gone.merged_into == world.alice_card
    assert gone.is_archived and gone.merged_at is not None
    assert not Customer.objects.in_daily_work().filter(pk=gone.pk).exists()
    assert survivor_id(code=gone.code) == world.alice_card.pk
    assert survivor_id(code=gone.code.lower()) == world.alice_card.pk
    assert survivor_id(code=world.alice_card.code) is None


def test_chosen_values_win_and_defaults_fill_empty_fields(world: World) -> None:
    w = world
    gone = twin(w, phone="010-88889999", industry="副食", tier="A", credit_limit=Decimal("5000"))
    w.alice_card.custom = {"shelf": "3"}
    w.alice_card.save()
    gone.custom = {"shelf": "5", "parking": True}
    gone.save()
    names = {d.name: d for d in merge_differences(w.alice_card, gone)}
    assert names["industry"].default == "merged"  # only the merged card has one
    assert names["phone"].default == "survivor"

    survivor = merge(w, w.alice_card, gone, {"tier": "merged", "custom.shelf": "merged", "phone": "survivor"})

    survivor.refresh_from_db()
    assert (survivor.tier, survivor.industry, survivor.phone) == ("A", "副食", "010-62345678")
    assert survivor.credit_limit == Decimal("0.00")
    assert survivor.name == "北京海淀区单氏副食店"
    assert survivor.custom == {"shelf": "5", "parking": True}
    assert survivor.version == 2


def test_search_text_and_completeness_are_recomputed(world: World) -> None:
    w = world
    gone = twin(w, short_name="单氏")
    Contact.objects.create(customer=gone, name="李四", mobile="13911112222")
    before = w.alice_card.completeness
    survivor = merge(w, w.alice_card, gone, {"short_name": "merged"})
    survivor.refresh_from_db()
    assert "单氏" in survivor.search_text
    assert survivor.completeness >= before


def test_address_from_the_merged_card_is_geocoded_when_it_has_no_place(world: World) -> None:
    w = world
    survivor_card = make_customer("某店", w.alice, w.beijing)
    gone = make_customer("某店二", w.alice, w.beijing, address="浙江省杭州市西湖区文三路100号")
    survivor = merge(w, survivor_card, gone, {"address": "merged"})
    survivor.refresh_from_db()
    assert (survivor.province, survivor.city, survivor.district) == ("浙江省", "杭州市", "西湖区")


def test_history_records_the_merge_on_both_cards(world: World) -> None:
    gone = twin(world)
    merge(world, world.alice_card, gone)
    survivor_record = world.alice_card.history_records.latest("history_date")
    gone_record = Customer.history.filter(id=gone.pk).latest("history_date")
    assert survivor_record.history_change_reason == f"merged {gone.code} into this card"
    assert survivor_record.history_user == world.cathy
    assert gone_record.history_change_reason == f"merged into {world.alice_card.code}"
    assert gone_record.merged_into_id == world.alice_card.pk


def test_moved_contacts_get_a_history_record_and_a_new_version(world: World) -> None:
    gone = twin(world)
    contact = Contact.objects.create(customer=gone, name="李四")
    merge(world, world.alice_card, gone)
    contact.refresh_from_db()
    assert contact.customer == world.alice_card and contact.version == 2
    record = contact.history.latest("history_date")
    assert record.customer_id == world.alice_card.pk
    assert record.history_change_reason == f"moved from {gone.code} by a merge"


def test_one_audit_event_names_both_codes_and_the_choices(world: World) -> None:
    gone = twin(world, tier="A")
    Contact.objects.create(customer=gone, name="李四")
    merge(world, world.alice_card, gone, {"tier": "merged"})
    event = AuditEvent.objects.get(actor=world.cathy)
    assert (event.action, event.object_id) == (AuditAction.MERGE, world.alice_card.pk)
    assert event.detail["merge"] == {"survivor": world.alice_card.code, "merged": gone.code, "merged_id": gone.pk}
    assert event.detail["fields"] == ["tier"]
    assert event.detail["choices"]["tier"] == "merged"
    assert event.detail["choices"]["name"] == "survivor"
    assert event.detail["moved"] == {"customers.contact.customer": 1}


def test_tags_and_groups_are_united_not_doubled(world: World) -> None:
    w = world
    gone = twin(w)
    shared, own = Tag.objects.create(name="共有"), Tag.objects.create(name="独有")
    w.alice_card.tags.add(shared)
    gone.tags.add(shared, own)
    group = CustomerGroup.objects.create(name="组", kind=GroupKind.STATIC)
    group.members.add(w.alice_card, gone)
    merge(w, w.alice_card, gone)
    assert sorted(w.alice_card.tags.values_list("name", flat=True)) == ["共有", "独有"]
    assert list(group.members.all()) == [w.alice_card]


def test_a_survivor_supplied_by_the_merged_card_takes_its_supplier(world: World) -> None:
    w = world
    top = make_customer("总经销", w.bob, w.beijing)
    gone = make_customer("二批", w.bob, w.beijing, upstream=top)
    survivor = make_customer("二批（重复）", w.bob, w.beijing, upstream=gone)
    merge(w, survivor, gone)
    survivor.refresh_from_db()
    assert survivor.upstream == top


def test_a_merge_that_would_close_a_supply_loop_is_refused(world: World) -> None:
    w = world
    gone = make_customer("甲", w.bob, w.beijing)
    middle = make_customer("乙", w.bob, w.beijing, upstream=gone)
    survivor = make_customer("丙", w.bob, w.beijing, upstream=middle)
    errors = errors_of(merge, w=w, survivor=survivor, merged=gone)
    assert "upstream" in errors
    middle.refresh_from_db()
    assert middle.upstream == gone  # nothing half-written


def test_chains_resolve_to_the_last_survivor(world: World) -> None:
    w = world
    a, b = twin(w), make_customer("乙", w.bob, w.beijing)
    merge(w, b, a)
    merge(w, w.alice_card, b)
    assert survivor_id(customer_id=a.pk) == w.alice_card.pk
    assert survivor_id(code=a.code) == w.alice_card.pk


def test_a_card_cannot_be_merged_into_itself(world: World) -> None:
    errors = errors_of(merge, w=world, survivor=world.alice_card, merged=world.alice_card)
    assert errors == {"merged": ["A card cannot be merged into itself."]}


def test_merging_into_or_from_a_tombstone_is_refused(world: World) -> None:
    w = world
    gone = twin(w)
    merge(w, w.alice_card, gone)
    assert "survivor" in errors_of(merge, w=w, survivor=gone, merged=w.bob_card)
    assert "merged" in errors_of(merge, w=w, survivor=w.bob_card, merged=gone)


def test_an_archived_card_must_be_restored_first(world: World) -> None:
    w = world
    w.bob_card.archived_at = timezone.now()
    w.bob_card.save()
    assert "merged" in errors_of(merge, w=w, survivor=w.alice_card, merged=w.bob_card)


def test_a_tombstone_cannot_be_restored(world: World) -> None:
    gone = twin(world)
    merge(world, world.alice_card, gone)
    errors = errors_of(customer_restore, actor=world.cathy, customer_id=gone.pk)
    assert "merged into" in errors["archived_at"][0]


@pytest.mark.parametrize(
    ("name", "refusal"),
    [("alice", NotFound), ("bob", Forbidden), ("mia", Forbidden), ("dora", Forbidden), ("fiona", Forbidden),
     ("aud", Forbidden)],
)
def test_only_custodians_and_admins_merge(world: World, name: str, refusal: type[Exception]) -> None:
    gone = twin(world)  # bob's, like bob_card: alice sees neither (not found before not allowed)
    with pytest.raises(refusal):
        merge(world, world.bob_card, gone, user=getattr(world, name))
    gone.refresh_from_db()
    assert gone.merged_into is None


def test_an_admin_can_merge(world: World) -> None:
    gone = twin(world)
    merge(world, world.alice_card, gone, user=world.ada)
    gone.refresh_from_db()
    assert gone.merged_into == world.alice_card


def test_a_missing_card_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        customer_merge(world.cathy, survivor=world.alice_card.pk, merged=999999, choices={},
                       survivor_version=1, merged_version=1)


@pytest.mark.parametrize("stale", ["survivor_version", "merged_version"])
def test_a_stale_version_of_either_card_is_a_conflict(world: World, stale: str) -> None:
    gone = twin(world)
    with pytest.raises(VersionConflict) as caught:
        merge(world, world.alice_card, gone, **{stale: 0})
    assert caught.value.current.pk == (world.alice_card.pk if stale == "survivor_version" else gone.pk)
    gone.refresh_from_db()
    assert gone.merged_into is None


def test_missing_versions_and_bad_choices_are_field_errors(world: World) -> None:
    w = world
    gone = twin(w)
    errors = errors_of(
        customer_merge, user=w.cathy, survivor=w.alice_card, merged=gone, choices={},
        survivor_version=None, merged_version=None,
    )
    assert set(errors) == {"version", "merged_version"}
    errors = errors_of(merge, w=w, survivor=w.alice_card, merged=gone, choices={"code": "merged", "tier": "both"})
    assert errors["choices"] == ["code is not a field that can be merged.", "tier: choose 'survivor' or 'merged'."]
    with pytest.raises(ValidationError):
        merge(w, w.alice_card, gone, ["tier"])  # type: ignore[arg-type]


def test_purging_a_survivor_takes_its_tombstones_along(world: World) -> None:
    from kehu.customers.services import customer_purge

    w = world
    a, b = twin(w), make_customer("乙", w.bob, w.beijing)
    merge(w, b, a)
    merge(w, w.alice_card, b)
    Customer.objects.filter(pk=w.alice_card.pk).update(archived_at=timezone.now())
    customer_purge(actor=w.ada, customer_id=w.alice_card.pk, reason="test data")
    assert not Customer.objects.filter(pk__in=[a.pk, b.pk, w.alice_card.pk]).exists()
    event = AuditEvent.objects.get(action="purge")
    assert sorted(event.detail["merged_cards"]) == sorted([a.code, b.code])


def test_the_survivors_primary_contact_stays_the_only_primary(world: World) -> None:
    gone = twin(world)
    moved = Contact.objects.create(customer=gone, name="李四", is_primary=True)
    merge(world, world.alice_card, gone)
    assert list(world.alice_card.contacts.filter(is_primary=True).values_list("name", flat=True)) == ["单立新"]
    record = moved.history.latest("history_date")
    assert (record.customer_id, record.is_primary) == (world.alice_card.pk, False)


def test_a_merged_primary_contact_stays_primary_when_the_survivor_has_none(world: World) -> None:
    gone = twin(world)
    Contact.objects.create(customer=gone, name="李四", is_primary=True)
    merge(world, world.bob_card, gone)
    assert list(world.bob_card.contacts.filter(is_primary=True).values_list("name", flat=True)) == ["李四"]
