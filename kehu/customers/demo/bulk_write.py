"""Writing BulkDrafter's rows fast: COPY on PostgreSQL, executemany on SQLite, in one transaction.

PostgreSQL: the secondary indexes and foreign keys of the tables written are dropped first and
re-created after the COPY (one sort per index and one join per foreign key instead of a million
index insertions and trigger checks; the trigram index is thus built whole, with no GIN pending
list), then the sequences are moved past the new ids. After the commit `VACUUM ANALYZE` gives the
planner statistics and the visibility map, as autovacuum would within minutes.
SQLite: executemany in the same transaction with synchronous=OFF and a big page cache, then
`ANALYZE` so the planner knows the sizes (Kehu runs `PRAGMA optimize` the same way).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from kehu.customers.custom_fields import active_fields
from kehu.customers.demo import story
from kehu.customers.demo.bulk import BulkDrafter, Chunk, custom_json
from kehu.customers.demo.org import DemoOrg, org_create
from kehu.customers.models import Contact, Customer, Tag

DEFAULT_CHUNK = 20_000
HISTORY_EXTRA = {"history_change_reason": None, "history_type": "+"}


class SeedError(Exception):
    """The bulk seed cannot run here; the message says why."""


@dataclass
class SeedResult:
    customers: int
    contacts: int
    tags: int
    seconds: float
    settle_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.customers / self.seconds if self.seconds else 0.0


@dataclass
class Table:
    """A table written row by row from attribute dicts."""

    name: str
    columns: list[str]
    pick: Callable[[dict[str, Any]], tuple[Any, ...]]
    adapt: list[Callable[[Any], Any] | None]

    @classmethod
    def of(cls, model: Any, *, skip_pk: bool = False) -> Table:
        fields = [f for f in model._meta.concrete_fields if not (skip_pk and f.primary_key)]
        columns = [f.column for f in fields]
        names = [f.attname for f in fields]
        adapt: list[Callable[[Any], Any] | None] = []
        for f in fields:
            kind = f.get_internal_type()
            if kind == "JSONField":
                adapt.append(custom_json)
            elif connection.vendor == "sqlite" and kind == "DateTimeField":
                adapt.append(_sqlite_datetime)
            elif connection.vendor == "sqlite" and kind in ("DateField", "TimeField"):
                adapt.append(str)
            else:
                adapt.append(None)
        return cls(model._meta.db_table, columns, itemgetter(*names), adapt)

    def rows(self, dicts: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        pick, adapt = self.pick, self.adapt
        if not any(adapt):
            return [pick(d) for d in dicts]
        slots = [(i, a) for i, a in enumerate(adapt) if a is not None]
        out = []
        for d in dicts:
            row = list(pick(d))
            for i, a in slots:
                if row[i] is not None:
                    row[i] = a(row[i])
            out.append(tuple(row))
        return out


def _sqlite_datetime(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime: naive UTC text."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


# --- writing -------------------------------------------------------------------------------------


def _copy(cursor: Any, table: Table, rows: list[tuple[Any, ...]]) -> None:
    columns = ", ".join(f'"{c}"' for c in table.columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(table.columns))
        cursor.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', rows)


class Writer:
    def __init__(self) -> None:
        history = Customer.history.model  # type: ignore[attr-defined]
        contact_history = Contact.history.model  # type: ignore[attr-defined]
        self.cards = Table.of(Customer)
        self.card_history = Table.of(history, skip_pk=True)
        self.contacts = Table.of(Contact)
        self.contact_history = Table.of(contact_history, skip_pk=True)
        self.tags = {t.name: t.pk for t in Tag.objects.filter(name__in=story.TAGS)}
        self.through = Customer.tags.through._meta.db_table

    def tables(self) -> list[str]:
        return [self.cards.name, self.card_history.name, self.contacts.name, self.contact_history.name, self.through]

    def write(self, cursor: Any, chunk: Chunk, history: bool) -> None:
        _copy(cursor, self.cards, self.cards.rows(chunk.cards))
        _copy(cursor, self.contacts, self.contacts.rows(chunk.contacts))
        if history:
            for rows, table in ((chunk.cards, self.card_history), (chunk.contacts, self.contact_history)):
                for row in rows:
                    row["history_date"] = row["created_at"]
                    row["history_relation_id"] = row["id"]  # the card's history_records link
                    row.update(HISTORY_EXTRA)
                _copy(cursor, table, table.rows(rows))
        tag_rows = [(pk, self.tags[name]) for pk, name in chunk.tags]
        through = Table(self.through, ["customer_id", "tag_id"], lambda r: r, [None, None])
        _copy(cursor, through, tag_rows)


# --- PostgreSQL: indexes and foreign keys off during the load ------------------------------------


def _pg_detach(cursor: Any, tables: list[str]) -> list[str]:
    """Drop the secondary indexes and foreign keys of `tables`; return the SQL that re-creates them."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
        [tables],
    )
    fks = cursor.fetchall()
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER TABLE while deferred checks are pending
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _definition in fks:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in fks
    ]


