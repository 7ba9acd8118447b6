"""Lists count matches up to a cap (10,000) and then say "more than": web list and API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.core import pagination
from kehu.core.pagination import capped_count
from kehu.customers.models import Customer
from kehu.testing import api_as

LIST = reverse("customers:list")
API = "/api/v1/customers/"


def test_capped_count_is_exact_up_to_the_cap_and_the_cap_beyond(world):
    visible = Customer.objects.visible_to(world.dora).filter(archived_at__isnull=True)
    n = visible.count()
    assert n >= 3
    assert capped_count(visible, cap=n) == pagination.Total(n, False)
    assert capped_count(visible, cap=n - 1) == pagination.Total(n - 1, True)
    assert capped_count(visible.none(), cap=5) == pagination.Total(0, False)


@pytest.fixture
def cap_of_one(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 1)


def test_web_list_says_more_than_the_cap(client, world, cap_of_one):
    client.force_login(world.mia)
    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.context["total"], response.context["total_capped"]) == (1, True)
    assert '<p class="count">More than 1 customers</p>' in response.content.decode()
    assert len(response.context["page"].rows) == 2  # the page itself is not capped


def test_web_list_below_the_cap_is_exact(client, world):
    client.force_login(world.mia)
    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.context["total"], response.context["total_capped"]) == (2, False)


def test_api_count_is_capped_and_says_so(world, cap_of_one):
    body = api_as(world.mia).get(API).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (1, True, 2)


def test_api_count_below_the_cap(world):
    body = api_as(world.mia).get(API).json()
    assert (body["count"], body["count_capped"]) == (2, False)
