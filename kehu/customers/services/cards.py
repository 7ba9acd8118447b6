"""Creating, editing, archiving, restoring and purging customer cards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, OrgUnit, Role, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_version
from kehu.customers.completeness import completeness_score
from kehu.customers.custom_fields import active_fields, custom_values_clean
from kehu.customers.dedupe import LikelyDuplicates, likely_duplicates
from kehu.customers.geocode import GEO_MESSAGE_KEY, fill_from_address
from kehu.customers.merge_selectors import merged_chain_ids
from kehu.customers.models import Contact, Customer, GeoPrecision, Tag
from kehu.customers.search import build_search_text

NOT_CARD_FIELDS = {
    "id", "search_text", "version", "completeness", "created_at", "updated_at", "archived_at",
    "last_visited_at", "last_ordered_at", "tags",
}
CARD_FIELDS: frozenset[str] = frozenset(
    f.name for f in Customer._meta.get_fields() if f.concrete and f.name not in NOT_CARD_FIELDS
) | {"tags"}
SENSITIVE_HISTORY = {"credit_code"}


def _field_value(customer: Customer, name: str) -> Any:
    field = Customer._meta.get_field(name)
    return getattr(customer, field.attname)


def _assign(customer: Customer, data: dict[str, Any]) -> list[str]:
    """Set plain fields; return the names that changed."""
    changed = []
    for name, value in data.items():
        if name in ("tags", "custom"):
            continue
        field = Customer._meta.get_field(name)
        new = value.pk if isinstance(value, models.Model) else value
        if isinstance(new, str):
            new = new.upper().strip() if name == "credit_code" else new.strip()
        try:
            # Compare as the field's own type: "0.00" is the same credit limit as Decimal("0").
            new = field.to_python(new)
        except ValidationError:
            pass  # kept as given; full_clean reports it under the field's name
        if getattr(customer, field.attname) != new:
            setattr(customer, field.attname, new)
            changed.append(name)
    return changed


def _check_placement(actor: User, customer: Customer, changed: set[str] | None = None) -> None:
    """Reps keep the cards they write; reps and managers keep them inside their own subtree.

    `changed` is None on creation; on update the org-unit rule applies only when the card moves.
    """
    errors: dict[str, list[str]] = {}
    if customer.owner_id and not User.objects.filter(pk=customer.owner_id, is_active=True).exists():
        errors["owner"] = [_("This user does not exist or is inactive.")]
    if actor.role == Role.REP and customer.owner_id != actor.pk:
        errors["owner"] = [_("A sales rep can only own cards they write themselves.")]
    moving = changed is None or bool({"owner", "org_unit"} & changed)
    if moving and actor.role in (Role.REP, Role.MANAGER) and actor.org_unit:
        allowed = OrgUnit.objects.filter(path__startswith=actor.org_unit.path, pk=customer.org_unit_id)
        if not customer.org_unit_id or not allowed.exists():
            errors["org_unit"] = [_("Choose an org unit inside your own area.")]
        owner_units = OrgUnit.objects.filter(path__startswith=actor.org_unit.path).values("id")
        if customer.owner_id and not User.objects.filter(pk=customer.owner_id, org_unit__in=owner_units).exists():
            errors["owner"] = [_("Choose an owner inside your own area.")]
    if customer.upstream_id:
        if customer.upstream_id == customer.pk:
            errors["upstream"] = [_("A customer cannot be its own upstream supplier.")]
        elif not Customer.objects.visible_to(actor).filter(pk=customer.upstream_id).exists():
            errors["upstream"] = [_("No such customer.")]
        elif customer.pk and _creates_cycle(customer.pk, customer.upstream_id):
            errors["upstream"] = [_("This supplier is already downstream of the customer (a loop).")]
    if errors:
        raise ValidationError(errors)


def _creates_cycle(customer_id: int, upstream_id: int) -> bool:
    seen, current = {customer_id}, upstream_id
    for _step in range(50):
        if current in seen:
            return True
        seen.add(current)
        nxt = Customer.objects.filter(pk=current).values_list("upstream_id", flat=True).first()
        if nxt is None:
            return False
        current = nxt
    return True


def _default_org_unit(customer: Customer) -> None:
    if customer.owner_id and not customer.org_unit_id:
        customer.org_unit_id = User.objects.filter(pk=customer.owner_id).values_list("org_unit_id", flat=True).first()


def _refresh_derived(customer: Customer) -> None:
    customer.search_text = build_search_text(
        name=customer.name, short_name=customer.short_name, code=customer.code, phone=customer.phone
    )
    contacts = list(Contact.objects.filter(customer=customer)) if customer.pk else []
    customer.completeness = completeness_score(customer, contacts, active_fields())


def _set_tags(customer: Customer, names: list[str]) -> bool:
    clean = sorted({n.strip()[:40] for n in names if n and n.strip()})
    current = sorted(customer.tags.values_list("name", flat=True))
    if clean == current:
        return False
    tags = [Tag.objects.get_or_create(name=n)[0] for n in clean]
    customer.tags.set(tags)
    return True


def _geocoded(data: dict[str, Any]) -> dict[str, Any]:
    """A card given only a free-text address gets its province/city/district (and a district centroid)
    from the offline geocoder. An ambiguous address leaves the parts empty for a person to fill."""
    filled = fill_from_address(data)
    filled.pop(GEO_MESSAGE_KEY, None)
    return filled


def _pinned(data: dict[str, Any], customer: Customer | None) -> dict[str, Any]:
    """A point a person gives (picked on the map, typed, a visit's GPS fix) is exact: precision
    "exact" unless the same data sets another precision on purpose. The geocoder's centroids come
    with their own precision and never pass here."""
    lat, lng = data.get("lat"), data.get("lng")
    if lat in (None, "") or lng in (None, ""):
        return data
    if customer is None:
        given = data.get("geo_precision")
        if given in (None, "", GeoPrecision.NONE):
            return {**data, "geo_precision": GeoPrecision.EXACT}
        return data
    moved = not (_same_number(lat, customer.lat) and _same_number(lng, customer.lng))
    precision_kept = data.get("geo_precision", customer.geo_precision) == customer.geo_precision
    if moved and precision_kept:
        return {**data, "geo_precision": GeoPrecision.EXACT}
    return data


def _same_number(value: Any, current: Any) -> bool:
    try:
        return current is not None and Decimal(str(value)) == current
    except ArithmeticError:  # not a number: validation reports it
        return False


def _next_code() -> str:
    """KH + the number after the highest id, skipping codes already typed in by hand."""
    number = (Customer.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    while Customer.objects.filter(code=f"KH{number:07d}").exists():
        number += 1
    return f"KH{number:07d}"


def _validate(customer: Customer, exclude: list[str] | None = None) -> None:
    try:
        # The upstream is checked against what the actor may see (_check_placement), so an invisible
        # card and a missing one get the same message.
        customer.full_clean(exclude=["code", "upstream", *(exclude or [])], validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if customer.code:
        clash = Customer.objects.filter(code=customer.code).exclude(pk=customer.pk)
        if clash.exists():
            raise ValidationError({"code": [_("Another card already has the code %(code)s.") % {"code": customer.code}]})


@transaction.atomic
def customer_create(
    *, actor: User, data: dict[str, Any], request: HttpRequest | None = None, confirm_duplicates: bool = True
) -> Customer:
    """Create a card. With `confirm_duplicates=False`, a valid card that looks like visible cards is not
    written and LikelyDuplicates lists them, so a person can look before creating a twin."""
    if not scope.can_create(actor):
        raise Forbidden(_("You may not create customer cards."))
    unknown = set(data) - CARD_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    data = _geocoded(_pinned(data, None))
    customer = Customer()
    if actor.role == Role.REP and not data.get("owner"):
        customer.owner_id = actor.pk
    _assign(customer, data)
    if not customer.owner_id and actor.role == Role.MANAGER:
        customer.owner_id = actor.pk
    _default_org_unit(customer)
    customer.custom = custom_values_clean(active_fields(), data.get("custom") or {}, {})
    _validate(customer)
    _check_placement(actor, customer)
    if not confirm_duplicates:
        matches = likely_duplicates(user=actor, data=vars(customer))
        if matches:
            raise LikelyDuplicates(matches)
    for _attempt in range(5):
        code_given = bool(customer.code)
        customer.code = customer.code or _next_code()
        _refresh_derived(customer)
        customer._history_user = actor  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                customer.save()
            break
        except IntegrityError:
            if code_given:
                raise ValidationError({"code": [_("Another card already has this code.")]}) from None
            customer.pk, customer.code = None, ""
    else:  # never hand back a card that was not saved
        raise ValidationError({"code": [_("No free card code was found; please save again.")]})
    if data.get("tags"):
        _set_tags(customer, list(data["tags"]))
    audit_record(actor=actor, action=AuditAction.CREATE, obj=customer, request=request)
    return customer


def customer_get_for_update(*, actor: User, customer_id: int) -> Customer:
    customer = (
        Customer.objects.visible_to(actor).select_for_update(of=("self",)).select_related("org_unit").filter(pk=customer_id).first()
    )
    if customer is None:
        raise NotFound
    return customer


@transaction.atomic
def customer_update(
    *, actor: User, customer_id: int, data: dict[str, Any], version: int | None,
    request: HttpRequest | None = None,
) -> Customer:
    """Apply `data` if `version` is still current; otherwise raise VersionConflict with the card."""
    customer = customer_get_for_update(actor=actor, customer_id=customer_id)
    allowed = scope.editable_fields(actor, customer, CARD_FIELDS)
    if not allowed:
        raise Forbidden(_("You may not edit this card."))
    if version is None:
        raise ValidationError({"version": [_("Send the version you edited so concurrent edits are caught.")]})
    if parse_version(version) != customer.version:
        raise VersionConflict(customer)
    unknown = set(data) - CARD_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    data = _pinned(data, customer)
    if "address" in data and "address" in allowed and data["address"] != customer.address:
        exact = customer.geo_precision == GeoPrecision.EXACT
        data = _geocoded({"lat": customer.lat, "lng": customer.lng, **data} if exact else data)
    before = {name: _field_value(customer, name) for name in data if name not in ("tags",)}
    changed = _assign(customer, data)
    if "custom" in data:
        new_custom = custom_values_clean(active_fields(), data["custom"] or {}, customer.custom)
        if new_custom != customer.custom:
            customer.custom = new_custom
            changed.append("custom")
    refused = [name for name in changed if name not in allowed]
    if refused:
        raise ValidationError({name: [_("You may not change this field.")] for name in refused})
    _default_org_unit(customer)
    _validate(customer)
    if {"owner", "org_unit", "upstream"} & set(changed):
        _check_placement(actor, customer, set(changed))
    tags_changed = "tags" in data and "tags" in allowed and _set_tags(customer, list(data["tags"] or []))
    if not changed and not tags_changed:
        return customer
    customer.version += 1
    customer.updated_at = timezone.now()
    _refresh_derived(customer)
    customer._history_user = actor  # type: ignore[attr-defined]
    customer.save()
    detail = {"fields": changed + (["tags"] if tags_changed else [])}
    if "owner" in changed:
        detail["owner"] = [before.get("owner"), customer.owner_id]
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=customer, request=request, detail=detail)
    return customer


def _touch(customer: Customer, actor: User, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.version += 1
    customer.updated_at = timezone.now()
    customer._history_user = actor  # type: ignore[attr-defined]
    customer.save()


@transaction.atomic
def customer_archive(*, actor: User, customer_id: int, request: HttpRequest | None = None) -> Customer:
    customer = customer_get_for_update(actor=actor, customer_id=customer_id)
    if not scope.can_edit(actor, customer):
        raise Forbidden(_("You may not archive this card."))
    _touch(customer, actor, archived_at=timezone.now())
    audit_record(actor=actor, action=AuditAction.ARCHIVE, obj=customer, request=request)
    return customer


@transaction.atomic
def customer_restore(*, actor: User, customer_id: int, request: HttpRequest | None = None) -> Customer:
    customer = customer_get_for_update(actor=actor, customer_id=customer_id)
    if not scope.can_restore(actor):
        raise Forbidden(_("Only a data custodian can restore archived cards."))
    if not customer.is_archived:
        raise ValidationError({"archived_at": [_("This card is not archived.")]})
    if customer.merged_into_id:
        survivor = Customer.objects.filter(pk=customer.merged_into_id).values_list("code", flat=True).first()
        raise ValidationError({"archived_at": [
            _("This card was merged into %(code)s and cannot be restored; open that card instead.") % {"code": survivor}
        ]})
    _touch(customer, actor, archived_at=None)
    audit_record(actor=actor, action=AuditAction.RESTORE, obj=customer, request=request)
    return customer


@transaction.atomic
def customer_purge(*, actor: User, customer_id: int, reason: str, request: HttpRequest | None = None) -> None:
    """Delete a card for good (admin only). The audit row keeps who, when, what and why."""
    customer = customer_get_for_update(actor=actor, customer_id=customer_id)
    if not scope.can_purge(actor):
        raise Forbidden(_("Only an administrator can purge a card."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the card is purged; the reason is kept in the audit log.")]})
    if not customer.is_archived:
        raise ValidationError({"archived_at": [_("Archive the card before purging it.")]})
    # Cards merged into this one live on in it, so they go with it (their history records stay).
    tombstones = list(Customer.objects.filter(pk__in=merged_chain_ids(customer)))
    detail = {"code": customer.code, "name": customer.name, "reason": reason.strip()}
    if tombstones:
        detail["merged_cards"] = [t.code for t in tombstones]
    audit_record(actor=actor, action=AuditAction.PURGE, obj=customer, request=request, detail=detail)
    Customer.objects.filter(upstream=customer).update(upstream=None)
    Customer.objects.filter(pk__in=[t.pk for t in tombstones]).update(merged_into=None)
    for card in [*tombstones, customer]:
        card._history_user = actor  # type: ignore[attr-defined]
        card.delete()
