"""Web forms of the order pages: the order head, the grid of lines, the list filters, the action buttons.

They parse input and recompute a preview (prices for the customer's channel level, line amounts, the
total) so the page works without JavaScript; the order services decide and validate the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.sales.models import ZERO, Order, OrderStatus, Product, Settlement
from kehu.sales.selectors.products import product_prices, product_search

BLANK_LINES = 5  # empty rows offered without JavaScript
MORE_LINES = 5  # rows added by the "More lines" button
MAX_LINES = 500
CENT = Decimal("0.01")
QUANTITY_MAX = Decimal("99999999999.999")
MONEY_MAX = Decimal("999999999999.99")
# A browser's date input reads only ISO dates; the localised default (zh-hans) would leave it empty.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LINE_FIELDS = ("product", "product_text", "spec", "quantity", "unit_price", "discount")


def _typed(value: Any) -> str:
    """A grid cell as text: at most 200 characters, without NUL (PostgreSQL text cannot hold it)."""
    return str(value).replace("\x00", "")[:200]


def _decimal(text: str, *, places: int, maximum: Decimal, positive: bool) -> Decimal:
    """A number typed by a person (spaces and thousands separators allowed), or ValidationError."""
    cleaned = text.strip().replace(",", "").replace("，", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if not value.is_finite():
        raise ValidationError(_("Enter a number."))
    if abs(value) > maximum:  # before quantize, which cannot hold 1e999999
        raise ValidationError(_("This number is too large."))
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(_("Use at most %(places)d decimal places.") % {"places": places})
    if positive and value <= 0:
        raise ValidationError(_("Must be more than zero."))
    if value < 0:
        raise ValidationError(_("Must not be negative."))
    return value.quantize(Decimal(1).scaleb(-places))


@dataclass
class LineRow:
    """One row of the entry grid as typed, with what the server made of it."""

    index: int
    product_id: str = ""
    product_text: str = ""
    spec: str = ""
    quantity: str = ""
    unit_price: str = ""
    discount: str = ""
    product: Product | None = None
    price_for_level: Decimal | None = None
    amount: Decimal | None = None
    errors: dict[str, list[str]] | None = None
    candidates: list[Product] | None = None  # several products matched the typed text

    @property
    def is_blank(self) -> bool:
        return not any(v.strip() for v in (self.product_id, self.product_text, self.quantity, self.unit_price,
                                           self.discount, self.spec))

    def add_error(self, field: str, message: str) -> None:
        self.errors = self.errors or {}
        self.errors.setdefault(field, []).append(message)

    @property
    def price_is_listed(self) -> bool:
        """The price shown is the price list's (so picking another product may replace it)."""
        try:
            return self.price_for_level is not None and Decimal(self.unit_price.strip()) == self.price_for_level
        except (InvalidOperation, ValueError):
            return False

    @property
    def error_list(self) -> list[str]:
        return [m for messages in (self.errors or {}).values() for m in messages]

    def cleaned(self) -> dict[str, Any]:
        """Product, quantity, price (None: the price list's), discount, spec; errors are collected on the row."""
        out: dict[str, Any] = {"spec": self.spec.strip()[:100] or None}
        for name, places, maximum, positive in (
            ("quantity", 3, QUANTITY_MAX, True), ("unit_price", 2, MONEY_MAX, False), ("discount", 2, MONEY_MAX, False),
        ):
            text = getattr(self, name)
            if not text.strip():
                out[name] = None
                continue
            try:
                out[name] = _decimal(text, places=places, maximum=maximum, positive=positive)
            except ValidationError as exc:
                self.add_error(name, exc.messages[0])
        if not self.quantity.strip():
            self.add_error("quantity", _("Enter the quantity."))
        if self.product is None:
            self.add_error("product", self._product_problem())
        out["product"] = self.product
        return out

    def _product_problem(self) -> str:
        if not self.product_text.strip():
            return _("Choose a product.")
        if self.candidates:
            shown = "; ".join(f"{p.sku} {p}" for p in self.candidates[:5])
            return _("Several products match “%(text)s”: %(shown)s. Type the SKU.") % {
                "text": self.product_text.strip(), "shown": shown}
        return _("No product matches “%(text)s”.") % {"text": self.product_text.strip()}


class OrderHeadForm(forms.Form):
    """The order's own fields (the lines are parsed by `LineGrid`)."""

    order_date = forms.DateField(label=gettext_lazy("Order date"), widget=DATE_INPUT)
    settlement = forms.ChoiceField(label=gettext_lazy("Settlement"), choices=Settlement.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"order_date": data["order_date"], "settlement": data["settlement"], "note": data["note"]}


