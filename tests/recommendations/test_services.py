"""Profiles from rows, the matcher index's freshness and persistence, feedback rules, qrels."""
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from matchmaker.domain import Side
from matchmaker.errors import PermissionDeniedError, ValidationFailedError
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations import services
from matchmaker.recommendations.index import MatchIndex, need_profile, output_profile
from matchmaker.recommendations.models import MatchFeedback
from tests.recommendations.conftest import need_by_ref, output_by_ref, user_by_key

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _ranked_ids(index: MatchIndex, session, need) -> list:
    index.apply_changes(session)
    return [m.candidate_id for m in index.matcher.rank_outputs(need_profile(need)).matches]


# --- profiles -------------------------------------------------------------------------------

def test_output_profile_carries_patent_ipc_codes_and_the_institution_region(db_session):
    output = db_session.scalar(select(ResearchOutput).where(ResearchOutput.patents.any())
                               .order_by(ResearchOutput.id))
    profile = output_profile(output)
    assert profile.id == output.id and profile.ipc == tuple(output.ipc_codes) and profile.ipc
    assert profile.region == output.institution.region.name
    assert profile.chain == output.chain.key and profile.modes == tuple(output.modes)


def test_need_profile_lands_in_the_enterprise_region_when_none_is_set(db_session, need):
    need.region = None
    assert need_profile(need).region == need.enterprise.region.name


# --- the index ------------------------------------------------------------------------------

def test_index_forgets_rows_of_a_rolled_back_transaction(app, db_session, need):
    index = app.extensions["match_index"]
    nested = db_session.begin_nested()
    twin = ResearchOutput(title=need.title, abstract=need.description, keywords=need.keywords,
                          institution=output_by_ref(db_session, "h2-o-001").institution,
                          chain=need.chain, segment=need.segment, trl=8, status="published")
    db_session.add(twin)
    db_session.flush()
    twin_id = twin.id
    assert _ranked_ids(index, db_session, need)[0] == twin_id
    nested.rollback()
    assert twin_id not in _ranked_ids(index, db_session, need)


def test_an_index_with_nothing_to_learn_from_ranks_nothing(db_session, need):
    db_session.execute(update(ResearchOutput).values(status="draft"))
    db_session.execute(update(TechNeed).values(status="draft"))
    index = MatchIndex()
    index.apply_changes(db_session)
    assert index.size == {Side.OUTPUT: 0, Side.NEED: 0}
    assert index.matcher is None or index.matcher.rank_outputs(need_profile(need)).matches == ()


def test_a_saved_index_from_other_engine_code_or_broken_is_ignored(tmp_path):
    path = tmp_path / "index.pickle"
    path.write_bytes(pickle.dumps({"format": 1, "engine": "other", "matcher": None}))
    assert MatchIndex(path=path).load() is False
    path.write_bytes(b"not a pickle")
    assert MatchIndex(path=path).load() is False
    assert MatchIndex(path=tmp_path / "missing.pickle").load() is False


# --- feedback -------------------------------------------------------------------------------

def test_declining_needs_a_reason_and_other_needs_text(db_session, need):
    broker = user_by_key(db_session, "broker-zhangmin")
    output = output_by_ref(db_session, "h2-o-001")
    with pytest.raises(ValidationFailedError) as error:
        services.record_feedback(db_session, need=need, output=output, user=broker,
                                 verdict="declined")
    assert error.value.reasons == {"reason": "reason_required"}
    with pytest.raises(ValidationFailedError) as error:
        services.record_feedback(db_session, need=need, output=output, user=broker,
                                 verdict="declined", reason="other", comment="   ")
    assert error.value.reasons == {"comment": "other_needs_text"}
    row = services.record_feedback(db_session, need=need, output=output, user=broker,
                                   verdict="relevant", reason="price", comment=" 值得引荐 ")
    assert (row.reason, row.comment) == (None, "值得引荐")


def test_only_brokers_and_the_need_owner_give_feedback(db_session, need):
    output = output_by_ref(db_session, "h2-o-001")
    for key in ("h2-ent-01", "shri", "admin"):
        with pytest.raises(PermissionDeniedError):
            services.record_feedback(db_session, need=need, output=output,
                                     user=user_by_key(db_session, key), verdict="relevant")
    services.record_feedback(db_session, need=need, output=output,
                             user=user_by_key(db_session, "h2-ent-02"), verdict="relevant")


