"""What the browser tests share: signing in through the login page."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from kehu.testing import PASSWORD


def log_in(page: Any, username: str) -> None:
    """Sign in as `username` (whoever was signed in before is signed out first)."""
    page.context.clear_cookies()
    page.goto(f"{page.base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))
