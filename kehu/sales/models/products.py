"""The product catalogue and the price lists per channel level."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core import validators as v
from kehu.customers.models import ChannelLevel

money = {"max_digits": 14, "decimal_places": 2}
quantity = {"max_digits": 14, "decimal_places": 3}


class ProductQuerySet(models.QuerySet["Product"]):
    def active(self) -> ProductQuerySet:
        return self.filter(is_active=True)


class Product(models.Model):
    """A sellable item. The catalogue is not customer data: every signed-in user may read it."""

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    spec = models.CharField(_("spec"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=16, default="件")
    pack_size = models.PositiveIntegerField(_("pack size"), default=1)
    category = models.CharField(_("category"), max_length=60, blank=True)
    list_price = models.DecimalField(_("list price"), validators=[v.validate_non_negative], **money)
    is_active = models.BooleanField(_("active"), default=True)
    # Name, SKU, full pinyin and initials, lower-case, for the order-entry search.
    search_text = models.TextField(editable=False, default="")
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [models.Index(fields=["category", "sku"], name="product_category_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.spec}".strip()


class ProductPrice(models.Model):
    """The price of a product for one channel level (the level's price list); else the list price."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices", verbose_name=_("product"))
    channel_level = models.CharField(_("channel level"), max_length=20, choices=ChannelLevel.choices)
    price = models.DecimalField(_("price"), validators=[v.validate_non_negative], **money)

    class Meta:
        verbose_name = _("channel price")
        verbose_name_plural = _("channel prices")
        constraints = [models.UniqueConstraint(fields=["product", "channel_level"], name="product_price_unique")]

    def __str__(self) -> str:
        return f"{self.product} · {self.get_channel_level_display()} · {self.price}"


ZERO = Decimal("0.00")
