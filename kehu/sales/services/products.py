"""Writing the product catalogue and its price lists (one price per product and channel level).

The catalogue is company data, not customer data: everyone signed in reads it, only the roles of
`scope.can_manage_catalogue` (director, custodian, admin) write it. A product's channel prices are
part of its record: changing them bumps the product's `version`, so an edit of the product and an
edit of its price list cannot silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.audit import audit_record
from kehu.accounts.models import AuditAction, User
from kehu.core.errors import Forbidden, NotFound, VersionConflict, parse_version
from kehu.customers.models import ChannelLevel
from kehu.sales.models import Product, ProductPrice
from kehu.sales.selectors.products import product_search_text

PRODUCT_FIELDS = frozenset({"sku", "name", "spec", "unit", "pack_size", "category", "list_price", "is_active"})
TEXT_FIELDS = ("sku", "name", "spec", "unit", "category")
LEVELS = frozenset(ChannelLevel.values)
PriceMap = Mapping[str, Decimal | str | None]


def _require_catalogue(actor: User) -> None:
    if not scope.can_manage_catalogue(actor):
        raise Forbidden(_("Only a director, a data custodian or an administrator may change the product catalogue."))


def _refuse_unknown(data: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = set(data) - known
    if unknown:
        raise ValidationError({str(name)[:100]: [_("This field cannot be set.")] for name in sorted(unknown)})


def _assign(product: Product, data: Mapping[str, Any]) -> list[str]:
    """Set the given fields (as the field's own type); return the names that changed."""
    changed = []
    for name, value in data.items():
        field = Product._meta.get_field(name)
        new = value.strip() if isinstance(value, str) else value
        try:
            new = field.to_python(new)
        except ValidationError:
            pass  # kept as given: full_clean reports it under the field's name
        if isinstance(new, Decimal) and new.is_finite() and isinstance(field, models.DecimalField):
            exact = new.quantize(Decimal(1).scaleb(-field.decimal_places))
            new = exact if exact == new else new  # 6.5 is 6.50; 6.505 stays for full_clean to refuse
        if getattr(product, name) != new:
            setattr(product, name, new)
            changed.append(name)
    return changed


def _full_clean(product: Product) -> None:
    errors: dict[str, list[str]] = {}
    for name in TEXT_FIELDS:
        if "\x00" in str(getattr(product, name) or ""):  # PostgreSQL text cannot hold it
            errors[name] = [_("Text cannot contain NUL (\\x00) characters.")]
    try:
        product.full_clean(exclude=["search_text"], validate_unique=False)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if isinstance(product.pack_size, int) and product.pack_size < 1 and "pack_size" not in errors:
        errors["pack_size"] = [_("Must be 1 or more.")]
    if errors:
        raise ValidationError(errors)


def _validate(product: Product) -> None:
    _full_clean(product)
    clash = Product.objects.filter(sku__iexact=product.sku).exclude(pk=product.pk)
    if clash.exists():
        raise ValidationError({"sku": [_("Another product already has the SKU %(sku)s.") % {"sku": product.sku}]})


def _clean_prices(prices: PriceMap) -> dict[str, Decimal | None]:
    """Channel level → price (None or "" removes the level's price: the list price applies)."""
    if not isinstance(prices, Mapping):
        raise ValidationError({"prices": [_("Send the prices as an object: channel level → price.")]})
    field = ProductPrice._meta.get_field("price")
    clean: dict[str, Decimal | None] = {}
    errors: dict[str, list[str]] = {}
    for level, raw in prices.items():
        key = f"prices.{str(level)[:40]}"
        if level not in LEVELS:
            errors[key] = [_("Not a channel level; use one of: %(levels)s.") % {"levels": ", ".join(ChannelLevel.values)}]
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            clean[level] = None
            continue
        try:
            value = field.clean(Decimal(str(raw).strip()) if isinstance(raw, str) else raw, None)
        except (ValidationError, InvalidOperation, TypeError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [_("Enter a number.")]
            errors[key] = list(messages)
            continue
        clean[level] = value.quantize(Decimal("0.01"))
    if errors:
        raise ValidationError(errors)
    return clean


def _apply_prices(product: Product, prices: dict[str, Decimal | None]) -> dict[str, list[str | None]]:
    """Write the changed channel prices; return {level: [old, new]} of those that changed."""
    current = dict(ProductPrice.objects.filter(product=product).values_list("channel_level", "price"))
    changes: dict[str, list[str | None]] = {}
    for level, price in prices.items():
        old = current.get(level)
        if old == price:
            continue
        if price is None:
            ProductPrice.objects.filter(product=product, channel_level=level).delete()
        else:
            ProductPrice.objects.update_or_create(product=product, channel_level=level, defaults={"price": price})
        changes[level] = [None if old is None else str(old), None if price is None else str(price)]
    return changes


def _save(product: Product) -> None:
    product.search_text = product_search_text(product)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise ValidationError({"sku": [_("Another product already has the SKU %(sku)s.") % {"sku": product.sku}]}) from None


@transaction.atomic
def product_create(
    *, actor: User, data: Mapping[str, Any], prices: PriceMap | None = None, request: HttpRequest | None = None
) -> Product:
    """A new catalogue product, with its channel prices when given."""
    _require_catalogue(actor)
    _refuse_unknown(data, PRODUCT_FIELDS)
    clean_prices = _clean_prices(prices or {})
    product = Product()
    _assign(product, data)
    _validate(product)
    _save(product)
    changes = _apply_prices(product, clean_prices)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=product, request=request,
                 detail={"prices": changes} if changes else None)
    return product


def product_get_for_update(*, product_id: int) -> Product:
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound
    return product


def _check_version(product: Product, version: Any) -> None:
    if version is None:
        raise ValidationError({"version": [_("Send the version you edited so concurrent edits are caught.")]})
    if parse_version(version) != product.version:
        raise VersionConflict(product)


@transaction.atomic
def product_update(
    *, actor: User, product_id: int, data: Mapping[str, Any], version: Any,
    prices: PriceMap | None = None, request: HttpRequest | None = None,
) -> Product:
    """Apply `data` (and `prices`) if `version` is still current; else VersionConflict with the product."""
    _require_catalogue(actor)
    product = product_get_for_update(product_id=product_id)
    _check_version(product, version)
    _refuse_unknown(data, PRODUCT_FIELDS)
    clean_prices = _clean_prices(prices or {})
    before = {name: getattr(product, name) for name in data}
    changed = _assign(product, data)
    _validate(product)
    price_changes = _apply_prices(product, clean_prices)
    if not changed and not price_changes:
        return product
    product.version += 1
    product.updated_at = timezone.now()
    _save(product)
    detail: dict[str, Any] = {"fields": changed}
    if "list_price" in changed:
        detail["list_price"] = [str(before["list_price"]), str(product.list_price)]
    if price_changes:
        detail["prices"] = price_changes
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=product, request=request, detail=detail)
    return product


