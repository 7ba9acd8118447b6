"""Writing a checked batch: bulk inserts and updates with their history rows, inside the caller's transaction.

Each new card gets what customer_create gives it (cards.py helpers): the geocoded place (done while
checking), a KH code when none was given, the pinyin search text, the completeness score; each
change what customer_update gives it: version + 1, updated_at, history. History rows are written
by simple-history's bulk_history_create, with the importer as history user and the job as reason.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Max

from kehu.accounts.models import User
from kehu.customers.completeness import completeness_score
from kehu.customers.imports.convert import fold
from kehu.customers.imports.sql import NewRow, defaults, insert_history, insert_objects
from kehu.customers.models import Contact, Customer, CustomField, GeoPrecision, ImportJob
from kehu.customers.search import build_search_text

if TYPE_CHECKING:
    from kehu.customers.imports.pipeline import Row

DB_BATCH = 500


class Writer:
    def __init__(
        self, actor: User, fields: list[CustomField], now: datetime, job: ImportJob, user_units: dict[int, int | None]
    ) -> None:
        self.actor, self.fields, self.now = actor, fields, now
        self.user_units = user_units  # active users' org units, read once per import (Lookups)
        self.reason = f"import #{job.pk}"
        self.created = self.updated = self.contacts = 0
        self._next_number = (Customer.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        self._card_defaults, self._contact_defaults = defaults(Customer), defaults(Contact)
        self._attnames = {f.name: f.attname for f in Customer._meta.concrete_fields}

    # --- new cards -----------------------------------------------------------------------------
    def _codes(self, count: int) -> list[str]:
        """`count` free KH codes after the highest id (customer_create's scheme), two queries a batch."""
        codes: list[str] = []
        while len(codes) < count:
            wanted = [f"KH{n:07d}" for n in range(self._next_number, self._next_number + count - len(codes) + 16)]
            taken = set(Customer.objects.filter(code__in=wanted).values_list("code", flat=True))
            for code in wanted:
                self._next_number += 1
                if code not in taken:
                    codes.append(code)
                    if len(codes) == count:
                        break
        return codes

    def _new_card(self, row: Row) -> tuple[NewRow, NewRow | None]:
        values = {**self._card_defaults, "created_at": self.now, "updated_at": self.now}
        for name, value in row.card.items():
            if name != "geo_message":
                values[self._attnames[name]] = value
        values["custom"] = row.custom_clean
        customer = NewRow(values)
        contact = None
        if row.contact.get("name"):
            contact = NewRow({**self._contact_defaults, "is_primary": True, "created_at": self.now,
                              "updated_at": self.now, **row.contact})
        customer.completeness = completeness_score(customer, [contact] if contact else [], self.fields)  # type: ignore[arg-type]
        return customer, contact

    def _create(self, rows: list[Row]) -> None:
        pairs = [self._new_card(row) for row in rows]
        missing = [c for c, _contact in pairs if not c.code]
        for customer, code in zip(missing, self._codes(len(missing)), strict=True):
            customer.code = code
        for row, (customer, _contact) in zip(rows, pairs, strict=True):
            customer.search_text = row.search_text or build_search_text(
                name=customer.name, short_name=customer.short_name, code=customer.code, phone=customer.phone
            )
        customers = [c for c, _contact in pairs]
        insert_objects(Customer, customers)
        self._history(Customer, customers)
        contacts = []
        for customer, contact in pairs:
            if contact is not None:
                contact.customer_id = customer.id
                contacts.append(contact)
        self._save_contacts(contacts, [])
        self.created += len(customers)

    # --- existing cards ------------------------------------------------------------------------
    def _apply(self, row: Row, contacts: list[Contact]) -> tuple[bool, Contact | None, Contact | None]:
        """Set the row's values on its card; (card changed, new contact, changed contact)."""
        from kehu.customers.services.cards import _geocoded

        customer = row.existing
        assert customer is not None
        data = {k: v for k, v in row.card.items() if k != "code"}
        if "address" in data and data["address"] != customer.address:
            exact = customer.geo_precision == GeoPrecision.EXACT
            data = _geocoded({"lat": customer.lat, "lng": customer.lng, **data} if exact else data)
        changed = False
        for name, value in data.items():
            attname = Customer._meta.get_field(name).attname
            if getattr(customer, attname) != value:
                setattr(customer, attname, value)
                changed = True
        if row.custom_clean != customer.custom:
            customer.custom, changed = row.custom_clean, True
        if "owner" in data and "org_unit" not in data and not customer.org_unit_id:
            customer.org_unit_id = self.user_units.get(customer.owner_id)
        new_contact = changed_contact = None
        if row.contact.get("name"):
            same = next((c for c in contacts if fold(c.name) == fold(row.contact["name"])), None)
            if same is None:
                new_contact = Contact(
                    customer_id=customer.pk, is_primary=not any(c.is_primary for c in contacts),
                    created_at=self.now, updated_at=self.now, **row.contact,
                )
                contacts.append(new_contact)
            elif any(getattr(same, k) != v for k, v in row.contact.items()):
                for k, v in row.contact.items():
                    setattr(same, k, v)
                same.version += 1
                same.updated_at = self.now
                changed_contact = same
        return changed, new_contact, changed_contact

    def _update(self, rows: list[Row]) -> int:
        by_card: dict[int, list[Contact]] = defaultdict(list)
        for contact in Contact.objects.filter(customer_id__in=[r.existing.pk for r in rows if r.existing]):
            by_card[contact.customer_id].append(contact)
        changed_cards: list[Customer] = []
        new_contacts: list[Contact] = []
        changed_contacts: list[Contact] = []
        unchanged = 0
        for row in rows:
            customer = row.existing
            assert customer is not None
            contacts = by_card[customer.pk]
            changed, new_contact, changed_contact = self._apply(row, contacts)
            new_contacts += [new_contact] if new_contact else []
            changed_contacts += [changed_contact] if changed_contact else []
            if not (changed or new_contact or changed_contact):
                unchanged += 1
                continue
            if changed:
                customer.version += 1
                customer.updated_at = self.now
            customer.search_text = build_search_text(
                name=customer.name, short_name=customer.short_name, code=customer.code, phone=customer.phone
            )
            customer.completeness = completeness_score(customer, contacts, self.fields)
            changed_cards.append(customer)
        if changed_cards:
            fields = [f.attname for f in Customer._meta.concrete_fields if not f.primary_key and f.name != "created_at"]
            Customer.objects.bulk_update(changed_cards, fields, batch_size=DB_BATCH)
            self._history(Customer, changed_cards, update=True)
        self._save_contacts(new_contacts, changed_contacts)
        self.updated += len(changed_cards)
        return unchanged

    # --- shared --------------------------------------------------------------------------------
    def _save_contacts(self, new: list[Contact], changed: list[Contact]) -> None:
        if new:
            insert_objects(Contact, new)
            self._history(Contact, new)
        if changed:
            fields = ["name", "title", "mobile", "phone", "email", "wechat", "version", "updated_at"]
            Contact.objects.bulk_update(changed, fields, batch_size=DB_BATCH)
            self._history(Contact, changed, update=True)
        self.contacts += len(new)

    def _history(self, model: Any, objs: list[Any], *, update: bool = False) -> None:
        insert_history(
            model, objs, history_type="~" if update else "+", user_id=self.actor.pk, reason=self.reason, when=self.now
        )

    def write_batch(self, creates: list[Row], updates: list[Row]) -> int:
        """Write one checked batch; the number of update rows that changed nothing."""
        if creates:
            self._create(creates)
        return self._update(updates) if updates else 0
