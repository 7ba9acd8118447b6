"""Reads for merging cards: what differs between two cards, what would move, and where a merged-away
card (a tombstone) lives on now. The writing side is services/merge.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from simple_history.utils import NotHistoricalModelError, get_history_manager_for_model

from kehu.core.errors import NotFound
from kehu.customers.custom_fields import active_fields
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get

SURVIVOR, MERGED = "survivor", "merged"
CHOICES = (SURVIVOR, MERGED)
CUSTOM_PREFIX = "custom."
# Not chosen by a person: identity, bookkeeping, facts that combine (latest visit/order), the tombstone link.
NOT_CHOSEN = {
    "id", "code", "custom", "search_text", "version", "completeness", "created_at", "updated_at",
    "archived_at", "merged_into", "merged_at", "last_visited_at", "last_ordered_at",
}
MERGE_FIELDS: tuple[str, ...] = tuple(f.name for f in Customer._meta.concrete_fields if f.name not in NOT_CHOSEN)
COMBINED_FIELDS = ("last_visited_at", "last_ordered_at")  # the survivor keeps the later of the two
MAX_CHAIN = 50


@dataclass(frozen=True)
class FieldDifference:
    name: str  # a card field, or "custom.<key>"
    label: str
    survivor_value: Any
    merged_value: Any
    survivor_display: str
    merged_display: str
    default: str  # SURVIVOR or MERGED


@dataclass(frozen=True)
class Relation:
    """One kind of row that points at a customer and moves to the survivor."""

    model: type[models.Model]
    label: str
    fk: str = ""  # a ForeignKey/OneToOne on `model` to Customer
    through_own: str = ""  # for a many-to-many: the through model's FK to Customer …
    through_other: str = ""  # … and to the other side
    is_self: bool = field(default=False)

    @property
    def is_m2m(self) -> bool:
        return bool(self.through_own)

    @property
    def key(self) -> str:
        """Stable name for the audit log: app.model.field_to_customer."""
        return f"{self.model._meta.label_lower}.{self.through_own or self.fk}"


def is_history_model(model: type[models.Model]) -> bool:
    """django-simple-history's historical models: immutable history, never moved."""
    return hasattr(model, "instance_type") and "history_id" in {f.name for f in model._meta.fields}


def has_history(model: type[models.Model]) -> bool:
    try:
        get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return False
    return True


def customer_relations() -> list[Relation]:
    """Every relation to Customer, found through the model metadata, so rows of apps added later
    (orders, visits …) move without code here. Skipped: history models and the tombstone link itself."""
    relations: list[Relation] = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        if rel.many_to_many and not rel.auto_created:  # Customer's own many-to-many (tags)
            through = rel.remote_field.through
            if through._meta.auto_created:
                relations.append(Relation(
                    through, str(rel.verbose_name), through_own=rel.m2m_field_name(),
                    through_other=rel.m2m_reverse_field_name(),
                ))
        elif rel.auto_created and not rel.concrete:
            model = rel.related_model
            if rel.many_to_many:  # another model's many-to-many to Customer (group members)
                if rel.through._meta.auto_created:
                    relations.append(Relation(
                        rel.through, str(model._meta.verbose_name_plural),
                        through_own=rel.field.m2m_reverse_field_name(), through_other=rel.field.m2m_field_name(),
                    ))
            elif model._meta.auto_created or is_history_model(model):
                continue  # an automatic through table (handled above) or history
            elif model is Customer and rel.field.name == "merged_into":
                continue
            else:
                relations.append(Relation(
                    model, _moved_label(model, rel.field), fk=rel.field.name, is_self=model is Customer,
                ))
    return relations


def _moved_label(model: type[models.Model], fk: models.Field) -> str:
    if model is Customer and fk.name == "upstream":
        return _("downstream cards")
    return str(model._meta.verbose_name_plural)


def relation_rows(relation: Relation, customer: Customer) -> models.QuerySet[Any]:
    """The rows of `relation` that point at `customer` (the base manager: no row is hidden)."""
    key = relation.through_own or relation.fk
    return relation.model._base_manager.filter(**{key: customer.pk})


