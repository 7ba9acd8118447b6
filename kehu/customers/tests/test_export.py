import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import openpyxl
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


def test_a_number_custom_field_is_a_number_in_the_workbook(world):
    CustomField.objects.create(key="freezers", label_zh="冰柜数量", label_en="Freezers", field_type="number")
    CustomField.objects.create(key="brand", label_zh="品牌", label_en="Brand", field_type="text")
    world.alice_card.custom = {"freezers": "2.5", "brand": "123"}
    world.alice_card.save()
    rows = read_xlsx(api_as(world.dora).get("/api/v1/customers/export/", {"format": "xlsx", "q": "bjhd"}))
    header, row = rows[1], rows[2]
    assert (row[header.index("Freezers")], row[header.index("Brand")]) == (2.5, "123")


def test_a_value_that_looks_like_a_formula_is_defused(world):
    world.alice_card.notes = "=HYPERLINK(\"http://evil\")"
    world.alice_card.save()
    rows = read_csv(api_as(world.dora).get("/api/v1/customers/export/", {"q": "bjhd"}))
    assert rows[1][rows[0].index("notes")] == "'=HYPERLINK(\"http://evil\")"


def test_a_bad_filter_is_a_400_not_an_empty_file(world):
    response = api_as(world.dora).get("/api/v1/customers/export/", {"tier": "Z"})
    assert response.status_code == 400
    assert list(response.json()) == ["tier"]


def read_xlsx(response) -> list[list[object]]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A3"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_is_marked_then_has_the_header_then_the_visible_rows(client, world):
    world.mia.display_name = "Mia Wang"
    world.mia.save()
    client.force_login(world.mia)
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 3, 1, 2, 5, tzinfo=UTC)):
        response = client.get(reverse("customers:export"), {"format": "xlsx", "q": "bjhd"})
    assert response.status_code == 200
    assert 'filename="customers-mia-20260301-100500.xlsx"' in response["Content-Disposition"]
    rows = read_xlsx(response)
    assert rows[0][0] == "Exported by Mia Wang (mia) at 2026-03-01 10:05 (Asia/Shanghai), 1 row, filter: q=bjhd"
    assert rows[1][:3] == ["code", "name", "short name"]
    assert [row[0] for row in rows[2:]] == [world.alice_card.code]


def test_the_header_is_bold(world):
    response = api_as(world.dora).get("/api/v1/customers/export/", {"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    assert (sheet["A1"].font.b, sheet["A2"].font.b, sheet["B2"].font.b, sheet["A3"].font.b) == (False, True, True, False)


def test_numbers_are_numbers_and_datetimes_are_text(world):
    world.alice_card.credit_limit = Decimal("50000.50")
    world.alice_card.lat, world.alice_card.lng = Decimal("39.983400"), Decimal("116.316500")
    world.alice_card.employees = 12
    world.alice_card.save()
    rows = read_xlsx(api_as(world.dora).get("/api/v1/customers/export/", {"format": "xlsx", "q": "bjhd"}))
    header, row = rows[1], rows[2]
    assert row[header.index("credit limit")] == 50000.5
    assert (row[header.index("latitude")], row[header.index("longitude")]) == (39.9834, 116.3165)
    assert row[header.index("employees")] == 12
    assert isinstance(row[header.index("completeness")], int)
    created = row[header.index("created at")]
    assert isinstance(created, str) and len(created) == 16 and created[4] == "-" and created[10] == " "


def test_finance_gets_the_credit_code_masked_in_the_workbook(world):
    rows = read_xlsx(api_as(world.fiona).get("/api/v1/customers/export/", {"format": "xlsx", "q": "bjhd"}))
    assert rows[2][rows[1].index("unified social credit code")] == "911****XK22"


def test_formula_looking_text_stays_text_in_the_workbook(world):
    world.alice_card.notes = '=HYPERLINK("http://evil")'
    world.alice_card.save()
    response = api_as(world.dora).get("/api/v1/customers/export/", {"format": "xlsx", "q": "bjhd"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    cell = sheet.cell(row=3, column=[c.value for c in sheet[2]].index("notes") + 1)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil")', "s")


def test_an_unknown_format_is_a_400_naming_the_format(client, world):
    response = api_as(world.dora).get("/api/v1/customers/export/", {"format": "pdf"})
    assert response.status_code == 400
    assert response.json() == {"format": ["Unknown export format “pdf”; use csv or xlsx."]}
    client.force_login(world.mia)
    response = client.get(reverse("customers:export"), {"format": "pdf"})
    assert (response.status_code, response.content.decode()) == (400, "Unknown export format “pdf”; use csv or xlsx.")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_reps_and_auditors_may_not_export_a_workbook(client, world):
    for user in (world.alice, world.aud):
        client.force_login(user)
        assert client.get(reverse("customers:export"), {"format": "xlsx"}).status_code == 403
        assert api_as(user).get("/api/v1/customers/export/", {"format": "xlsx"}).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_audit_names_the_format_and_leaves_it_out_of_the_filters(world):
    read_xlsx(api_as(world.dora).get("/api/v1/customers/export/", {"format": "xlsx", "q": "bjhd"}))
    read_csv(api_as(world.dora).get("/api/v1/customers/export/"))
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("id")
    assert [(e.detail["format"], e.detail["filters"], e.detail["rows"]) for e in events] == [
        ("xlsx", {"q": ["bjhd"]}, 1),
        ("csv", {}, 3),
    ]


def test_the_csv_keeps_its_header_on_the_first_line(world):
    rows = read_csv(api_as(world.dora).get("/api/v1/customers/export/", {"format": "csv", "q": "bjhd"}))
    assert rows[0][:2] == ["code", "name"]
    assert len(rows) == 2


def test_the_list_offers_both_exports(client, world):
    client.force_login(world.mia)
    page = client.get(reverse("customers:list"), {"q": "bjhd"}).content.decode()
    assert f'href="{reverse("customers:export")}?q=bjhd"' in page
    assert f'href="{reverse("customers:export")}?q=bjhd&amp;format=xlsx"' in page
