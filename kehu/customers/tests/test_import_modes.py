"""Create, update and upsert; skip or stop; all-or-nothing; duplicates; formats; mapping memory; template."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from kehu.accounts.models import AuditEvent
from kehu.core.errors import Forbidden
from kehu.customers.imports import (
    import_check,
    import_commit,
    import_configure,
    import_jobs_visible_to,
    import_template,
)
from kehu.customers.models import Contact, Customer, ImportJob
from kehu.customers.tests.import_helpers import checked, csv_bytes, problems_of, upload, xlsx_bytes
from kehu.testing import World, errors_of

FIXTURES = Path(__file__).parent / "fixtures"


def commit(user, data: bytes, name: str = "c.xlsx", **options) -> ImportJob:
    return import_commit(checked(user, data, name, **options), user)


def test_create_fills_code_pinyin_geocode_completeness_contact_history_and_one_audit_row(world: World):
    rows = [["名称", "地址", "电话", "联系人", "手机"],
            ["长春朝阳区万福超市", "吉林省长春市朝阳区西安大路100号", "0431-88886666", "王伟", "13912345678"]]
    audits = AuditEvent.objects.count()
    job = commit(world.cathy, xlsx_bytes(rows))
    assert (job.status, job.result) == ("done", {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "contacts": 1})
    card = Customer.objects.get(name="长春朝阳区万福超市")
    assert card.code.startswith("KH") and "cccyqwfcs" in card.search_text and "changchun" in card.search_text
    assert (card.province, card.city, card.district, card.geo_precision) == ("吉林省", "长春市", "朝阳区", "district")
    assert card.lat is not None and card.completeness > 0
    contact = Contact.objects.get(customer=card)
    assert (contact.name, contact.mobile, contact.is_primary) == ("王伟", "13912345678", True)
    assert list(card.history_records.values_list("history_type", "history_user__username")) == [("+", "cathy")]
    assert contact.history.count() == 1
    [event] = AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - audits]
    assert (event.action, event.actor, event.object_type, event.object_id) == ("import", world.cathy, "importjob", job.pk)
    assert event.detail["created"] == 1 and event.detail["contacts"] == 1


def test_update_changes_only_mapped_non_empty_columns_bumps_version_and_records_history(world: World):
    card = world.alice_card
    rows = [["编码", "信用额度", "电话", "简称"], [card.code, 8000, "", "单氏"], ["NOPE", 1, "", ""]]
    job = checked(world.cathy, xlsx_bytes(rows), mode="update")
    assert problems_of(job) == [(3, "编码", "NOPE", "No card has the code NOPE.")]
    job = import_commit(job, world.cathy)
    card.refresh_from_db()
    assert (card.credit_limit, card.short_name) == (Decimal("8000"), "单氏")
    assert (card.phone, card.name) == ("010-62345678", "北京海淀区单氏副食店")  # empty cell, unmapped column: kept
    assert card.version == 2 and job.result["updated"] == 1
    latest = card.history_records.first()
    assert (latest.history_type, latest.history_user, latest.credit_limit) == ("~", world.cathy, Decimal("8000"))


def test_an_update_that_changes_nothing_is_counted_unchanged(world: World):
    card = world.bob_card
    job = commit(world.cathy, xlsx_bytes([["编码", "名称"], [card.code, card.name]]), mode="update")
    card.refresh_from_db()
    assert (job.result["updated"], job.result["unchanged"], card.version) == (0, 1, 1)


def test_update_refuses_archived_cards(world: World):
    from django.utils import timezone

    Customer.objects.filter(pk=world.bob_card.pk).update(archived_at=timezone.now())
    job = checked(world.cathy, xlsx_bytes([["编码", "名称"], [world.bob_card.code, "新名字"]]), mode="update")
    assert problems_of(job) == [(2, "编码", "T00002", "The card T00002 is archived; restore it before updating it.")]


def test_update_matches_contacts_by_name_and_adds_new_ones(world: World):
    card = world.alice_card
    rows = [["编码", "联系人", "手机"], [card.code, "单立新", "13900000001"]]
    commit(world.cathy, xlsx_bytes(rows), mode="update")
    commit(world.cathy, xlsx_bytes([["编码", "联系人", "手机"], [card.code, "刘强", "13900000002"]]), mode="update")
    contacts = list(card.contacts.order_by("id").values_list("name", "mobile", "is_primary", "version"))
    assert contacts == [("单立新", "13900000001", True, 2), ("刘强", "13900000002", False, 1)]


def test_upsert_updates_known_codes_and_creates_the_rest(world: World):
    rows = [["编码", "名称", "等级"], [world.carol_card.code, "天津河西区便利店", "B"], ["NEW1", "天津和平区新店", "A"]]
    job = commit(world.cathy, xlsx_bytes(rows), mode="upsert")
    assert (job.result["created"], job.result["updated"]) == (1, 1)
    world.carol_card.refresh_from_db()
    assert world.carol_card.tier == "B" and Customer.objects.get(code="NEW1").tier == "A"


def test_skip_imports_the_good_rows_and_stop_imports_nothing(world: World):
    rows = [["名称", "信用额度"], ["好店", 100], ["坏店", "abc"]]
    job = commit(world.cathy, xlsx_bytes(rows))
    assert (job.status, job.result["created"], job.result["skipped"]) == ("done", 1, 1)
    job = checked(world.cathy, xlsx_bytes([["名称", "信用额度"], ["好店二", 100], ["坏店", "abc"]]), on_error="stop")
    assert errors_of(import_commit, job=job, user=world.cathy) == {
        "on_error": ["1 rows have problems and the import stops on errors: fix the file or skip those rows."]
    }
    assert not Customer.objects.filter(name="好店二").exists()


def test_stop_rechecks_at_commit_time_and_writes_nothing_if_a_row_went_bad(world: World):
    job = checked(world.cathy, xlsx_bytes([["编码", "名称"], ["S1", "甲"], ["S2", "乙"]]), on_error="stop")
    assert job.summary["errors"] == 0
    Customer.objects.create(code="S2", name="别人刚建的卡")  # someone took the code after the check
    job = import_commit(job, world.cathy)
    assert (job.status, job.error) == ("failed", "Nothing was imported: some rows have problems.")
    assert problems_of(job) == [(3, "编码", "S2", "Another card already has the code S2.")]
    assert not Customer.objects.filter(code="S1").exists()


@pytest.fixture
def trigger_refusing_last_row():
    """A real database constraint the import's validation knows nothing about: a trigger refusing one name."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION import_refuse() RETURNS trigger AS $$ BEGIN IF NEW.name = '最后一行' THEN "
                "RAISE EXCEPTION 'refused by a database trigger'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute("CREATE TRIGGER import_refuse BEFORE INSERT ON customers_customer "
                           "FOR EACH ROW EXECUTE FUNCTION import_refuse()")
        else:
            cursor.execute("CREATE TRIGGER import_refuse BEFORE INSERT ON customers_customer WHEN NEW.name = '最后一行' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by a database trigger'); END")


