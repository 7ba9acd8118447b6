"""`kehu import customers FILE`: progress on stderr, problems and a summary on stdout, exit status."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kehu.customers.models import Customer, ImportJob
from kehu.customers.tests.import_helpers import xlsx_bytes
from kehu.testing import World


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "customers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, rows: list[list[object]], name: str = "cards.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(xlsx_bytes(rows))
    return path


def test_it_checks_imports_the_good_rows_and_prints_the_problems(world: World, tmp_path: Path):
    path = write(tmp_path, [["客户名称", "信用额度"], ["命令行好店", 500], ["命令行坏店", "abc"]])
    out, err = run(path, "--user", "cathy")
    assert out.splitlines() == [
        "Row 3, 信用额度: abc — 'abc' is not a number.",
        "Checked 2 rows: 1 to create, 0 to update, 1 with problems, 0 look like existing cards.",
        "Imported: 1 created, 0 updated, 1 skipped, 0 contacts.",
    ]
    assert "checking [" in err and "importing [" in err and "2/2" in err
    assert Customer.objects.get(name="命令行好店").credit_limit == 500
    assert ImportJob.objects.get().created_by == world.cathy


def test_a_dry_run_writes_nothing(world: World, tmp_path: Path):
    out, _err = run(write(tmp_path, [["客户名称"], ["试运行店"]]), "--user", "cathy", "--dry-run")
    assert out.splitlines() == ["Checked 1 rows: 1 to create, 0 to update, 0 with problems, 0 look like existing cards."]
    assert not Customer.objects.filter(name="试运行店").exists()


def test_it_exits_non_zero_when_errors_leave_nothing_to_import(world: World, tmp_path: Path):
    path = write(tmp_path, [["客户名称", "信用额度"], ["坏店", "abc"]])
    with pytest.raises(SystemExit) as caught:
        run(path, "--user", "cathy")
    assert caught.value.code == 1
    with pytest.raises(CommandError, match="1 rows have problems and the import stops on errors"):
        path = write(tmp_path, [["客户名称", "信用额度"], ["好", 1], ["坏店", "abc"]], "b.xlsx")
        run(path, "--user", "cathy", "--on-error", "stop")
    assert not Customer.objects.filter(name__in=["坏店", "好"]).exists()


def test_it_updates_by_code(world: World, tmp_path: Path):
    out, _err = run(write(tmp_path, [["编码", "等级"], [world.bob_card.code, "A"]]), "--user", "ada", "--mode", "update")
    assert out.splitlines()[-1] == "Imported: 0 created, 1 updated, 0 skipped, 0 contacts."
    world.bob_card.refresh_from_db()
    assert world.bob_card.tier == "A"


def test_a_rep_or_an_unusable_file_is_refused_with_a_message(world: World, tmp_path: Path):
    path = write(tmp_path, [["客户名称"], ["甲"]])
    with pytest.raises(CommandError, match="You may not import customer cards."):
        run(path, "--user", "alice")
    bad = tmp_path / "picture.xlsx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(CommandError, match="not a spreadsheet"):
        run(bad, "--user", "cathy")
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "missing.xlsx", "--user", "cathy")
