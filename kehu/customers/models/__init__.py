from kehu.customers.models.contact import Contact
from kehu.customers.models.custom_field import CustomField, CustomFieldType
from kehu.customers.models.customer import (
    ChannelLevel,
    Customer,
    CustomerKind,
    CustomerQuerySet,
    CustomerStatus,
    GeoPrecision,
    PaymentHabit,
    Tier,
    Weekday,
)
from kehu.customers.models.grouping import CustomerGroup, GroupKind, Tag
from kehu.customers.models.imports import ImportJob, ImportMapping, ImportMode, OnError

__all__ = [
    "ChannelLevel",
    "Contact",
    "CustomField",
    "CustomFieldType",
    "Customer",
    "CustomerGroup",
    "CustomerKind",
    "CustomerQuerySet",
    "CustomerStatus",
    "GeoPrecision",
    "GroupKind",
    "ImportJob",
    "ImportMapping",
    "ImportMode",
    "OnError",
    "PaymentHabit",
    "Tag",
    "Tier",
    "Weekday",
]
