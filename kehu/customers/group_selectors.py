"""Reads of customer groups for the asking user: members and counts only of cards they may see.

Groups are shared names; a static group's members and a segment's stored filter are always
evaluated over visible_to(user), for the web pages and the API alike.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from kehu.accounts.scope import customer_q
from kehu.customers.filters import CustomerFilter, clean_filters, filter_messages, segment_value_problems
from kehu.customers.models import Customer, CustomerGroup, GroupKind
from kehu.customers.selectors import customer_queryset


def visible_members_q(user: Any, relation: str) -> Q:
    """Customers reached through `relation` that the user sees and that are in daily work."""
    visible = customer_q(user, relation)
    daily = Q(**{f"{relation}__archived_at__isnull": True})
    return daily if visible is None else visible & daily


class _SharedFieldsFilter(CustomerFilter):
    """A CustomerFilter that reuses another instance's filters, so that evaluating many segments
    reads the custom-field definitions once instead of once per segment."""

    def __init__(self, data: dict[str, Any], *, queryset: QuerySet[Customer], filters: Any) -> None:
        df.FilterSet.__init__(self, data, queryset=queryset)
        self.filters = filters


def group_member_counts(*, user: Any) -> list[CustomerGroup]:
    """Every group with `member_count`: the members `user` may see (None: the stored filter is broken)."""
    visible = visible_members_q(user, "members")
    groups = list(CustomerGroup.objects.annotate(member_count=Count("members", filter=visible)))
    segments = [g for g in groups if g.kind == GroupKind.SEGMENT]
    if not segments:
        return groups
    base = Customer.objects.visible_to(user)
    shared = CustomerFilter(None, queryset=base).filters
    counts: dict[str, Any] = {}
    for group in segments:
        group.member_count = None
        if not isinstance(group.filters, dict) or not set(group.filters) <= set(shared) - {"group"}:
            continue
        if segment_value_problems(group.filters, shared):
            continue
        filterset = _SharedFieldsFilter(group.filters, queryset=base, filters=shared)
        if filterset.is_valid():
            counts[f"segment_{group.pk}"] = Count("pk", filter=Q(pk__in=filterset.qs.values("pk")))
    totals = base.aggregate(**counts) if counts else {}
    for group in segments:
        group.member_count = totals.get(f"segment_{group.pk}")
    return groups


def group_members(*, user: Any, group: CustomerGroup) -> tuple[QuerySet[Customer], list[str]]:
    """The group's members `user` may see, and what is wrong with a segment's stored filter."""
    base = customer_queryset(user=user)
    if group.kind == GroupKind.STATIC:
        return base.filter(groups=group, archived_at__isnull=True), []
    try:
        clean_filters(group.filters)
    except ValidationError as exc:
        return base.none(), filter_messages(exc.message_dict)
    filterset = CustomerFilter(group.filters, queryset=base)
    problems = segment_value_problems(group.filters, filterset.filters)
    return (base.none() if problems else filterset.qs), problems
