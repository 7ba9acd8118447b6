"""The import wizard's pages: each step, errors on the form, who may use it, progress, cancel."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kehu.customers.forms.imports import column_letter, duplicate_rows, target_choices
from kehu.customers.imports import import_targets
from kehu.customers.models import Customer, ImportJob
from kehu.testing import World

pytestmark = pytest.mark.django_db

# Row 2 is good, row 3 has a credit limit that is not a number.
GOOD_AND_BAD = "客户名称,客户编码,信用额度\n新华书店,IMP001,5000\n光明超市,IMP002,abc\n"


def csv_upload(text: str = GOOD_AND_BAD, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, text: str = GOOD_AND_BAD) -> ImportJob:
    response = client.post(reverse("customers:import-new"), {"file": csv_upload(text)})
    assert response.status_code == 302, response.content.decode()[:2000]
    job_id = int(re.search(r"/imports/(\d+)/$", response["Location"]).group(1))
    return ImportJob.objects.get(pk=job_id)


def mapping_post(job: ImportJob, *, mode: str = "create", on_error: str = "skip", **columns: str) -> dict[str, str]:
    """The mapping form as the browser sends it: the job's current mapping with `col_<i>` overrides."""
    data = {f"col_{i}": key for i, key in (job.mapping or {}).items()}
    data.update(columns)
    data.update(mode=mode, on_error=on_error)
    return data


def check(client: Client, job: ImportJob, **options: str) -> ImportJob:
    response = client.post(job.get_absolute_url(), mapping_post(job, **options))
    assert response.status_code == 302, response.content.decode()[:3000]
    job.refresh_from_db()
    return job


@pytest.fixture
def cathy(world: World) -> Client:
    return browser_as(world.cathy)


# --- step 1: upload --------------------------------------------------------------------------


def test_the_upload_page_offers_the_template_in_both_languages(cathy: Client):
    page = cathy.get(reverse("customers:import-new")).content.decode()
    template = reverse("customers:import-template")
    assert f"{template}?lang=zh" in page and f"{template}?lang=en" in page
    assert 'accept=".xlsx,.xls,.csv"' in page


@pytest.mark.parametrize(("lang", "header_has_chinese"), [("zh", True), ("en", False)])
def test_the_template_downloads_as_a_workbook(cathy: Client, lang: str, header_has_chinese: bool):
    response = cathy.get(reverse("customers:import-template"), {"lang": lang})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"kehu-import-template-{lang}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header = [str(cell) for cell in next(sheet.iter_rows(values_only=True)) if cell]
    assert header
    assert any(re.search(r"[\u4e00-\u9fff]", cell) for cell in header) is header_has_chinese


def test_an_unknown_template_language_is_a_400(cathy: Client):
    assert cathy.get(reverse("customers:import-template"), {"lang": "fr"}).status_code == 400


