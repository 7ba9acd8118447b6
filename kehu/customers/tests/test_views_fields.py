"""The custom-field admin pages: administrators only, every validation message, audited changes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.models import CustomField


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def form(**overrides) -> dict:
    data = {"key": "shelf_count", "label_zh": "货架数", "label_en": "Shelves", "field_type": "number",
            "choices": "", "weight": "2", "position": "10", "is_active": "on"}
    data.update(overrides)
    return data


def create(user, **overrides):
    return client_for(user).post(reverse("customers:field-create"), form(**overrides))


@pytest.fixture
def channel(db) -> CustomField:
    return CustomField.objects.create(
        key="display", label_zh="陈列", label_en="Display", field_type="choice", position=1,
        choices=[{"value": "end", "label_zh": "端架", "label_en": "End cap"}],
    )


@pytest.mark.parametrize("username", ["alice", "mia", "dora", "fiona", "cathy", "aud"])
def test_only_an_administrator_reaches_the_pages(world, channel, username):
    client = client_for(getattr(world, username))
    assert client.get(reverse("customers:fields")).status_code == 403
    assert client.get(reverse("customers:field-create")).status_code == 403
    assert client.post(reverse("customers:field-create"), form()).status_code == 403
    edit = client.post(reverse("customers:field-edit", args=[channel.pk]), form(key="display"))
    assert edit.status_code == 403
    assert client.post(reverse("customers:field-deactivate", args=[channel.pk])).status_code == 403
    assert list(CustomField.objects.values_list("key", "is_active")) == [("display", True)]


def test_the_administrator_lists_active_and_inactive_fields_by_position(world, channel):
    CustomField.objects.create(key="old", label_zh="旧", label_en="Old", field_type="text", position=0,
                               is_active=False)
    response = client_for(world.ada).get(reverse("customers:fields"))
    assert response.status_code == 200
    assert [f.key for f in response.context["fields"]] == ["old", "display"]


def test_a_number_field_is_created_and_audited(world):
    response = create(world.ada, is_required="on")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:fields")
    field = CustomField.objects.get()
    assert (field.key, field.label_zh, field.label_en) == ("shelf_count", "货架数", "Shelves")
    assert (field.field_type, field.choices) == ("number", [])
    assert (field.is_required, field.weight, field.position, field.is_active) == (True, 2, 10, True)
    event = AuditEvent.objects.get(action=AuditAction.SETTINGS)
    assert (event.actor, event.object_type, event.object_id) == (world.ada, "customfield", field.pk)
    assert event.detail == {"custom_field": "shelf_count", "change": "create"}


def test_choice_lines_become_choices(world):
    lines = "\n end | 端架 | End cap \n\nwindow｜橱窗｜Window\n"
    response = create(world.ada, key="display", field_type="multi_choice", choices=lines)
    assert response.status_code == 302
    assert CustomField.objects.get().choices == [
        {"value": "end", "label_zh": "端架", "label_en": "End cap"},
        {"value": "window", "label_zh": "橱窗", "label_en": "Window"},
    ]


@pytest.mark.parametrize(("overrides", "field", "messages"), [
    ({"key": "Shelf Count"}, "key", ["Lower-case letters, digits and _; start with a letter."]),
    ({"key": "9lives"}, "key", ["Lower-case letters, digits and _; start with a letter."]),
    ({"key": ""}, "key", ["This field is required."]),
    ({"label_zh": ""}, "label_zh", ["This field is required."]),
    ({"field_type": "colour"}, "field_type",
     ["Select a valid choice. colour is not one of the available choices."]),
    ({"field_type": "choice"}, "choices",
     ["A choice field needs at least one choice, one per line: value|中文|English."]),
    ({"field_type": "choice", "choices": "a|甲|A\nb|乙"}, "choices",
     ["Line 2: write value|中文|English — three parts, none empty."]),
    ({"field_type": "choice", "choices": "a|甲|A\n\na|乙|B"}, "choices",
     ["Line 3: the value “a” is already used on an earlier line."]),
    ({"field_type": "multi_choice", "choices": "a,b|甲|A\n|乙|B"}, "choices",
     ["Line 1: the value “a,b” may not contain a comma or a quote.",
      "Line 2: write value|中文|English — three parts, none empty."]),
    ({"choices": "a|甲|A"}, "choices",
     ["Only choice fields have choices: clear this box or pick a choice type."]),
    ({"weight": "101"}, "weight", ["Ensure this value is less than or equal to 100."]),
    ({"weight": "-1"}, "weight", ["Ensure this value is greater than or equal to 0."]),
    ({"position": "x"}, "position", ["Enter a whole number."]),
])
def test_each_mistake_answers_400_with_its_message_on_its_field(world, overrides, field, messages):
    response = create(world.ada, **overrides)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == messages
    assert CustomField.objects.count() == 0


def test_a_duplicate_key_is_refused(world, channel):
    response = create(world.ada, key="display")
    assert response.status_code == 400
    assert response.context["form"].errors["key"] == ["Another custom field already uses this key."]
    assert CustomField.objects.count() == 1


def test_editing_changes_labels_and_choices_but_never_the_key_or_type(world, channel):
    url = reverse("customers:field-edit", args=[channel.pk])
    client = client_for(world.ada)
    page = client.get(url)
    assert page.context["form"]["choices"].value() == "end|端架|End cap"
    data = form(key="renamed", field_type="text", label_en="Shelf display",
                choices="end|端架|End cap\nwindow|橱窗|Window")
    response = client.post(url, data)
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.key, channel.field_type, channel.label_en) == ("display", "choice", "Shelf display")
    assert channel.choice_values() == ["end", "window"]
    event = AuditEvent.objects.get(action=AuditAction.SETTINGS)
    assert (event.detail["change"], event.object_id) == ("update", channel.pk)


def test_editing_with_a_bad_choice_line_keeps_the_field_as_it_was(world, channel):
    response = client_for(world.ada).post(reverse("customers:field-edit", args=[channel.pk]),
                                          form(choices="end|端架"))
    assert response.status_code == 400
    assert response.context["form"].errors["choices"] == [
        "Line 1: write value|中文|English — three parts, none empty."
    ]
    channel.refresh_from_db()
    assert channel.choice_values() == ["end"]


def test_deactivating_keeps_the_field_and_reactivating_is_an_edit(world, channel):
    client = client_for(world.ada)
    response = client.post(reverse("customers:field-deactivate", args=[channel.pk]))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.is_active is False
    data = form(label_zh="陈列", label_en="Display", choices="end|端架|End cap", is_active="on")
    client.post(reverse("customers:field-edit", args=[channel.pk]), data)
    channel.refresh_from_db()
    assert channel.is_active is True


def test_deactivating_needs_a_post_and_an_existing_field(world, channel):
    client = client_for(world.ada)
    assert client.get(reverse("customers:field-deactivate", args=[channel.pk])).status_code == 405
    assert client.post(reverse("customers:field-deactivate", args=[999])).status_code == 404
    assert client.get(reverse("customers:field-edit", args=[999])).status_code == 404