def _feedback(session, need, output, key, verdict, at, reason=None):
    session.add(MatchFeedback(need_id=need.id, output_id=output.id,
                              user_id=user_by_key(session, key).id, verdict=verdict,
                              reason=reason if verdict == "declined" else None, created_at=at))


def test_qrels_keep_the_latest_verdict_per_pair_and_ties_count_as_declined(db_session, need):
    a, b, c = (output_by_ref(db_session, ref) for ref in ("h2-o-001", "h2-o-002", "h2-o-003"))
    other_need = need_by_ref(db_session, "h2-n-002")
    _feedback(db_session, need, a, "broker-zhangmin", "declined", T0, "price")
    _feedback(db_session, need, a, "h2-ent-02", "relevant", T0 + timedelta(hours=1))
    _feedback(db_session, need, b, "broker-zhangmin", "relevant", T0)
    _feedback(db_session, need, b, "broker-liuyang", "declined", T0, "not_our_field")
    _feedback(db_session, other_need, c, "broker-liuyang", "relevant", T0)
    db_session.flush()
    assert services.list_qrels(db_session) == sorted(
        [(need.id, a.id, 2), (need.id, b.id, 0), (other_need.id, c.id, 2)])


# --- commands -------------------------------------------------------------------------------

def test_export_qrels_writes_one_trec_line_per_judged_pair(app, db_session, need, tmp_path):
    a, b = output_by_ref(db_session, "h2-o-001"), output_by_ref(db_session, "h2-o-002")
    _feedback(db_session, need, a, "broker-zhangmin", "relevant", T0)
    _feedback(db_session, need, b, "broker-zhangmin", "declined", T0, "too_early")
    db_session.flush()
    path = tmp_path / "feedback.qrels"
    result = app.test_cli_runner().invoke(args=["match", "export-qrels", str(path)])
    assert result.exit_code == 0, result.output
    expected = sorted([(need.id, a.id, 2), (need.id, b.id, 0)])
    assert path.read_text() == "".join(f"{n} 0 {o} {g}\n" for n, o, g in expected)
    assert "2 judged pairs" in result.output


def test_rebuild_refits_reports_and_saves_an_index_that_loads_with_the_same_rankings(
        app, db_session, need, tmp_path, monkeypatch):
    index = app.extensions["match_index"]
    monkeypatch.setattr(index, "path", tmp_path / "match-index.pickle")
    result = app.test_cli_runner().invoke(args=["match", "rebuild"])
    assert result.exit_code == 0, result.output
    published = db_session.scalar(select(ResearchOutput.id).where(
        ResearchOutput.status.in_(["published", "under_negotiation"])).order_by(
        ResearchOutput.id.desc()))
    assert f"Indexed {index.size[Side.OUTPUT]} research outputs" in result.output
    assert index.size[Side.OUTPUT] > 300 and published in index.stamps[Side.OUTPUT]
    assert "Saved the index to" in result.output and index.path.exists()
    loaded = MatchIndex(path=index.path)
    assert loaded.load() is True
    for ref in ("h2-n-001", "pv-n-001", "am-n-001"):
        query = need_profile(need_by_ref(db_session, ref))
        first, second = index.matcher.rank_outputs(query), loaded.matcher.rank_outputs(query)
        assert first.matches
        assert [(m.candidate_id, m.score) for m in first.matches] == \
            [(m.candidate_id, m.score) for m in second.matches]


def test_export_profiles_writes_the_batch_cli_inputs_with_database_ids(app, db_session,
                                                                       tmp_path):
    from matchmaker.matching import ChainBook
    from matchmaker.matching.io import read_needs, read_outputs

    result = app.test_cli_runner().invoke(args=["match", "export-profiles", str(tmp_path)])
    assert result.exit_code == 0, result.output
    outputs, needs = read_outputs(tmp_path / "outputs.jsonl"), read_needs(tmp_path / "needs.jsonl")
    published = db_session.scalars(select(ResearchOutput).where(
        ResearchOutput.status.in_(["published", "under_negotiation"]))).all()
    assert sorted(int(o.id) for o in outputs) == sorted(o.id for o in published)
    assert len(needs) > 100 and all(isinstance(n.id, str) for n in needs)
    first = next(o for o in outputs if int(o.id) == published[0].id)
    assert first.title == published[0].title and first.ipc == tuple(published[0].ipc_codes)
    assert len(ChainBook.from_path(tmp_path / "chains.json").chains) == 6
