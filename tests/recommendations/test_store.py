"""Stored matches: written by jobs, read by pages; fresh after saves, swapped after a refit."""
import math

import pytest
from sqlalchemy import delete, event, func, select, update

from matchmaker.domain import Side
from matchmaker.jobs import BackgroundJob, JobStatus
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations import services, store
from matchmaker.recommendations.index import MatchIndex
from matchmaker.recommendations.models import (
    GenerationStatus,
    MatchGeneration,
    MatchSet,
    StoredMatch,
)
from tests.conftest import IS_POSTGRES, submit
from tests.recommendations.conftest import candidates, need_by_ref, output_by_ref

BROKER = "broker-zhangmin"


def _jobs(session, name: str) -> int:
    return session.scalar(select(func.count()).select_from(BackgroundJob)
                          .where(BackgroundJob.name == name))


def _set(session, side: Side, profile_id: int) -> MatchSet:
    return session.scalar(select(MatchSet).join(MatchGeneration).where(
        MatchGeneration.status == GenerationStatus.CURRENT, MatchSet.side == side,
        MatchSet.profile_id == profile_id))


def test_every_published_listing_has_a_stored_set_after_the_rebuild(db_session):
    generation = store.current_generation(db_session)
    for side, model in ((Side.NEED, TechNeed), (Side.OUTPUT, ResearchOutput)):
        published = set(db_session.scalars(select(model.id).where(
            model.status.in_(store.MATCHABLE[side]))))
        stored = set(db_session.scalars(select(MatchSet.profile_id).where(
            MatchSet.generation_id == generation.id, MatchSet.side == side)))
        assert published == stored and len(published) > 100


def test_page_views_never_fit_or_sync_the_matcher(login_as, db_session, need, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a page view touched the matcher index")

    for name in ("fit", "apply_changes", "load"):
        monkeypatch.setattr(MatchIndex, name, refuse)
    broker = login_as(BROKER)
    assert len(candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))) == 10
    output = output_by_ref(db_session, "h2-o-001")
    assert broker.get(f"/outputs/{output.id}").status_code == 200


def test_a_draft_save_asks_for_no_refresh_and_publishing_does(login_as, db_session):
    institution = login_as("shri")
    before = _jobs(db_session, "matches.refresh")
    form = {"title": "高温质子交换膜燃料电池膜电极", "abstract": "磷酸掺杂聚苯并咪唑膜电极，160 ℃ 下"
            "长期运行，耐一氧化碳中毒，铂载量低于 0.6 mg/cm²，适合与甲醇重整制氢系统耦合，"
            "省去氢气提纯与增湿系统，已完成千小时耐久性测试。", "keywords": "高温膜，膜电极",
            "inventors": "",
            "chain": "hydrogen", "segment": "", "trl": "5", "modes": ["licence"],
            "price_min": "", "price_max": "", "reform_status": "none", "patents": ""}
    response = submit(institution, "/outputs/new", form)
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert _jobs(db_session, "matches.refresh") == before
    submit(institution, f"/outputs/{new_id}/status", {"status": "published"},
           form_url=f"/outputs/{new_id}")
    assert _jobs(db_session, "matches.refresh") == before + 1
    match_set = _set(db_session, Side.OUTPUT, new_id)
    assert match_set is not None and match_set.profile_version == \
        db_session.get(ResearchOutput, new_id).version


def test_an_edited_output_leaves_the_lists_it_no_longer_fits(login_as, db_session, need):
    broker = login_as(BROKER)
    top = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))[0]
    output = db_session.get(ResearchOutput, top)
    owner = login_as(output.institution.ref)
    form = {"title": "钙钛矿叠层太阳电池空穴传输层", "abstract": "自组装单分子层空穴传输材料，提升钙钛矿/晶硅"
            "叠层电池开路电压与稳定性，适用于大面积狭缝涂布。", "keywords": "钙钛矿，叠层电池",
            "inventors": "", "chain": "photovoltaics", "segment": "", "trl": "4",
            "modes": ["licence"], "price_min": "", "price_max": "", "reform_status": "none",
            "patents": "", "version": str(output.version)}
    assert submit(owner, f"/outputs/{top}/edit", form).status_code == 302
    assert top not in candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))
    holders = db_session.scalars(select(MatchSet.profile_id).join(StoredMatch).where(
        StoredMatch.output_id == top, MatchSet.side == Side.NEED)).all()
    assert need.id not in holders


