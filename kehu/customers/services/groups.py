"""Static groups and saved segments (客户系列化)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound
from kehu.customers.filters import clean_filters
from kehu.customers.models import Customer, CustomerGroup, GroupKind


def _require_editor(actor: User) -> None:
    if not scope.can_edit_groups(actor):
        raise Forbidden(_("You may not change customer groups."))


def _apply(group: CustomerGroup, data: dict[str, Any]) -> None:
    for name in ("name", "kind", "description"):
        if name in data:
            setattr(group, name, (data[name] or "").strip())
    if "filters" in data:
        group.filters = clean_filters(data["filters"] or {})
    if group.kind == GroupKind.STATIC:
        group.filters = {}
    try:
        # created_by is set by the service (and may be empty on old or imported groups), never typed.
        group.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def group_create(*, actor: User, data: dict[str, Any]) -> CustomerGroup:
    _require_editor(actor)
    group = CustomerGroup(created_by=actor)
    _apply(group, data)
    group.save()
    _audit(actor, group, "create", kind=group.kind, filters=group.filters)
    return group


@transaction.atomic
def group_update(*, actor: User, group_id: int, data: dict[str, Any]) -> CustomerGroup:
    _require_editor(actor)
    group = CustomerGroup.objects.select_for_update().filter(pk=group_id).first()
    if group is None:
        raise NotFound
    _apply(group, data)
    group.save()
    if group.kind == GroupKind.SEGMENT:
        group.members.clear()  # a segment's members follow its filter; stale static rows must not linger
    _audit(actor, group, "update", fields=sorted(set(data) & {"name", "kind", "description", "filters"}),
           filters=group.filters)
    return group


@transaction.atomic
def group_delete(*, actor: User, group_id: int) -> None:
    _require_editor(actor)
    group = CustomerGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFound
    _audit(actor, group, "delete", name=group.name, kind=group.kind)
    group.delete()


def _audit(actor: User, group: CustomerGroup, change: str, **detail: Any) -> None:
    audit_record(actor=actor, action=AuditAction.GROUP_CHANGE, obj=group, detail={"change": change, **detail})


def _static_group(actor: User, group_id: int) -> CustomerGroup:
    _require_editor(actor)
    group = CustomerGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFound
    if group.kind != GroupKind.STATIC:
        raise ValidationError({"kind": [_("A saved segment's members follow its filter; edit the filter instead.")]})
    return group


@transaction.atomic
def group_add_members(*, actor: User, group_id: int, customer_ids: Iterable[int]) -> int:
    """Add the visible customers among `customer_ids`; invisible ids are ignored as unknown."""
    group = _static_group(actor, group_id)
    ids = list(Customer.objects.visible_to(actor).filter(pk__in=list(customer_ids)).values_list("pk", flat=True))
    group.members.add(*ids)
    _audit(actor, group, "add_members", customer_ids=sorted(ids))
    return len(ids)


@transaction.atomic
def group_remove_members(*, actor: User, group_id: int, customer_ids: Iterable[int]) -> int:
    group = _static_group(actor, group_id)
    ids = list(Customer.objects.visible_to(actor).filter(pk__in=list(customer_ids)).values_list("pk", flat=True))
    group.members.remove(*ids)
    _audit(actor, group, "remove_members", customer_ids=sorted(ids))
    return len(ids)
