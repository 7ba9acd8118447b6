"""Every user-facing string has a Simplified Chinese translation, and pages read in the asked-for language.

The catalogue is kehu/locale/zh_Hans/LC_MESSAGES/django.po; `make messages` (part of `make install`,
`make run` and `make test`) compiles it into the django.mo that Django reads.
"""

from __future__ import annotations

import gettext
import importlib
import re
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
CARD_TABS = ("profile", "contacts", "groups", "history")
# Words that appear on the customer list or a card only when a label is left in English.
ENGLISH_LABELS = (
    "Customers",
    "Completeness",
    "Profile",
    "Contacts",
    "History",
    "Owner",
    "Key customer",
    "Channel level",
    "Log out",
)


def _catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="zh_Hans")


def _key(message):
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return (message.context, msgid)


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def _compiled_string(compiled: gettext.GNUTranslations, message) -> str:
    if isinstance(message.id, tuple):
        singular, plural = message.id
        if message.context:
            return compiled.npgettext(message.context, singular, plural, 1)
        return compiled.ngettext(singular, plural, 1)
    if message.context:
        return compiled.pgettext(message.context, message.id)
    return compiled.gettext(message.id)


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_the_catalogue_translates_every_msgid():
    catalogue = _catalogue()
    assert catalogue.plural_forms == "nplurals=1; plural=0;"
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 100
    untranslated = [_key(m) for m in messages if not all(s.strip() for s in _strings(m))]
    fuzzy = [_key(m) for m in messages if m.fuzzy]
    assert not untranslated, f"msgids without a Chinese translation: {untranslated}"
    assert not fuzzy, f"fuzzy entries to check and unflag: {fuzzy}"


def test_the_compiled_catalogue_matches_the_po_file():
    assert MO.exists(), "django.mo is missing: run `make messages`"
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = [_key(m) for m in _catalogue() if m.id and _compiled_string(compiled, m) != _strings(m)[0]]
    assert not stale, f"django.mo is older than django.po (run `make messages`): {stale[:10]}"


def _pages(world) -> list[str]:
    card = reverse("customers:detail", args=[world.alice_card.pk])
    return [reverse("customers:list"), *(f"{card}?tab={tab}" for tab in CARD_TABS)]


def test_the_project_default_language_is_simplified_chinese():
    assert importlib.import_module(settings.SETTINGS_MODULE).LANGUAGE_CODE == "zh-hans"


@pytest.mark.parametrize("user", ["alice", "mia", "aud"])
def test_the_customer_list_and_card_are_in_chinese_by_default(client, world, settings, user):
    settings.LANGUAGE_CODE = "zh-hans"  # the project's default; the suite itself runs in English (conftest.py)
    client.force_login(getattr(world, user))
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == "zh-hans"
        text = _visible_text(response.content.decode())
        assert "客户" in text, url
        left_in_english = [label for label in ENGLISH_LABELS if label in text]
        assert not left_in_english, f"{url} shows English labels: {left_in_english}"

    card = client.get(_pages(world)[1]).content.decode()
    for label in ("完整度", "资料", "联系人", "变更历史", "负责业务员", "统一社会信用代码", "渠道层级"):
        assert label in card
    contacts = client.get(_pages(world)[2]).content.decode()
    assert "姓名" in contacts and "手机" in contacts and "单立新" in contacts


def test_pages_read_in_english_when_english_is_chosen(client, world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(world.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == "en"
        text = _visible_text(response.content.decode())
        assert "Customers" in text, url
        assert "完整度" not in text and "负责业务员" not in text, url
    card = _visible_text(client.get(_pages(world)[1]).content.decode())
    assert "Completeness" in card and "Unified social credit code" in card
