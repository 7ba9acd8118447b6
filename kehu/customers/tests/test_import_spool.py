"""The commit reuses the check's prepared rows (the spool) when file, mapping and custom fields are the same,
and still decides against the database as it is at commit time."""

from __future__ import annotations

import pytest

from kehu.customers.imports import import_commit, import_configure
from kehu.customers.imports.pipeline import ImportRun
from kehu.customers.imports.spool import spool_path
from kehu.customers.models import Customer, CustomField
from kehu.customers.tests.import_helpers import checked, xlsx_bytes
from kehu.testing import World

ROWS = [["名称", "地址", "负责人"],
        ["长春朝阳区万福超市", "吉林省长春市朝阳区西安大路100号", "alice"],
        ["北京海淀区兴旺副食店", "北京市海淀区中关村大街1号", "bob"]]


@pytest.fixture
def prepared(monkeypatch) -> list[int]:
    """Counts rows prepared from the file (the real method still does the work)."""
    calls: list[int] = []
    real = ImportRun.prepare_row

    def counting(self, number, cells):
        calls.append(number)
        return real(self, number, cells)

    monkeypatch.setattr(ImportRun, "prepare_row", counting)
    return calls


def test_the_commit_reads_the_checks_rows_instead_of_preparing_the_file_again(world: World, prepared):
    job = checked(world.cathy, xlsx_bytes(ROWS))
    assert prepared == [2, 3] and spool_path(job).exists()
    job = import_commit(job, world.cathy)
    assert prepared == [2, 3], "the commit prepared the file a second time"
    assert (job.status, job.result["created"]) == ("done", 2)
    card = Customer.objects.get(name="长春朝阳区万福超市")
    assert (card.district, card.owner, "cccyqwfcs" in card.search_text) == ("朝阳区", world.alice, True)
    assert not spool_path(job).exists()


def test_a_changed_mapping_or_custom_field_prepares_the_file_again(world: World, prepared):
    job = checked(world.cathy, xlsx_bytes(ROWS))
    job = import_configure(job, world.cathy, mapping={**job.mapping, "2": ""}, mode="create", on_error="skip")
    from kehu.customers.imports import import_check

    job = import_check(job, world.cathy)
    CustomField.objects.create(key="freezers", label_zh="冰柜数量", label_en="Freezers", field_type="number")
    job = import_commit(job, world.cathy)
    assert prepared == [2, 3, 2, 3, 2, 3]
    assert job.status == "done" and Customer.objects.get(name="长春朝阳区万福超市").owner is None


def test_an_owner_deactivated_between_check_and_commit_is_a_row_problem(world: World):
    job = checked(world.cathy, xlsx_bytes(ROWS))
    world.bob.is_active = False
    world.bob.save()
    job = import_commit(job, world.cathy)
    assert (job.status, job.result["created"], job.result["skipped"]) == ("done", 1, 1)
    assert [(p["row"], p["field"]) for p in job.problems] == [(3, "owner")]
    assert not Customer.objects.filter(name="北京海淀区兴旺副食店").exists()


def test_the_commit_flags_the_same_duplicates_as_the_check_across_batches(world: World, settings):
    settings.KEHU_IMPORT_BATCH_ROWS = 1
    rows = [["名称", "电话", "地址"],
            ["长春朝阳区万福超市", "0431-88886666", "吉林省长春市朝阳区西安大路100号"],
            ["天津和平区老王商行", "0431-88886666", "天津市和平区南京路1号"]]
    job = checked(world.cathy, xlsx_bytes(rows), import_duplicates=True)
    at_check = job.duplicates
    assert [(d["row"], [m["id"] for m in d["matches"]]) for d in at_check] == [(3, [None])]
    job = import_commit(job, world.cathy)
    assert job.status == "done" and job.result["created"] == 2
    assert job.duplicates == at_check
