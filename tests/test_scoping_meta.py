"""Meta-tests: a new API view, admin page or card page over customer data that skips
visible_to(user) fails here, without anyone remembering to add it to a list."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.request import Request
from rest_framework.test import force_authenticate

from config.api import router
from kehu.customers.models import Customer
from kehu.testing import World


def _customer_path(model: type[models.Model]) -> str | None:
    """The ORM path from `model` to its customer, or None if it does not belong to one."""
    if model is Customer or getattr(model, "instance_type", None) is Customer:
        return "id" if model is Customer else "id"
    for field in model._meta.get_fields():
        if getattr(field, "many_to_one", False) and field.related_model is Customer:
            return f"{field.name}_id"
    return None


def _reachable_customer_ids(queryset: models.QuerySet[Any]) -> set[int]:
    path = _customer_path(queryset.model)
    assert path is not None
    return set(queryset.values_list(path, flat=True))


def _rep_request(world: World, path: str = "/") -> Any:
    request = RequestFactory().get(path)
    request.user = world.bob
    force_authenticate(request, user=world.bob)
    return request


def test_every_api_viewset_over_customer_data_is_scoped(world: World):
    visible = {world.bob_card.pk}
    checked = []
    for _prefix, viewset, basename in router.registry:
        model = getattr(getattr(viewset, "queryset", None), "model", None)
        if model is None or _customer_path(model) is None:
            continue
        view = viewset()
        view.action, view.format_kwarg, view.kwargs = "list", None, {}
        view.request = Request(_rep_request(world))
        view.request.user = world.bob
        reachable = _reachable_customer_ids(view.get_queryset())
        assert reachable <= visible, f"{basename} reaches customers {reachable - visible} that bob cannot see"
        checked.append(basename)
    assert {"customer", "contact", "grant"} <= set(checked)


def test_every_admin_over_customer_data_is_scoped(world: World):
    world.bob.is_staff = True
    world.bob.save()
    visible = {world.bob_card.pk}
    checked = []
    for model, model_admin in admin.site._registry.items():
        if _customer_path(model) is None:
            continue
        reachable = _reachable_customer_ids(model_admin.get_queryset(_rep_request(world)))
        assert reachable <= visible, f"admin of {model.__name__} reaches {reachable - visible}"
        checked.append(model.__name__)
    assert {"Customer", "Contact"} <= set(checked)


def _card_routes() -> list[tuple[str, list[str]]]:
    """Every named page in the customers namespace that takes a card `pk`."""
    routes = []
    resolver = get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "customers":
            for pattern in entry.url_patterns:
                if not isinstance(pattern, URLPattern) or "pk" not in pattern.pattern.converters:
                    continue
                name = pattern.name or ""
                if name.startswith(("group", "grant", "field")):
                    continue  # their pk is a group, loan or field, checked in their own tests
                routes.append((name, list(pattern.pattern.converters)))
    return routes


def test_every_card_page_answers_404_for_an_invisible_card(world: World):
    client = Client()
    client.force_login(world.bob)
    contact = world.alice_card.contacts.get()
    routes = _card_routes()
    assert len(routes) >= 8
    for name, params in routes:
        kwargs = {"pk": world.alice_card.pk}
        if "contact_pk" in params:
            kwargs["contact_pk"] = contact.pk
        if "merged_pk" in params:  # the other card of a merge: one bob sees
            kwargs["merged_pk"] = world.bob_card.pk
        url = reverse(f"customers:{name}", kwargs=kwargs)
        answers = {client.get(url).status_code, client.post(url, {"version": 1, "reason": "x"}).status_code}
        assert answers in ({404}, {404, 405}), (name, answers)
    world.alice_card.refresh_from_db()
    assert world.alice_card.version == 1 and world.alice_card.archived_at is None


@pytest.mark.parametrize("path", ["/api/v1/customers/", "/api/v1/contacts/", "/api/v1/grants/"])
def test_api_lists_do_not_leak_through_filters(world: World, path: str):
    from kehu.testing import api_as

    rows = api_as(world.bob).get(path, {"customer": world.alice_card.pk}).json()["results"]
    ids = {row.get("customer", row.get("id")) for row in rows}
    assert world.alice_card.pk not in ids
