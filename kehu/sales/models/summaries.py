"""Monthly summaries kept up to date on every write, so reports never scan order lines.

`SalesMonth`: booked sales per customer × product × month (plan-vs-actual, product rollups).
`CustomerMonth`: per customer × month, booked sales, orders, and money collected (the card's
Sales tab totals, sales-vs-collections balance). Maintained only by `kehu.sales.summaries`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.accounts.scope import ScopedQuerySet
from kehu.sales.models.products import ZERO, Product, money, quantity


class SalesMonthQuerySet(ScopedQuerySet["SalesMonth"]):
    customer_lookup = "customer"


class SalesMonth(models.Model):
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    quantity = models.DecimalField(_("quantity"), default=ZERO, **quantity)
    amount = models.DecimalField(_("amount"), default=ZERO, **money)

    objects = SalesMonthQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly sales by product")
        verbose_name_plural = _("monthly sales by product")
        constraints = [
            models.UniqueConstraint(fields=["customer", "month", "product"], name="salesmonth_unique")
        ]
        indexes = [models.Index(fields=["month", "product"], name="salesmonth_month_product_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m} {self.product_id}: {self.amount}"


class CustomerMonthQuerySet(ScopedQuerySet["CustomerMonth"]):
    customer_lookup = "customer"


class CustomerMonth(models.Model):
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    sales = models.DecimalField(_("sales"), default=ZERO, **money)
    orders = models.IntegerField(_("orders"), default=0)  # signed: the upsert adds -1 on a cancel
    # Payments minus refunds dated in the month (credit notes are not money in).
    collected = models.DecimalField(_("collected"), default=ZERO, **money)

    objects = CustomerMonthQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly customer summary")
        verbose_name_plural = _("monthly customer summaries")
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="customermonth_unique")]
        indexes = [models.Index(fields=["month", "customer"], name="customermonth_month_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}: {self.sales}"