def test_a_database_failure_on_the_last_row_leaves_nothing_written(world: World, settings, trigger_refusing_last_row):
    settings.KEHU_IMPORT_BATCH_ROWS = 2  # earlier batches are written before the last row fails
    rows = [["名称", "联系人"]] + [[f"第{i}家店", f"联系人{i}"] for i in range(5)] + [["最后一行", "某人"]]
    job = checked(world.cathy, xlsx_bytes(rows))
    assert job.summary["create"] == 6
    before = (Customer.objects.count(), Contact.objects.count(), Customer.history.count(), AuditEvent.objects.count())
    job = import_commit(job, world.cathy)
    assert job.status == "failed" and "refused by a database trigger" in job.error
    after = (Customer.objects.count(), Contact.objects.count(), Customer.history.count(), AuditEvent.objects.count())
    assert after == before
    job.refresh_from_db()
    assert job.status == "failed" and job.result["created"] == 0


def test_rows_like_existing_cards_or_earlier_rows_are_flagged_and_not_created(world: World):
    headers = ["名称", "统一社会信用代码", "电话", "省", "市", "区"]
    rows = [headers,
            ["完全不同的名字", "91110108MA01C8XK22", "", "", "", ""],  # alice_card's credit code
            ["另一家店", "", "01062345678", "", "", ""],  # alice_card's phone, written differently
            ["北京海淀区单氏副食商店", "", "", "北京市", "北京市", "海淀区"],  # alice_card's name, same district
            ["甲店", "", "13911112222", "", "", ""],
            ["乙店", "", "+86 139 1111 2222", "", "", ""],  # the row above's phone
            ["清白的新店", "", "", "", "", ""]]
    job = checked(world.cathy, xlsx_bytes(rows))
    flagged = {d["row"]: d["matches"][0] for d in job.duplicates}
    assert sorted(flagged) == [2, 3, 4, 6] and job.summary["duplicates"] == 4
    assert flagged[2]["id"] == world.alice_card.pk and "same credit code" in flagged[2]["reason"]
    assert flagged[3]["id"] == world.alice_card.pk and "same phone" in flagged[3]["reason"]
    assert flagged[4]["id"] == world.alice_card.pk and "similar name in the same district" in flagged[4]["reason"]
    assert flagged[6]["id"] is None and flagged[6]["reason"].startswith("row 5 of this file: same phone")
    job = import_commit(job, world.cathy)
    assert sorted(Customer.objects.filter(name__endswith="店").exclude(pk__in=[world.alice_card.pk, world.carol_card.pk])
                  .values_list("name", flat=True)) == ["清白的新店", "甲店"]
    assert job.result == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 4, "contacts": 0}