def _pg_sequences(cursor: Any, tables: list[str]) -> None:
    for table in tables:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        found = cursor.fetchone()
        if found and found[0]:
            cursor.execute(f'SELECT setval(%s, GREATEST(1, (SELECT COALESCE(MAX(id), 0) FROM "{table}")))', [found[0]])


# --- the seed ------------------------------------------------------------------------------------


def _org() -> DemoOrg:
    from kehu.accounts.models import OrgUnit, User
    from kehu.customers.demo.org import demo_present, seats
    from kehu.customers.demo.places import AREAS, HQ_CODE, REGIONS

    if not demo_present():
        return org_create()
    codes = [HQ_CODE, *(r.code for r in REGIONS), *(a.code for a in AREAS)]
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in seats()])}
    if len(units) != len(codes) or len(users) != len(seats()):
        raise SeedError("The demo company is only partly present; seed into an empty database.")
    return DemoOrg(units=units, users=users)


def bench_seed(
    *,
    customers: int,
    seed: int = 2026,
    contacts_per_customer: float | None = None,
    history: bool = True,
    chunk: int = DEFAULT_CHUNK,
    now: datetime | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> SeedResult:
    """Create the demo company (unless present) and `customers` more cards with contacts and tags."""
    if customers < 60:
        raise SeedError("Seed at least 60 customers, so that every area gets its channel tree.")
    started = time.perf_counter()
    now = now or timezone.now()
    pragmas = _sqlite_bulk_pragmas()
    try:
        written, contacts, tags = _load(customers, seed, contacts_per_customer, history, chunk, now, progress, started)
    finally:
        _sqlite_restore(pragmas)
    loaded = time.perf_counter() - started
    settle = settle_statistics()
    return SeedResult(written, contacts, tags, round(loaded, 1), round(settle, 1))


SQLITE_BULK = {"synchronous": "OFF", "cache_size": "-200000", "temp_store": "MEMORY"}


def _sqlite_bulk_pragmas() -> dict[str, Any]:
    """Faster settings for the load, on this connection only; returns the previous values."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return {}  # not allowed inside a transaction
    before = {}
    with connection.cursor() as cursor:
        for name, value in SQLITE_BULK.items():
            cursor.execute(f"PRAGMA {name}")
            before[name] = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA {name} = {value}")
    return before


def _sqlite_restore(before: dict[str, Any]) -> None:
    if not before or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for name, value in before.items():
            cursor.execute(f"PRAGMA {name} = {int(value)}")


def _load(
    customers: int,
    seed: int,
    contacts_per_customer: float | None,
    history: bool,
    chunk: int,
    now: datetime,
    progress: Callable[[int, float], None] | None,
    started: float,
) -> tuple[int, int, int]:
    written = contacts = tags = 0
    with transaction.atomic():
        org = _org()
        story.custom_fields_ensure()
        for name in story.TAGS:
            Tag.objects.get_or_create(name=name)
        drafter = BulkDrafter(
            org=org,
            rng=random.Random(seed),
            now=now,
            custom_fields=list(active_fields()),
            first_card_id=(Customer.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
            first_contact_id=(Contact.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
            contacts_per_customer=contacts_per_customer,
        )
        writer = Writer()
        with connection.cursor() as cursor:
            restore: list[str] = []
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                cursor.execute("SET LOCAL synchronous_commit = off")
                restore = _pg_detach(cursor, writer.tables())
            for part in drafter.chunks(customers, chunk):
                writer.write(cursor, part, history)
                written, contacts, tags = written + len(part.cards), contacts + len(part.contacts), tags + len(part.tags)
                if progress:
                    progress(written, time.perf_counter() - started)
            for statement in restore:
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                _pg_sequences(cursor, writer.tables())
        if _grants_missing():
            story.grants_create(org, now)  # two active loans, one pending …: the scope's grant branch
    return written, contacts, tags


def _grants_missing() -> bool:
    from kehu.accounts.models import AccessGrant

    return not AccessGrant.objects.exists()


def settle_statistics() -> float:
    """Planner statistics after a bulk load: VACUUM ANALYZE on PostgreSQL, ANALYZE on SQLite."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if connection.in_atomic_block:
                cursor.execute("ANALYZE")
            else:
                cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started