def product_price_set(
    *, actor: User, product_id: int, prices: PriceMap, version: Any, request: HttpRequest | None = None
) -> Product:
    """Set the product's price list per channel level; None or "" removes a level's price."""
    return product_update(actor=actor, product_id=product_id, data={}, version=version, prices=prices,
                          request=request)


@transaction.atomic
def product_set_active(
    *, actor: User, product_id: int, is_active: bool, version: Any, request: HttpRequest | None = None
) -> Product:
    """Activate or deactivate a product: an inactive one stays on old orders but is not offered for new ones."""
    _require_catalogue(actor)
    product = product_get_for_update(product_id=product_id)
    _check_version(product, version)
    if product.is_active == is_active:
        return product
    product.is_active = is_active
    product.version += 1
    product.updated_at = timezone.now()
    product.save(update_fields=["is_active", "version", "updated_at"])
    audit_record(actor=actor, action=AuditAction.STATUS_CHANGE, obj=product, request=request,
                 detail={"is_active": is_active})
    return product


def product_activate(*, actor: User, product_id: int, version: Any, request: HttpRequest | None = None) -> Product:
    return product_set_active(actor=actor, product_id=product_id, is_active=True, version=version, request=request)


def product_deactivate(*, actor: User, product_id: int, version: Any, request: HttpRequest | None = None) -> Product:
    return product_set_active(actor=actor, product_id=product_id, is_active=False, version=version, request=request)


# --- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedRow:
    """One checked row of a product sheet: product fields and channel prices present in the file."""

    row: int
    data: dict[str, Any]
    prices: dict[str, Decimal | None]


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int


