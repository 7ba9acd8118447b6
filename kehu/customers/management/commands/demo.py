"""`kehu demo`: load the demo company (清泉饮品) with its logins and customer cards."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import OrgUnit, Role
from kehu.customers.demo import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DemoError,
    demo_build,
    demo_counts,
    demo_logins,
    demo_present,
)
from kehu.customers.demo.places import COMPANY_NAME
from kehu.customers.demo_hooks import demo_steps_run
from kehu.customers.models import Customer


class Command(BaseCommand):
    help = "Load a fictional beverage company with org tree, logins and customer cards (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"How many customer cards to create (default {DEFAULT_CUSTOMERS}).",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed; the same seed gives the same data."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already holds any customer."
        )

    def handle(self, *args: Any, customers: int, seed: int, if_empty: bool, **options: Any) -> None:
        if demo_present():
            self.stdout.write(f"The demo company {COMPANY_NAME} is already loaded; nothing was changed.")
            self._print_logins()
            return
        if if_empty and Customer.objects.exists():
            self.stdout.write("The database already holds customers; the demo was not loaded.")
            return
        started = time.monotonic()
        now = timezone.now()
        try:
            # The cards and every app's demo step (sales, …) land together or not at all.
            with transaction.atomic():
                org = demo_build(customers=customers, seed=seed, now=now)
                reports = demo_steps_run(org=org, seed=seed, now=now)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Loaded the demo company {COMPANY_NAME} in {elapsed:.1f} s."))
        self._print_counts()
        for name, counts in reports.items():
            self.stdout.write(f"  {name}: {_pairs(dict(counts))}")
        self._print_logins()

    def _print_counts(self) -> None:
        counts = demo_counts()
        self.stdout.write(f"  org units: {counts['org_units']}   users: {_pairs(counts['users'])}")
        self.stdout.write(f"  customers: {counts['customers']}   by level: {_pairs(counts['by_level'])}")
        self.stdout.write(f"  by status: {_pairs(counts['by_status'])}")
        self.stdout.write(
            f"  contacts: {counts['contacts']}   stale: {counts['stale']}   archived: {counts['archived']}   "
            f"groups: {_pairs(counts['groups'])}   loans: {_pairs(counts['grants'])}"
        )

    def _print_logins(self) -> None:
        seats = demo_logins()
        if not seats:
            return
        units = dict(OrgUnit.objects.values_list("code", "name"))
        self.stdout.write("")
        self.stdout.write(f"{'username':<14} {'role':<10} {'org unit':<8} name")
        for seat in seats:
            role = Role(seat.role)
            self.stdout.write(
                f"{seat.username:<14} {role.value:<10} {seat.unit_code:<8} "
                f"{units.get(seat.unit_code, '')} · {seat.display_name}"
            )
        self.stdout.write("")
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}   (for local use only)")


def _pairs(mapping: object) -> str:
    assert isinstance(mapping, dict)
    return ", ".join(f"{key} {value}" for key, value in sorted(mapping.items()))
