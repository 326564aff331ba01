"""The dry run and the write, through the services: outcomes per row, errors naming row,
column and reason in both languages, duplicates, idempotence, all-or-nothing, roles."""
import pytest
from sqlalchemy import func, select

from matchmaker import permissions
from matchmaker.imports import services
from matchmaker.profiles.models import ResearchOutput, TechNeed
from tests.imports.helpers import ABSTRACT, OUTPUT_HEADERS, csv_bytes, output_row, xlsx

NEED_HEADERS = ["需求名称", "需求描述", "转化方式", "预算下限", "预算上限", "截止日期",
                "落地地区", "揭榜挂帅", "奖金"]
DESCRIPTION = ("我公司现有两台电极感应熔化气雾化制粉炉，以φ40 mm TC4棒料为原料，细粉比例只有27%，"
               "希望合作开发制粉工艺改进方案，细粉比例提高到40%以上，氧含量不高于0.13%。")


def _count(db_session, model=ResearchOutput) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_new_rows_are_planned_then_written_through_the_services(db_session, seed_user,
                                                                dry_run, apply):
    qcut = seed_user("qcut")
    content = xlsx([OUTPUT_HEADERS, output_row(ref="QC-IMP-1"),
                    output_row(ref="QC-IMP-2", title="高温固体氧化物电解池密封玻璃材料",
                               modes="许可, joint R&D")])
    plan = dry_run(content, "outputs", qcut)
    assert [r.outcome for r in plan.rows] == ["create", "create"], [r.errors for r in plan.rows]
    assert [r.row for r in plan.rows] == [2, 3]
    before = _count(db_session)
    counts = apply(plan, qcut)
    assert counts["created"] == 2
    assert _count(db_session) == before + 2
    made = db_session.scalar(select(ResearchOutput).where(ResearchOutput.ref == "QC-IMP-2"))
    assert made.institution.name == "秦川理工大学"
    assert sorted(made.modes) == ["joint_rd", "licence"]
    assert made.created_by_id == qcut.id and made.status == "draft"


def test_importing_the_same_file_twice_changes_nothing(db_session, seed_user, dry_run, apply):
    qcut = seed_user("qcut")
    content = xlsx([OUTPUT_HEADERS, output_row(ref="QC-TWICE"),
                    output_row(title="无编号的成果：碱性电解槽隔膜复合材料")])
    apply(dry_run(content, "outputs", qcut), qcut)
    versions = {o.id: o.version for o in db_session.scalars(select(ResearchOutput))}
    again = dry_run(content, "outputs", qcut)
    assert [r.outcome for r in again.rows] == ["unchanged", "unchanged"]
    counts = apply(again, qcut, default="keep")
    assert counts["unchanged"] == 2 and counts["created"] == counts["updated"] == 0
    db_session.expire_all()
    assert {o.id: o.version for o in db_session.scalars(select(ResearchOutput))} == versions


def test_a_changed_row_with_a_known_id_updates_its_record(db_session, seed_user, dry_run,
                                                          apply):
    qcut = seed_user("qcut")
    apply(dry_run(xlsx([OUTPUT_HEADERS, output_row(ref="QC-UPD")]), "outputs", qcut), qcut)
    plan = dry_run(xlsx([OUTPUT_HEADERS, output_row(ref="QC-UPD", trl="7")]), "outputs", qcut)
    assert plan.rows[0].outcome == "update" and plan.rows[0].changes == ["trl"]
    apply(plan, qcut)
    record = db_session.scalar(select(ResearchOutput).where(ResearchOutput.ref == "QC-UPD"))
    assert record.trl == 7 and record.version == 2


# --- every validation error: row, column, reason, in English and Chinese ---------------------

def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


