"""Writes to customer cards. Every interface (web, API, import, command) calls these functions."""

from kehu.customers.services.cards import (
    CARD_FIELDS,
    customer_archive,
    customer_create,
    customer_purge,
    customer_restore,
    customer_update,
)
from kehu.customers.services.contacts import contact_create, contact_delete, contact_update
from kehu.customers.services.groups import (
    group_add_members,
    group_create,
    group_delete,
    group_remove_members,
    group_update,
)
from kehu.customers.services.lending import grant_decide, grant_request, grant_revoke
from kehu.customers.services.merge import customer_merge, merge_check

__all__ = [
    "CARD_FIELDS",
    "contact_create",
    "contact_delete",
    "contact_update",
    "customer_archive",
    "customer_create",
    "customer_merge",
    "merge_check",
    "customer_purge",
    "customer_restore",
    "customer_update",
    "grant_decide",
    "grant_request",
    "grant_revoke",
    "group_add_members",
    "group_create",
    "group_delete",
    "group_remove_members",
    "group_update",
]
