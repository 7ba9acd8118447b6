"""Forms of the product pages: the list's filters, the product form, the price grid and the import upload.

The list's query (q, category, is_active) becomes a queryset in
`kehu.sales.selectors.products.product_filter`, which the API uses too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.customers.forms.base import BIGINT_MAX, apply_service_errors
from kehu.customers.models import ChannelLevel
from kehu.sales.models import Product, ProductPrice
from kehu.sales.selectors.products import product_filter

__all__ = [
    "ActiveChoice", "PriceGridForm", "ProductFilterForm", "ProductForm", "ProductImportForm",
    "apply_service_errors",
]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PRODUCT_FORM_FIELDS = ("sku", "name", "spec", "unit", "pack_size", "category", "list_price", "is_active")


class ActiveChoice:
    ALL = ""
    ACTIVE = "true"
    INACTIVE = "false"
    CHOICES = [("", _("Active and inactive")), ("true", _("Active only")), ("false", _("Inactive only"))]


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    is_active = forms.ChoiceField(label=_("Active"), required=False, choices=ActiveChoice.CHOICES)

    def __init__(self, data: Any, *, categories: list[str]) -> None:
        super().__init__(data)
        self.fields["category"].choices = [("", _("All categories")), *[(c, c) for c in categories]]

    def queryset(self, base: QuerySet[Product]) -> QuerySet[Product]:
        """The filtered products; an invalid filter (a category that does not exist) matches nothing."""
        if not self.is_valid():
            return base.none()
        active = {"true": True, "false": False}.get(self.cleaned_data["is_active"])
        return product_filter(base, q=self.cleaned_data["q"], category=self.cleaned_data["category"], is_active=active)


class ProductForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    spec = forms.CharField(label=_("Spec"), max_length=100, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=16, initial="件")
    pack_size = forms.IntegerField(label=_("Pack size"), min_value=1, max_value=2_147_483_647, initial=1)
    category = forms.CharField(label=_("Category"), max_length=60, required=False)
    list_price = forms.DecimalField(label=_("List price"), min_value=Decimal(0), max_digits=14, decimal_places=2)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=BIGINT_MAX)

    def __init__(self, data: Any = None, *, product: Product | None = None) -> None:
        initial = {name: getattr(product, name) for name in PRODUCT_FORM_FIELDS} if product else None
        if product is not None:
            initial = {**(initial or {}), "version": product.version}
        super().__init__(data, initial=initial)
        self.product = product
        if product is not None:
            # Activation has its own button (and audit action) on the detail page.
            del self.fields["is_active"]

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PRODUCT_FORM_FIELDS if name in self.fields}


class PriceGridForm(forms.Form):
    """One price per channel level; empty = no price of its own (the list price applies)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=BIGINT_MAX)

    def __init__(self, data: Any = None, *, product: Product) -> None:
        current = dict(ProductPrice.objects.filter(product=product).values_list("channel_level", "price"))
        super().__init__(data, initial={"version": product.version, **{f"price_{k}": v for k, v in current.items()}})
        self.product = product
        for level, label in ChannelLevel.choices:
            self.fields[f"price_{level}"] = forms.DecimalField(
                label=label, required=False, min_value=Decimal(0), max_digits=14, decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal",
                                                "placeholder": str(product.list_price)}),
            )

    def rows(self) -> list[tuple[str, str, forms.BoundField]]:
        return [(level, str(label), self[f"price_{level}"]) for level, label in ChannelLevel.choices]

    def prices(self) -> dict[str, Decimal | None]:
        return {level: self.cleaned_data.get(f"price_{level}") for level in ChannelLevel.values}

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            name = "price_" + key.removeprefix("prices.") if key.startswith("prices.") else key
            self.add_error(name if name in self.fields and name != "version" else None, messages)


class ProductImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("An .xlsx, .xls or .csv file; the first row holds the column names."))
    dry_run = forms.BooleanField(label=_("Only check the file, do not import"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 20 MB; split it into smaller files."))
        return upload
