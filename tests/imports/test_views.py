"""The import pages: templates, upload → dry run (a background job) → report → confirm,
the report's xlsx, clear errors for bad files, and who may use them."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from matchmaker.imports.models import ImportBatch
from matchmaker.jobs.models import BackgroundJob
from matchmaker.profiles.models import ResearchOutput
from tests.conftest import submit
from tests.imports.helpers import OUTPUT_HEADERS, output_row, xlsx


def _upload(client, content: bytes, kind: str = "outputs", name: str = "outputs.xlsx"):
    return submit(client, "/imports/upload",
                  {"kind": kind, "file": (io.BytesIO(content), name)},
                  form_url="/imports/", content_type="multipart/form-data")


def _latest(db_session) -> ImportBatch:
    db_session.expire_all()
    return db_session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(1))


def _count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ResearchOutput))


def test_upload_dry_run_report_confirm(login_as, db_session):
    client = login_as("qcut")
    content = xlsx([[*OUTPUT_HEADERS, "备注"],
                    [*output_row(ref="QC-WEB-1"), "内部备注"],
                    [*output_row(ref="QC-WEB-2", title="钠离子电池硬碳负极低成本制备", trl="十"), ""],
                    [*output_row(title="二氧化钛负载型低铱析氧催化剂", org="陕氢院"), ""]])
    # an institution member may not import another organisation's row: row 4 is an error
    response = _upload(client, content)
    assert response.status_code == 302
    batch = _latest(db_session)
    assert response.headers["Location"].endswith(f"/imports/{batch.id}")
    assert batch.status == "planned"  # the dry-run job ran after the request (sync mode)
    job = db_session.get(BackgroundJob, batch.job_id)
    assert job.name == "imports.plan" and job.status == "finished"
    assert job.progress_done == job.progress_total == 3
    page = client.get(f"/imports/{batch.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "备注" in html and 'data-testid="ignored-columns"' in html
    assert 'data-testid="row-3"' in html and 'data-testid="row-4"' in html
    assert batch.plan["counts"] == {"create": 1, "update": 0, "unchanged": 0, "duplicate": 0,
                                    "error": 2}
    # the report: every row with its result, the bad cell filled and commented
    report = client.get(f"/imports/{batch.id}/report.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.data)).active
    assert [sheet.cell(r, 3).value for r in range(2, 5)] == [2, 3, 4]
    trl_cell = sheet.cell(3, 3 + OUTPUT_HEADERS.index("技术成熟度") + 1)
    assert trl_cell.value == "十" and "技术成熟度" in trl_cell.comment.text
    assert trl_cell.fill.fgColor.rgb.endswith("F8CBAD")
    before = _count(db_session)
    confirmed = submit(client, f"/imports/{batch.id}/confirm", {},
                       form_url=f"/imports/{batch.id}")
    assert confirmed.status_code == 302
    batch = _latest(db_session)
    assert batch.status == "applied"
    assert batch.result == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0,
                            "errors": 2}
    assert _count(db_session) == before + 1
    assert 'data-testid="import-result"' in client.get(f"/imports/{batch.id}").get_data(
        as_text=True)


def test_the_page_speaks_the_users_language(login_as, db_session):
    client = login_as("qcut")
    _upload(client, xlsx([OUTPUT_HEADERS, output_row(trl="十")]))
    batch = _latest(db_session)
    message = batch.plan["rows"][0]["errors"][0]["message"]
    assert "技术成熟度" in message or "不是" in message  # zh is the default language


def test_duplicates_choose_per_row_or_for_all(login_as, db_session):
    client = login_as("admin")
    titles = ["二氧化钛负载型低铱析氧催化剂", "低气体互窜聚苯硫醚/氧化锆复合隔膜及宽负荷碱性电解槽"]
    content = xlsx([OUTPUT_HEADERS, *[output_row(org="陕西氢能技术研究院", title=t + "（二期）")
                                      for t in titles]])
    _upload(client, content)
    batch = _latest(db_session)
    assert [r["outcome"] for r in batch.plan["rows"]] == ["duplicate", "duplicate"]
    html = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert 'data-testid="decision-2"' in html and "二氧化钛负载型低铱析氧催化剂" in html
    before = _count(db_session)
    submit(client, f"/imports/{batch.id}/confirm", {"decision-2": "keep", "decision-3": "skip"},
           form_url=f"/imports/{batch.id}")
    batch = _latest(db_session)
    assert batch.result["created"] == 1 and batch.result["skipped"] == 1
    assert _count(db_session) == before + 1
    _upload(client, content)
    second = _latest(db_session)
    submit(client, f"/imports/{second.id}/confirm", {"all_duplicates": "merge"},
           form_url=f"/imports/{second.id}")
    second = _latest(db_session)
    # row 2 is now exactly the record kept above (unchanged); row 3 merges into the original
    assert second.result["unchanged"] == 1 and second.result["updated"] == 1, second.error
    assert _count(db_session) == before + 1


@pytest.mark.parametrize(("content", "name", "fragment"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "photo.xlsx", "不是电子表格"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", ".xls"),
    ("标题一,标题二\nx,y\n".encode(), "table.csv", "表头"),
])
def test_a_file_that_cannot_be_read_says_why_without_a_500(login_as, db_session, content,
                                                           name, fragment):
    client = login_as("qcut")
    assert _upload(client, content, name=name).status_code == 302
    batch = _latest(db_session)
    assert batch.status == "failed" and fragment in batch.error
    page = client.get(f"/imports/{batch.id}")
    assert page.status_code == 200 and fragment in page.get_data(as_text=True)


def test_a_file_too_large_is_refused_before_it_is_kept(app, login_as, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024)
    client = login_as("qcut")
    before = db_session.scalar(select(func.count()).select_from(ImportBatch))
    response = _upload(client, b"a,b\n" + b"x" * 2048)
    assert response.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(ImportBatch)) == before
    assert "文件太大" in client.get("/imports/").get_data(as_text=True)


def test_templates_download_with_both_languages_and_a_guide(login_as):
    client = login_as("admin")
    response = client.get("/imports/template/outputs.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[2] == "成果名称\nTitle"
    guide = {row[0].value: row for row in book.worksheets[1].iter_rows(min_row=2)}
    assert "许可 / Licence (licence)" in guide["转化方式"][5].value
    assert "氢能 / Hydrogen energy (hydrogen)" in guide["产业链"][5].value
    gbk = client.get("/imports/template/needs.csv?encoding=gbk")
    assert gbk.data.decode("gb18030").startswith("编号/ID,企业名称/Enterprise")
    utf8 = client.get("/imports/template/needs.csv")
    assert utf8.data.startswith(b"\xef\xbb\xbf")


def test_a_template_round_trips_as_an_empty_import(login_as, db_session):
    """A template filled in with one row reads back with every column recognised."""
    client = login_as("admin")
    book = load_workbook(io.BytesIO(client.get("/imports/template/outputs.xlsx").data))
    from matchmaker.imports.columns import OUTPUT_COLUMNS, map_headers

    headers = [c.value for c in book.worksheets[0][1]]
    assert sorted(map_headers("outputs", headers).columns.values()) == sorted(
        c.key for c in OUTPUT_COLUMNS)


@pytest.mark.parametrize(("key", "url", "status"), [
    ("broker-zhangmin", "/imports/", 404),
    ("broker-zhangmin", "/imports/template/outputs.xlsx", 404),
    ("qcut", "/imports/template/needs.xlsx", 404),
    ("sc-ent-01", "/imports/template/outputs.csv", 404),
    ("sc-ent-01", "/imports/template/needs.csv", 200),
    ("qcut", "/imports/", 200),
])
def test_who_may_open_the_pages(login_as, key, url, status):
    assert login_as(key).get(url).status_code == status


def test_an_enterprise_may_not_upload_outputs_and_others_may_not_see_a_batch(
        login_as, db_session, client):
    enterprise = login_as("sc-ent-01")
    before = db_session.scalar(select(func.count()).select_from(ImportBatch))
    _upload(enterprise, xlsx([OUTPUT_HEADERS, output_row()]), kind="outputs")
    assert db_session.scalar(select(func.count()).select_from(ImportBatch)) == before
    owner = login_as("qcut")
    _upload(owner, xlsx([OUTPUT_HEADERS, output_row()]))
    batch = _latest(db_session)
    assert login_as("xjju").get(f"/imports/{batch.id}").status_code == 404
    assert login_as("xjju").get(f"/imports/{batch.id}/report.xlsx").status_code == 404
    assert login_as("admin").get(f"/imports/{batch.id}").status_code == 200
    assert client.get(f"/imports/{batch.id}").status_code in (302, 401)
    other = login_as("xjju")
    assert submit(other, f"/imports/{batch.id}/confirm", {},
                  form_url="/imports/").status_code == 404
    assert _latest(db_session).status == "planned"


def test_the_progress_json_follows_the_job(login_as, db_session):
    client = login_as("qcut")
    _upload(client, xlsx([OUTPUT_HEADERS, output_row()]))
    batch = _latest(db_session)
    state = client.get(f"/imports/{batch.id}.json").get_json()
    assert state["is_done"] is True and state["done"] == state["total"] == 1


@pytest.mark.parametrize(("key", "url", "shown"), [
    ("qcut", "/outputs/", True), ("qcut", "/needs/", False),
    ("sc-ent-01", "/needs/", True), ("broker-zhangmin", "/outputs/", False),
    ("admin", "/needs/", True),
])
def test_the_lists_offer_the_import_to_who_may(login_as, key, url, shown):
    html = login_as(key).get(url).get_data(as_text=True)
    assert ('data-testid="import-link"' in html) is shown


def test_the_personal_data_export_lists_the_uploads(login_as, db_session):
    import json

    client = login_as("qcut")
    _upload(client, xlsx([OUTPUT_HEADERS, output_row()]), name="我的成果.xlsx")
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert [b["filename"] for b in data["import_batches"]] == ["我的成果.xlsx"]


def test_a_job_that_died_fails_its_batch_and_the_page_stops_waiting(login_as, db_session,
                                                                    monkeypatch):
    from matchmaker.imports import services

    def broken(*args, **kwargs):
        raise RuntimeError("worker out of memory")

    client = login_as("qcut")
    monkeypatch.setattr(services, "plan_import", broken)
    _upload(client, xlsx([OUTPUT_HEADERS, output_row()]))
    batch = _latest(db_session)
    assert batch.status == "failed" and "worker out of memory" in batch.error
    # a job the runner itself marked failed (a timeout) with the batch still waiting
    batch.status = "planning"
    db_session.get(BackgroundJob, batch.job_id).status = "failed"
    db_session.commit()
    state = client.get(f"/imports/{batch.id}.json").get_json()
    assert state["is_done"] is True and f"#{batch.job_id}" in state["error"]
    assert _latest(db_session).status == "failed"


def test_an_update_names_the_columns_it_changes(login_as, db_session):
    client = login_as("qcut")
    _upload(client, xlsx([OUTPUT_HEADERS, output_row(ref="QC-CHANGE")]))
    submit(client, f"/imports/{_latest(db_session).id}/confirm", {},
           form_url=f"/imports/{_latest(db_session).id}")
    _upload(client, xlsx([OUTPUT_HEADERS, output_row(ref="QC-CHANGE", trl="8",
                                                     keywords="PEM，膜电极，涂布")]))
    batch = _latest(db_session)
    assert batch.plan["rows"][0]["outcome"] == "update"
    html = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "变更：" in html and "<code>技术成熟度</code>" in html and "<code>关键词</code>" in html
    sheet = load_workbook(io.BytesIO(client.get(f"/imports/{batch.id}/report.xlsx").data)).active
    assert sheet.cell(2, 2).value == "变更：技术成熟度, 关键词"


def test_a_confirmation_on_a_dry_run_the_listings_have_since_outdated_writes_nothing(
        login_as, db_session):
    """The user chose to skip a row as a duplicate of a record; before the write, that record
    was renamed so the row is no longer its duplicate. The choice was about something else:
    nothing is written, and the page says which rows to look at again."""
    client = login_as("admin")
    original = "二氧化钛负载型低铱析氧催化剂"
    _upload(client, xlsx([OUTPUT_HEADERS,
                          output_row(org="陕西氢能技术研究院", title=original + "（二期）"),
                          output_row(org="陕西氢能技术研究院", title="全新的一项成果标题")]))
    batch = _latest(db_session)
    assert [r["outcome"] for r in batch.plan["rows"]] == ["duplicate", "create"]
    record = db_session.scalar(select(ResearchOutput).where(ResearchOutput.title == original))
    record.title = "钙钛矿叠层电池界面钝化工艺"  # someone edits it meanwhile
    db_session.commit()
    before = _count(db_session)
    submit(client, f"/imports/{batch.id}/confirm", {"decision-2": "skip"},
           form_url=f"/imports/{batch.id}")
    batch = _latest(db_session)
    assert batch.status == "failed"
    assert batch.error.startswith("未导入任何数据") and "（第 2 行）" in batch.error
    assert _count(db_session) == before
