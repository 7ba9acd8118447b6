"""The one small world every test shares (see kehu/testing.py): an org tree, a user per role, cards."""

from typing import Any

import pytest

from kehu.testing import *  # noqa: F403  (fixtures)


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # Real hashing costs ~0.3 s a password; the test world makes ten users per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests assert exact messages, written in the msgid language; the Chinese default is tested
    # on its own (kehu/web/tests/test_i18n.py, browser tests with a zh-CN browser).
    settings.LANGUAGE_CODE = "en"
    # Each test run gets its own file cache (throttle counters, import progress) and media directory:
    # runs side by side must not clear each other's.
    import tempfile

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="kehu-media-")  # uploaded import files
    if settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": tempfile.mkdtemp(prefix="kehu-cache-")}}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Throttle counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _seeded_rows_after_flush(request: Any, django_db_blocker: Any) -> Any:
    """A test that commits (browser, concurrency) ends with a flush that also empties the rows data
    migrations seed (credit policies, lifecycle rules); put them back for the tests that follow."""
    yield
    if "transactional_db" in request.fixturenames:
        import importlib

        from django.apps import apps

        seeded = importlib.import_module("kehu.sales.migrations.0002_default_policies")
        with django_db_blocker.unblock():
            seeded.seed(apps, None)