OUTPUT_ERRORS = [
    # (header, value, column key, a fragment of the English reason)
    ("成果名称", "", "title", "Enter a title"),
    ("成果名称", "题" * 201, "title", "too long"),
    ("成果简介", "", "abstract", "Describe the research output"),
    ("成果简介", "字" * 5001, "abstract", "too long"),
    ("技术成熟度", "高", "trl", "is not a TRL"),
    ("技术成熟度", "10", "trl", "between 1 and 9"),
    ("技术成熟度", "", "trl", "Enter a TRL"),
    ("转化方式", "", "modes", "at least one mode"),
    ("转化方式", "赠送", "modes", "is not a transfer mode"),
    ("产业链", "纺织", "chain", "is not a sector chain"),
    ("环节", "制氢", "segment", "needs the sector chain"),
    ("关键词", ",".join(f"k{i}" for i in range(13)), "keywords", "At most 12"),
    ("关键词", "长" * 41, "keywords", "too long"),
    ("团队/发明人", ",".join(f"人{i}" for i in range(31)), "inventors", "At most 30"),
    ("专利", "ZL1; XYZ; granted", "patents", "is not an IPC code"),
    ("专利", "only a number", "patents", "number; IPC codes; status"),
    ("最低价格（万元）", "-5", "price_min", "cannot be negative"),
    ("最低价格（万元）", "abc", "price_min", "must be a number"),
    ("最高价格（万元）", "99999999", "price_max", "too large"),
    ("赋权改革状态", "全部", "reform_status", "is not a reform status"),
    ("状态", "已转化", "status", "is not a status an import may set"),
    ("状态", "已发布", "title", "title needs"),  # too short a title to publish
    ("完成单位", "火星大学", "organisation", "is not an organisation"),
    ("完成单位", "西京交通大学", "organisation", "only your own organisation"),
    ("编号", "x" * 65, "ref", "too long"),
]


@pytest.mark.parametrize(("header", "value", "column", "reason"), OUTPUT_ERRORS,
                         ids=[f"{c}-{r[:16]}" for _h, _v, c, r in OUTPUT_ERRORS])
def test_each_output_error_names_row_column_and_reason_in_both_languages(
        seed_user, dry_run, header, value, column, reason):
    headers = ["编号", "完成单位", "成果名称", "成果简介", "技术成熟度", "转化方式"]
    good = ["", "", "低铱载量PEM电解槽膜电极连续涂布工艺", ABSTRACT, "6", "许可"]
    if value == "已发布":
        good[2] = "氢"
    if header in headers:
        good[headers.index(header)] = value
    else:
        headers.append(header)
        good.append(value)
    content = xlsx([headers, ["", "", "正常的成果：电解槽流场板激光焊接工艺", ABSTRACT, "6", "许可"]
                    + [""] * (len(headers) - 6), good])
    qcut = seed_user("qcut")
    english = dry_run(content, "outputs", qcut, "en")
    assert english.rows[0].outcome == "create"
    row = english.rows[1]
    assert row.row == 3 and row.outcome == "error"
    assert any(e["column"] == column and reason in e["message"] for e in row.errors), row.errors
    chinese = dry_run(content, "outputs", qcut, "zh").rows[1]
    message = next(e["message"] for e in chinese.errors if e["column"] == column)
    assert _has_cjk(message) and reason not in message


def test_a_price_range_upside_down_and_a_segment_of_another_chain(seed_user, dry_run):
    headers = [*OUTPUT_HEADERS, "最低价格", "最高价格", "产业链", "环节"]
    content = xlsx([headers, [*output_row(), "300", "100", "氢能", "激光器"]])
    row = dry_run(content, "outputs", seed_user("qcut")).rows[0]
    columns = {e["column"] for e in row.errors}
    assert columns == {"price_max", "segment"}, row.errors


NEED_ERRORS = [
    ("需求描述", "", "description", "Describe the problem"),
    ("预算上限", "50", "budget_max", "lowest budget is above"),
    ("截止日期", "2001-01-01", "deadline", "in the past"),
    ("截止日期", "明年", "deadline", "is not a date"),
    ("落地地区", "火星", "region", "is not a region"),
    ("揭榜挂帅", "也许", "is_challenge", "write yes or no"),
    ("揭榜挂帅", "是", "prize", "needs a prize"),
]


@pytest.mark.parametrize(("header", "value", "column", "reason"), NEED_ERRORS,
                         ids=[c for _h, _v, c, _r in NEED_ERRORS])
