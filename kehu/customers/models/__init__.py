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
    "PaymentHabit",
    "Tag",
    "Tier",
    "Weekday",
]
