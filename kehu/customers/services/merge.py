"""Merging a duplicate card into the card that survives.

The survivor takes the chosen value of every differing field; every row that points at the merged
card (contacts, group memberships, tags, loans, downstream cards, and rows of any other app, found
through the model metadata) moves to the survivor; the merged card stays as an archived tombstone
(`merged_into`) so its code and links resolve to the survivor. One transaction, one audit event.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import get_history_manager_for_model

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_version
from kehu.customers.merge_hooks import merge_hooks_run
from kehu.customers.merge_selectors import (
    CHOICES,
    COMBINED_FIELDS,
    CUSTOM_PREFIX,
    MERGE_FIELDS,
    MERGED,
    Relation,
    customer_relations,
    has_history,
    merge_differences,
    relation_rows,
)
from kehu.customers.models import Contact, Customer
from kehu.customers.services.cards import _check_placement, _creates_cycle, _geocoded, _refresh_derived, _validate

MOVE_BATCH = 500  # ids per UPDATE … WHERE id IN (…): well under SQLite's bound-parameter limit
PLACE_FIELDS = ("province", "city", "district", "street", "adcode", "lat", "lng", "geo_precision")


def merge_reason_survivor(code: str) -> str:
    # Stored in the history record as is (history is not translated); the history tab shows it translated.
    return f"merged {code} into this card"


def merge_reason_merged(code: str) -> str:
    return f"merged into {code}"


def _pk(card: Customer | int) -> int:
    return card.pk if isinstance(card, Customer) else int(card)


def _lock_pair(actor: User, survivor_id: int, merged_id: int) -> tuple[Customer, Customer]:
    rows = Customer.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk__in=[survivor_id, merged_id])
    found = {c.pk: c for c in rows.order_by("pk")}  # one lock order: no deadlock between two merges
    if survivor_id not in found or merged_id not in found:
        raise NotFound
    return found[survivor_id], found[merged_id]


def _check_pair(actor: User, survivor: Customer, merged: Customer) -> None:
    if survivor.merged_into_id:
        raise ValidationError({"survivor": [
            _("%(code)s was already merged into another card; merge into that card instead.") % {"code": survivor.code}
        ]})
    if merged.merged_into_id:
        raise ValidationError({"merged": [
            _("%(code)s was already merged into another card.") % {"code": merged.code}
        ]})
    for key, card in (("survivor", survivor), ("merged", merged)):
        if card.is_archived:
            raise ValidationError({key: [
                _("%(code)s is archived; restore it before merging.") % {"code": card.code}
            ]})
        if not scope.can_edit(actor, card):
            raise Forbidden(_("You may not edit %(code)s.") % {"code": card.code})


def merge_check(user: User, *, survivor: Customer, merged: Customer) -> None:
    """Raise what customer_merge would refuse before it writes anything (for the wizard's first page)."""
    if not scope.can_merge(user):
        raise Forbidden(_("Only a custodian or an administrator can merge cards."))
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": [_("A card cannot be merged into itself.")]})
    _check_pair(user, survivor, merged)


def _check_versions(survivor: Customer, merged: Customer, survivor_version: Any, merged_version: Any) -> None:
    errors = {}
    if survivor_version is None:
        errors["version"] = [_("Send the version of the surviving card you looked at.")]
    if merged_version is None:
        errors["merged_version"] = [_("Send the version of the merged card you looked at.")]
    if errors:
        raise ValidationError(errors)
    if parse_version(survivor_version) != survivor.version:
        raise VersionConflict(survivor)
    try:
        stale = parse_version(merged_version) != merged.version
    except ValidationError as exc:
        raise ValidationError({"merged_version": exc.message_dict["version"]}) from None
    if stale:
        raise VersionConflict(merged)


def _clean_choices(choices: Any) -> dict[str, str]:
    if choices is None:
        return {}
    if not isinstance(choices, dict):
        raise ValidationError({"choices": [_("Choices must map a field name to 'survivor' or 'merged'.")]})
    errors = []
    for name, pick in choices.items():
        if not isinstance(name, str) or not (name in MERGE_FIELDS or name.startswith(CUSTOM_PREFIX)):
            errors.append(_("%(name)s is not a field that can be merged.") % {"name": name})
        elif pick not in CHOICES:
            errors.append(_("%(name)s: choose 'survivor' or 'merged'.") % {"name": name})
    if errors:
        raise ValidationError({"choices": errors})
    return dict(choices)


def _apply_choices(survivor: Customer, merged: Customer, choices: dict[str, str]) -> dict[str, str]:
    """Give the survivor the chosen values; return every differing field with the side it came from."""
    picks: dict[str, str] = {}
    custom = dict(survivor.custom or {})
    address_before = survivor.address
    for diff in merge_differences(survivor, merged):
        picks[diff.name] = choices.get(diff.name, diff.default)
        if picks[diff.name] != MERGED:
            continue
        if diff.name.startswith(CUSTOM_PREFIX):
            key = diff.name.removeprefix(CUSTOM_PREFIX)
            if diff.merged_value is None:
                custom.pop(key, None)
            else:
                custom[key] = diff.merged_value
        else:
            setattr(survivor, Customer._meta.get_field(diff.name).attname, diff.merged_value)
    survivor.custom = custom
    for name in COMBINED_FIELDS:
        values = [v for v in (getattr(survivor, name), getattr(merged, name)) if v is not None]
        setattr(survivor, name, max(values) if values else None)
    if survivor.address != address_before:
        # The same rule as an edit: an address with no place of its own is placed by the geocoder.
        place = {name: getattr(survivor, name) for name in PLACE_FIELDS}
        for name, value in _geocoded({"address": survivor.address, **place}).items():
            if name in PLACE_FIELDS:
                setattr(survivor, name, value)
    if survivor.upstream_id == merged.pk:  # the survivor was supplied by the card it absorbs
        survivor.upstream_id = merged.upstream_id
    if survivor.upstream_id == survivor.pk:
        survivor.upstream_id = None
    return picks


def _move(relation: Relation, survivor: Customer, merged: Customer, actor: User, reason: str) -> int:
    rows = relation_rows(relation, merged)
    if relation.is_m2m:
        # A row the survivor already has (the same group, the same tag) is dropped, not doubled.
        have = relation.model._base_manager.filter(**{relation.through_own: survivor.pk}).values(relation.through_other)
        moved = rows.exclude(**{f"{relation.through_other}__in": have}).update(**{relation.through_own: survivor.pk})
        rows.delete()
        return moved
    if relation.is_self:
        rows = rows.exclude(pk=survivor.pk)  # the survivor's own upstream is set by _apply_choices
    changes: dict[str, Any] = {relation.fk: survivor.pk}
    field_names = {f.name for f in relation.model._meta.concrete_fields}
    if "version" in field_names:  # an edit of a moved row started before the merge is stale now
        changes["version"] = F("version") + 1
    if "updated_at" in field_names:
        changes["updated_at"] = timezone.now()
    if not has_history(relation.model):
        return rows.update(**changes)
    # One UPDATE, then one history row per moved row (bulk_update's CASE per row took seconds).
    ids = list(rows.values_list("pk", flat=True))
    manager = relation.model._base_manager
    history = get_history_manager_for_model(relation.model)
    for start in range(0, len(ids), MOVE_BATCH):
        batch = ids[start:start + MOVE_BATCH]
        manager.filter(pk__in=batch).update(**changes)
        history.bulk_history_create(
            list(manager.filter(pk__in=batch)), update=True, default_user=actor, default_change_reason=reason,
        )
    return len(ids)


def _move_all(survivor: Customer, merged: Customer, actor: User) -> dict[str, int]:
    moved: dict[str, int] = {}
    if Contact.objects.filter(customer=survivor, is_primary=True).exists():
        # One primary contact per card: the survivor's stays primary (the move records the change).
        Contact.objects.filter(customer=merged, is_primary=True).update(is_primary=False)
    reason = f"moved from {merged.code} by a merge"
    for relation in customer_relations():
        try:
            with transaction.atomic():
                count = _move(relation, survivor, merged, actor, reason)
        except IntegrityError:
            # A row that may exist once per customer (a one-to-one, a unique pair) exists on both cards.
            raise ValidationError({"merged": [
                _("Both cards have %(rows)s that may exist only once per customer; resolve them before merging.")
                % {"rows": relation.label}
            ]}) from None
        if count:
            moved[relation.key] = count
    return moved


def _save(card: Customer, actor: User, reason: str) -> None:
    card.version += 1
    card.updated_at = timezone.now()
    card._history_user = actor  # type: ignore[attr-defined]
    card._change_reason = reason  # type: ignore[attr-defined]
    card.save()


@transaction.atomic
def customer_merge(
    user: User, *, survivor: Customer | int, merged: Customer | int, choices: dict[str, str] | None,
    survivor_version: Any, merged_version: Any, request: HttpRequest | None = None,
) -> Customer:
    """Merge `merged` into `survivor`. `choices` maps a differing field (custom fields as `custom.<key>`)
    to "survivor" or "merged"; a field left out keeps the default (the survivor's value, or the merged
    card's when only that one is filled in). Both versions must be current (else VersionConflict)."""
    keep, gone = _lock_pair(user, _pk(survivor), _pk(merged))  # an invisible card: 404 before 403
    merge_check(user, survivor=keep, merged=gone)
    _check_versions(keep, gone, survivor_version, merged_version)
    picked = _clean_choices(choices)
    picks = _apply_choices(keep, gone, picked)
    taken = [name for name, pick in picks.items() if pick == MERGED]
    merge_hooks_run(survivor=keep, merged=gone)  # other apps fold or refuse first (kehu/customers/merge_hooks.py)
    moved = _move_all(keep, gone, user)
    _validate(keep)
    placement = {"owner", "org_unit", "upstream"} & set(taken)
    if placement:
        _check_placement(user, keep, placement)
    if keep.upstream_id and _creates_cycle(keep.pk, keep.upstream_id):
        # A card downstream of the merged one supplies the survivor: moving it would close a loop.
        raise ValidationError({"upstream": [_("This supplier is already downstream of the customer (a loop).")]})
    now = timezone.now()
    _refresh_derived(keep)
    _save(keep, user, merge_reason_survivor(gone.code))
    gone.archived_at = gone.merged_at = now
    gone.merged_into = keep
    _save(gone, user, merge_reason_merged(keep.code))
    detail = {
        "merge": {"survivor": keep.code, "merged": gone.code, "merged_id": gone.pk},
        "fields": taken,
        "choices": picks,
        "moved": moved,
    }
    audit_record(actor=user, action=AuditAction.MERGE, obj=keep, request=request, detail=detail)
    return keep
