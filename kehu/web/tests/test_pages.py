"""The web shell: login and logout, the home dashboard, the language switcher and the vendored assets."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import AccessGrant, AuditAction, AuditEvent
from kehu.customers.models import Customer
from kehu.testing import PASSWORD

WEB = Path(__file__).resolve().parent.parent
KEHU = WEB.parent


def test_login_page_renders_a_form(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body and 'name="language"' in body


def test_login_lands_on_the_dashboard_and_is_audited(client, world):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=world.alice).count() == 1


def test_failed_login_says_so_and_is_audited(client, world):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, username="alice").count() == 1


def test_login_keeps_the_next_page(client, world):
    target = reverse("customers:list")
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD, "next": target})
    assert response["Location"] == target


def test_logout_is_a_post_and_is_audited(client, world):
    client.force_login(world.alice)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=world.alice).count() == 1
    assert client.get(reverse("web:home")).status_code == 302


def test_home_needs_login(client, db):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_home_counts_the_reps_own_cards_stale_cards_and_pending_loans(client, world):
    Customer.objects.filter(pk=world.alice_card.pk).update(updated_at=timezone.now() - timedelta(days=400))
    AccessGrant.objects.create(
        customer=world.carol_card, grantee=world.alice, requested_by=world.alice, reason="route", days=7
    )
    client.force_login(world.alice)
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    assert response.context["numbers"] == {
        "my_cards": 1,
        "visible_cards": 1,
        "stale_cards": 1,
        "my_pending_loans": 1,
        "loans_to_decide": 0,
        "today_visits": 0,
        "today_reported": 0,
        "unreturned": None,
        "to_acknowledge": 0,
    }


def test_home_shows_a_manager_the_loans_to_decide(client, world):
    AccessGrant.objects.create(
        customer=world.alice_card, grantee=world.carol, requested_by=world.carol, reason="cover", days=3
    )
    client.force_login(world.mia)
    numbers = client.get(reverse("web:home")).context["numbers"]
    assert (numbers["visible_cards"], numbers["loans_to_decide"]) == (2, 1)
    client.force_login(world.tom)
    assert client.get(reverse("web:home")).context["numbers"]["loans_to_decide"] == 0


def test_navigation_and_logout_are_in_the_shell(client, world):
    client.force_login(world.alice)
    body = client.get(reverse("web:home")).content.decode()
    assert reverse("customers:list") in body
    assert f'action="{reverse("logout")}"' in body


def test_chinese_by_default_and_english_on_request(client, world, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the shipped default (the test suite runs in English)
    client.force_login(world.alice)
    assert 'lang="zh-hans"' in client.get(reverse("web:home")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("web:home")})
    assert response.status_code == 302
    assert 'lang="en"' in client.get(reverse("web:home")).content.decode()


def test_unknown_pages_answer_the_404_page(client, world, settings):
    settings.DEBUG = False
    client.force_login(world.alice)
    response = client.get("/no-such-page/")
    assert response.status_code == 404


def test_vendored_htmx_is_present_and_documented():
    htmx = WEB / "static" / "vendor" / "htmx" / "htmx.min.js"
    readme = (WEB / "static" / "vendor" / "README.md").read_text()
    assert htmx.stat().st_size > 10_000
    assert "htmx.org" in readme and "2.0.11" in readme and "0BSD" in readme


def test_no_template_or_stylesheet_loads_anything_from_another_host():
    remote = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)
    css_remote = re.compile(r"""(url\(|@import)\s*["']?(https?:)?//""", re.IGNORECASE)
    offenders = [
        str(path) for path in KEHU.rglob("*.html") if remote.search(path.read_text(encoding="utf-8"))
    ] + [str(path) for path in KEHU.rglob("*.css") if css_remote.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
