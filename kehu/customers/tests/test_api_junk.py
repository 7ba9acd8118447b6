"""No input from an API client produces a 500: junk ids, cursors, sorts, filters, bodies and types."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kehu.accounts.models import AuditEvent
from kehu.customers.models import Contact, CustomerGroup, CustomField
from kehu.customers.services import grant_request
from kehu.testing import *  # noqa: F403  (fixtures)
from kehu.testing import api_as

JUNK_VALUES: list[Any] = [
    None,
    "",
    "x" * 5000,
    -1,
    10**30,
    1e308,
    "1e400",
    "NaN",
    True,
    [1, "a"],
    {"a": {"b": []}},
    "2024-13-45\x00",
]
JUNK_PARAMS = [
    "",
    "x",
    "-1",
    "0",
    "1e400",
    "99999999999999999999999",
    "NaN",
    "\x00",
    "[]",
    "true",
    "2024-99-99",
]
JUNK_BODIES = ["[1, 2]", '"text"', "42", "null", "{not json", '{"a": ', b"\xff\xfe{"]
JUNK_CURSORS = [
    "x",
    "!!!",
    base64.b64encode(b"p=%5B%5D").decode(),
    base64.b64encode(b"r=9&p=%5B1%2C2%2C3%5D").decode(),
    base64.b64encode(b"p=%5Bnull%2C-5%5D").decode(),
    base64.b64encode(b"p=%5B%221e400%22%2C1%5D").decode(),
]


@pytest.fixture
def resources(world) -> dict[str, int]:
    CustomField.objects.create(key="freezers", label_zh="冰柜", label_en="Freezers", field_type="number")
    CustomField.objects.create(key="opened", label_zh="开业", label_en="Opened", field_type="date")
    CustomField.objects.create(
        key="size",
        label_zh="规模",
        label_en="Size",
        field_type="choice",
        choices=[{"value": "big", "label_zh": "大", "label_en": "Big"}],
    )
    CustomField.objects.create(
        key="goods",
        label_zh="品类",
        label_en="Goods",
        field_type="multi_choice",
        choices=[{"value": "tea", "label_zh": "茶", "label_en": "Tea"}],
    )
    CustomField.objects.create(key="chain", label_zh="连锁", label_en="Chain", field_type="boolean")
    CustomField.objects.create(key="remark", label_zh="备注", label_en="Remark", field_type="text")
    group = CustomerGroup.objects.create(name="g", kind="static")
    grant = grant_request(
        actor=world.carol, customer_code=world.alice_card.code, reason="cover visit", days=3
    )
    api_as(world.ada).get(f"/api/v1/customers/{world.alice_card.pk}/")
    return {
        "customers": world.alice_card.pk,
        "contacts": Contact.objects.get().pk,
        "groups": group.pk,
        "custom-fields": CustomField.objects.first().pk,
        "grants": grant.pk,
        "audit-events": AuditEvent.objects.first().pk,
        "org-units": world.beijing.pk,
        "users": world.alice.pk,
        "tags": 0,
    }


WRITABLE = {
    "customers": [
        "name",
        "code",
        "status",
        "tier",
        "is_key",
        "channel_level",
        "upstream",
        "owner",
        "org_unit",
        "lat",
        "lng",
        "phone",
        "credit_code",
        "credit_rating",
        "credit_limit",
        "payment_terms_days",
        "opens_at",
        "usual_order_day",
        "store_area",
        "employees",
        "custom",
        "tags",
        "version",
    ],
    "contacts": ["customer", "name", "mobile", "phone", "email", "birthday", "is_primary", "version"],
    "groups": ["name", "kind", "filters", "description"],
    "custom-fields": ["key", "label_zh", "label_en", "field_type", "choices", "weight", "is_required"],
    "grants": ["customer_code", "reason", "days"],
    "org-units": ["code", "name", "parent"],
    "users": ["username", "password", "role", "org_unit", "is_active"],
}
ACTIONS = {
    "customers": [("post", "restore/"), ("post", "purge/"), ("get", "history/")],
    "groups": [("get", "members/"), ("post", "members/"), ("delete", "members/")],
    "grants": [("post", "approve/"), ("post", "refuse/"), ("post", "revoke/")],
}
FILTERS = {
    "customers": [
        "q",
        "status",
        "tier",
        "is_key",
        "channel_level",
        "owner",
        "org_unit",
        "province",
        "group",
        "tag",
        "stale",
        "archived",
        "completeness_min",
        "upstream",
        "cf_freezers",
        "cf_freezers_min",
        "cf_opened_max",
        "cf_size",
        "cf_goods",
        "cf_chain",
    ],
    "contacts": ["customer"],
    "grants": ["state"],
    "audit-events": ["actor", "action", "object_id", "since", "until", "q"],
    "users": ["org_unit", "is_active"],
}


class Collector:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.client.raise_request_exception = False
        self.failures: list[str] = []

    def call(self, method: str, url: str, **kwargs: Any) -> None:
        response = getattr(self.client, method)(url, **kwargs)
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {url} {str(kwargs)[:200]} → {response.status_code}")


@pytest.mark.parametrize("who", ["ada", "alice"])
def test_no_junk_makes_a_500(world, resources, who):
    calls = Collector(api_as(world.everyone[who]))
    for name, pk in resources.items():
        base = f"/api/v1/{name}/"
        for param in ["cursor", "ordering", "page_size", *FILTERS.get(name, [])]:
            for value in JUNK_PARAMS + (JUNK_CURSORS if param == "cursor" else []):
                calls.call("get", base, data={param: value})
        for url in (base, f"{base}{pk}/"):
            calls.call("options", url)
            calls.call("get", url, HTTP_ACCEPT="text/html")  # the browsable API
        for bad_id in ("0", "-1", "99999999999999999999999", "abc", "1.5", "%00"):
            calls.call("get", f"{base}{bad_id}/")
            calls.call("patch", f"{base}{bad_id}/", data={"version": 1}, format="json")
            calls.call("delete", f"{base}{bad_id}/")
        for raw in JUNK_BODIES:
            calls.call("post", base, data=raw, content_type="application/json")
            calls.call("put", f"{base}{pk}/", data=raw, content_type="application/json")
        calls.call("post", base, data="a=1&b=2", content_type="application/x-www-form-urlencoded")
        calls.call("post", base, data=b"\x89PNG", content_type="image/png")
        # Field by field with every junk value: as the administrator, who may write every resource.
        for field in WRITABLE.get(name, []) if who == "ada" else []:
            for value in JUNK_VALUES:
                calls.call("post", base, data={field: value, "name": "n"}, format="json")
                calls.call("patch", f"{base}{pk}/", data={field: value, "version": 1}, format="json")
        for method, suffix in ACTIONS.get(name, []):
            if method == "get":
                calls.call(
                    method, f"{base}{pk}/{suffix}", data={"cursor": "x", "ordering": "-x", "page_size": "-1"}
                )
                continue
            for body in (
                {},
                {"customer_ids": ["x", 10**30]},
                {"days": 10**30, "note": None},
                {"reason": [1]},
            ):
                calls.call(method, f"{base}{pk}/{suffix}", data=body, format="json")
            calls.call(method, f"{base}{pk}/{suffix}", data="[", content_type="application/json")
    for value in JUNK_VALUES:
        for key in ("freezers", "opened", "size", "goods", "chain", "remark", "unknown"):
            calls.call(
                "post", "/api/v1/customers/", data={"name": "n", "custom": {key: value}}, format="json"
            )
        calls.call("post", "/api/v1/auth/token/", data={"username": value, "password": value}, format="json")
    calls.call("get", "/api/v1/audit-events/flags/", data={"cursor": "!!"})
    # NUL characters nested in JSON (PostgreSQL's jsonb cannot store them).
    nul = "a\x00b"
    calls.call("post", "/api/v1/customers/", data={"name": "n", "custom": {"remark": nul}}, format="json")
    calls.call("post", "/api/v1/customers/", data={"name": "n", "custom": {nul: 1}}, format="json")
    calls.call(
        "post", "/api/v1/groups/", data={"name": "s", "kind": "segment", "filters": {"q": nul}}, format="json"
    )
    calls.call(
        "post", "/api/v1/groups/", data={"name": "s", "kind": "segment", "filters": {nul: "x"}}, format="json"
    )
    choices = [{"value": nul, "label_zh": nul, "label_en": nul}]
    calls.call(
        "post",
        "/api/v1/custom-fields/",
        data={"key": "k", "label_zh": "k", "label_en": "k", "field_type": "choice", "choices": choices},
        format="json",
    )
    assert not calls.failures, "\n".join(calls.failures)