def merge_moves(merged: Customer) -> list[tuple[str, int]]:
    """What moves to the survivor: (label, row count) for every relation with rows."""
    counts = [(r.label, relation_rows(r, merged).count()) for r in customer_relations()]
    return [(label, n) for label, n in counts if n]


def _display(customer: Customer, name: str) -> str:
    model_field = Customer._meta.get_field(name)
    value = getattr(customer, model_field.attname)
    if value is None or value == "":
        return ""
    if model_field.choices:
        return str(getattr(customer, f"get_{name}_display")())
    if model_field.is_relation:
        return str(getattr(customer, name))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _default(survivor_value: Any, merged_value: Any) -> str:
    return MERGED if _is_empty(survivor_value) and not _is_empty(merged_value) else SURVIVOR


def merge_differences(survivor: Customer, merged: Customer) -> list[FieldDifference]:
    """The fields where the two cards differ, with the default pick: the survivor's value, or the
    merged card's when only that one is filled in. Custom fields are compared key by key."""
    differences = []
    for name in MERGE_FIELDS:
        model_field = Customer._meta.get_field(name)
        a, b = getattr(survivor, model_field.attname), getattr(merged, model_field.attname)
        if a != b:
            differences.append(FieldDifference(
                name, str(model_field.verbose_name), a, b, _display(survivor, name), _display(merged, name),
                _default(a, b),
            ))
    labels = {f.key: f.label for f in active_fields()}
    for key in sorted(set(survivor.custom or {}) | set(merged.custom or {})):
        a, b = (survivor.custom or {}).get(key), (merged.custom or {}).get(key)
        if a != b:
            differences.append(FieldDifference(
                f"{CUSTOM_PREFIX}{key}", str(labels.get(key, key)), a, b, _custom_display(a), _custom_display(b),
                _default(a, b),
            ))
    return differences


def _custom_display(value: Any) -> str:
    if _is_empty(value):
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def survivor_id(*, customer_id: int | None = None, code: str | None = None) -> int | None:
    """The card a merged-away card now lives on (following chains A→B→C to C); None when the card
    was not merged or does not exist."""
    rows = Customer.objects.filter(pk=customer_id) if customer_id is not None else Customer.objects.filter(
        code__in={code, (code or "").upper()}
    )
    target = rows.values_list("merged_into_id", flat=True).first()
    for _step in range(MAX_CHAIN):
        if target is None:
            return None
        nxt = Customer.objects.filter(pk=target).values_list("merged_into_id", flat=True).first()
        if nxt is None:
            return target
        target = nxt
    return None


def merged_chain_ids(customer: Customer) -> list[int]:
    """Ids of the cards merged into `customer`, directly or through earlier merges."""
    found: list[int] = []
    frontier = [customer.pk]
    for _step in range(MAX_CHAIN):
        frontier = list(Customer.objects.filter(merged_into__in=frontier).values_list("pk", flat=True))
        if not frontier:
            break
        found += frontier
    return found


class MergedAway(Exception):
    """The card asked for was merged into `survivor_id` (raised by pages that follow merges)."""

    def __init__(self, code: str, survivor_id: int) -> None:
        super().__init__(code)
        self.code = code
        self.survivor_id = survivor_id


@dataclass(frozen=True)
class Resolved:
    customer: Customer
    merged_code: str = ""  # the code the caller asked for, when it was merged away


def customer_get_resolved(*, user: Any, customer_id: Any) -> Resolved:
    """The visible card with this id, or — when it was merged away — the visible card it lives on."""
    try:
        customer = customer_get(user=user, customer_id=customer_id)
    except NotFound:
        customer = None
    if customer is not None and customer.merged_into_id is None:
        return Resolved(customer)
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise NotFound from None
    target = survivor_id(customer_id=pk) if 0 < pk < 2**63 else None
    if target is None:
        raise NotFound
    code = customer.code if customer is not None else Customer.objects.filter(pk=pk).values_list("code", flat=True)[0]
    return Resolved(customer_get(user=user, customer_id=target), merged_code=code)


def merge_candidate_by_code(*, user: Any, code: str) -> Customer | None:
    """The visible, not yet merged card with this code (typed in either case), for "Merge with…"."""
    code = code.strip()
    rows = Customer.objects.visible_to(user).filter(code__in={code, code.upper()}, merged_into__isnull=True)
    return rows.first()
