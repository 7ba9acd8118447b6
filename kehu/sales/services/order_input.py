"""Checking what is entered for an order: its lines (validated and priced against the customer's price
list) and its header fields. Used by `services.orders`; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.customers.models import Customer
from kehu.sales.models import ZERO, OrderLine, Product
from kehu.sales.selectors.products import product_prices

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
MAX_MONEY = Decimal("999999999999.99")  # 14 digits, 2 places (the model's money fields)
MAX_QUANTITY = Decimal("99999999999.999")  # 14 digits, 3 places (the quantity columns)
MAX_LINES = 500
EARLIEST_ORDER_DATE = date(2000, 1, 1)
LATEST_DAYS_AHEAD = 366


@dataclass(frozen=True)
class LineInput:
    """One order line as entered. `unit_price` None: the customer's price list; `spec` None: the product's."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None
    discount: Decimal = Decimal(0)
    spec: str | None = None


# --- lines -------------------------------------------------------------------------------------


def _decimal(value: Any, places: Decimal) -> Decimal | None:
    """`value` as a Decimal with at most the given places, or None when it is not such a number."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not number.is_finite() or number != number.quantize(places, rounding=ROUND_HALF_UP):
        return None
    return number.quantize(places)


def _line_errors(n: int, line: LineInput, price: Decimal | None, product: Product | None) -> tuple[list[str], OrderLine | None]:
    errors: list[str] = []
    prefix = _("Line %(n)s") % {"n": n}
    if product is None:
        return [_("%(line)s: no such product.") % {"line": prefix}], None
    if not product.is_active:
        errors.append(_("%(line)s: %(product)s is no longer sold.") % {"line": prefix, "product": product})
    quantity = _decimal(line.quantity, MILLI)
    if quantity is None or quantity <= 0 or quantity > MAX_QUANTITY:
        errors.append(_("%(line)s: the quantity must be a number above zero (at most 3 decimal places).") % {"line": prefix})
    unit_price = _decimal(price, CENT)
    if unit_price is None or unit_price < 0 or unit_price > MAX_MONEY:
        errors.append(
            _("%(line)s: the unit price must be zero or more, in yuan with at most 2 decimal places.") % {"line": prefix}
        )
    discount = _decimal(line.discount, CENT)
    if discount is None or discount < 0 or discount > MAX_MONEY:
        errors.append(_("%(line)s: the discount must be zero or more, in yuan with at most 2 decimal places.") % {"line": prefix})
    spec = product.spec if line.spec is None else str(line.spec).strip()
    if len(spec) > 100 or "\x00" in spec:
        errors.append(_("%(line)s: the spec is longer than 100 characters.") % {"line": prefix})
    if errors:
        return errors, None
    assert quantity is not None and unit_price is not None and discount is not None
    gross = (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
    if discount > gross:
        return [_("%(line)s: the discount %(discount)s is more than the line's value %(gross)s.")
                % {"line": prefix, "discount": discount, "gross": gross}], None
    if gross > MAX_MONEY:
        return [_("%(line)s: the amount is too large.") % {"line": prefix}], None
    return [], OrderLine(
        line_no=n, product=product, spec=spec, quantity=quantity, unit_price=unit_price,
        discount=discount, amount=gross - discount,
    )


def _build_lines(customer: Customer, lines: list[LineInput]) -> list[OrderLine]:
    """Validated, priced, unsaved lines (two queries: products and their prices)."""
    if not lines:
        raise ValidationError({"lines": [_("An order needs at least one line.")]})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": [_("An order has at most %(n)s lines.") % {"n": MAX_LINES}]})
    ids: list[int] = []
    for line in lines:
        try:
            pid = int(str(line.product_id))
        except (TypeError, ValueError):
            pid = 0
        ids.append(pid if 0 < pid < 2**63 else 0)
    products = Product.objects.in_bulk([i for i in ids if i > 0])
    needs_price = [i for i, line in zip(ids, lines, strict=True) if line.unit_price is None and i in products]
    prices = product_prices(needs_price, customer.channel_level) if needs_price else {}
    built: list[OrderLine] = []
    errors: list[str] = []
    for n, (pid, line) in enumerate(zip(ids, lines, strict=True), start=1):
        price = prices.get(pid) if line.unit_price is None else line.unit_price
        line_errors, order_line = _line_errors(n, line, price, products.get(pid))
        errors.extend(line_errors)
        if order_line is not None:
            built.append(order_line)
    if errors:
        raise ValidationError({"lines": errors})
    if sum((line.amount for line in built), ZERO) > MAX_MONEY:
        raise ValidationError({"lines": [_("The order's total is too large.")]})
    return built


# --- header fields -----------------------------------------------------------------------------


def _clean_choice(name: str, value: Any, choices: Any, default: str) -> str:
    if value in (None, ""):
        return default
    if value not in choices.values:
        raise ValidationError({name: [_("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)}]})
    return str(value)


def _clean_date(name: str, value: Any) -> date:
    """An order date as a date, from 2000-01-01 to a year from today (a typo like 2062 is caught)."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except (TypeError, ValueError):
            raise ValidationError({name: [_("Enter a date as YYYY-MM-DD.")]}) from None
    latest = timezone.localdate() + timedelta(days=LATEST_DAYS_AHEAD)
    if not EARLIEST_ORDER_DATE <= value <= latest:
        raise ValidationError({name: [_("Enter a date from %(first)s to %(last)s.") % {
            "first": EARLIEST_ORDER_DATE.isoformat(), "last": latest.isoformat()}]})
    return value


def _clean_seller(actor: User, customer: Customer, seller: Any) -> Customer | None:
    """Channel sell-through: an upstream customer the actor can see sells to `customer`."""
    if seller in (None, ""):
        return None
    seller_id = seller.pk if isinstance(seller, Customer) else seller
    try:
        seller_id = int(str(seller_id))
    except (TypeError, ValueError):
        raise ValidationError({"seller": [_("No such customer.")]}) from None
    if not 0 < seller_id < 2**63:
        raise ValidationError({"seller": [_("No such customer.")]})
    if seller_id == customer.pk:
        raise ValidationError({"seller": [_("A customer cannot sell to itself.")]})
    found = Customer.objects.visible_to(actor).filter(pk=seller_id, archived_at__isnull=True).first()
    if found is None:
        raise ValidationError({"seller": [_("No such customer.")]})
    return found


def _clean_rep(actor: User, customer: Customer, rep: Any) -> int | None:
    if rep in (None, ""):
        return customer.owner_id
    rep_id = rep.pk if isinstance(rep, User) else rep
    try:
        rep_id = int(str(rep_id))
    except (TypeError, ValueError):
        rep_id = 0
    if not 0 < rep_id < 2**63 or not User.objects.filter(pk=rep_id, is_active=True).exists():
        raise ValidationError({"rep": [_("This user does not exist or is inactive.")]})
    if actor.role == Role.REP and rep_id != actor.pk:
        raise ValidationError({"rep": [_("A sales rep records orders under their own name.")]})
    return rep_id


def _clean_text(name: str, value: Any, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise ValidationError({name: [_("At most %(n)s characters.") % {"n": limit}]})
    if "\x00" in text:
        raise ValidationError({name: [_("Text cannot contain NUL (\\x00) characters.")]})
    return text
