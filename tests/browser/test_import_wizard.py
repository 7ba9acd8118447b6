"""A custodian at the browser imports a small workbook with errors: the name column is not
recognised and one credit limit is not a number. She fixes the mapping, sees the problem, chooses
to skip bad rows, imports, and finds the new card through the customer list's search."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from kehu.customers.models import Customer, ImportJob
from kehu.testing import World
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["客户全称", "客户编码", "信用额度", "联系人", "手机"]
ROWS = [
    ["华联超市连锁总店", "IMPB01", 8000, "王芳", "13900001111"],
    ["永辉便利店", "IMPB02", "abc", "李雷", "13900002222"],  # spreadsheet row 3: a bad credit limit
]


def workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    book.save(path)
    return path


def test_a_custodian_fixes_the_mapping_skips_a_bad_row_imports_and_finds_the_card(
    page: Any, world: World, tmp_path: Path
):
    log_in(page, "cathy")
    page.goto(f"{page.base_url}/customers/")
    page.locator("a.btn", has_text=re.compile("导入|Import")).first.click()
    expect(page).to_have_url(re.compile(r"/customers/imports/new/$"))

    # 1. Upload: the page is in Chinese and offers the templates.
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("a[href$='?lang=zh']")).to_have_count(1)
    page.set_input_files("input[type=file]", str(workbook(tmp_path / "客户.xlsx")))
    page.locator("button[type=submit].primary").click()

    # 2. Mapping: one row per column with samples; 客户全称 is not recognised, the rest are.
    expect(page).to_have_url(re.compile(r"/customers/imports/\d+/$"))
    rows = page.locator(".mapping-table tbody tr")
    expect(rows).to_have_count(len(HEADERS))
    expect(rows.first).to_contain_text("华联超市连锁总店")
    expect(page.locator("select[name=col_0]")).to_have_value("")
    expect(page.locator("select[name=col_1]")).to_have_value("code")
    expect(page.locator("select[name=col_2]")).to_have_value("credit_limit")
    page.check("input[name=on_error][value=stop]")
    page.locator("button[type=submit].primary").click()
    expect(page.locator(".mapping-error")).to_be_visible()  # no column goes into the customer name

    page.select_option("select[name=col_0]", "name")
    page.locator("button[type=submit].primary").click()

    # 3. Check: one card to create, the bad credit limit reported by row and column; with
    # "import nothing while any row has a problem" the import button is disabled.
    problem = page.locator(".problem-table tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.first).to_contain_text("3")
    expect(problem.first).to_contain_text("信用额度")
    expect(problem.first).to_contain_text("abc")
    expect(page.locator("[data-count=create]")).to_have_text("1")
    expect(page.locator("#import-commit")).to_be_disabled()

    page.locator("a.btn", has_text=re.compile("更改|Change")).click()
    expect(page.locator("select[name=col_0]")).to_have_value("name")
    page.check("input[name=on_error][value=skip]")
    page.locator("button[type=submit].primary").click()
    expect(page.locator("#import-commit")).to_be_enabled()
    assert Customer.objects.filter(code__startswith="IMPB").count() == 0  # the check wrote nothing

    # 4-5. Import, then the result links the list sorted by newest.
    page.locator("#import-commit").click()
    expect(page.locator("[data-count=created]")).to_have_text("1")
    expect(page.locator("[data-count=skipped]")).to_have_text("1")
    page.locator("#see-new-cards").click()
    expect(page.locator(".customer-table td.name-cell a").first).to_have_text("华联超市连锁总店")

    # The new card is found through the search box, by name and by pinyin initials.
    page.goto(f"{page.base_url}/customers/")
    page.fill("#id_q", "华联超市")
    page.keyboard.press("Enter")
    found = page.locator(".customer-table td.name-cell a")
    expect(found).to_have_count(1)
    expect(found.first).to_have_text("华联超市连锁总店")
    found.first.click()
    expect(page.locator("h1")).to_contain_text("华联超市连锁总店")

    card = Customer.objects.get(code="IMPB01")
    assert (card.name, str(card.credit_limit)) == ("华联超市连锁总店", "8000.00")
    assert card.contacts.get().mobile == "13900001111"
    assert not Customer.objects.filter(code="IMPB02").exists()
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


def test_the_wizard_fits_a_phone_screen(phone_page: Any, world: World, tmp_path: Path):
    page = phone_page
    log_in(page, "cathy")
    page.goto(f"{page.base_url}/customers/imports/new/")
    page.set_input_files("input[type=file]", str(workbook(tmp_path / "phone.xlsx")))
    page.locator("button[type=submit].primary").click()
    expect(page.locator(".mapping-table tbody tr")).to_have_count(len(HEADERS))
    page.select_option("select[name=col_0]", "name")
    page.locator("button[type=submit].primary").click()
    expect(page.locator(".problem-table tbody tr")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the check page scrolls sideways on a phone: {width}px"


def test_a_large_file_shows_a_live_progress_bar_and_can_be_cancelled(
    page: Any, world: World, tmp_path: Path, settings
):
    from kehu.customers.tests.test_import_task import run_worker

    settings.KEHU_IMPORT_INLINE_ROWS = 1  # two rows count as large: the check and import go to the worker
    log_in(page, "cathy")
    page.goto(f"{page.base_url}/customers/imports/new/")
    page.set_input_files("input[type=file]", str(workbook(tmp_path / "large.xlsx")))
    page.locator("button[type=submit].primary").click()
    page.select_option("select[name=col_0]", "name")
    page.locator("button[type=submit].primary").click()

    # Checking in the background: the progress bar polls; when the worker is done the page turns
    # into the check results by itself.
    expect(page.locator("#import-progress progress")).to_be_visible()
    expect(page.locator("#import-progress .phase")).to_contain_text(re.compile("检查|Checking"))
    run_worker()
    expect(page.locator(".problem-table tbody tr")).to_have_count(1)

    # The import waits for the worker; Cancel stops it before anything is written.
    page.locator("#import-commit").click()
    expect(page.locator("#import-progress .phase")).to_contain_text(re.compile("等待|Waiting"))
    page.locator("#import-cancel").click()
    expect(page.locator(".import-status-cancelled").first).to_be_visible()
    run_worker()
    assert ImportJob.objects.get().status == ImportJob.Status.CANCELLED
    assert not Customer.objects.filter(code__startswith="IMPB").exists()
