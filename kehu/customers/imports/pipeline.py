"""One pass over an import file: convert, validate, flag duplicates and (when committing) write.

The same pass serves the dry run (`write=False`) and the commit (`write=True`), so the commit
re-validates everything against the database as it is then. Rows stream in batches
(KEHU_IMPORT_BATCH_ROWS): each batch costs a handful of queries whatever its size, and memory stays
flat with the file size. The caller holds the transaction; a cancel or an error raises out of it.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.customers.custom_fields import active_fields, custom_values_clean
from kehu.customers.dedupe import Keys
from kehu.customers.imports.convert import CellError, Lookups, build_converters, check_formula, is_empty
from kehu.customers.imports.dupes import DuplicateFinder
from kehu.customers.imports.errors import ImportCancelled
from kehu.customers.imports.parallel import prepared_batches, worker_count
from kehu.customers.imports.progress import Progress
from kehu.customers.imports.reader import Table, cell_text
from kehu.customers.imports.spool import SpoolWriter, spooled_batches
from kehu.customers.imports.targets import CONTACT_KEYS, CUSTOM_PREFIX
from kehu.customers.imports.write import Writer
from kehu.customers.models import Customer, ImportJob, ImportMode
from kehu.customers.search import build_search_text

MAX_PROBLEMS = 1000
MAX_DUPLICATES = 500
CREATE, UPDATE, UNCHANGED, SKIP, DUPLICATE = "create", "update", "unchanged", "skip", "duplicate"


@dataclass
class Row:
    number: int
    card: dict[str, Any] = field(default_factory=dict)
    contact: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (target key, value, message)
    action: str = ""
    existing: Customer | None = None
    custom_clean: dict[str, Any] = field(default_factory=dict)
    keys: Keys | None = None
    geo_card: dict[str, Any] | None = None  # the card as a new card would be saved (geocoded)
    search_text: str = ""


@dataclass
class Outcome:
    counts: Counter[str]
    problems: list[dict[str, Any]]
    problem_count: int
    duplicates: list[dict[str, Any]]
    stopped: bool  # on_error=stop and some row had a problem: nothing may be written
    contacts: int = 0  # contacts created

    @property
    def summary(self) -> dict[str, int]:
        c = self.counts
        return {
            "rows": c["rows"], "create": c[CREATE], "update": c[UPDATE], "unchanged": c[UNCHANGED],
            "skip": c[SKIP], "errors": c[SKIP], "duplicates": c["flagged"],
        }


class ImportRun:
    def __init__(self, job: ImportJob, actor: User, table: Table, *, write: bool, progress: Progress | None) -> None:
        self.job, self.actor, self.table, self.write, self.progress = job, actor, table, write, progress
        self.fields = active_fields()
        active = {f"{CUSTOM_PREFIX}{f.key}" for f in self.fields}
        # A custom field switched off since the mapping was saved: its column is ignored.
        self.mapping = {
            int(k): v for k, v in job.mapping.items() if v and (not v.startswith(CUSTOM_PREFIX) or v in active)
        }
        self.columns = {key: index for index, key in self.mapping.items()}
        self.lookups = Lookups()
        self.converters = build_converters(self.mapping, self.fields, self.lookups)
        self.finder = DuplicateFinder(actor)
        self.codes_seen: dict[str, int] = {}
        self.counts: Counter[str] = Counter()
        self.problems: list[dict[str, Any]] = []
        self.problem_count = 0
        self.duplicates: list[dict[str, Any]] = []
        self.stopped = False
        self.now = timezone.now()
        self.writer = Writer(actor, self.fields, self.now, job, self.lookups.user_units) if write else None
        self.stop_on_error = job.on_error == "stop"

    # --- driving -------------------------------------------------------------------------------
    def run(self) -> Outcome:
        spool = None if self.write else SpoolWriter(self.job, self.fields)
        try:
            for prepared in self._prepared():
                if self.progress is not None and self.progress.cancelled():
                    raise ImportCancelled
                if spool is not None:
                    spool.add(prepared)  # before _batch, which decides per row against the database
                self._batch(prepared)
                if self.progress is not None:
                    self.progress.advance(self.counts["rows"])
        except BaseException:
            if spool is not None:
                spool.abandon()
            raise
        if spool is not None:
            spool.finish()
        if self.progress is not None:
            self.progress.publish(force=True)
        contacts = self.writer.contacts if self.writer is not None else 0
        return Outcome(self.counts, self.problems, self.problem_count, self.duplicates, self.stopped, contacts)

    def _prepared(self) -> Iterator[list[Row]]:
        """Prepared batches: the check's spool when the commit follows a check of the same file and
        mapping, else the file itself, prepared here (or in worker processes for large files)."""
        spooled = spooled_batches(self.job, self.fields) if self.write else None
        if spooled is not None:
            return spooled
        size = max(1, settings.KEHU_IMPORT_BATCH_ROWS)
        rows = self.table.iter_rows()
        batches = iter(lambda: list(itertools.islice(rows, size)), [])
        return prepared_batches(self, batches, worker_count(self.table.total_rows))

    def _batch(self, rows: list[Row]) -> None:
        self.counts["rows"] += len(rows)
        existing = self._existing_by_code(rows)
        for row in rows:
            self._decide(row, existing)
        creates = [r for r in rows if r.action == CREATE and not r.errors]
        self.finder.prepare([r.keys for r in creates if r.keys is not None])
        for row in creates:
            self._flag_duplicates(row)
        for row in rows:
            if row.errors:
                row.action = SKIP
                self._report(row)
            self.counts[row.action] += 1
        if self.writer is not None and not self.stopped:
            unchanged = self.writer.write_batch([r for r in rows if r.action == CREATE], [r for r in rows if r.action == UPDATE])
            self.counts[UPDATE] -= unchanged
            self.counts[UNCHANGED] += unchanged

    # --- one row -------------------------------------------------------------------------------
    def prepare_row(self, number: int, cells: list[Any]) -> Row:
        """What needs no database: conversion, geocode, duplicate keys, search text (worker processes)."""
        from kehu.customers.services.cards import _geocoded

        row = self._convert(number, cells)
        if not row.errors and row.card.get("name"):
            row.geo_card = _geocoded(row.card)
            row.keys = Keys.of(row.geo_card)
            if row.card.get("code"):  # computed while checking, so that the commit can reuse it
                card = row.card
                row.search_text = build_search_text(
                    name=card["name"], short_name=card.get("short_name", ""), code=card["code"], phone=card.get("phone", "")
                )
        return row

    def _convert(self, number: int, cells: list[Any]) -> Row:
        row = Row(number)
        for index, key in self.mapping.items():
            raw = cells[index] if index < len(cells) else None
            if raw is None or raw == "":
                continue
            try:
                if isinstance(raw, str):
                    if raw[0] in "#\x00 ":
                        check_formula(raw)
                    if is_empty(raw):
                        continue
                value = self.converters[index](raw)
            except CellError as exc:
                row.errors.append((key, cell_text(raw), exc.message))
                continue
            except (ValueError, TypeError, ArithmeticError, ValidationError):  # one odd cell never stops the import
                message = _("'%(value)s' cannot be read for this column.") % {"value": cell_text(raw)}
                row.errors.append((key, cell_text(raw), message))
                continue
            if key.startswith(CUSTOM_PREFIX):
                row.custom[key.removeprefix(CUSTOM_PREFIX)] = value
            elif key in CONTACT_KEYS:
                row.contact[key.removeprefix("contact_")] = value
            else:
                row.card[key] = value
        return row

    def _existing_by_code(self, rows: list[Row]) -> dict[str, Customer]:
        codes = {r.card["code"] for r in rows if r.card.get("code")}
        if not codes:
            return {}
        if self.job.mode == ImportMode.CREATE:
            return {c.code: c for c in Customer.objects.filter(code__in=codes).only("id", "code")}
        return Customer.objects.select_related("org_unit").in_bulk(codes, field_name="code")

    def _error(self, row: Row, key: str, message: str) -> None:
        value = row.card.get(key, "") if key in row.card else ""
        row.errors.append((key, str(value), message))

    def _decide(self, row: Row, existing: dict[str, Customer]) -> None:
        code = row.card.get("code", "")
        if code:
            earlier = self.codes_seen.setdefault(code, row.number)
            if earlier != row.number:
                self._error(row, "code", _("This code already appears in row %(row)d.") % {"row": earlier})
        card = existing.get(code) if code else None
        mode = self.job.mode
        if mode == ImportMode.UPDATE and not code and not any(k == "code" for k, _v, _m in row.errors):
            row.errors.append(("code", "", _("This field is required.")))
        elif mode == ImportMode.UPDATE and code and card is None:
            self._error(row, "code", _("No card has the code %(code)s.") % {"code": code})
        elif mode == ImportMode.CREATE and card is not None:
            self._error(row, "code", _("Another card already has the code %(code)s.") % {"code": code})
        if card is not None and mode != ImportMode.CREATE:
            row.action, row.existing = UPDATE, card
            if card.is_archived:
                self._error(row, "code", _("The card %(code)s is archived; restore it before updating it.") % {"code": code})
            elif not scope.can_edit(self.actor, card):
                self._error(row, "code", _("You may not edit this card."))
        elif mode == ImportMode.UPDATE:
            row.action = SKIP
        else:
            row.action = CREATE
            if not row.card.get("name") and not any(k == "name" for k, _v, _m in row.errors):
                row.errors.append(("name", "", _("This field is required.")))
        if row.contact and not row.contact.get("name") and not any(k == "contact_name" for k, _v, _m in row.errors):
            row.errors.append(("contact_name", "", _("A contact needs a name when other contact columns are filled.")))
        self._still_there(row)
        self._clean_custom(row)
        if row.action == CREATE and not row.errors:
            self._prepare_create(row)

    def _still_there(self, row: Row) -> None:
        """A commit that reuses the check's rows: owners and org units read then must still exist now."""
        owner, unit = row.card.get("owner"), row.card.get("org_unit")
        if owner is not None and owner not in self.lookups.user_units:
            row.errors.append(("owner", "", _("This user was deactivated after the check.")))
        if unit is not None and unit not in self.lookups.unit_ids:
            row.errors.append(("org_unit", "", _("This org unit was removed after the check.")))

    def _clean_custom(self, row: Row) -> None:
        current = row.existing.custom if row.action == UPDATE and row.existing is not None else {}
        try:
            row.custom_clean = custom_values_clean(self.fields, row.custom, current)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                key = CUSTOM_PREFIX + name.removeprefix("custom.")
                value = row.custom.get(name.removeprefix("custom."), "")
                row.errors.append((key, str(value), " ".join(messages)))

    def _prepare_create(self, row: Row) -> None:
        from kehu.customers.services.cards import _geocoded

        if row.geo_card is None:
            row.geo_card = _geocoded(row.card)
            row.keys = Keys.of(row.geo_card)
        row.card = row.geo_card
        owner = row.card.get("owner")
        if owner and not row.card.get("org_unit"):
            row.card["org_unit"] = self.lookups.user_units.get(owner)

    def _flag_duplicates(self, row: Row) -> None:
        assert row.keys is not None
        matches = self.finder.matches(row.keys)
        self.finder.remember(row.keys, row=row.number, code=row.card.get("code", ""), name=row.card.get("name", ""))
        if not matches:
            return
        self.counts["flagged"] += 1
        if len(self.duplicates) < MAX_DUPLICATES:
            self.duplicates.append({"row": row.number, "name": row.card.get("name", ""), "matches": matches})
        if not self.job.import_duplicates:
            row.action = DUPLICATE

    def _report(self, row: Row) -> None:
        if self.stop_on_error:
            self.stopped = True
        for key, value, message in row.errors:
            self.problem_count += 1
            if len(self.problems) < MAX_PROBLEMS:
                index = self.columns.get(key)
                column = self.table.headers[index] if index is not None and index < len(self.table.headers) else ""
                self.problems.append(
                    {"row": row.number, "column": column, "field": key, "value": value, "message": message}
                )