def test_import_duplicates_creates_the_flagged_rows_too(world: World):
    rows = [["名称", "电话"], ["另一家店", "010-62345678"]]
    job = commit(world.cathy, xlsx_bytes(rows), import_duplicates=True)
    assert job.summary["duplicates"] == 1 and job.result["created"] == 1


def test_gbk_csv_and_utf8_bom_csv_are_read(world: World):
    rows = [["客户名称", "电话"], ["广州天河区喜来烟酒店", "020-38881234"]]
    job = commit(world.cathy, csv_bytes(rows, "gbk"), "gbk.csv")
    assert (job.file_format, job.encoding, job.result["created"]) == ("csv", "gb18030", 1)
    rows = [["客户名称", "电话"], ["深圳南山区好邻便利店", "0755-86661234"]]
    job = commit(world.cathy, "\ufeff".encode() + csv_bytes(rows), "bom.csv")
    assert (job.encoding, job.headers, job.mapping) == ("utf-8-sig", ["客户名称", "电话"], {"0": "name", "1": "phone"})
    assert Customer.objects.filter(name__in=["广州天河区喜来烟酒店", "深圳南山区好邻便利店"]).count() == 2


def test_an_xls_workbook_is_read(world: World):
    job = checked(world.cathy, (FIXTURES / "customers.xls").read_bytes(), "customers.xls")
    assert job.file_format == "xls"
    assert problems_of(job) == [(3, "信用额度", "abc", "'abc' is not a number.")]
    import_commit(job, world.cathy)
    card = Customer.objects.get(code="XLS001")
    assert (card.credit_limit, card.channel_level, card.contacts.get().mobile) == (Decimal("20000"), "retailer", "13912345678")


def test_the_adjusted_mapping_is_remembered_for_the_same_header_row(world: World):
    data = xlsx_bytes([["店铺全称XYZ", "随便一列"], ["甲", "x"]])
    job = upload(world.cathy, data)
    assert job.mapping == {}
    import_configure(job, world.cathy, mapping={"0": "name", "1": "notes"}, mode="create", on_error="skip")
    assert upload(world.cathy, data).mapping == {"0": "name", "1": "notes"}
    assert upload(world.ada, data).mapping == {}  # remembered per user


