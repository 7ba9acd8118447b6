"""Keyset (cursor) pagination for server-rendered lists.

A page is one query `WHERE (sort, id) beyond the cursor ORDER BY sort, id LIMIT n+1`, so deep pages
cost the same as the first and rows added meanwhile never shift what the user sees. NULLs of the
sort column always come last (SQLite and PostgreSQL disagree by default). A cursor that cannot be
read (edited by hand, from an older version) is treated as no cursor: the first page.
"""

from __future__ import annotations

import binascii
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Model, OrderBy, Q, QuerySet
from django.http import HttpRequest

BIGINT_MAX = 2**63 - 1
# Lists count at most this many matches and then say "10,000+": an exact COUNT over a million
# cards costs more than the whole page (bench slow spot 4).
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Total:
    """How many rows match: exact when `capped` is False, else at least `value` (= the cap)."""

    value: int
    capped: bool


def capped_count(queryset: QuerySet[Any], cap: int | None = None) -> Total:
    """Count at most `cap` + 1 rows of `queryset` (no ordering: any index may serve it)."""
    cap = COUNT_CAP if cap is None else cap
    found = queryset.order_by()[: cap + 1].count()
    return Total(cap, True) if found > cap else Total(found, False)


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None


@dataclass(frozen=True)
class _Cursor:
    value: Any
    pk: int
    forward: bool


@dataclass(frozen=True)
class _Order:
    name: str
    descending: bool
    nulls_last: bool
    nullable: bool

    def reversed(self) -> _Order:
        return _Order(self.name, not self.descending, not self.nulls_last, self.nullable)

    def order_by(self) -> list[OrderBy]:
        nulls = ({"nulls_last": True} if self.nulls_last else {"nulls_first": True}) if self.nullable else {}
        column, pk = F(self.name), F("pk")
        if self.descending:
            return [column.desc(**nulls), pk.desc()]
        return [column.asc(**nulls), pk.asc()]

    def after(self, value: Any, pk: int) -> Q:
        """Rows strictly after (value, pk) in this order."""
        beyond = "lt" if self.descending else "gt"
        pk_beyond = Q(**{f"pk__{beyond}": pk})
        is_null = Q(**{f"{self.name}__isnull": True})
        if value is None:
            return is_null & pk_beyond if self.nulls_last else ~is_null | (is_null & pk_beyond)
        # The redundant range bound in front gives the planner an index range to scan (bench slow spot 3).
        bound = Q(**{f"{self.name}__{beyond}e": value})
        q = bound & (Q(**{f"{self.name}__{beyond}": value}) | (Q(**{self.name: value}) & pk_beyond))
        if self.nullable and self.nulls_last:
            q |= is_null
        return q


def _serialise(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(value: Any, pk: int, forward: bool) -> str:
    raw = json.dumps({"v": _serialise(value), "id": pk, "f": forward}, separators=(",", ":"))
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str | None, model: type[Model], name: str) -> _Cursor | None:
    if not token:
        return None
    try:
        data = json.loads(urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
        pk, forward, raw = data["id"], data["f"], data["v"]
        if isinstance(pk, bool) or not isinstance(pk, int) or not isinstance(forward, bool):
            return None
        if not -BIGINT_MAX <= pk <= BIGINT_MAX or isinstance(raw, dict | list):
            return None
        value = None if raw is None else model._meta.get_field(name).to_python(raw)
    except (ValueError, KeyError, TypeError, binascii.Error, ValidationError, FieldDoesNotExist):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not -BIGINT_MAX <= value <= BIGINT_MAX:
        return None
    return _Cursor(value, pk, forward)


def keyset_page(queryset: QuerySet[Any], *, ordering: str, cursor: str | None, size: int) -> Page:
    """One page of `queryset` sorted by `ordering` ("name" or "-updated_at"), then by id."""
    name = ordering.lstrip("-")
    field = queryset.model._meta.get_field(name)
    order = _Order(name, ordering.startswith("-"), nulls_last=True, nullable=bool(field.null))
    position = decode_cursor(cursor, queryset.model, name)
    walk = order if position is None or position.forward else order.reversed()
    if position is not None:
        queryset = queryset.filter(walk.after(position.value, position.pk))
    rows = list(queryset.order_by(*walk.order_by())[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]

    def at(row: Any, forward: bool) -> str:
        return encode_cursor(getattr(row, field.attname), row.pk, forward)

    if position is None or position.forward:
        following = at(rows[-1], True) if has_more else None
        preceding = at(rows[0], False) if position is not None and rows else None
        return Page(rows, following, preceding)
    rows.reverse()
    preceding = at(rows[0], False) if has_more else None
    following = at(rows[-1], True) if rows else None
    return Page(rows, following, preceding)


def page_links(request: HttpRequest, page: Page) -> dict[str, str | None]:
    """`next_url` / `previous_url`: the current query string with the page's cursors."""
    def link(cursor: str | None) -> str | None:
        if cursor is None:
            return None
        params = request.GET.copy()
        params["cursor"] = cursor
        return f"?{params.urlencode()}"

    return {"next_url": link(page.next_cursor), "previous_url": link(page.previous_cursor)}
