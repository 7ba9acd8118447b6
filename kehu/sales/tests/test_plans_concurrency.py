"""Concurrent plan writes on PostgreSQL (real transactions in threads): two first drafts of one month
do not both win, two saves of the same version do not both land, an approval and a reopen do not
interleave. SQLite serialises writers on the whole database, so the tests skip there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from kehu.accounts.db_triggers import install_append_only_triggers, remove_append_only_triggers
from kehu.core.errors import VersionConflict
from kehu.sales.models import PlanStatus, SalesPlan
from kehu.sales.services.plans import plan_approve, plan_reopen, plan_save, plan_submit
from kehu.sales.testing import in_threads, make_product
from kehu.testing import World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent inserts: PostgreSQL"),
]
NOV = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _flushable_audit_log() -> Iterator[None]:
    install_append_only_triggers(connection)
    yield
    remove_append_only_triggers(connection)


@pytest.fixture(scope="module", autouse=True)
def _database_as_before(django_db_blocker: Any) -> Iterator[None]:
    """These tests commit, so each is followed by a flush, which also empties the rows the sales
    migrations seeded (credit policies, lifecycle rules); seed them again at the end, so later tests
    (and a --reuse-db run) find the database as migrated."""
    yield
    with django_db_blocker.unblock():
        reseed_migrated_rows()
        install_append_only_triggers(connection)


def reseed_migrated_rows() -> None:
    from importlib import import_module

    from django.apps import apps

    import_module("kehu.sales.migrations.0002_default_policies").seed(apps, None)


def test_two_first_drafts_of_a_month_do_not_both_win(world: World) -> None:
    beer = make_product("B-500", "啤酒", "10.00")

    def draft(amount: str, actor: Any) -> Decimal:
        return plan_save(actor=actor, customer=world.alice_card.pk, month=NOV, lines=[(beer.pk, 1, amount, "")],
                         supports=[]).total_amount

    results = in_threads([lambda: draft("100", world.alice), lambda: draft("200", world.mia)])
    won = [r for r in results if isinstance(r, Decimal)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "version" in lost[0].message_dict  # the second saw the first's plan: it must say which version it edits
    assert SalesPlan.objects.get().total_amount == won[0]


def test_two_saves_of_one_version_do_not_both_land(world: World) -> None:
    beer = make_product("B-500", "啤酒", "10.00")
    plan = plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[], supports=[])

    def save(amount: str, actor: Any) -> int:
        return plan_save(actor=actor, customer=world.alice_card, month=NOV, lines=[(beer.pk, 1, amount, "")],
                         supports=[], version=plan.version).version

    results = in_threads([lambda: save("100", world.alice), lambda: save("200", world.mia)])
    assert sorted(type(r).__name__ for r in results) == ["VersionConflict", "int"], results
    assert SalesPlan.objects.get().version == 2


def test_an_approval_and_a_reopen_of_one_version_do_not_both_happen(world: World) -> None:
    beer = make_product("B-500", "啤酒", "10.00")
    plan = plan_save(actor=world.alice, customer=world.alice_card, month=NOV, lines=[(beer.pk, 1, 10, "")], supports=[])
    plan = plan_submit(actor=world.alice, plan_id=plan.pk, version=plan.version)
    results = in_threads([
        lambda: plan_approve(actor=world.mia, plan_id=plan.pk, version=plan.version).status,
        lambda: plan_reopen(actor=world.alice, plan_id=plan.pk, version=plan.version).status,
    ])
    assert sum(isinstance(r, VersionConflict) for r in results) == 1, results
    assert SalesPlan.objects.get().status in (PlanStatus.APPROVED, PlanStatus.DRAFT)
    assert SalesPlan.objects.get().version == plan.version + 1