def test_a_listing_without_a_set_yet_shows_pending_not_an_error(login_as, db_session, need):
    db_session.execute(delete(MatchSet).where(MatchSet.side == Side.NEED,
                                              MatchSet.profile_id == need.id))
    db_session.commit()
    html = login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'data-state="pending"' in html and candidates(html) == []


def test_a_listing_changed_since_its_set_shows_the_previous_matches_marked_updating(
        login_as, db_session, need):
    before = candidates(login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True))
    db_session.execute(update(TechNeed).where(TechNeed.id == need.id)
                       .values(version=TechNeed.version + 1))
    db_session.commit()
    html = login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'data-state="updating"' in html and candidates(html) == before


def test_a_chain_edit_rebuilds_and_pages_keep_the_previous_matches_until_the_swap(
        app, db_session, need):
    with app.app_context():
        old_id = store.current_generation(db_session).id
        shown_before = [r.item.id for r in services.list_matches(db_session, Side.NEED,
                                                                 need).items]
        seen_during = []

        def progress(done, total, message=""):
            listed = services.list_matches(db_session, Side.NEED, need)
            seen_during.append((store.current_generation(db_session).id,
                                [r.item.id for r in listed.items]))

        result = store.rebuild(db_session, store.current_index(), progress=progress)
        assert seen_during and all(generation == old_id and items == shown_before
                                   for generation, items in seen_during)
        new = store.current_generation(db_session)
        assert new.id == result["generation"] != old_id
        assert db_session.scalar(select(func.count()).select_from(MatchGeneration)) == 1
        assert services.list_matches(db_session, Side.NEED, need).items


def test_saving_a_chain_queues_one_rebuild_that_swaps_in_a_new_generation(login_as,
                                                                           db_session):
    from matchmaker.chains.models import Chain

    old = store.current_generation(db_session).id
    admin = login_as("admin")
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    form = {"key": chain.key, "name_zh": chain.name_zh, "name_en": chain.name_en,
            "description_zh": chain.description_zh, "description_en": chain.description_en,
            "core_terms": "，".join(chain.core_terms + ["氢冶金"]),
            "synonyms": "\n".join(" | ".join(g) for g in chain.synonym_groups),
            "is_active": "y"}
    response = submit(admin, f"/admin/chains/{chain.id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    rebuilds = db_session.scalars(select(BackgroundJob)
                                  .where(BackgroundJob.name == "matches.rebuild")).all()
    assert [job.status for job in rebuilds][-1] == JobStatus.FINISHED
    assert store.current_generation(db_session).id != old


@pytest.mark.parametrize("side", [Side.NEED, Side.OUTPUT])
def test_stored_sets_equal_what_the_matcher_ranks_now(app, db_session, side):
    ref = "h2-n-003" if side == Side.NEED else "h2-o-003"
    item = need_by_ref(db_session, ref) if side == Side.NEED else output_by_ref(db_session, ref)
    with app.app_context():
        index = store.current_index()
        index.apply_changes(db_session)
        fresh = store._rank(index, side, item, limit=10)
    stored = services.list_matches(db_session, side, item).items
    assert [(r.match.candidate_id, r.match.score) for r in stored] == \
        [(m.candidate_id, m.score) for m in fresh.matches]
    assert stored[0].match.explanation["shared_terms"]


def test_an_output_rewritten_to_fit_a_need_enters_that_needs_list(login_as, db_session, need):
    """The matches of the profiles a changed listing now enters are fresh too: an output
    rewritten with a need's own words joins that need's stored list at the save."""
    broker = login_as(BROKER)
    shown = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))
    output = db_session.scalar(select(ResearchOutput).where(
        ResearchOutput.status == "published", ResearchOutput.id.not_in(shown))
        .order_by(ResearchOutput.id.desc()).limit(1))
    owner = login_as(output.institution.ref)
    form = {"title": need.title, "abstract": need.description, "keywords": "",
            "inventors": "", "chain": "", "segment": "", "trl": "5", "modes": ["licence"],
            "price_min": "", "price_max": "", "reform_status": "none", "patents": "",
            "version": str(output.version)}
    assert submit(owner, f"/outputs/{output.id}/edit", form).status_code == 302
    assert output.id in candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))


