"""Large files prepare rows in forked worker processes; the outcome is the same as in one process."""

from __future__ import annotations

from kehu.customers.imports import import_commit
from kehu.customers.models import Customer
from kehu.customers.tests.import_helpers import checked, xlsx_bytes
from kehu.testing import World


def rows() -> list[list[object]]:
    table: list[list[object]] = [["编码", "名称", "地址", "电话", "信用额度", "联系人"]]
    for n in range(40):
        limit: object = "abc" if n % 13 == 0 else n * 100
        phone = "010-62345678" if n == 7 else f"139{n:08d}"  # row 9 repeats alice_card's phone
        table.append([f"P{n:03d}", f"并行测试{n}号店", f"上海市浦东新区张杨路{n + 1}号", phone, limit, f"联系人{n}"])
    return table


def test_worker_processes_give_the_same_check_and_import(world: World, settings):
    settings.KEHU_IMPORT_BATCH_ROWS = 7
    data = xlsx_bytes(rows(), formulas={(5, 4): ("=1/0", "#DIV/0!")})
    serial = checked(world.cathy, data, import_duplicates=True)
    settings.KEHU_IMPORT_PARALLEL_ROWS, settings.KEHU_IMPORT_WORKERS = 1, 2
    parallel = checked(world.cathy, data, import_duplicates=True)
    assert parallel.problems == serial.problems and len(serial.problems) == 5
    assert parallel.duplicates == serial.duplicates and parallel.summary == serial.summary
    job = import_commit(parallel, world.cathy)
    assert job.result["created"] == 35
    card = Customer.objects.get(code="P001")
    assert (card.district, card.search_text.split()[:2]) == ("浦东新区", ["并行测试1号店", "p001"])
    assert "bxcs1hd" in card.search_text and card.contacts.get().name == "联系人1"
