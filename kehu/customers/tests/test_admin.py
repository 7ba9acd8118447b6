"""The Django admin: every ModelAdmin over a scoped model starts from visible_to; writes stay in services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory

from kehu.accounts.models import AccessGrant, AuditEvent
from kehu.customers.models import Contact, Customer
from kehu.customers.services import grant_request
from kehu.testing import *  # noqa: F403  (fixtures)

SCOPED_MODELS = (Customer, Contact, AccessGrant, AuditEvent)


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_accounts_and_customers_model_is_registered():
    from django.apps import apps

    models = [m for label in ("accounts", "customers") for m in apps.get_app_config(label).get_models()]
    missing = [
        m.__name__
        for m in models
        if m not in admin.site._registry and not m.__name__.startswith("Historical")
    ]
    assert missing == []


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_admin_over_scoped_model_declares_and_applies_scope(world, model):
    model_admin = admin.site._registry[model]
    assert getattr(model_admin, "scoped", False) is True
    grant_request(actor=world.carol, customer_code=world.alice_card.code, reason="cover visit", days=2)
    carol_rows = set(model_admin.get_queryset(admin_request(world.carol)))
    if model is Customer:
        assert carol_rows == {world.carol_card}
    elif model is Contact:
        assert carol_rows == set()
    elif model is AccessGrant:
        assert carol_rows == set(AccessGrant.objects.filter(grantee=world.carol))
        assert set(model_admin.get_queryset(admin_request(world.tom))) == set()
        assert len(model_admin.get_queryset(admin_request(world.mia))) == 1
    else:
        assert carol_rows == set()
        assert len(model_admin.get_queryset(admin_request(world.aud))) == AuditEvent.objects.count() > 0


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_service_written_rows_are_read_only_in_the_admin(world, model):
    model_admin = admin.site._registry[model]
    request = admin_request(world.ada)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def _staff(user, *codenames: str) -> Client:
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_staff_manager_sees_only_subtree_cards_and_their_history(world):
    client = _staff(world.mia, "view_customer")
    listing = client.get("/admin/customers/customer/")
    assert listing.status_code == 200
    assert {c.pk for c in listing.context["cl"].result_list} == {world.alice_card.pk, world.bob_card.pk}
    assert client.get(f"/admin/customers/customer/{world.bob_card.pk}/change/").status_code == 200
    assert client.get(f"/admin/customers/customer/{world.carol_card.pk}/change/").status_code == 302
    assert client.get(f"/admin/customers/customer/{world.carol_card.pk}/history/").status_code == 404
    assert client.get(f"/admin/customers/customer/{world.bob_card.pk}/history/").status_code == 200
    record = Customer.history.filter(id=world.carol_card.pk).first()
    url = f"/admin/customers/customer/{world.carol_card.pk}/history/{record.history_id}/"
    assert client.get(url).status_code == 404


def test_admin_masks_sensitive_values_for_readers(world):
    client = _staff(world.aud, "view_customer")
    page = client.get(f"/admin/customers/customer/{world.alice_card.pk}/change/").content.decode()
    assert "911****XK22" in page
    assert "91110108MA01C8XK22" not in page


def test_audit_log_admin_is_for_audit_readers_only(world):
    assert _staff(world.dora, "view_auditevent").get("/admin/accounts/auditevent/").status_code == 403
    assert _staff(world.aud, "view_auditevent").get("/admin/accounts/auditevent/").status_code == 200


def test_org_unit_admin_writes_through_the_service(world):
    world.ada.is_superuser = True
    client = _staff(world.ada)
    response = client.post(
        "/admin/accounts/orgunit/add/", {"code": "E", "name": "华东", "parent": world.hq.pk}
    )
    assert response.status_code == 302
    east = type(world.hq).objects.get(code="E")
    assert east.path == f"/{world.hq.pk}/{east.pk}/"
    assert AuditEvent.objects.filter(action="settings", object_type="orgunit").count() == 1
