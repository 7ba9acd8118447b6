"""Every API view over a scoped model declares `scoped = True` and really starts from the policy;
the OpenAPI schema generates and is served."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.api import router
from kehu.accounts.models import AccessGrant, AuditEvent
from kehu.customers.models import Contact, Customer, CustomerGroup, Tag
from kehu.customers.selectors import grant_lists
from kehu.customers.services import grant_request
from kehu.testing import *  # noqa: F403  (fixtures)
from kehu.testing import api_as

SCOPED_MODELS = {Customer, Contact, AccessGrant, AuditEvent, CustomerGroup, Tag}


def viewsets_over(models: set[type]) -> list[tuple[str, type]]:
    return [
        (prefix, viewset)
        for prefix, viewset, _basename in router.registry
        if getattr(viewset, "queryset", None) is not None and viewset.queryset.model in models
    ]


def test_every_scoped_viewset_says_so():
    found = {viewset.queryset.model for _prefix, viewset in viewsets_over(SCOPED_MODELS)}
    assert found == SCOPED_MODELS
    for prefix, viewset in viewsets_over(SCOPED_MODELS):
        assert getattr(viewset, "scoped", False) is True, prefix
        assert "get_queryset" in viewset.__dict__, prefix


def queryset_for(viewset: type, user, action: str = "list"):
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    view = viewset(request=request, action=action, format_kwarg=None, kwargs={}, args=())
    return view.get_queryset()


@pytest.mark.parametrize("who", ["alice", "carol", "mia", "tom", "fiona", "aud"])
def test_scoped_viewsets_return_only_what_the_policy_allows(world, who):
    user = world.everyone[who]
    grant_request(actor=world.carol, customer_code=world.alice_card.code, reason="cover visit", days=2)
    for prefix, viewset in viewsets_over(SCOPED_MODELS):
        model = viewset.queryset.model
        if model is AuditEvent:
            if who == "aud":
                assert queryset_for(viewset, user).count() == AuditEvent.objects.count()
            else:
                with pytest.raises(PermissionDenied):
                    queryset_for(viewset, user)
            continue
        rows = set(queryset_for(viewset, user))
        if model is Customer:
            assert rows == set(Customer.objects.visible_to(user)), prefix
        elif model is Contact:
            assert rows == set(Contact.objects.visible_to(user)), prefix
        elif model is AccessGrant:
            lists = grant_lists(user=user)
            assert rows == set(lists["pending"]) | set(lists["active"]) | set(lists["past"]), prefix


def test_schema_is_served(world):
    response = api_as(world.alice).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/customers/",
        "/api/v1/customers/{id}/history/",
        "/api/v1/contacts/",
        "/api/v1/groups/{id}/members/",
        "/api/v1/grants/{id}/approve/",
        "/api/v1/audit-events/flags/",
        "/api/v1/org-units/",
        "/api/v1/users/",
        "/api/v1/tags/",
        "/api/v1/custom-fields/",
    ):
        assert path in paths
