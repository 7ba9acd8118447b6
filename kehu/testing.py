"""Test fixtures: one named cast of users per role and a few cards, as in healthchecks' tests.

Org tree:  HQ ── North (region) ── Beijing (area)  ── reps Alice, Bob; manager Mia
                              └─ Tianjin (area) ── rep Carol; manager Tom
Others at HQ: director Dora, finance Fiona, custodian Cathy, auditor Aud, admin Ada.
Cards: alice_card (owner Alice, Beijing), bob_card (Bob, Beijing), carol_card (Carol, Tianjin).
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kehu.accounts.models import OrgUnit, Role, User
from kehu.customers.models import Contact, Customer
from kehu.customers.search import build_search_text

PASSWORD = "kehu-test-pass-123"


def make_unit(code: str, name: str, parent: OrgUnit | None = None) -> OrgUnit:
    unit = OrgUnit.objects.create(code=code, name=name, parent=parent)
    unit.path = unit.compute_path()
    unit.save(update_fields=["path"])
    return unit


def make_user(username: str, role: Role, unit: OrgUnit | None, display: str = "") -> User:
    return User.objects.create_user(
        username, password=PASSWORD, role=role, org_unit=unit, display_name=display or username.title()
    )


def make_customer(name: str, owner: User | None, unit: OrgUnit | None, **fields: Any) -> Customer:
    code = fields.pop("code", f"T{Customer.objects.count() + 1:05d}")
    customer = Customer(name=name, owner=owner, org_unit=unit, code=code, **fields)
    customer.search_text = build_search_text(
        name=name, short_name=customer.short_name, code=code, phone=customer.phone
    )
    customer.save()
    return customer


class World:
    def __init__(self) -> None:
        self.hq = make_unit("HQ", "总部")
        self.north = make_unit("N", "华北大区", self.hq)
        self.beijing = make_unit("BJ", "北京片区", self.north)
        self.tianjin = make_unit("TJ", "天津片区", self.north)
        self.alice = make_user("alice", Role.REP, self.beijing, "Alice 艾丽")
        self.bob = make_user("bob", Role.REP, self.beijing, "Bob 鲍勃")
        self.carol = make_user("carol", Role.REP, self.tianjin, "Carol 卡罗")
        self.mia = make_user("mia", Role.MANAGER, self.beijing, "Mia 米娅")
        self.tom = make_user("tom", Role.MANAGER, self.tianjin, "Tom 汤姆")
        self.dora = make_user("dora", Role.DIRECTOR, self.hq)
        self.fiona = make_user("fiona", Role.FINANCE, self.hq)
        self.cathy = make_user("cathy", Role.CUSTODIAN, self.hq)
        self.aud = make_user("aud", Role.AUDITOR, self.hq)
        self.ada = make_user("ada", Role.ADMIN, self.hq)
        self.alice_card = make_customer(
            "北京海淀区单氏副食店", self.alice, self.beijing, phone="010-62345678",
            province="北京市", city="北京市", district="海淀区", credit_code="91110108MA01C8XK22",
        )
        self.bob_card = make_customer("朝阳区百货批发部", self.bob, self.beijing, channel_level="wholesaler")
        self.carol_card = make_customer("天津河西区便利店", self.carol, self.tianjin, tier="A", is_key=True)
        Contact.objects.create(customer=self.alice_card, name="单立新", mobile="13812345678", is_primary=True)

    @property
    def everyone(self) -> dict[str, User]:
        names = ["alice", "bob", "carol", "mia", "tom", "dora", "fiona", "cathy", "aud", "ada"]
        return {name: getattr(self, name) for name in names}


@pytest.fixture
def world(db: Any) -> World:
    return World()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def api_as(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.default_format = "json"
    return client


def results(response: Any) -> list[dict[str, Any]]:
    """The rows of a 200 list response."""
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def errors_of(call: Any, **kwargs: Any) -> dict[str, list[str]]:
    """The field → messages map of the ValidationError that `call(**kwargs)` must raise."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict
