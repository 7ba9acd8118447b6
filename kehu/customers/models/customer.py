"""The customer card (客户资料卡)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kehu.accounts.scope import ScopedQuerySet
from kehu.core import validators as v


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


class ChannelLevel(models.TextChoices):
    DISTRIBUTOR = "distributor", _("General distributor")
    WHOLESALER = "wholesaler", _("Wholesaler")
    SUB_WHOLESALER = "sub_wholesaler", _("Sub-wholesaler")
    RETAILER = "retailer", _("Retail terminal")
    END_USER = "end_user", _("End user")


class CustomerStatus(models.TextChoices):
    POTENTIAL = "potential", _("Potential")
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", pgettext_lazy("customer status", "Active")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class Tier(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class GeoPrecision(models.TextChoices):
    EXACT = "exact", _("Exact")
    DISTRICT = "district", _("District")
    CITY = "city", _("City")
    PROVINCE = "province", _("Province")
    NONE = "none", _("None")


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


class PaymentHabit(models.TextChoices):
    CASH_ON_DELIVERY = "cod", _("Cash on delivery")
    PREPAID = "prepaid", _("Prepaid")
    WEEKLY = "weekly", _("Weekly settlement")
    MONTHLY = "monthly", _("Monthly settlement")
    ON_TERMS = "terms", _("On credit terms")


class CustomerQuerySet(ScopedQuerySet["Customer"]):
    customer_lookup = ""

    def in_daily_work(self) -> CustomerQuerySet:
        return self.filter(archived_at__isnull=True)

    def archived(self) -> CustomerQuerySet:
        return self.filter(archived_at__isnull=False)

    def stale(self, days: int | None = None) -> CustomerQuerySet:
        return self.filter(self.stale_q(days))

    @staticmethod
    def stale_q(days: int | None = None) -> Q:
        cutoff = timezone.now() - timedelta(days=days or settings.KEHU_STALE_DAYS)
        return Q(updated_at__lt=cutoff) & (Q(last_visited_at__isnull=True) | Q(last_visited_at__lt=cutoff))


money = {"max_digits": 14, "decimal_places": 2}


class Customer(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.COMPANY)
    channel_level = models.CharField(
        _("channel level"), max_length=20, choices=ChannelLevel.choices, default=ChannelLevel.RETAILER
    )
    upstream = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="downstream",
        verbose_name=_("upstream supplier"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.POTENTIAL
    )
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.C)
    is_key = models.BooleanField(_("key customer"), default=False)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[v.validate_credit_code]
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[v.validate_phone])

    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    district = models.CharField(_("district"), max_length=32, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    adcode = models.CharField(_("area code (adcode)"), max_length=12, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=[v.validate_latitude]
    )
    lng = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=[v.validate_longitude]
    )
    geo_precision = models.CharField(
        _("position precision"), max_length=16, choices=GeoPrecision.choices, default=GeoPrecision.NONE
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="customers",
        verbose_name=_("owner"),
    )
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="customers",
        verbose_name=_("org unit"),
    )

    credit_rating = models.CharField(_("credit rating"), max_length=1, choices=Tier.choices, blank=True)
    credit_limit = models.DecimalField(
        _("credit limit"), default=Decimal("0"), validators=[v.validate_non_negative],
        help_text=_("0 uses the default limit of the credit rating."), **money
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=0)

    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    visit_frequency_days = models.PositiveSmallIntegerField(
        _("visit every (days)"), null=True, blank=True,
        help_text=_("Leave empty to use the default for the tier."),
    )

    store_area = models.DecimalField(
        _("store area (m²)"), max_digits=10, decimal_places=1, null=True, blank=True,
        validators=[v.validate_non_negative],
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("annual revenue (yuan)"), null=True, blank=True, validators=[v.validate_non_negative], **money
    )
    brands_carried = models.CharField(_("brands carried"), max_length=300, blank=True)
    competitor_products = models.CharField(_("competitors' products"), max_length=300, blank=True)

    usual_order_day = models.PositiveSmallIntegerField(
        _("usual order day"), choices=Weekday.choices, null=True, blank=True
    )
    usual_order_size = models.DecimalField(
        _("usual order size (yuan)"), null=True, blank=True, validators=[v.validate_non_negative], **money
    )
    preferred_delivery = models.CharField(_("preferred delivery"), max_length=100, blank=True)
    payment_habit = models.CharField(_("payment habit"), max_length=16, choices=PaymentHabit.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    completeness = models.PositiveSmallIntegerField(_("completeness"), default=0, db_index=True)
    last_visited_at = models.DateTimeField(_("last visited"), null=True, blank=True)
    last_ordered_at = models.DateTimeField(_("last ordered"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    # A card merged into another stays as an archived tombstone so its code and links resolve to the survivor.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from",
        verbose_name=_("merged into"), editable=False,
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True, editable=False)
    search_text = models.TextField(editable=False, default="")
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    tags = models.ManyToManyField("customers.Tag", blank=True, related_name="customers", verbose_name=_("tags"))

    history = HistoricalRecords(
        excluded_fields=["search_text", "version", "completeness", "updated_at", "created_at"],
        related_name="history_records",
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "updated_at"], name="cust_owner_updated_idx"),
            models.Index(fields=["org_unit", "updated_at"], name="cust_org_updated_idx"),
            models.Index(fields=["status"], name="cust_status_idx"),
            models.Index(fields=["tier"], name="cust_tier_idx"),
            models.Index(fields=["channel_level"], name="cust_channel_idx"),
            models.Index(fields=["province", "city", "district"], name="cust_region_idx"),
            models.Index(fields=["updated_at", "id"], name="cust_updated_id_idx"),
            models.Index(fields=["name"], name="cust_name_idx"),
            models.Index(fields=["phone"], name="cust_phone_idx"),
            models.Index(fields=["credit_code"], name="cust_credit_code_idx"),
            # Region reports (plan vs actual, ageing) join a million cards for their unit and owner:
            # an index-only scan of this instead of reading the whole table (PostgreSQL; SQLite
            # keeps the plain part). Measured in docs/benchmarks.md (sales, 10M lines).
            models.Index(
                fields=["org_unit", "id"], include=["owner"], condition=Q(archived_at__isnull=True),
                name="cust_live_unit_owner_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def region_label(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.district) if p)