def test_write_sets_stores_numpy_numbers_as_plain_json(db_session):
    """The matcher's parts and explanations may hold numpy scalars; the JSON columns'
    serializer (extensions.json_dumps) writes them as numbers, many rows per statement."""
    import numpy as np

    from matchmaker.matching import Match, Ranking

    generation = store.current_generation(db_session)
    need = need_by_ref(db_session, "h2-n-003")
    outputs = db_session.scalars(select(ResearchOutput.id).order_by(ResearchOutput.id)
                                 .limit(3)).all()
    matches = tuple(Match(output_id, np.float32(0.5 - n / 10),
                          {"text": np.float64(0.25), "chain": np.float32(1.0)},
                          {"shared_terms": ["电解槽"], "gap": np.int64(2)})
                    for n, output_id in enumerate(outputs))
    written = store.write_sets(db_session, generation.id, Side.NEED,
                               [(Ranking(need.id, matches), need.version)], limit=10, floor=0.05)
    stored = db_session.scalars(select(StoredMatch).join(MatchSet).where(
        MatchSet.generation_id == generation.id, MatchSet.side == Side.NEED,
        MatchSet.profile_id == need.id).order_by(StoredMatch.rank)).all()
    assert written == 1
    assert [(m.rank, m.output_id) for m in stored] == [(1, outputs[0]), (2, outputs[1]),
                                                       (3, outputs[2])]
    assert stored[0].parts == {"text": 0.25, "chain": 1.0}
    assert stored[2].explanation == {"shared_terms": ["电解槽"], "gap": 2}
    assert isinstance(stored[2].explanation["gap"], int)


def test_a_rebuild_refreshes_the_match_tables_statistics_as_they_grow(app, db_session,
                                                                      monkeypatch):
    """Each connection plans the stored matches' foreign-key check once, with the statistics
    of the moment: on a new database (autovacuum off or behind) that plan read all of
    match_sets for every stored match. A rebuild on PostgreSQL analyzes the match tables after
    its first chunk, whenever they have doubled since, and once at the end; SQLite has no
    such statistics."""
    monkeypatch.setattr(store, "WRITE_CHUNK", 50)  # chunks enough for the doubling to show
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.lstrip().split(None, 3)[:3])

    engine = db_session.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.app_context():
            result = store.rebuild(db_session, store.current_index())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    analyzes = [i for i, words in enumerate(statements) if words[0] == "ANALYZE"]
    if not IS_POSTGRES:
        assert analyzes == []
        return
    set_inserts = [i for i, words in enumerate(statements)
                   if words[:3] == ["INSERT", "INTO", "match_sets"]]
    swap = max(i for i, words in enumerate(statements)
               if words[:2] == ["UPDATE", "match_generations"])
    chunks = result["sets"] // store.WRITE_CHUNK
    assert chunks >= 6
    assert analyzes[0] < set_inserts[1]  # after the first chunk, before the second
    assert 3 <= len(analyzes) <= 2 + math.ceil(math.log2(chunks))  # doubling, not every chunk
    assert set_inserts[-1] < analyzes[-1] < swap


def test_a_rebuild_vacuums_the_match_tables_after_dropping_the_old_generation(
        app, db_session, monkeypatch):
    calls = []
    real_drop = store.drop_retired
    monkeypatch.setattr(store, "drop_retired",
                        lambda session: calls.append("drop") or real_drop(session))
    monkeypatch.setattr(store, "vacuum_match_tables",
                        lambda session: calls.append("vacuum") or False)
    with app.app_context():
        store.rebuild(db_session, store.current_index())
    assert calls == ["drop", "vacuum"]


def test_vacuuming_runs_outside_the_sessions_transaction_on_postgresql(app):
    """A VACUUM cannot run in a transaction: it gets its own autocommit connection, from a
    session bound to the engine; a session on a connection its caller owns (the tests') and
    SQLite are left alone."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from matchmaker.extensions import db

    with app.app_context():
        engine = db.engine
    with Session(bind=engine) as session:
        count = text("SELECT vacuum_count FROM pg_stat_user_tables "
                     "WHERE relid = 'stored_matches'::regclass")
        before = session.scalar(count) if IS_POSTGRES else None
        session.commit()
        assert store.vacuum_match_tables(session) is IS_POSTGRES
        if IS_POSTGRES:
            session.execute(text("SELECT pg_stat_clear_snapshot()"))
            assert session.scalar(count) == before + 1
    with engine.connect() as conn, Session(bind=conn) as session:
        assert store.vacuum_match_tables(session) is False
