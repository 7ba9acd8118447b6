"""The customer list's filters: one FilterSet for the web list, the API, saved segments and exports."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import OrgUnit, Role, User
from kehu.customers.custom_fields import active_fields
from kehu.customers.models import (
    ChannelLevel,
    Customer,
    CustomerGroup,
    CustomerQuerySet,
    CustomerStatus,
    CustomFieldType,
    GroupKind,
    Tag,
    Tier,
)
from kehu.customers.search import normalise_query

ORDERING_FIELDS = ("name", "code", "updated_at", "created_at", "completeness", "tier", "status", "last_visited_at")
LIKE_SPECIAL = frozenset("%_\\")  # a needle with these is matched by the plain LIKE scan


class CustomerFilter(df.FilterSet):
    q = df.CharFilter(label=_("Search"), method="filter_q")
    code = df.CharFilter(label=_("code"), method="filter_code", max_length=32)
    # distinct=False: these cannot produce duplicate rows, and DISTINCT would stop any index from
    # serving the ordered list (measured: 187 → 43 ms on 100k cards, bench slow spot 1).
    status = df.MultipleChoiceFilter(label=_("status"), choices=CustomerStatus.choices, distinct=False)
    tier = df.MultipleChoiceFilter(label=_("tier"), choices=Tier.choices, distinct=False)
    is_key = df.BooleanFilter(label=_("key customer"), widget=forms.Select(choices=[
        ("", "---------"), ("true", _("Yes")), ("false", _("No"))]))
    channel_level = df.MultipleChoiceFilter(
        label=_("channel level"), choices=ChannelLevel.choices, distinct=False
    )
    owner = df.ModelChoiceFilter(
        label=_("owner"), queryset=User.objects.filter(role__in=[Role.REP, Role.MANAGER], is_active=True)
    )
    org_unit = df.ModelChoiceFilter(label=_("org unit"), queryset=OrgUnit.objects.all(), method="filter_org_unit")
    province = df.CharFilter(label=_("province"))
    city = df.CharFilter(label=_("city"))
    district = df.CharFilter(label=_("district"))
    group = df.ModelChoiceFilter(label=_("group"), queryset=CustomerGroup.objects.all(), method="filter_group")
    tag = df.CharFilter(label=_("tag"), method="filter_tag")
    stale = df.BooleanFilter(label=_("stale"), method="filter_stale", widget=forms.Select(choices=[
        ("", "---------"), ("true", _("Yes")), ("false", _("No"))]))
    archived = df.BooleanFilter(label=_("archived"), method="filter_archived", widget=forms.Select(choices=[
        ("", "---------"), ("true", _("Yes")), ("false", _("No"))]))
    completeness_min = df.NumberFilter(
        label=_("completeness at least"), field_name="completeness", lookup_expr="gte", min_value=0, max_value=100
    )
    completeness_max = df.NumberFilter(
        label=_("completeness at most"), field_name="completeness", lookup_expr="lte", min_value=0, max_value=100
    )
    # Bounded so a crafted id cannot overflow the database's integer (a 400, not a 500).
    upstream = df.NumberFilter(
        label=_("upstream supplier"), field_name="upstream_id", min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    ordering = df.OrderingFilter(fields=ORDERING_FIELDS, label=_("sort by"))

    # The search box also finds the survivor of a merged-away code it names: one query on the unique
    # code, so only the lists a person or client searches do it (CustomerListFilter), not every segment.
    follow_merged_codes = False

    class Meta:
        model = Customer
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in active_fields():
            self.filters.update(custom_field_filters(field))

    def filter_q(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        needle = normalise_query(value)
        if not needle:
            return queryset
        found = Q(search_text__contains=needle)
        if connection.vendor == "sqlite" and len(needle) >= 3 and not LIKE_SPECIAL.intersection(needle):
            # Three characters or more: the trigram full-text index answers the same LIKE (migration 0007).
            found = Q(pk__in=RawSQL("SELECT rowid FROM customers_search_fts WHERE search_text LIKE %s", [f"%{needle}%"]))
        if len(needle) <= 2 and connection.vendor == "postgresql" and all(ord(c) > 0x7F for c in needle):
            # One or two Chinese characters have no trigram: ask the grams index (migration 0006).
            grams = Func(F("search_text"), function="kehu_han_grams", output_field=ArrayField(TextField()))
            queryset = queryset.alias(han_grams=grams)
            found &= Q(han_grams__contains=[needle])
        if not self.follow_merged_codes:
            return queryset.filter(found)
        # The code of a card merged into another finds the survivor (one lookup on the unique code).
        survivor = _survivor_of_code(value)
        return queryset.filter(found | Q(pk=survivor) if survivor else found)

    def filter_code(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        code = value.strip()
        if not code:
            return queryset
        survivor = _survivor_of_code(code)
        exact = Q(code__in={code, code.upper()})
        return queryset.filter(exact | Q(pk=survivor) if survivor else exact)

    def filter_tag(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        # The tag's id is read first: with a constant tag_id the planner knows from its statistics
        # how common the tag is; joining on the tag's name it guessed, and counted the cards of a
        # rep's common tag by reading every tagged card (212 ms on 100k cards, bench).
        tag_id = Tag.objects.filter(name=value).values_list("id", flat=True).first()
        if tag_id is None:
            return queryset.none()
        tagged = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag_id=tag_id)
        return queryset.filter(Exists(tagged))

    def filter_org_unit(self, queryset: QuerySet[Customer], name: str, value: OrgUnit) -> QuerySet[Customer]:
        subtree = OrgUnit.objects.filter(path__startswith=value.path).values("id")
        return queryset.filter(org_unit__in=subtree)

    def filter_group(self, queryset: QuerySet[Customer], name: str, value: CustomerGroup) -> QuerySet[Customer]:
        if value.kind == GroupKind.STATIC:
            return queryset.filter(groups=value)
        segment = {k: v for k, v in value.filters.items() if k != "group"}
        return CustomerFilter(segment, queryset=queryset).qs

    def filter_stale(self, queryset: QuerySet[Customer], name: str, value: bool | None) -> QuerySet[Customer]:
        if value is None:
            return queryset
        stale = CustomerQuerySet.stale_q()
        return queryset.filter(stale) if value else queryset.exclude(stale)

    def filter_archived(self, queryset: QuerySet[Customer], name: str, value: bool | None) -> QuerySet[Customer]:
        # Archived cards are out of daily work; this filter is how those who may see them look.
        return queryset.filter(archived_at__isnull=not value) if value is not None else queryset

    @property
    def qs(self) -> QuerySet[Customer]:
        queryset = super().qs
        # The valid fields only when some are invalid, nothing when unbound: archived cards stay out
        # unless they are asked for explicitly.
        cleaned = getattr(self.form, "cleaned_data", {}) if self.is_bound else {}
        if cleaned.get("archived") is None:
            queryset = queryset.filter(archived_at__isnull=True)
        # The tag filter is an EXISTS: no join, no duplicate rows, no DISTINCT needed.
        return queryset


class CustomerListFilter(CustomerFilter):
    """The card list's and the API's filter: `q` naming a merged-away code finds its survivor."""

    follow_merged_codes = True


def _survivor_of_code(code: str) -> int | None:
    from kehu.customers.merge_selectors import survivor_id  # merge_selectors reads through selectors → filters

    code = code.strip()
    return survivor_id(code=code) if 0 < len(code) <= 32 else None


def custom_field_filters(field: Any) -> dict[str, df.Filter]:
    """Filters for one custom field, named cf_<key> (and cf_<key>_min/_max for numbers and dates)."""
    lookup = f"custom__{field.key}"
    name = f"cf_{field.key}"
    kind = field.field_type
    if kind == CustomFieldType.TEXT:
        return {name: df.CharFilter(field_name=lookup, lookup_expr="icontains", label=field.label)}
    if kind == CustomFieldType.BOOLEAN:
        return {name: df.BooleanFilter(field_name=lookup, label=field.label, widget=forms.Select(choices=[
            ("", "---------"), ("true", _("Yes")), ("false", _("No"))]))}
    if kind == CustomFieldType.CHOICE:
        choices = [(c["value"], field.choice_label(c["value"])) for c in field.choices]
        return {name: df.ChoiceFilter(field_name=lookup, choices=choices, label=field.label)}
    if kind == CustomFieldType.MULTI_CHOICE:
        choices = [(c["value"], field.choice_label(c["value"])) for c in field.choices]
        return {name: df.ChoiceFilter(choices=choices, label=field.label, method=_contains_choice(lookup))}
    filter_class = df.NumberFilter if kind == CustomFieldType.NUMBER else df.DateFilter
    convert = (lambda v: v) if kind == CustomFieldType.NUMBER else (lambda v: v.isoformat())
    return {
        name: filter_class(label=field.label, method=_compare(lookup, "exact", convert)),
        f"{name}_min": filter_class(label=field.label, method=_compare(lookup, "gte", convert)),
        f"{name}_max": filter_class(label=field.label, method=_compare(lookup, "lte", convert)),
    }


def _compare(lookup: str, op: str, convert: Any) -> Any:
    def method(queryset: QuerySet[Customer], name: str, value: Any) -> QuerySet[Customer]:
        if value is None:
            return queryset
        number = float(value) if not hasattr(value, "isoformat") else None
        target = convert(value) if number is None else (int(number) if number.is_integer() else number)
        return queryset.filter(**{f"{lookup}__{op}": target})

    return method


def _contains_choice(lookup: str) -> Any:
    def method(queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        # Stored as a JSON list; matching the quoted value works the same on SQLite and PostgreSQL.
        return queryset.filter(**{f"{lookup}__icontains": f'"{value}"'}) if value else queryset

    return method


def clean_filters(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate a segment's stored filter against the list's filters; keep only known, non-empty keys."""
    if not isinstance(raw, dict):
        raise ValidationError({"filters": [_("Filters must be an object of name → value.")]})
    filterset = CustomerFilter(raw, queryset=Customer.objects.none())
    known = set(filterset.filters) - {"group"}
    unknown = sorted(set(raw) - known)
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["filters"] = [str(_("Unknown filter: %(names)s")) % {"names": ", ".join(unknown)}]
    if not filterset.form.is_valid():
        for field, messages in filterset.form.errors.items():
            errors[f"filters.{field}"] = list(messages)
    if errors:
        raise ValidationError(errors)
    return {k: v for k, v in raw.items() if v not in ("", None, [])}


# Yes/no words a stored segment may use; anything else would silently read as "no filter".
SEGMENT_BOOLEAN_WORDS = frozenset({"true", "false", "1", "0"})


def filter_messages(errors: dict[str, list[str]]) -> list[str]:
    """clean_filters' {"filters": [...], "filters.<param>": [...]} as lines naming the parameter."""
    lines = []
    for key, messages in errors.items():
        param = key.partition(".")[2]
        lines += [f"{param}: {message}" if param else message for message in messages]
    return lines


def segment_value_problems(filters: dict[str, Any], known: dict[str, Any] | None = None) -> list[str]:
    """A yes/no filter reads an unknown word as "no filter": kept in a segment, it would silently
    widen it, so such words are refused here (the API's filter backend refuses them the same way)."""
    if known is None:
        known = CustomerFilter(None, queryset=Customer.objects.none()).filters
    return [
        _("%(name)s: write true or false.") % {"name": name}
        for name, value in filters.items()
        if isinstance(known.get(name), df.BooleanFilter) and str(value).lower() not in SEGMENT_BOOLEAN_WORDS
    ]