def test_each_need_error_names_row_column_and_reason(seed_user, dry_run, header, value,
                                                     column, reason):
    good = {"需求名称": "提高TC4球形粉细粒段产出比例", "需求描述": DESCRIPTION,
            "转化方式": "合作研发", "预算下限": "100", "预算上限": "200",
            "截止日期": "2099-12-31", "落地地区": "西安市", "揭榜挂帅": "否", "奖金": ""}
    bad = {**good, header: value}
    content = csv_bytes([NEED_HEADERS, [good[h] for h in NEED_HEADERS],
                         [bad[h] for h in NEED_HEADERS]])
    user = seed_user("sc-ent-01")
    plan = dry_run(content, "needs", user)
    assert plan.rows[0].outcome == "create", plan.rows[0].errors
    row = plan.rows[1]
    assert row.outcome == "error" and row.row == 3
    assert any(e["column"] == column and reason in e["message"] for e in row.errors), row.errors
    chinese = dry_run(content, "needs", user, "zh").rows[1]
    message = next(e["message"] for e in chinese.errors if e["column"] == column)
    assert _has_cjk(message) and reason not in message


def test_ids_repeated_in_the_file_or_of_another_organisation(db_session, seed_user, dry_run):
    seed_output = db_session.scalar(select(ResearchOutput).where(
        ResearchOutput.institution.has(name="陕西氢能技术研究院")).limit(1))
    content = xlsx([OUTPUT_HEADERS, output_row(ref="QC-SAME"),
                    output_row(ref="QC-SAME", title="另一项成果：储氢瓶碳纤维缠绕工艺"),
                    output_row(ref=seed_output.ref, title="他人编号：固态储氢合金")])
    rows = dry_run(content, "outputs", seed_user("qcut")).rows
    assert rows[0].outcome == "create"
    assert rows[1].errors == [{"column": "ref",
                               "message": "The same ID is already used in row 2."}]
    assert rows[2].errors[0]["column"] == "ref"
    assert "another organisation" in rows[2].errors[0]["message"]


# --- organisations and duplicates ---------------------------------------------------------------

def test_organisations_are_found_by_alias_and_look_alike(seed_user, dry_run):
    content = xlsx([OUTPUT_HEADERS,
                    output_row(org="西京交大", title="高速列车转向架轻量化焊接结构"),
                    output_row(org="XJJU", title="轨道交通牵引变流器SiC模块"),
                    output_row(org="陕西氢能技术研究所院", title="一项氢能成果：储运安全监测")])
    rows = dry_run(content, "outputs", seed_user("admin")).rows
    assert [r.organisation.name for r in rows] == ["西京交通大学", "西京交通大学",
                                                   "陕西氢能技术研究院"]
    assert all(r.outcome == "create" for r in rows), [r.errors for r in rows]
    assert "read as 西京交通大学" in rows[0].notes[0]


def test_operators_must_name_the_organisation(seed_user, dry_run):
    row = dry_run(xlsx([OUTPUT_HEADERS, output_row(org="")]), "outputs", seed_user("admin")).rows[0]
    assert row.errors[0]["column"] == "organisation"


@pytest.mark.parametrize("variant", [
    "二氧化钛负载型低铱析氧催化剂",  # the same title
    "二氧化钛负载型低铱析氧催化济",  # a typo
    "二氧化钛负载型 低铱析氧催化剂（中试）",  # spaces and a suffix
    "二氧化钛负载低铱析氧催化剂",  # a character left out
])
def test_a_close_title_at_the_same_organisation_is_a_likely_duplicate(
        db_session, seed_user, dry_run, variant):
    original = db_session.scalar(select(ResearchOutput).where(
        ResearchOutput.title == "二氧化钛负载型低铱析氧催化剂"))
    content = xlsx([OUTPUT_HEADERS, output_row(org="陕氢院", title=variant)])
    row = dry_run(content, "outputs", seed_user("admin")).rows[0]
    assert row.outcome == "duplicate", row.errors
    assert row.duplicate["id"] == original.id
    assert row.duplicate["organisation"] == "陕西氢能技术研究院"
    assert row.duplicate["score"] >= 80


def test_the_same_title_at_another_organisation_is_not_a_duplicate(seed_user, dry_run):
    content = xlsx([OUTPUT_HEADERS, output_row(org="西京交通大学",
                                               title="二氧化钛负载型低铱析氧催化剂")])
    assert dry_run(content, "outputs", seed_user("admin")).rows[0].outcome == "create"


