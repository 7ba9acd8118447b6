"""The customer card pages, role by role: list, detail, forms, contacts, archive, restore, purge, print."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.models import Contact, Customer, CustomField, CustomFieldType
from kehu.customers.services import customer_update
from kehu.testing import make_customer

LIST = reverse("customers:list")
HTMX = {"HTTP_HX_REQUEST": "true"}
BAD_CREDIT_CODE = "91110108MA01C8XK23"  # 18 characters, wrong check character (should be 2)


def detail(card: Customer, tab: str = "") -> str:
    return reverse("customers:detail", args=[card.pk]) + (f"?tab={tab}" if tab else "")


def listed(client, user, query: str = "") -> set[str]:
    client.force_login(user)
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return {c.name for c in response.context["page"].rows}


def edit_post(card: Customer, **changes) -> dict:
    """The edit form as the browser would post it, with `changes` applied."""
    data = {
        "version": card.version,
        "code": card.code,
        "name": card.name,
        "short_name": card.short_name,
        "kind": card.kind,
        "channel_level": card.channel_level,
        "status": card.status,
        "tier": card.tier,
        "phone": card.phone,
        "province": card.province,
        "city": card.city,
        "district": card.district,
        "credit_code": card.credit_code,
        "credit_limit": str(card.credit_limit),
        "payment_terms_days": card.payment_terms_days,
        "geo_precision": card.geo_precision,
        "owner": card.owner_id or "",
        "org_unit": card.org_unit_id or "",
    }
    if card.is_key:
        data["is_key"] = "on"
    data.update(changes)
    return data


# ---- list ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", {"北京海淀区单氏副食店"}),
        ("bob", {"朝阳区百货批发部"}),
        ("carol", {"天津河西区便利店"}),
        ("mia", {"北京海淀区单氏副食店", "朝阳区百货批发部"}),
        ("tom", {"天津河西区便利店"}),
        ("dora", {"北京海淀区单氏副食店", "朝阳区百货批发部", "天津河西区便利店"}),
        ("fiona", {"北京海淀区单氏副食店", "朝阳区百货批发部", "天津河西区便利店"}),
        ("cathy", {"北京海淀区单氏副食店", "朝阳区百货批发部", "天津河西区便利店"}),
        ("aud", {"北京海淀区单氏副食店", "朝阳区百货批发部", "天津河西区便利店"}),
        ("ada", {"北京海淀区单氏副食店", "朝阳区百货批发部", "天津河西区便利店"}),
    ],
)
def test_list_shows_each_role_exactly_its_cards(client, world, who, expected):
    assert listed(client, getattr(world, who)) == expected


def test_list_shows_the_total_count(client, world):
    client.force_login(world.mia)
    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["total"] == 2
    assert '<p class="count">2 customers</p>' in response.content.decode()


def test_list_rows_escape_every_value_and_show_labels_in_the_readers_language(client, world):
    world.alice_card.name, world.alice_card.short_name = '<script>alert("x")</script>店', "A&B"
    world.alice_card.is_key = True
    world.alice_card.save()
    client.force_login(world.mia)
    html = client.get(LIST, {"q": world.alice_card.code}, HTTP_HX_REQUEST="true").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;店" in html and "A&amp;B" in html
    assert 'data-label="Key customer"><span class="key" title="Key customer">★</span>' in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(LIST, {"q": world.alice_card.code}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-label="状态"' in html


def test_search_by_initials_finds_the_card_for_its_owner_only(client, world):
    assert listed(client, world.alice, "q=bjhd") == {"北京海淀区单氏副食店"}
    assert listed(client, world.carol, "q=bjhd") == set()


def test_search_by_surname_reading_and_phone(client, world):
    assert listed(client, world.dora, "q=shanshi") == {"北京海淀区单氏副食店"}
    assert listed(client, world.dora, "q=62345678") == {"北京海淀区单氏副食店"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tier=A", {"天津河西区便利店"}),
        ("is_key=true", {"天津河西区便利店"}),
        ("channel_level=wholesaler", {"朝阳区百货批发部"}),
        (
            "channel_level=wholesaler&channel_level=retailer",
            {"北京海淀区单氏副食店", "朝阳区百货批发部", "天津河西区便利店"},
        ),
        ("district=海淀区", {"北京海淀区单氏副食店"}),
        ("status=active", set()),
    ],
)
def test_list_filters(client, world, query, expected):
    assert listed(client, world.dora, query) == expected


def test_owner_and_org_unit_filters(client, world):
    assert listed(client, world.dora, f"owner={world.bob.pk}") == {"朝阳区百货批发部"}
    assert listed(client, world.dora, f"org_unit={world.tianjin.pk}") == {"天津河西区便利店"}
    assert listed(client, world.dora, f"org_unit={world.north.pk}") == {
        "北京海淀区单氏副食店",
        "朝阳区百货批发部",
        "天津河西区便利店",
    }


def test_owner_filter_offers_a_rep_only_themselves(client, world):
    client.force_login(world.alice)
    response = client.get(LIST)
    owners = list(response.context["filterset"].form.fields["owner"].queryset)
    assert owners == [world.alice]


def test_custom_field_filter(client, world):
    CustomField.objects.create(
        key="shelf", label_zh="货架", label_en="Shelf", field_type=CustomFieldType.TEXT
    )
    Customer.objects.filter(pk=world.bob_card.pk).update(custom={"shelf": "end cap"})
    assert listed(client, world.dora, "cf_shelf=end") == {"朝阳区百货批发部"}


def test_archived_filter_is_offered_only_to_roles_that_see_archived_cards(client, world):
    client.force_login(world.alice)
    assert "archived" not in client.get(LIST).context["filterset"].form.fields
    client.force_login(world.cathy)
    assert "archived" in client.get(LIST).context["filterset"].form.fields


def test_sorting_by_name(client, world):
    client.force_login(world.dora)
    rows = client.get(f"{LIST}?ordering=code").context["page"].rows
    assert [c.code for c in rows] == sorted(c.code for c in rows)
    rows = client.get(f"{LIST}?ordering=-code").context["page"].rows
    assert [c.code for c in rows] == sorted((c.code for c in rows), reverse=True)


def test_unknown_sort_and_garbage_cursor_fall_back_to_the_first_page(client, world):
    client.force_login(world.dora)
    response = client.get(f"{LIST}?ordering=password&cursor=!!garbage!!&tier=Z&owner=abc&upstream=x")
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 3


@pytest.mark.parametrize(
    "query",
    [
        "upstream=1e30",
        "upstream=99999999999999999999999",
        "completeness_min=1e400",
        "completeness_max=abc",
        "owner=99999999999999999999999",
        "org_unit=-1",
        "group=x",
        "stale=maybe",
        "is_key=2",
        "archived=true",
        "cursor=eyJ2IjoiYWJjIiwiaWQiOjEsImYiOnRydWV9",
        "ordering=-completeness&cursor=eyJ2IjpbMV0sImlkIjoxLCJmIjp0cnVlfQ",
        "q=" + "%E5%8C%97" * 300,
    ],
)
def test_garbage_list_parameters_never_fail(client, world, query):
    client.force_login(world.alice)
    assert client.get(f"{LIST}?{query}").status_code == 200


def test_cursor_pagination_walks_all_cards_once_both_ways(client, world):
    for i in range(120):
        make_customer(f"批量客户{i:03d}", world.alice, world.beijing)
    client.force_login(world.alice)
    seen: list[int] = []
    url = f"{LIST}?ordering=name"
    pages = []
    while url:
        response = client.get(url)
        pages.append([c.pk for c in response.context["page"].rows])
        seen += pages[-1]
        url = LIST + response.context["next_url"] if response.context["next_url"] else ""
    assert len(seen) == 121 and len(set(seen)) == 121
    assert [len(p) for p in pages] == [50, 50, 21]
    back = client.get(LIST + response.context["previous_url"])
    assert [c.pk for c in back.context["page"].rows] == pages[1]


def test_htmx_search_returns_only_the_results_and_a_clean_url(client, world):
    client.force_login(world.alice)
    response = client.get(f"{LIST}?q=bjhd&tier=&owner=", **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "北京海淀区单氏副食店" in body
    assert response["HX-Push-Url"] == f"{LIST}?q=bjhd"
    assert "HX-Request" in response["Vary"]


def test_list_needs_login(client, world):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _list_queries(client, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_list_runs_the_same_number_of_queries_for_3_and_30_cards(client, world, django_assert_num_queries):
    CustomField.objects.create(
        key="shelf", label_zh="货架", label_en="Shelf", field_type=CustomFieldType.TEXT
    )
    client.force_login(world.dora)
    _list_queries(client, world.dora)  # warm caches (content types, session)
    count = _list_queries(client, world.dora)
    for i in range(27):
        card = make_customer(f"客户{i}", [world.alice, world.bob, world.carol][i % 3], world.beijing)
        card.tags.create(name=f"t{i}")
    with django_assert_num_queries(count):
        response = client.get(LIST)
    assert len(response.context["page"].rows) == 30


# ---- detail ----------------------------------------------------------------------------------


def test_another_reps_card_is_not_found(client, world):
    client.force_login(world.alice)
    assert client.get(detail(world.bob_card)).status_code == 404
    assert client.get(reverse("customers:detail", args=[999999])).status_code == 404
    assert client.get(f"/customers/{10**30}/").status_code == 404
    assert client.get(reverse("customers:edit", args=[world.bob_card.pk])).status_code == 404
    assert client.get(reverse("customers:print", args=[world.bob_card.pk])).status_code == 404


def test_detail_masks_the_mobile_for_finance_but_not_for_the_owner(client, world):
    client.force_login(world.fiona)
    body = client.get(detail(world.alice_card, "contacts")).content.decode()
    assert "138****5678" in body and "13812345678" not in body
    body = client.get(detail(world.alice_card)).content.decode()
    assert "91110108MA01C8XK22" not in body and "911****XK22" in body
    client.force_login(world.alice)
    body = client.get(detail(world.alice_card, "contacts")).content.decode()
    assert "13812345678" in body and "138****5678" not in body


def test_detail_records_the_view(client, world):
    client.force_login(world.mia)
    client.get(detail(world.alice_card))
    event = AuditEvent.objects.get(action=AuditAction.VIEW, actor=world.mia)
    assert (event.object_type, event.object_id) == ("customer", world.alice_card.pk)


def test_detail_shows_completeness_and_missing_items(client, world, settings):
    client.force_login(world.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(detail(world.alice_card))
    assert "short name" in response.context["missing"]
    assert f"{world.alice_card.completeness}%" in response.content.decode()


def test_detail_buttons_follow_the_scope(client, world):
    client.force_login(world.alice)
    assert client.get(detail(world.alice_card)).context["actions"] == {
        "edit": True,
        "archive": True,
        "contacts": True,
        "restore": False,
        "purge": False,
        "merge": False,
    }
    client.force_login(world.fiona)
    assert client.get(detail(world.alice_card)).context["actions"] == {
        "edit": True,
        "archive": False,
        "contacts": False,
        "restore": False,
        "purge": False,
        "merge": False,
    }
    client.force_login(world.aud)
    actions = client.get(detail(world.alice_card)).context["actions"]
    assert actions == {
        "edit": False, "archive": False, "contacts": False, "restore": False, "purge": False, "merge": False,
    }
    assert (
        reverse("customers:edit", args=[world.alice_card.pk])
        not in client.get(detail(world.alice_card)).content.decode()
    )


@pytest.mark.parametrize(
    "tab",
    [
        "profile",
        "contacts",
        "groups",
        "history",
        "sales",
        "plans",
        "receivables",
        "visits",
        "channel",
        "nonsense",
    ],
)
def test_every_tab_renders_alone_for_htmx_and_in_the_page(client, world, tab):
    client.force_login(world.alice)
    assert client.get(detail(world.alice_card, tab)).status_code == 200
    partial = client.get(detail(world.alice_card, tab), **HTMX)
    assert partial.status_code == 200 and "<html" not in partial.content.decode()


def test_placeholder_tabs_say_when_they_arrive(client, world):
    client.force_login(world.alice)
    assert (
        "channels module"
        in client.get(detail(world.alice_card, "channel"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_profile_shows_custom_fields_with_their_display_value(client, world):
    CustomField.objects.create(
        key="fridge", label_zh="冰柜", label_en="Fridge", field_type=CustomFieldType.BOOLEAN
    )
    Customer.objects.filter(pk=world.alice_card.pk).update(custom={"fridge": True})
    client.force_login(world.alice)
    sections = client.get(detail(world.alice_card)).context["sections"]
    rows = {row.name: row.value for section in sections for row in section.rows}
    assert rows["cf_fridge"] in ("Yes", "是")
    assert rows["district"] == "海淀区"
    assert rows["owner"] == "Alice 艾丽"


def _detail_queries(client, card, tab) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail(card, tab)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("tab", ["profile", "contacts", "history", "groups"])
def test_detail_runs_a_constant_number_of_queries(client, world, tab, django_assert_num_queries):
    client.force_login(world.mia)
    _detail_queries(client, world.alice_card, tab)
    count = _detail_queries(client, world.alice_card, tab)
    for i in range(10):
        Contact.objects.create(customer=world.alice_card, name=f"联系人{i}", mobile=f"1391234{i:04d}")
        card = Customer.objects.get(pk=world.alice_card.pk)
        customer_update(
            actor=world.alice, customer_id=card.pk, data={"notes": f"note {i}"}, version=card.version
        )
    world.alice_card.tags.create(name="烟酒")
    with django_assert_num_queries(count):
        client.get(detail(world.alice_card, tab))


# ---- print -----------------------------------------------------------------------------------


def test_print_is_audited_and_masked_like_the_detail(client, world):
    client.force_login(world.fiona)
    response = client.get(reverse("customers:print", args=[world.alice_card.pk]))
    assert response.status_code == 200
    assert "138****5678" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.PRINT)
    assert (event.actor, event.object_id) == (world.fiona, world.alice_card.pk)


# ---- create and edit -------------------------------------------------------------------------


def test_rep_creates_a_card_they_own(client, world):
    client.force_login(world.alice)
    form = client.get(reverse("customers:create"))
    assert list(form.context["form"].fields["owner"].queryset) == [world.alice]
    response = client.post(
        reverse("customers:create"),
        {
            "name": "海淀新开超市",
            "kind": "company",
            "channel_level": "retailer",
            "status": "prospect",
            "tier": "B",
            "credit_limit": "1000",
            "payment_terms_days": "30",
            "geo_precision": "none",
            "owner": world.alice.pk,
            "tags": "新店，社区店, 新店",
        },
    )
    card = Customer.objects.get(name="海淀新开超市")
    assert response.status_code == 302 and response["Location"] == detail(card)
    assert (card.owner, card.org_unit, card.tier, card.credit_limit) == (
        world.alice,
        world.beijing,
        "B",
        Decimal("1000"),
    )
    assert sorted(card.tags.values_list("name", flat=True)) == ["新店", "社区店"]
    assert card.code.startswith("KH")


def test_auditor_may_not_create_cards(client, world):
    client.force_login(world.aud)
    assert client.get(reverse("customers:create")).status_code == 403
    assert client.post(reverse("customers:create"), {"name": "x"}).status_code == 403


def test_edit_changes_a_field_and_history_shows_old_to_new_with_the_user(client, world):
    client.force_login(world.alice)
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]),
        edit_post(world.alice_card, short_name="单氏副食"),
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=world.alice_card.pk).short_name == "单氏副食"
    history = client.get(detail(world.alice_card, "history"))
    entry = history.context["history"][0]
    assert entry.user == "Alice 艾丽"
    assert [(c.field, c.old, c.new) for c in entry.changes] == [("short_name", "", "单氏副食")]
    body = history.content.decode()
    assert "Alice 艾丽" in body and "单氏副食" in body


def test_stale_version_answers_409_with_the_current_values(client, world):
    card = world.alice_card
    customer_update(actor=world.mia, customer_id=card.pk, data={"short_name": "米娅改的"}, version=1)
    client.force_login(world.alice)
    response = client.post(reverse("customers:edit", args=[card.pk]), edit_post(card, short_name="艾丽改的"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "米娅改的" in body and "艾丽改的" in body
    assert [(d.saved, d.theirs) for d in response.context["differences"]] == [("米娅改的", "艾丽改的")]
    form = response.context["form"]
    assert form["version"].value() == "2" and form["short_name"].value() == "艾丽改的"
    assert Customer.objects.get(pk=card.pk).short_name == "米娅改的"
    again = client.post(
        reverse("customers:edit", args=[card.pk]), edit_post(card, short_name="艾丽改的", version=2)
    )
    assert again.status_code == 302
    assert Customer.objects.get(pk=card.pk).short_name == "艾丽改的"


def test_invalid_credit_code_answers_400_with_the_checksum_message_at_the_field(client, world):
    client.force_login(world.alice)
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]),
        edit_post(world.alice_card, credit_code=BAD_CREDIT_CODE),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["credit_code"] == [
        "The check character of this credit code should be '2', not '3': a character is probably mistyped."
    ]
    body = response.content.decode()
    field_html = body[body.index('id="field-credit_code"') :]
    field_html = field_html[: field_html.index("</div>")]
    assert "check character of this credit code should be" in field_html


def test_required_custom_field_message_is_shown_at_its_field(client, world):
    CustomField.objects.create(
        key="licence",
        label_zh="许可证号",
        label_en="Licence no.",
        field_type=CustomFieldType.TEXT,
        is_required=True,
    )
    client.force_login(world.alice)
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]),
        edit_post(world.alice_card),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["cf_licence"] == ["Licence no. is required."]
    ok = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]), edit_post(world.alice_card, cf_licence="JY111")
    )
    assert ok.status_code == 302
    assert Customer.objects.get(pk=world.alice_card.pk).custom == {"licence": "JY111"}


def test_custom_field_widgets_follow_their_type(client, world):
    choices = [
        {"value": "a", "label_zh": "甲", "label_en": "A"},
        {"value": "b", "label_zh": "乙", "label_en": "B"},
    ]
    for key, kind in [
        ("t", "text"),
        ("n", "number"),
        ("d", "date"),
        ("c", "choice"),
        ("m", "multi_choice"),
        ("b", "boolean"),
    ]:
        CustomField.objects.create(key=key, label_zh=key, label_en=key, field_type=kind, choices=choices)
    client.force_login(world.alice)
    form = client.get(reverse("customers:edit", args=[world.alice_card.pk])).context["form"]
    assert [form[f"cf_{k}"].widget_type for k in "tndcmb"] == [
        "text",
        "text",
        "date",
        "select",
        "checkboxselectmultiple",
        "checkbox",
    ]
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]),
        edit_post(
            world.alice_card, cf_t="x", cf_n="abc", cf_d="2024-13-45", cf_c="a", cf_m=["a", "b"], cf_b="on"
        ),
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"cf_n", "cf_d"}
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]),
        edit_post(
            world.alice_card, cf_t="x", cf_n="12.5", cf_d="2024-03-05", cf_c="a", cf_m=["a", "b"], cf_b="on"
        ),
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=world.alice_card.pk).custom == {
        "t": "x",
        "n": 12.5,
        "d": "2024-03-05",
        "c": "a",
        "m": ["a", "b"],
        "b": True,
    }


def test_finance_changes_the_credit_limit_but_not_the_name(client, world):
    client.force_login(world.fiona)
    form = client.get(reverse("customers:edit", args=[world.alice_card.pk])).context["form"]
    assert form.fields["name"].disabled and not form.fields["credit_limit"].disabled
    assert (
        "91110108MA01C8XK22"
        not in client.get(reverse("customers:edit", args=[world.alice_card.pk])).content.decode()
    )
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]),
        edit_post(world.alice_card, name="财务改名", credit_limit="50000.00"),
    )
    assert response.status_code == 302
    card = Customer.objects.get(pk=world.alice_card.pk)
    assert (card.name, card.credit_limit) == ("北京海淀区单氏副食店", Decimal("50000.00"))
    assert card.credit_code == "91110108MA01C8XK22"


def test_auditor_edit_is_forbidden(client, world):
    client.force_login(world.aud)
    assert client.get(reverse("customers:edit", args=[world.alice_card.pk])).status_code == 403


def test_manager_owner_choices_are_their_subtree(client, world):
    client.force_login(world.mia)
    owners = set(client.get(reverse("customers:create")).context["form"].fields["owner"].queryset)
    assert owners == {world.alice, world.bob, world.mia}


@pytest.mark.parametrize(
    "garbage",
    [
        {"credit_limit": "abc"},
        {"credit_limit": "-5"},
        {"credit_limit": "1e999"},
        {"lat": "91"},
        {"lat": "NaN"},
        {"lng": "1e400"},
        {"payment_terms_days": "99999999999999999999"},
        {"usual_order_day": "99"},
        {"upstream": "999999999999999999999999"},
        {"upstream": "-3"},
        {"upstream": "424242"},
        {"owner": "-1"},
        {"owner": "x"},
        {"org_unit": "99999999999999999999999"},
        {"opens_at": "25:99"},
        {"version": "x"},
        {"version": ""},
        {"phone": "123"},
        {"name": ""},
        {"name": "x" * 500},
        {"status": "gone"},
        {"tier": "Z"},
        {"credit_code": "0" * 100},
        {"employees": "-1"},
        {"store_area": "1" * 40},
        {"tags": "x," * 600},
    ],
)
def test_garbage_input_is_a_400_never_a_500(client, world, garbage):
    client.force_login(world.alice)
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]), edit_post(world.alice_card, **garbage)
    )
    assert response.status_code == 400
    twin = edit_post(world.alice_card, code="", confirm_duplicates="1", **garbage)  # a copy of alice_card
    create = client.post(reverse("customers:create"), twin)
    assert create.status_code == (302 if garbage == {"version": ""} else 400)  # a new card has no version


def test_upstream_picker_sets_a_visible_supplier(client, world):
    client.force_login(world.mia)
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]),
        edit_post(world.alice_card, upstream=world.bob_card.pk),
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=world.alice_card.pk).upstream == world.bob_card
    client.force_login(world.alice)
    profile = client.get(detail(world.alice_card)).context["sections"]
    row = next(r for s in profile for r in s.rows if r.name == "upstream")
    assert row.value == str(world.bob_card) and row.url == ""  # alice may not open bob's card


def test_invisible_upstream_is_refused(client, world):
    client.force_login(world.alice)
    response = client.post(
        reverse("customers:edit", args=[world.alice_card.pk]),
        edit_post(world.alice_card, upstream=world.carol_card.pk),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["upstream"] == ["No such customer."]


def test_autocomplete_only_offers_visible_customers(client, world):
    url = reverse("customers:autocomplete")
    client.force_login(world.alice)
    assert "天津河西区便利店" not in client.get(url, {"q": "tjhx"}).content.decode()
    assert "北京海淀区单氏副食店" in client.get(url, {"q": "bjhd"}).content.decode()
    assert client.get(url, {"q": "bjhd", "exclude": world.alice_card.pk}).context["found"] == []
    client.force_login(world.dora)
    assert [c.pk for c in client.get(url, {"q": "tjhx"}).context["found"]] == [world.carol_card.pk]
    assert client.get(url, {"q": "x", "exclude": "9" * 40}).status_code == 200


# ---- contacts --------------------------------------------------------------------------------


def contact_post(**changes) -> dict:
    return {
        "name": "王经理",
        "title": "店长",
        "mobile": "13900001111",
        "phone": "",
        "email": "",
        "wechat": "",
        "birthday": "",
        "notes": "",
        **changes,
    }


def test_owner_adds_edits_and_deletes_a_contact(client, world):
    card = world.alice_card
    client.force_login(world.alice)
    response = client.post(reverse("customers:contact-create", args=[card.pk]), contact_post())
    assert response.status_code == 302 and response["Location"] == detail(card, "contacts")
    contact = Contact.objects.get(name="王经理")
    url = reverse("customers:contact-edit", args=[card.pk, contact.pk])
    assert client.post(url, contact_post(title="老板", version=1)).status_code == 302
    assert Contact.objects.get(pk=contact.pk).title == "老板"
    delete = reverse("customers:contact-delete", args=[card.pk, contact.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_contact_validation_answers_400_at_the_field(client, world):
    client.force_login(world.alice)
    response = client.post(
        reverse("customers:contact-create", args=[world.alice_card.pk]),
        contact_post(mobile="12345", birthday="2020-02-31"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"birthday"}
    response = client.post(
        reverse("customers:contact-create", args=[world.alice_card.pk]),
        contact_post(mobile="12345"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["mobile"] == [
        "Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13812345678."
    ]


def test_contact_stale_version_answers_409(client, world):
    contact = Contact.objects.get(customer=world.alice_card)
    Contact.objects.filter(pk=contact.pk).update(version=2, title="采购")
    client.force_login(world.alice)
    url = reverse("customers:contact-edit", args=[world.alice_card.pk, contact.pk])
    response = client.post(
        url, contact_post(name=contact.name, mobile=contact.mobile, title="老板", version=1)
    )
    assert response.status_code == 409
    assert response.context["form"]["version"].value() == "2"
    assert "采购" in response.content.decode() and "老板" in response.content.decode()


def test_contacts_are_guarded_by_the_card_scope(client, world):
    contact = Contact.objects.get(customer=world.alice_card)
    client.force_login(world.bob)
    assert client.get(reverse("customers:contact-create", args=[world.alice_card.pk])).status_code == 404
    client.force_login(world.fiona)
    assert client.get(reverse("customers:contact-create", args=[world.alice_card.pk])).status_code == 403
    assert (
        client.post(reverse("customers:contact-delete", args=[world.alice_card.pk, contact.pk])).status_code
        == 403
    )
    client.force_login(world.carol)
    assert (
        client.get(reverse("customers:contact-edit", args=[world.carol_card.pk, contact.pk])).status_code
        == 404
    )


# ---- archive, restore, purge -----------------------------------------------------------------


def test_archive_hides_the_card_from_the_list(client, world):
    client.force_login(world.alice)
    url = reverse("customers:archive", args=[world.alice_card.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert listed(client, world.alice) == set()
    assert client.get(detail(world.alice_card)).status_code == 404
    assert listed(client, world.cathy, "archived=true") == {"北京海淀区单氏副食店"}
    assert "北京海淀区单氏副食店" not in listed(client, world.cathy)


def test_archive_is_forbidden_to_those_who_may_not_edit(client, world):
    client.force_login(world.fiona)
    assert client.post(reverse("customers:archive", args=[world.alice_card.pk])).status_code == 403
    assert Customer.objects.get(pk=world.alice_card.pk).archived_at is None


def test_custodian_restores_an_archived_card(client, world):
    client.force_login(world.alice)
    client.post(reverse("customers:archive", args=[world.alice_card.pk]))
    client.force_login(world.cathy)
    assert client.get(detail(world.alice_card)).context["actions"]["restore"] is True
    assert client.post(reverse("customers:restore", args=[world.alice_card.pk])).status_code == 302
    assert Customer.objects.get(pk=world.alice_card.pk).archived_at is None
    assert listed(client, world.alice) == {"北京海淀区单氏副食店"}


def test_admin_purges_an_archived_card_with_a_reason(client, world):
    client.force_login(world.alice)
    client.post(reverse("customers:archive", args=[world.alice_card.pk]))
    client.force_login(world.cathy)
    assert (
        client.post(reverse("customers:purge", args=[world.alice_card.pk]), {"reason": "dup"}).status_code
        == 403
    )
    client.force_login(world.ada)
    url = reverse("customers:purge", args=[world.alice_card.pk])
    assert client.post(url, {"reason": "  "}).status_code == 400
    assert client.post(url, {"reason": "重复录入"}).status_code == 302
    assert not Customer.objects.filter(pk=world.alice_card.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert (event.actor, event.detail["reason"], event.detail["code"]) == (
        world.ada,
        "重复录入",
        world.alice_card.code,
    )


def test_purging_a_card_in_daily_work_is_refused(client, world):
    client.force_login(world.ada)
    response = client.post(
        reverse("customers:purge", args=[world.bob_card.pk]), {"reason": "test"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Archive the card before purging it." in response.content.decode()
    assert Customer.objects.filter(pk=world.bob_card.pk).exists()
