"""Fast inserts for the demo's large tables: COPY on PostgreSQL, `executemany` on SQLite.

Django's `bulk_create` compiles every value through the field machinery and spends most of the
demo's time there; these tables' values need no conversion beyond datetimes and JSON (and none
at all for COPY). Ids are given here (after the highest one in the table) so that rows referring
to them can be inserted next; PostgreSQL's sequences are moved past them at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models

CHUNK = 5000


def _converter(field: models.Field) -> Any:
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def rows_insert(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Insert `objects` with ids assigned from the table's highest id + 1 (set on each object)."""
    if not objects:
        return
    meta = model._meta
    top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
    for number, obj in enumerate(objects, start=top + 1):
        obj.pk = number
    fields = list(meta.concrete_fields)
    converters = [_converter(f) for f in fields]
    relations = [f.is_relation for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    copying = connection.vendor == "postgresql"
    rows = []
    for obj in objects:
        row = []
        for field, convert, is_relation in zip(fields, converters, relations, strict=True):
            value = getattr(obj, field.attname)
            if value is None and is_relation:
                related = field.get_cached_value(obj, None)
                value = related.pk if related is not None else None
                obj.__dict__[field.attname] = value  # not setattr: that would drop the cached object
            row.append(convert(value) if convert and value is not None and not copying else value)
        rows.append(row)
    with connection.cursor() as cursor:
        if copying:
            with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])


def sequences_reset(*model_classes: type[models.Model]) -> None:
    """Move PostgreSQL's id sequences past the ids given here (nothing to do on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