def test_configure_refuses_a_mapping_that_cannot_work(world: World):
    job = upload(world.cathy, xlsx_bytes([["名称", "电话", "手机"], ["甲", "", ""]]))
    errors = errors_of(import_configure, job=job, user=world.cathy, mapping={"0": "phone", "1": "phone", "2": "nonsense"},
                       mode="upsert", on_error="maybe")
    assert errors == {
        "on_error": ["Choose skip or stop."],
        "mapping": ["Phone is mapped to more than one column.", "'nonsense' is not a field that can be imported.",
                    "Map a column to Customer name.", "Map a column to Code to update cards by their code."],
    }
    errors = errors_of(import_configure, job=job, user=world.cathy, mapping={"0": "name", "2": "contact_mobile"},
                       mode="create", on_error="skip")
    assert errors == {"mapping": ["Map a column to Contact name to import contacts."]}


@pytest.mark.parametrize("username", ["alice", "mia", "dora", "fiona", "aud"])
def test_only_custodians_and_admins_may_import(world: World, username: str):
    with pytest.raises(Forbidden):
        upload(getattr(world, username), xlsx_bytes([["名称"], ["甲"]]))
    assert not import_jobs_visible_to(getattr(world, username)).exists()


def test_jobs_are_visible_to_custodians_and_admins_and_another_user_cannot_drive_them(world: World):
    job = upload(world.cathy, xlsx_bytes([["名称"], ["甲"]]))
    assert list(import_jobs_visible_to(world.ada)) == [job] and list(import_jobs_visible_to(world.cathy)) == [job]
    with pytest.raises(Forbidden):
        import_check(job, world.alice)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_template_imports_cleanly(world: World, language: str):
    job = checked(world.cathy, import_template(language), f"template-{language}.xlsx")
    assert len(job.mapping) == len(job.headers) == 42
    assert (job.problems, job.summary["create"], job.duplicates) == ([], 1, [])
    job = import_commit(job, world.cathy)
    card = Customer.objects.get(name="北京海淀鑫源副食店")
    assert (card.channel_level, card.payment_habit, card.usual_order_day, card.contacts.count()) == ("retailer", "monthly", 1, 1)


def test_a_check_or_commit_out_of_order_is_refused(world: World):
    job = upload(world.cathy, xlsx_bytes([["名称"], ["甲"]]))
    with pytest.raises(ValidationError):
        import_check(job, world.cathy)
    with pytest.raises(ValidationError):
        import_commit(job, world.cathy)


def test_custom_fields_by_label_and_a_field_switched_off_after_the_mapping_is_ignored(world: World):
    from kehu.customers.models import CustomField

    field = CustomField.objects.create(
        key="fridge", label_zh="冰柜数量", label_en="Fridges", field_type="number", position=1,
    )
    job = checked(world.cathy, xlsx_bytes([["名称", "冰柜数量"], ["冷饮店", 2], ["坏店", "两台"]]))
    assert job.mapping == {"0": "name", "1": "custom:fridge"}
    assert problems_of(job) == [(3, "冰柜数量", "两台", "'两台' is not a number.")]
    CustomField.objects.filter(pk=field.pk).update(is_active=False)
    job = import_commit(job, world.cathy)
    assert job.status == "done" and job.result["created"] == 2
    assert Customer.objects.get(name="冷饮店").custom == {}


def test_update_setting_an_owner_on_a_card_without_org_unit_brings_the_owners_unit(world: World):
    from kehu.testing import make_customer

    card = make_customer("无组织的店", None, None, code="NOUNIT1")
    job = commit(world.cathy, xlsx_bytes([["编码", "负责人"], ["NOUNIT1", "carol"]]), mode="update")
    assert (job.status, job.result["updated"]) == ("done", 1)
    card.refresh_from_db()
    assert (card.owner, card.org_unit) == (world.carol, world.carol.org_unit)
