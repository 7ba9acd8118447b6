"""Fast inserts for the import: one executemany per table and batch, ids reserved up front.

Django's bulk_create compiles every value of every row through the query compiler, which on a
50-column card costs more than everything else the import does. Here each column gets its database
preparation chosen once (plain text, numbers and booleans go as they are; decimals, dates, times and
JSON through the field's own get_db_prep_save), and ids are reserved first so that contacts and
history rows can point at new cards without reading them back:
PostgreSQL draws them from the table's identity sequence; SQLite takes the numbers after the highest
id, which is safe because the import's transaction holds SQLite's write lock from its start
(transaction_mode IMMEDIATE in settings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import connection, models

Prep = Callable[[Any], Any]
_AS_IS = frozenset({
    "CharField", "TextField", "EmailField", "BooleanField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "AutoField", "BigAutoField",
    "ForeignKey",
})


def _prep(field: models.Field) -> Prep | None:
    if field.get_internal_type() in _AS_IS:
        return None
    memo: dict[Any, Any] = {}  # the same timestamp, the same few credit limits: prepared once

    def prepare(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            prepared = memo[value] = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable (JSON)
            return field.get_db_prep_save(value, connection)

    return prepare


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT MAX("{model._meta.pk.column}") FROM "{table}"')
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + count))


def insert_rows(model: type[models.Model], columns: list[models.Field], rows: Iterable[list[Any]]) -> None:
    """INSERT rows (values in the order of `columns`, as Python values) with one executemany."""
    preps = [_prep(f) for f in columns]
    prepared = [
        [value if prep is None or value is None else prep(value) for value, prep in zip(row, preps, strict=True)]
        for row in rows
    ]
    if not prepared:
        return
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES ({marks})", prepared)


class NewRow:
    """A row about to be inserted, as plain attributes named like the model's attnames: building a
    Model instance per row (Model.__init__ over 50 fields) costs more than inserting it."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    @property
    def pk(self) -> Any:
        return self.__dict__.get("id")


def defaults(model: type[models.Model]) -> dict[str, Any]:
    return {f.attname: f.get_default() for f in model._meta.concrete_fields}


def insert_objects(model: type[models.Model], objs: list[Any]) -> None:
    """Insert new rows (model instances or NewRow) with reserved ids, set as their `id`."""
    if not objs:
        return
    for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
        obj.id = pk
    columns = list(model._meta.concrete_fields)
    insert_rows(model, columns, ([getattr(o, f.attname) for f in columns] for o in objs))


def insert_history(
    model: type[models.Model], objs: list[models.Model], *, history_type: str, user_id: int | None, reason: str,
    when: datetime,
) -> None:
    """simple-history rows for `objs`, as HistoricalRecords.bulk_history_create writes them."""
    if not objs:
        return
    historical = model.history.model  # type: ignore[attr-defined]
    fixed = {"history_date": when, "history_change_reason": reason, "history_type": history_type,
             "history_user_id": user_id}
    columns = [f for f in historical._meta.concrete_fields if not f.primary_key]
    getters: list[Callable[[models.Model], Any]] = []
    for field in columns:
        if field.attname in fixed:
            getters.append(lambda _obj, value=fixed[field.attname]: value)
        elif field.attname == "history_relation_id":
            getters.append(lambda obj: obj.pk)
        else:
            getters.append(lambda obj, attname=field.attname: getattr(obj, attname))
    insert_rows(historical, columns, ([get(o) for get in getters] for o in objs))