class ImportRowsInvalid(Exception):
    """Rows the model's own rules refuse: {row number: {field: [messages]}}; nothing was written."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(f"{len(errors)} invalid rows")
        self.errors = errors


@transaction.atomic
def product_import(*, actor: User, rows: list[ImportedRow], request: HttpRequest | None = None) -> ImportOutcome:
    """Create or update products by SKU (case-insensitive), all or nothing, with bulk writes.

    Only the fields and prices in `row.data` / `row.prices` change on an existing product; an empty
    spec or category cell clears it, other empty cells leave the value (or the default) alone. Every
    row is checked by the model's own rules before anything is written; refused rows raise
    ImportRowsInvalid with all of them. One audit row records the import, and each changed product
    gets a new version (an edit form open meanwhile then sees a conflict, not a silent overwrite).
    """
    _require_catalogue(actor)
    existing = _products_by_sku(str(r.data.get("sku") or "") for r in rows)
    current_prices = _prices_of([p.pk for p in existing.values()])
    errors: dict[int, dict[str, list[str]]] = {}
    first_row: dict[str, int] = {}
    new: list[tuple[Product, ImportedRow]] = []
    changed: list[tuple[Product, ImportedRow]] = []
    unchanged = 0
    now = timezone.now()
    for row in rows:
        sku = str(row.data.get("sku") or "").strip()
        seen = first_row.setdefault(sku.lower(), row.row)
        if seen != row.row:
            errors[row.row] = {"sku": [_("The same value is already in row %(row)d.") % {"row": seen}]}
            continue
        product = existing.get(sku.lower())
        is_new = product is None
        product = product or Product()
        data = {k: ("" if v is None else v) if k in ("spec", "category") else v for k, v in row.data.items()}
        fields = _assign(product, {k: v for k, v in data.items() if v is not None and not (k == "sku" and not is_new)})
        try:
            if is_new and product.list_price is None:
                raise ValidationError({"list_price": [_("A new product needs a list price.")]})
            _full_clean(product)
        except ValidationError as exc:
            errors[row.row] = exc.message_dict
            continue
        if is_new:
            product.created_at = product.updated_at = now
            product.search_text = product_search_text(product)
            new.append((product, row))
        elif fields or _prices_differ(current_prices.get(product.pk, {}), row.prices):
            product.version += 1
            product.updated_at = now
            product.search_text = product_search_text(product)
            changed.append((product, row))
        else:
            unchanged += 1
    if errors:
        raise ImportRowsInvalid(errors)
    _write_products(new, changed)
    outcome = ImportOutcome(created=len(new), updated=len(changed), unchanged=unchanged)
    audit_record(actor=actor, action=AuditAction.IMPORT, request=request,
                 detail={"object_type": "product", "created": outcome.created, "updated": outcome.updated,
                         "unchanged": outcome.unchanged})
    return outcome


def _products_by_sku(skus: Iterable[str]) -> dict[str, Product]:
    wanted = {sku.strip().lower() for sku in skus if sku.strip()}
    found = Product.objects.select_for_update().annotate(sku_folded=Lower("sku")).filter(sku_folded__in=wanted)
    return {p.sku.lower(): p for p in found}


def _prices_of(product_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    out: dict[int, dict[str, Decimal]] = {}
    rows = ProductPrice.objects.filter(product_id__in=product_ids).values_list("product_id", "channel_level", "price")
    for pk, level, price in rows:
        out.setdefault(pk, {})[level] = price
    return out


def _prices_differ(current: dict[str, Decimal], prices: dict[str, Decimal | None]) -> bool:
    return any(current.get(level) != price for level, price in prices.items())


def _write_products(new: list[tuple[Product, ImportedRow]], changed: list[tuple[Product, ImportedRow]]) -> None:
    try:
        with transaction.atomic():
            Product.objects.bulk_create([p for p, _row in new], batch_size=500)
    except IntegrityError:  # someone created one of these SKUs since the rows were matched
        raise ImportRowsInvalid({0: {"sku": [
            _("Another user added one of these SKUs meanwhile; nothing was imported. Upload the file again.")]}}) from None
    if any(p.pk is None for p, _row in new):  # a backend that does not return ids from bulk inserts
        ids = dict(Product.objects.filter(sku__in=[p.sku for p, _row in new]).values_list("sku", "pk"))
        for product, _row in new:
            product.pk = ids[product.sku]
    Product.objects.bulk_update([p for p, _row in changed],
                                [*sorted(PRODUCT_FIELDS), "search_text", "version", "updated_at"], batch_size=500)
    wanted = [(p.pk, level, price) for p, row in [*new, *changed] for level, price in row.prices.items()]
    for level in {level for _pk, level, _price in wanted}:
        ProductPrice.objects.filter(product_id__in=[pk for pk, lv, _p in wanted if lv == level],
                                    channel_level=level).delete()
    ProductPrice.objects.bulk_create(
        [ProductPrice(product_id=pk, channel_level=lv, price=price) for pk, lv, price in wanted if price is not None],
        batch_size=1000,
    )