def test_rows_of_one_file_that_repeat_each_other_are_flagged(seed_user, dry_run):
    content = xlsx([OUTPUT_HEADERS, output_row(title="储氢合金粉末氢化处理工艺"),
                    output_row(title="储氢合金粉末氢化处理工艺。")])
    rows = dry_run(content, "outputs", seed_user("qcut")).rows
    assert [r.outcome for r in rows] == ["create", "duplicate"]
    assert rows[1].duplicate["row"] == 2


def test_duplicate_choices_merge_skip_and_keep(db_session, seed_user, dry_run, apply):
    admin = seed_user("admin")
    titles = ["二氧化钛负载型低铱析氧催化剂", "酸性介质高稳定钌基析氧催化剂",
              "PEM电解槽钛毡多孔传输层铌基防护涂层"]
    records = {t: db_session.scalar(select(ResearchOutput).where(ResearchOutput.title == t))
               for t in titles}
    content = xlsx([OUTPUT_HEADERS, *[output_row(org=records[t].institution.name, title=t + "（改）",
                                                 trl="7") for t in titles]])
    plan = dry_run(content, "outputs", admin)
    assert [r.outcome for r in plan.rows] == ["duplicate"] * 3
    before = _count(db_session)
    counts = apply(plan, admin, decisions={"2": "merge", "3": "skip"}, default="keep")
    assert counts == {"created": 1, "updated": 1, "unchanged": 0, "skipped": 1, "errors": 0}
    assert _count(db_session) == before + 1
    merged = records[titles[0]]
    db_session.refresh(merged)
    assert merged.title == titles[0] + "（改）" and merged.trl == 7
    assert merged.institution.name == "陕西氢能技术研究院"


# --- all or nothing -------------------------------------------------------------------------

def test_a_failure_half_way_leaves_nothing_written(db_session, seed_user, dry_run, apply,
                                                   monkeypatch):
    qcut = seed_user("qcut")
    titles = ["碱性电解槽镍网电极喷砂活化", "燃料电池双极板石墨模压成型", "车载储氢瓶阀门密封圈",
              "加氢站压缩机隔膜寿命监测", "氢气纯度在线激光检测仪"]
    content = xlsx([OUTPUT_HEADERS, *[output_row(ref=f"QC-HALF-{i}", title=t)
                                      for i, t in enumerate(titles)]])
    plan = dry_run(content, "outputs", qcut)
    assert all(r.outcome == "create" for r in plan.rows)
    real_create, calls = services.SPECS["outputs"].create, []

    def failing_create(session, data, **kwargs):
        calls.append(kwargs["ref"])
        if len(calls) == 4:  # a database error on the fourth row: a duplicate key
            session.execute(ResearchOutput.__table__.insert().values(
                id=db_session.scalar(select(func.max(ResearchOutput.id))), title="x",
                abstract="x", trl=1, institution_id=1))
        return real_create(session, data, **kwargs)

    spec = services.SPECS["outputs"]
    monkeypatch.setitem(services.SPECS, "outputs",
                        services.dataclasses.replace(spec, create=failing_create))
    before = _count(db_session)
    savepoint = db_session.begin_nested()
    with pytest.raises(services.ImportAborted) as aborted:
        apply(plan, qcut)
    savepoint.rollback()
    assert aborted.value.row == 5
    assert _count(db_session) == before
    assert db_session.scalar(select(func.count()).select_from(ResearchOutput)
                             .where(ResearchOutput.ref.like("QC-HALF-%"))) == 0


# --- who may import -------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "kind", "allowed"), [
    ("admin", "outputs", True), ("admin", "needs", True),
    ("qcut", "outputs", True), ("qcut", "needs", False),
    ("sc-ent-01", "needs", True), ("sc-ent-01", "outputs", False),
    ("broker-zhangmin", "outputs", False), ("broker-zhangmin", "needs", False),
])
def test_who_may_import_what(seed_user, key, kind, allowed):
    assert permissions.may_import(seed_user(key), kind) is allowed


