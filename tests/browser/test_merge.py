"""A custodian at the browser: from the duplicates report, merge a pair, picking a value from the
merged card; the survivor shows it, and the merged card's old address leads to the survivor."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Contact, Customer
from kehu.testing import World, make_customer
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_custodian_merges_a_duplicate_pair_from_the_report(page: Any, world: World):
    gone = make_customer(
        "北京海淀区单氏副食店", world.bob, world.beijing, phone=world.alice_card.phone, industry="副食", tier="A",
        province="北京市", city="北京市", district="海淀区",
    )
    Contact.objects.create(customer=gone, name="李四")
    log_in(page, "cathy")
    page.goto(f"{page.base_url}/customers/duplicates/?min_score=70")
    page.locator("table a.btn", has_text=re.compile("Merge|合并")).first.click()
    expect(page).to_have_url(re.compile(r"/merge/\d+/$"))
    survivor_pk = int(re.search(r"/customers/(\d+)/merge/", page.url)[1])
    merged_pk = gone.pk if survivor_pk == world.alice_card.pk else world.alice_card.pk
    if survivor_pk != world.alice_card.pk:  # keep the older card: swap
        page.locator("#merge-swap").click()
        expect(page).to_have_url(re.compile(rf"/customers/{world.alice_card.pk}/merge/{gone.pk}/$"))
        merged_pk = gone.pk
    expect(page.locator('input[name="choice_industry"][value="merged"]')).to_be_checked()  # only one has it
    page.locator('input[name="choice_tier"][value="merged"]').check()
    expect(page.locator(".merge-moves")).to_contain_text("1")
    page.locator("#merge-confirm").click()
    expect(page).to_have_url(re.compile(rf"/customers/{world.alice_card.pk}/$"))
    expect(page.locator("body")).to_contain_text(gone.code)

    survivor = Customer.objects.get(pk=world.alice_card.pk)
    assert (survivor.tier, survivor.industry) == ("A", "副食")
    assert Customer.objects.get(pk=merged_pk).merged_into_id == survivor.pk

    page.goto(f"{page.base_url}/customers/{merged_pk}/?tab=history")
    expect(page).to_have_url(re.compile(rf"/customers/{survivor.pk}/\?tab=history$"))
    # "merged T… into this card" and the moved contact's "moved here from T…"; the merged card's own record
    expect(page.locator(".history-note", has_text=gone.code)).to_have_count(2)
    expect(page.locator(".history-note", has_text=survivor.code)).to_have_count(1)
