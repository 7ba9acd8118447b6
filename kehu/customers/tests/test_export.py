import csv
import io

from django.urls import reverse

from kehu.accounts.models import AuditAction, AuditEvent
from kehu.customers.models import CustomField
from kehu.testing import api_as


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_a_manager_exports_exactly_the_visible_filtered_cards(client, world):
    client.force_login(world.mia)
    response = client.get(reverse("customers:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="customers-mia-' in response["Content-Disposition"]
    rows = read_csv(response)
    assert [row[0] for row in rows[1:]] == sorted([world.alice_card.code, world.bob_card.code])
    assert rows[0][:2] == ["code", "name"]


def test_the_export_is_audited_with_its_filter_and_row_count(client, world):
    client.force_login(world.mia)
    read_csv(client.get(reverse("customers:export"), {"q": "bjhd"}))
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor, event.detail["rows"], event.detail["filters"]) == (world.mia, 1, {"q": ["bjhd"]})


def test_finance_gets_the_credit_code_masked(world):
    rows = read_csv(api_as(world.fiona).get("/api/v1/customers/export/", {"q": "bjhd"}))
    credit = rows[0].index("unified social credit code")
    assert rows[1][credit] == "911****XK22"


def test_reps_and_auditors_may_not_export(client, world):
    for user in (world.alice, world.aud):
        client.force_login(user)
        assert client.get(reverse("customers:export")).status_code == 403
        assert api_as(user).get("/api/v1/customers/export/").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_custom_fields_and_tags_are_columns(world):
    CustomField.objects.create(key="freezers", label_zh="冰柜数量", label_en="Freezers", field_type="number")
    world.alice_card.custom = {"freezers": 3}
    world.alice_card.save()
    rows = read_csv(api_as(world.dora).get("/api/v1/customers/export/", {"q": "bjhd"}))
    assert rows[0][-2:] == ["tags", "Freezers"]
    assert rows[1][-1] == "3"


def test_a_value_that_looks_like_a_formula_is_defused(world):
    world.alice_card.notes = "=HYPERLINK(\"http://evil\")"
    world.alice_card.save()
    rows = read_csv(api_as(world.dora).get("/api/v1/customers/export/", {"q": "bjhd"}))
    assert rows[1][rows[0].index("notes")] == "'=HYPERLINK(\"http://evil\")"


def test_a_bad_filter_is_a_400_not_an_empty_file(world):
    response = api_as(world.dora).get("/api/v1/customers/export/", {"tier": "Z"})
    assert response.status_code == 400
    assert list(response.json()) == ["tier"]