def test_an_enterprise_imports_needs_for_itself_only(db_session, seed_user, dry_run, apply):
    user = seed_user("sc-ent-01")
    rows = [["企业名称", *NEED_HEADERS[:3]],
            ["", "电子特气纯化吸附剂国产替代", DESCRIPTION, "许可"],
            ["骊晶半导体", "高纯多晶硅副产物回收工艺", DESCRIPTION, "合作研发"],
            ["塞上特气", "别家企业的需求：特气钢瓶内壁处理", DESCRIPTION, "许可"]]
    plan = dry_run(csv_bytes(rows, "gb18030"), "needs", user)
    assert [r.outcome for r in plan.rows] == ["create", "create", "error"]
    assert plan.rows[2].errors[0]["column"] == "organisation"
    before = _count(db_session, TechNeed)
    apply(plan, user)
    assert _count(db_session, TechNeed) == before + 2


def test_formulas_without_a_value_are_errors_of_their_cells(seed_user, dry_run):
    from tests.imports.helpers import with_cached_value

    rows = [OUTPUT_HEADERS, ["=1&2", *output_row()[1:5], "=2*3", "许可"],
            [*output_row(title="钙钛矿叠层电池封装胶膜")[:5], "=2+4", "许可"]]
    content = with_cached_value(xlsx(rows), "2+4", "6")
    plan = dry_run(content, "outputs", seed_user("qcut"))
    first, second = plan.rows
    assert {e["column"] for e in first.errors} == {"ref", "trl"}
    assert all("no computed value" in e["message"] for e in first.errors)
    assert second.outcome == "create" and second.data.trl == 6


def test_needs_imported_twice_are_unchanged_the_second_time(db_session, seed_user, dry_run,
                                                            apply):
    user = seed_user("sc-ent-01")
    rows = [[*NEED_HEADERS, "产业链", "环节", "最低成熟度", "编号"],
            ["高纯电子特气吸附纯化", DESCRIPTION, "许可，合作研发", "100", "200.5", "2099-12-31",
             "西安市", "是", "50", "半导体与集成电路", "", "5", "SC-NEED-1"],
            ["晶圆清洗废液回收", DESCRIPTION, "转让", "", "", "", "", "否", "", "", "", "", ""]]
    content = csv_bytes(rows, "utf-8-sig")
    first = dry_run(content, "needs", user)
    assert [r.outcome for r in first.rows] == ["create", "create"], [r.errors for r in first.rows]
    apply(first, user)
    need = db_session.scalar(select(TechNeed).where(TechNeed.ref == "SC-NEED-1"))
    assert need.is_challenge and need.prize == 50 and need.region.name == "西安市"
    assert need.chain.key == "semiconductor" and need.min_trl == 5
    again = dry_run(content, "needs", user)
    assert [r.outcome for r in again.rows] == ["unchanged", "unchanged"], [
        (r.outcome, r.changes, r.errors) for r in again.rows]


def test_every_output_column_survives_a_second_import_unchanged(db_session, seed_user,
                                                                dry_run, apply):
    qcut = seed_user("qcut")
    headers = [*OUTPUT_HEADERS, "团队/发明人", "产业链", "环节", "专利", "最低价格", "最高价格",
               "赋权改革状态", "状态"]
    row = [*output_row(ref="QC-ALL", modes="合作研发、许可 / 转让"), "张三，李四", "Hydrogen energy",
           "制氢", "ZL202110345678.2; C25B 1/04, C25B 11/091; 已授权\nCN2023; C25B 9/00; filed",
           "1,200", "3000万元", "单列管理", "已发布"]
    content = xlsx([headers, row])
    plan = dry_run(content, "outputs", qcut)
    assert plan.rows[0].outcome == "create", plan.rows[0].errors
    apply(plan, qcut)
    output = db_session.scalar(select(ResearchOutput).where(ResearchOutput.ref == "QC-ALL"))
    assert output.status == "published" and output.published_at is not None
    assert sorted(output.modes) == ["assignment", "joint_rd", "licence"]
    assert [p.number for p in output.patents] == ["ZL202110345678.2", "CN2023"]
    assert output.segment.name_zh == "制氢" and output.reform_status == "separately_managed"
    assert output.price_min == 1200 and output.price_max == 3000
    again = dry_run(content, "outputs", qcut)
    assert again.rows[0].outcome == "unchanged", again.rows[0].changes
