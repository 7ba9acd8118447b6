"""`/api/v1/imports/`: each endpoint, its errors (400 field maps, 403, 404), and never a 500."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from rest_framework.test import APIClient

from kehu.customers.models import Customer, ImportJob
from kehu.testing import World, api_as, results

pytestmark = pytest.mark.django_db

GOOD_AND_BAD = "客户名称,客户编码,信用额度\n新华书店,IMP001,5000\n光明超市,IMP002,abc\n"
URL = "/api/v1/imports/"


def csv_upload(text: str = GOOD_AND_BAD, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def post_file(client: APIClient, upload: SimpleUploadedFile):
    return client.post(URL, {"file": upload}, format="multipart")


@pytest.fixture
def cathy(world: World) -> APIClient:
    return api_as(world.cathy)


@pytest.fixture
def job(cathy: APIClient) -> dict:
    response = post_file(cathy, csv_upload())
    assert response.status_code == 201, response.json()
    return response.json()


def test_upload_answers_201_with_columns_samples_and_the_guessed_mapping(job: dict, world: World):
    assert job["status"] == "uploaded"
    assert job["original_name"] == "customers.csv" and job["file_format"] == "csv"
    assert job["headers"] == ["客户名称", "客户编码", "信用额度"]
    assert job["total_rows"] == 2
    assert job["sample_rows"][1] == ["光明超市", "IMP002", "abc"]
    assert job["mapping"] == {"0": "name", "1": "code", "2": "credit_limit"}
    assert job["created_by"] == world.cathy.pk
    assert set(job["progress"]) == {"status", "phase", "done", "total", "percent"}


def test_upload_errors_are_field_maps(cathy: APIClient):
    assert cathy.post(URL, {}, format="multipart").json() == {"file": ["No file was submitted."]}
    assert cathy.post(URL, {"file": "just text"}, format="json").status_code == 400
    junk = post_file(cathy, SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really a zip" * 10))
    assert junk.status_code == 400 and list(junk.json()) == ["file"] and junk.json()["file"][0]
    empty = post_file(cathy, csv_upload("", name="empty.csv"))
    assert empty.status_code == 400 and list(empty.json()) == ["file"]
    assert ImportJob.objects.count() == 0


def test_a_file_over_the_size_limit_is_a_400(cathy: APIClient, settings):
    settings.KEHU_IMPORT_MAX_BYTES = 10
    response = post_file(cathy, csv_upload())
    assert response.status_code == 400 and "file" in response.json()
    assert ImportJob.objects.count() == 0


def test_list_and_retrieve(cathy: APIClient, job: dict):
    rows = results(cathy.get(URL))
    assert [row["id"] for row in rows] == [job["id"]]
    assert "headers" not in rows[0] and rows[0]["status"] == "uploaded"
    one = cathy.get(f"{URL}{job['id']}/")
    assert one.status_code == 200 and one.json()["headers"] == job["headers"]


def test_patch_configures_and_check_runs_the_dry_run(cathy: APIClient, job: dict):
    response = cathy.patch(f"{URL}{job['id']}/", {"mode": "create", "on_error": "skip"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "configured"
    checked = cathy.post(f"{URL}{job['id']}/check/")
    assert checked.status_code == 200
    body = checked.json()
    assert body["status"] == "checked"
    assert body["summary"]["create"] == 1 and body["summary"]["errors"] == 1 and body["problem_count"] == 1
    problems = cathy.get(f"{URL}{job['id']}/problems/").json()
    assert problems["count"] == 1
    [problem] = problems["results"]
    assert (problem["row"], problem["column"], problem["field"], problem["value"]) == (3, "信用额度", "credit_limit", "abc")
    assert problem["message"]
    assert Customer.objects.filter(code__startswith="IMP").count() == 0


def test_check_before_the_mapping_is_confirmed_is_a_400(cathy: APIClient, job: dict):
    response = cathy.post(f"{URL}{job['id']}/check/")
    assert response.status_code == 400 and "status" in response.json()


def test_likely_duplicates_name_only_cards_the_asker_may_see(cathy: APIClient, world: World):
    text = f"客户名称,客户编码,电话\n{world.alice_card.name},IMP101,{world.alice_card.phone}\n"
    job = post_file(cathy, csv_upload(text)).json()
    cathy.patch(f"{URL}{job['id']}/", {})
    [row] = cathy.post(f"{URL}{job['id']}/check/").json()["duplicates"]
    assert row["row"] == 2 and row["hidden"] == 0
    assert [m["id"] for m in row["matches"]] == [world.alice_card.pk]
    assert set(row["matches"][0]) == {"id", "code", "name", "reason"}


def test_commit_writes_and_reports_the_result(cathy: APIClient, job: dict):
    assert cathy.patch(f"{URL}{job['id']}/", {}).status_code == 200  # the guessed mapping, confirmed
    assert cathy.post(f"{URL}{job['id']}/check/").json()["status"] == "checked"
    response = cathy.post(f"{URL}{job['id']}/commit/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "done"
    assert (body["result"]["created"], body["result"]["skipped"]) == (1, 1)
    assert Customer.objects.get(code="IMP001").name == "新华书店"


def test_commit_before_check_is_a_400(cathy: APIClient, job: dict):
    response = cathy.post(f"{URL}{job['id']}/commit/")
    assert response.status_code == 400
    assert Customer.objects.filter(code__startswith="IMP").count() == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"mapping": ["name", "code"]}, "mapping"),                    # a list, not an object
    ({"mapping": {"0": {"key": "name"}}}, "mapping"),              # a value that is not a string
    ({"mapping": {"zero": "name"}}, "mapping"),                    # not a column index
    ({"mapping": {"7": "name"}}, "mapping"),                       # no such column
    ({"mapping": {"-1": "name"}}, "mapping"),
    ({"mapping": {"²": "name"}}, "mapping"),                       # a digit to str.isdigit, not to int()
    ({"mapping": {"99999999999999999999999": "name"}}, "mapping"),
    ({"mapping": {"2": "no_such_target"}}, "mapping"),             # unknown target (the engine says so)
    ({"mapping": {"1": "name"}}, "mapping"),                       # a target used twice
    ({"mapping": {"0": ""}}, "mapping"),                           # name not mapped for create
    ({"mode": "update", "mapping": {"1": ""}}, "mapping"),         # code not mapped for update
    ({"mode": "replace"}, "mode"),
    ({"on_error": "ignore"}, "on_error"),
    ({"import_duplicates": "perhaps"}, "import_duplicates"),
    ({"status": "done"}, "status"),                                # not a field a client may set
])
def test_patch_errors_are_field_maps(cathy: APIClient, job: dict, body: dict, field: str):
    response = cathy.patch(f"{URL}{job['id']}/", body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert ImportJob.objects.get(pk=job["id"]).status == "uploaded"


def test_a_patch_that_is_not_an_object_is_a_400(cathy: APIClient, job: dict):
    assert cathy.patch(f"{URL}{job['id']}/", ["mapping"]).status_code == 400
    assert cathy.patch(f"{URL}{job['id']}/", "mapping", content_type="application/json").status_code == 400


def test_a_large_check_answers_202_and_cancel_asks_the_worker_to_stop(cathy: APIClient, job: dict, settings):
    settings.KEHU_IMPORT_INLINE_ROWS = 1  # the two-row file counts as large: it goes to the task queue
    cathy.patch(f"{URL}{job['id']}/", {})
    checking = cathy.post(f"{URL}{job['id']}/check/")
    assert checking.status_code == 202 and checking.json()["status"] == "checking"
    assert checking.json()["progress"] == {"status": "checking", "phase": "check", "done": 0, "total": 2, "percent": 0}
    assert cathy.post(f"{URL}{job['id']}/cancel/").status_code in (200, 202)


def test_cancel_stops_a_queued_import_and_nothing_is_written(cathy: APIClient, job: dict, settings):
    cathy.patch(f"{URL}{job['id']}/", {})
    cathy.post(f"{URL}{job['id']}/check/")
    settings.KEHU_IMPORT_INLINE_ROWS = 1  # no worker runs in the tests: the commit stays queued
    queued = cathy.post(f"{URL}{job['id']}/commit/")
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    cancelled = cathy.post(f"{URL}{job['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cathy.post(f"{URL}{job['id']}/cancel/").status_code == 400  # nothing left to cancel
    assert Customer.objects.filter(code__startswith="IMP").count() == 0


def test_the_template_downloads_in_both_languages(cathy: APIClient):
    for lang in ("zh", "en"):
        response = cathy.get(f"{URL}template/", {"lang": lang})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert load_workbook(io.BytesIO(response.content), read_only=True).worksheets
    assert cathy.get(f"{URL}template/", {"lang": "fr"}).json() == {"lang": ["Choose zh or en."]}


@pytest.mark.parametrize("username", ["alice", "mia", "dora", "fiona", "aud"])
def test_roles_that_cannot_import_get_403_everywhere(world: World, username: str, job: dict):
    client = api_as(getattr(world, username))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{job['id']}/").status_code == 403
    assert client.get(f"{URL}{job['id']}/problems/").status_code == 403
    assert client.get(f"{URL}template/").status_code == 403
    assert post_file(client, csv_upload()).status_code == 403
    assert client.patch(f"{URL}{job['id']}/", {"mode": "upsert"}).status_code == 403
    for verb in ("check", "commit", "cancel"):
        assert client.post(f"{URL}{job['id']}/{verb}/").status_code == 403, verb
    assert ImportJob.objects.get(pk=job["id"]).status == "uploaded"


def test_a_job_out_of_reach_is_a_404(cathy: APIClient, job: dict):
    for path in (f"{URL}{job['id'] + 1000}/", f"{URL}{job['id'] + 1000}/problems/", f"{URL}99999999999999999999/"):
        assert cathy.get(path).status_code == 404, path
    for verb in ("check", "commit", "cancel"):
        assert cathy.post(f"{URL}{job['id'] + 1000}/{verb}/").status_code == 404
    assert cathy.patch(f"{URL}{job['id'] + 1000}/", {"mode": "create"}).status_code == 404


def test_put_and_delete_are_not_offered(cathy: APIClient, job: dict):
    assert cathy.put(f"{URL}{job['id']}/", {"mode": "create"}).status_code == 405
    assert cathy.delete(f"{URL}{job['id']}/").status_code == 405


def test_the_schema_describes_the_import_endpoints(world: World):
    response = api_as(world.alice).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    for path in ("/api/v1/imports/", "/api/v1/imports/{id}/", "/api/v1/imports/{id}/check/",
                 "/api/v1/imports/{id}/commit/", "/api/v1/imports/{id}/cancel/", "/api/v1/imports/{id}/problems/",
                 "/api/v1/imports/template/"):
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/imports/"]["post"]["requestBody"]["content"]


def test_the_schema_generates_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    assert [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache] == []
    assert schema["components"]["schemas"]["ImportStatusEnum"]["enum"] == list(ImportJob.Status.values)


ODD_PATCHES = [
    0, [], "text", {"mapping": None}, {"mapping": ""}, {"mapping": {"0": None}}, {"mapping": {"0": 5}},
    {"mapping": {"0": True}}, {"mapping": {"0": "name\x00"}}, {"mapping": {"0": "x" * 5000}},
    {"mode": None}, {"mode": ["create"]}, {"on_error": {}}, {"import_duplicates": None}, {"\x00": 1},
]


@pytest.mark.parametrize("body", ODD_PATCHES)
def test_odd_patch_bodies_answer_400_never_500(cathy: APIClient, job: dict, body):
    response = cathy.patch(f"{URL}{job['id']}/", body, format="json")
    assert response.status_code == 400, (body, response.status_code)
    assert ImportJob.objects.get(pk=job["id"]).status == "uploaded"


def test_odd_uploads_never_answer_500(cathy: APIClient):
    odd = [
        {"file": "not a file"},
        {"file": SimpleUploadedFile("nul.csv", "名称\x00,编码\n甲\x00,A1\n".encode())},
        {"file": SimpleUploadedFile("bin.csv", bytes(range(256)) * 20)},
        {"file": SimpleUploadedFile("x" * 400 + ".csv", "名称\n甲\n".encode())},
        {"file": SimpleUploadedFile("noext", "名称\n甲\n".encode())},
        {"file": SimpleUploadedFile("only-header.csv", "名称,编码\n".encode())},
    ]
    for data in odd:
        response = cathy.post(URL, data, format="multipart")
        assert response.status_code in (201, 400), (data, response.status_code)
    assert cathy.post(URL, {"file": None}, format="json").status_code == 400
    assert cathy.post(URL, b"\xff\xfe", content_type="application/octet-stream").status_code in (400, 415)
