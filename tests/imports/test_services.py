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
    assert plan.rows[0].outcome == "update"
    apply(plan, qcut)
    record = db_session.scalar(select(ResearchOutput).where(ResearchOutput.ref == "QC-UPD"))
    assert record.trl == 7 and record.version == 2