class LineGrid:
    """The lines of the entry grid, read from `lines-N-<field>` inputs, N = 0 … total-1."""

    def __init__(self, rows: list[LineRow], channel_level: str) -> None:
        self.rows = rows
        self.channel_level = channel_level
        self.non_line_errors: list[str] = []

    @classmethod
    def from_post(cls, data: Any, channel_level: str, *, more: int = 0) -> LineGrid:
        try:
            total = min(int(data.get("lines-TOTAL", "0")), MAX_LINES)
        except ValueError:
            total = 0
        rows = [
            LineRow(index=i, **{name if name != "product" else "product_id": _typed(data.get(f"lines-{i}-{name}", ""))
                                for name in LINE_FIELDS})
            for i in range(max(total, 0))
        ]
        kept = [row for row in rows if not row.is_blank]
        for number, row in enumerate(kept):
            row.index = number
        grid = cls(kept, channel_level)
        grid.resolve()
        grid.pad(more or (BLANK_LINES if not kept else 1))
        return grid

    @classmethod
    def from_order(cls, order: Order, channel_level: str) -> LineGrid:
        rows = [
            LineRow(index=i, product_id=str(line.product_id), product_text=f"{line.product.sku} {line.product}",
                    spec=line.spec, quantity=_plain(line.quantity), unit_price=_plain(line.unit_price),
                    discount=_plain(line.discount) if line.discount else "", product=line.product, amount=line.amount)
            for i, line in enumerate(order.lines.all())
        ]
        grid = cls(rows, channel_level)
        grid._prices([r for r in rows if r.product is not None])
        grid.pad(1)
        return grid

    @classmethod
    def blank(cls, channel_level: str) -> LineGrid:
        grid = cls([], channel_level)
        grid.pad(BLANK_LINES)
        return grid

    def pad(self, count: int) -> None:
        start = len(self.rows)
        self.rows.extend(LineRow(index=start + i) for i in range(min(count, MAX_LINES - start)))

    def filled(self) -> list[LineRow]:
        return [row for row in self.rows if not row.is_blank]

    def resolve(self) -> None:
        """Find each row's product (by id, else by exact SKU, else the one search match) and its price."""
        rows = self.filled()
        ids = {int(r.product_id) for r in rows if r.product_id.isdigit() and int(r.product_id) < 2**63}
        by_id = Product.objects.in_bulk(ids) if ids else {}
        texts = {r.product_text.strip().split(" ")[0] for r in rows if r.product_text.strip()}
        by_sku = {p.sku.lower(): p for p in Product.objects.filter(sku__in=texts)} if texts else {}
        for row in rows:
            found = by_id.get(int(row.product_id)) if row.product_id.isdigit() and int(row.product_id) < 2**63 else None
            text = row.product_text.strip()
            if found is not None and text and not text.lower().startswith(found.sku.lower()):
                found = None  # the person typed over a picked product: search again
            if found is None and text:
                found = by_sku.get(text.split(" ")[0].lower())
            if found is None and text:
                matches = product_search(q=text, limit=6)
                if len(matches) == 1:
                    found = matches[0]
                else:
                    row.candidates = matches
            row.product = found
            if found is not None:
                row.product_id = str(found.pk)
                row.product_text = f"{found.sku} {found}"
        self._prices([r for r in rows if r.product is not None])

    def _prices(self, rows: list[LineRow]) -> None:
        prices = product_prices([r.product.pk for r in rows if r.product], self.channel_level) if rows else {}
        for row in rows:
            assert row.product is not None
            row.price_for_level = prices.get(row.product.pk)
            if not row.unit_price.strip() and row.price_for_level is not None:
                row.unit_price = _plain(row.price_for_level)

    def clean(self) -> list[dict[str, Any]]:
        """The filled rows as service input; problems are collected on the rows (and `non_line_errors`)."""
        cleaned = [row.cleaned() for row in self.filled()]
        for row, values in zip(self.filled(), cleaned, strict=True):
            row.amount = line_amount(values) if not row.errors else None
            if row.amount is not None and row.amount < 0:
                row.add_error("discount", _("The discount is larger than the line's amount."))
                row.amount = None
        if not cleaned:
            self.non_line_errors.append(_("Add at least one line."))
        return cleaned

    @property
    def is_valid(self) -> bool:
        return not self.non_line_errors and not any(row.errors for row in self.rows)

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows if row.amount is not None), ZERO)

    def apply_line_messages(self, found: list[str]) -> None:
        """A service's `lines` messages onto the rows they name ("Line 2: …", numbered from 1 over the
        filled rows, in the active language); the others stay above the grid."""
        filled = self.filled()
        for message in found:
            row = next((r for n, r in enumerate(filled, start=1)
                        if message.startswith(_("Line %(n)s") % {"n": n} + ":")), None)
            if row is None:
                self.non_line_errors.append(message)
            else:
                row.add_error("service", message)
                row.amount = None


def line_amount(values: dict[str, Any]) -> Decimal | None:
    """Quantity × unit price − discount, to the cent (the preview; the service computes the stored amount)."""
    quantity, price, discount = values.get("quantity"), values.get("unit_price"), values.get("discount") or ZERO
    if quantity is None or price is None:
        return None
    return (quantity * price - discount).quantize(CENT, rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """A Decimal as a person would type it: no trailing zeros after the point, no exponent."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class OrderFilterForm(forms.Form):
    """The order list's filters. Unknown or invalid values are ignored (shown as errors on the field)."""

    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=[("", gettext_lazy("Any status")),
                                                                      *OrderStatus.choices], required=False)
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1)
    q = forms.CharField(label=gettext_lazy("Customer"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Customer name, code or order number")}))
    rep = forms.ModelChoiceField(label=gettext_lazy("Sales rep"), queryset=User.objects.none(), required=False,
                                 empty_label=gettext_lazy("Any rep"))
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, reps: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reps is not None:
            self.fields["rep"].queryset = reps

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> dict[str, Any]:
        """The valid filters as a dict for `order_list` (empty values left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        out: dict[str, Any] = {}
        for name in ("status", "customer", "q", "date_from", "date_to"):
            if name not in self.errors and data.get(name) not in (None, ""):
                out[name] = data[name]
        if data.get("rep") is not None and "rep" not in self.errors:
            out["rep"] = data["rep"].pk
        return out


class ActionForm(forms.Form):
    """The version an action button was shown with (confirm, deliver, cancel)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)


def customer_choices_for_orders(user: Any, q: str, limit: int = 20) -> list[Customer]:
    """Visible cards matching `q` for the "choose a customer" step of a new order."""
    from kehu.customers import selectors

    if not q.strip():
        return []
    return list(selectors.customer_list(user=user, params={"q": q}).qs.order_by("name", "id")[:limit])
