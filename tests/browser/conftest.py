"""Playwright driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to set
# up and check data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _flushable_audit_log(transactional_db: Any) -> Iterator[None]:
    """Live-server tests empty the database after each test; the append-only triggers would
    refuse that flush, so they are lifted for it and put back for the next test."""
    from django.db import connection

    from kehu.accounts.db_triggers import install_append_only_triggers, remove_append_only_triggers

    install_append_only_triggers(connection)
    yield
    remove_append_only_triggers(connection)


@pytest.fixture(scope="module", autouse=True)
def _database_as_before(django_db_blocker: Any) -> Iterator[None]:
    """The flush after live-server tests empties the rows the sales migrations seeded; seed them again."""
    yield
    from django.db import connection

    from kehu.accounts.db_triggers import install_append_only_triggers
    from kehu.sales.tests.test_plans_concurrency import reseed_migrated_rows

    with django_db_blocker.unblock():
        reseed_migrated_rows()
        install_append_only_triggers(connection)


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()