def test_a_file_that_is_not_a_spreadsheet_answers_400_with_the_engines_message(cathy: Client):
    junk = SimpleUploadedFile("customers.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    response = cathy.post(reverse("customers:import-new"), {"file": junk})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="form-errors"' in page and 'class="error"' in page
    assert ImportJob.objects.count() == 0


def test_an_empty_file_answers_400(cathy: Client):
    response = cathy.post(reverse("customers:import-new"), {"file": csv_upload("", name="empty.csv")})
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


def test_a_post_without_a_file_answers_400(cathy: Client):
    response = cathy.post(reverse("customers:import-new"), {})
    assert response.status_code == 400
    assert "Choose a file to import." in response.content.decode()


def test_a_file_over_the_size_limit_is_refused_before_reading(cathy: Client, settings):
    settings.KEHU_IMPORT_MAX_BYTES = 10
    response = cathy.post(reverse("customers:import-new"), {"file": csv_upload()})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert ImportJob.objects.count() == 0


# --- step 2: mapping -------------------------------------------------------------------------


def test_the_mapping_shows_each_column_with_samples_and_the_guess(cathy: Client):
    job = upload(cathy)
    assert job.status == ImportJob.Status.UPLOADED
    response = cathy.get(job.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    for header in ("客户名称", "客户编码", "信用额度"):
        assert header in page
    for sample in ("新华书店", "光明超市", "IMP002", "abc"):
        assert sample in page
    assert re.search(r'<select name="col_0"[^>]*>.*?<option value="name" selected>', page, re.S)
    assert re.search(r'<select name="col_2"[^>]*>.*?<option value="credit_limit" selected>', page, re.S)
    assert 'name="mode"' in page and 'name="on_error"' in page and 'name="import_duplicates"' in page


def test_the_target_select_is_grouped_with_ignore_first():
    choices = target_choices(import_targets())
    assert choices[0][0] == ""
    groups = [label for label, options in choices[1:]]
    assert len(groups) >= 2 and all(isinstance(options, list) for _l, options in choices[1:])
    keys = {key for _l, options in choices[1:] for key, _label in options}
    assert {"name", "code", "credit_limit", "contact_name"} <= keys


def test_column_letters_follow_the_spreadsheet():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_a_mapping_without_the_name_is_refused_with_the_engines_message(cathy: Client):
    job = upload(cathy)
    response = cathy.post(job.get_absolute_url(), mapping_post(job, col_0=""))
    assert response.status_code == 400
    errors = re.findall(r'<p class="mapping-error">([^<]+)</p>', response.content.decode())
    assert errors == ["Map a column to Customer name."]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED
    assert not job.summary


def test_a_target_used_twice_is_refused(cathy: Client):
    job = upload(cathy)
    response = cathy.post(job.get_absolute_url(), mapping_post(job, col_1="name"))
    assert response.status_code == 400
    errors = re.findall(r'<p class="mapping-error">([^<]+)</p>', response.content.decode())
    assert errors == ["Customer name is mapped to more than one column."]


def test_an_unknown_target_or_mode_is_a_field_error(cathy: Client):
    job = upload(cathy)
    response = cathy.post(job.get_absolute_url(), mapping_post(job, col_2="no_such_field", mode="replace"))
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count('role="alert"') >= 3  # the summary, the column, the mode
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


# --- step 3: check ---------------------------------------------------------------------------


def test_the_check_shows_counts_and_each_problem_by_row_and_column(cathy: Client):
    job = check(cathy, upload(cathy))
    assert job.status == ImportJob.Status.CHECKED
    assert job.mode == "create" and job.on_error == "skip"
    page = cathy.get(job.get_absolute_url()).content.decode()
    assert re.search(r'data-count="create">1<', page)
    assert re.search(r'data-count="errors">1<', page)
    problem = re.search(r'<table class="table problem-table">.*?</table>', page, re.S).group(0)
    assert re.search(r">3</td>", problem) and "信用额度" in problem and "<code>abc</code>" in problem
    assert re.search(r'<button type="submit" class="btn primary" id="import-commit">', page)  # enabled
    assert Customer.objects.filter(code__in=["IMP001", "IMP002"]).count() == 0  # a dry run


def test_stop_on_error_with_problems_disables_the_import_button(cathy: Client):
    job = check(cathy, upload(cathy), on_error="stop")
    page = cathy.get(job.get_absolute_url()).content.decode()
    assert re.search(r'id="import-commit" disabled', page)
    assert 'id="commit-blocked"' in page


def test_change_mapping_reopens_the_form_with_the_chosen_options(cathy: Client):
    job = check(cathy, upload(cathy), on_error="stop")
    page = cathy.get(job.get_absolute_url(), {"step": "mapping"}).content.decode()
    assert re.search(r'<input type="radio" name="on_error" value="stop"[^>]*checked', page)
    assert re.search(r'<option value="credit_limit" selected>', page)
    job = check(cathy, job, on_error="skip")
    assert job.status == ImportJob.Status.CHECKED and job.on_error == "skip"


def test_likely_duplicates_link_only_the_cards_the_user_may_open(world: World):
    stored = [{"row": 2, "name": "单氏副食店", "matches": [
        {"id": world.alice_card.pk, "code": world.alice_card.code, "name": world.alice_card.name, "reason": "phone"},
        {"id": world.bob_card.pk, "code": world.bob_card.code, "name": world.bob_card.name, "reason": "name"},
    ]}]
    [row] = duplicate_rows(world.alice, stored)
    assert [m["id"] for m in row["matches"]] == [world.alice_card.pk]
    assert row["matches"][0]["url"] == reverse("customers:detail", args=[world.alice_card.pk])
    assert row["hidden"] == 1
    [row] = duplicate_rows(world.cathy, stored)
    assert len(row["matches"]) == 2 and row["hidden"] == 0


def test_a_row_like_an_existing_card_is_listed_with_a_link_to_it(cathy: Client, world: World):
    text = f"客户名称,客户编码,电话\n{world.alice_card.name},IMP101,{world.alice_card.phone}\n"
    job = check(cathy, upload(cathy, text))
    assert job.summary.get("duplicates") == 1, job.summary
    page = cathy.get(job.get_absolute_url()).content.decode()
    section = re.search(r'<section class="import-section" id="duplicates">.*?</section>', page, re.S).group(0)
    assert reverse("customers:detail", args=[world.alice_card.pk]) in section


# --- steps 4 and 5: import and result --------------------------------------------------------


def test_import_writes_the_good_rows_and_links_the_list_sorted_by_newest(cathy: Client):
    job = check(cathy, upload(cathy))
    response = cathy.post(reverse("customers:import-commit", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.result["created"] == 1 and job.result["skipped"] == 1
    assert list(Customer.objects.filter(code__startswith="IMP").values_list("name", flat=True)) == ["新华书店"]
    page = cathy.get(job.get_absolute_url()).content.decode()
    assert re.search(r'data-count="created">1<', page)
    newest = reverse("customers:list") + "?ordering=-created_at"
    assert newest in page
    listing = cathy.get(newest).content.decode()
    assert listing.index("新华书店") < listing.index("北京海淀区单氏副食店")


def test_import_before_the_check_is_refused_with_400(cathy: Client):
    job = upload(cathy)
    response = cathy.post(reverse("customers:import-commit", args=[job.pk]))
    assert response.status_code == 400
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED
    assert Customer.objects.filter(code__startswith="IMP").count() == 0


def test_an_import_the_engine_refuses_shows_why_with_400(cathy: Client):
    job = check(cathy, upload(cathy), on_error="stop")  # a stale page could still post the disabled button
    response = cathy.post(reverse("customers:import-commit", args=[job.pk]))
    assert response.status_code == 400
    assert "the import stops on errors" in response.content.decode()
    assert Customer.objects.filter(code__startswith="IMP").count() == 0


def test_a_failed_import_shows_the_error_and_a_way_back(cathy: Client):
    job = check(cathy, upload(cathy))
    job.file.delete(save=False)  # the stored upload is gone (a cleaned disk): the engine cannot reread it
    cathy.post(reverse("customers:import-commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.error
    page = cathy.get(job.get_absolute_url()).content.decode()
    assert 'class="import-error"' in page and "?step=mapping" in page
    assert Customer.objects.filter(code__startswith="IMP").count() == 0


def test_the_import_list_shows_past_imports_with_their_status(cathy: Client):
    job = check(cathy, upload(cathy))
    cathy.post(reverse("customers:import-commit", args=[job.pk]))
    page = cathy.get(reverse("customers:import-list")).content.decode()
    assert "customers.csv" in page and job.get_absolute_url() in page
    assert "import-status-done" in page


# --- progress and cancel (a file larger than the inline limit goes to the task queue) ---------


@pytest.fixture
def checking(cathy: Client, settings) -> ImportJob:
    settings.KEHU_IMPORT_INLINE_ROWS = 1
    job = check(cathy, upload(cathy))
    assert job.status == ImportJob.Status.CHECKING  # no worker runs in the tests: it stays there
    return job


@pytest.fixture
def queued(cathy: Client, settings) -> ImportJob:
    job = check(cathy, upload(cathy))
    settings.KEHU_IMPORT_INLINE_ROWS = 1
    assert cathy.post(reverse("customers:import-commit", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    return job


def test_a_check_in_the_background_shows_the_progress_bar_and_polls(cathy: Client, checking: ImportJob):
    page = cathy.get(checking.get_absolute_url()).content.decode()
    assert "<progress" in page and 'id="import-cancel"' in page
    partial = cathy.get(reverse("customers:import-progress", args=[checking.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    body = partial.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert '<progress value="0" max="2"' in body and "0%" in body and "Checking the rows" in body
    assert "HX-Redirect" not in partial


def test_a_queued_import_shows_its_phase(cathy: Client, queued: ImportJob):
    body = cathy.get(reverse("customers:import-progress", args=[queued.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Waiting for the background worker" in body and 'hx-trigger="every 1s"' in body


def test_the_progress_partial_sends_the_browser_to_the_result_when_finished(cathy: Client):
    job = check(cathy, upload(cathy))
    partial = cathy.get(reverse("customers:import-progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert partial["HX-Redirect"] == job.get_absolute_url()
    assert "every 1s" not in partial.content.decode()


def test_cancel_stops_a_queued_import_and_nothing_is_written(cathy: Client, queued: ImportJob):
    response = cathy.post(reverse("customers:import-cancel", args=[queued.pk]))
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == ImportJob.Status.CANCELLED
    page = cathy.get(queued.get_absolute_url()).content.decode()
    assert "The import was cancelled" in page and "?step=mapping" in page and "<progress" not in page
    assert Customer.objects.filter(code__startswith="IMP").count() == 0


def test_cancelling_a_background_check_asks_the_worker_to_stop(cathy: Client, checking: ImportJob):
    response = cathy.post(reverse("customers:import-cancel", args=[checking.pk]), follow=True)
    assert "Cancel requested" in response.content.decode()


def test_cancelling_a_finished_import_says_why_not(cathy: Client):
    job = check(cathy, upload(cathy))
    response = cathy.post(reverse("customers:import-cancel", args=[job.pk]), follow=True)
    assert "Only a running import can be cancelled." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED


# --- who may use it --------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["alice", "mia", "dora", "fiona", "aud"])
def test_roles_that_cannot_import_are_refused_on_every_page(world: World, username: str):
    job = upload(browser_as(world.cathy))
    client = browser_as(getattr(world, username))
    for name in ("customers:import-list", "customers:import-new", "customers:import-template"):
        assert client.get(reverse(name)).status_code == 403, name
    for name in ("customers:import-detail", "customers:import-progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 403, name
    for name in ("customers:import-detail", "customers:import-commit", "customers:import-cancel"):
        assert client.post(reverse(name, args=[job.pk])).status_code == 403, name
    assert client.post(reverse("customers:import-new"), {"file": csv_upload()}).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED and ImportJob.objects.count() == 1


def test_a_job_outside_the_users_reach_answers_404(cathy: Client):
    job = upload(cathy)
    missing = job.pk + 1000
    assert cathy.get(reverse("customers:import-detail", args=[missing])).status_code == 404
    assert cathy.get(reverse("customers:import-progress", args=[missing])).status_code == 404
    assert cathy.post(reverse("customers:import-commit", args=[missing])).status_code == 404
    assert cathy.post(reverse("customers:import-cancel", args=[missing])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(world: World):
    response = Client().get(reverse("customers:import-list"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_navigation_and_the_customer_list_offer_import_only_to_importers(world: World):
    url = reverse("customers:import-list")
    for username, sees in (("cathy", True), ("ada", True), ("alice", False), ("dora", False)):
        page = browser_as(getattr(world, username)).get(reverse("customers:list")).content.decode()
        assert (f'href="{url}"' in page) is sees, username
        assert (f'href="{reverse("customers:import-new")}"' in page) is sees, username


def test_on_the_import_pages_only_import_is_the_current_nav_entry(cathy: Client):
    page = cathy.get(reverse("customers:import-list")).content.decode()
    current = re.findall(r'<a href="([^"]+)" class="active" aria-current="page">', page)
    assert current == [reverse("customers:import-list")]
    listing = cathy.get(reverse("customers:list")).content.decode()
    assert re.findall(r'<a href="([^"]+)" class="active" aria-current="page">', listing) == [reverse("customers:list")]


def test_the_import_list_costs_the_same_queries_for_many_jobs(cathy: Client, world: World):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.customers.imports import import_upload

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert cathy.get(reverse("customers:import-list")).status_code == 200
        return len(captured.captured_queries)

    import_upload(world.cathy, csv_upload())
    one = queries()
    for user in (world.ada, world.cathy, world.ada):
        import_upload(user, csv_upload())
    assert queries() == one
