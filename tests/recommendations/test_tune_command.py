"""`flask match tune` on the test database: feedback on the seed's stored matches, the report,
the append-only weights history, the rebuild it queues and the weights the next fit uses."""
import numpy as np
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from matchmaker.auth.models import User
from matchmaker.domain import DeclineReason, FeedbackVerdict
from matchmaker.jobs.models import BackgroundJob
from matchmaker.matching import config
from matchmaker.matching.tune import combine
from matchmaker.recommendations import store
from matchmaker.recommendations.index import MatchIndex
from matchmaker.recommendations.models import MatchFeedback, MatchSet, StoredMatch
from matchmaker.recommendations.weights import (
    MatchWeightsChange,
    WeightsHistoryIsAppendOnlyError,
    find_tuned_weights,
    list_feedback_examples,
)
from matchmaker.seed import demo_email
from tests.conftest import IS_POSTGRES

# Brokers who judge by the sector chain far more than the matcher does now.
CHAIN_TRUTH = {**config.DEFAULT_WEIGHTS, "text": 0.2, "chain": 0.8, "fit_share": 0.0}


def _admin(session) -> User:
    return session.scalar(select(User).where(User.email == demo_email("admin")))


def _judge(session, truth: dict, *, top: int = 3, limit: int | None = None) -> int:
    """Record a verdict on every stored match of the needs' lists: the best `top` of each list
    under truth are relevant, the others declined as not our field. Return the count."""
    admin = _admin(session)
    sets = session.scalars(select(MatchSet).where(
        MatchSet.side == "need", MatchSet.generation_id == store.current_generation(session).id)
        .order_by(MatchSet.profile_id)).all()[:limit]
    count = 0
    for match_set in sets:
        matches = list(match_set.matches)
        if len(matches) < 2:
            continue
        keys = ("text", "chain", "trl", "mode", "price", "region")
        scores = combine({k: np.array([m.parts[k] for m in matches]) for k in keys}, truth)
        best = set(np.argsort(-scores, kind="stable")[:top].tolist())
        for i, m in enumerate(matches):
            relevant = i in best
            session.add(MatchFeedback(
                need_id=m.need_id, output_id=m.output_id, user_id=admin.id,
                verdict=FeedbackVerdict.RELEVANT if relevant else FeedbackVerdict.DECLINED,
                reason=None if relevant else DeclineReason.NOT_OUR_FIELD))
            count += 1
    session.flush()
    return count


def _tune(app, *args):
    return app.test_cli_runner().invoke(args=["match", "tune", *args])


def _rebuild_jobs(session) -> int:
    return len(session.scalars(select(BackgroundJob).where(
        BackgroundJob.name == "matches.rebuild", BackgroundJob.status == "queued")).all())


def test_feedback_examples_carry_the_stored_parts(app, db_session):
    _judge(db_session, CHAIN_TRUTH, limit=3)
    examples, missing = list_feedback_examples(db_session)
    assert missing == 0 and len(examples) >= 3
    stored = db_session.scalars(select(StoredMatch).where(
        StoredMatch.need_id == examples[0].need_id,
        StoredMatch.output_id == examples[0].output_id)).first()
    assert examples[0].parts == stored.parts
    declined = [e for e in examples if not e.is_relevant]
    assert declined and all(e.reason == DeclineReason.NOT_OUR_FIELD for e in declined)


def test_tune_refuses_too_little_feedback(app, db_session):
    _judge(db_session, CHAIN_TRUTH, limit=3)
    result = _tune(app, "--apply")
    assert result.exit_code != 0
    assert "too little feedback" in result.output.lower()
    assert db_session.scalar(select(MatchWeightsChange)) is None


def test_tune_without_apply_only_reports(app, db_session):
    _judge(db_session, CHAIN_TRUTH)
    queued = _rebuild_jobs(db_session)
    result = _tune(app)
    assert result.exit_code == 0, result.output
    assert "NDCG@10" in result.output and "sector chain" in result.output
    assert "run again with --apply" in result.output
    assert db_session.scalar(select(MatchWeightsChange)) is None
    assert _rebuild_jobs(db_session) == queued


def test_tune_keeps_weights_the_feedback_does_not_improve(app, db_session):
    _judge(db_session, config.DEFAULT_WEIGHTS)  # brokers agree with the matcher as it is
    result = _tune(app, "--apply")
    assert result.exit_code == 0, result.output
    assert "Nothing changed" in result.output
    assert db_session.scalar(select(MatchWeightsChange)) is None


def test_tune_apply_records_the_change_and_the_rebuild_fits_with_it(app, db_session):
    _judge(db_session, CHAIN_TRUTH)
    queued = _rebuild_jobs(db_session)
    digest_before = MatchIndex().settings_digest(db_session)
    result = _tune(app, "--apply", "--by", demo_email("admin"))
    assert result.exit_code == 0, result.output
    change = db_session.scalar(select(MatchWeightsChange))
    assert change.actor_id == _admin(db_session).id and "flask match tune" in change.via
    assert change.weights_before == config.DEFAULT_WEIGHTS
    after = change.weights_after
    assert after["chain"] / (after["chain"] + after["text"]) > 0.15
    assert change.report["held_out_after"]["ndcg@10"] > change.report["held_out_before"]["ndcg@10"]
    assert find_tuned_weights(db_session) == after
    assert _rebuild_jobs(db_session) == queued + 1

    index = MatchIndex()  # what the rebuild job does: fit from the database
    index.fit(db_session)
    assert index.matcher.weights_ == after
    assert index.digest == index.settings_digest(db_session) != digest_before


def test_tuned_weights_win_over_configured_ones(app, db_session):
    _judge(db_session, CHAIN_TRUTH)
    assert _tune(app, "--apply").exit_code == 0
    index = MatchIndex(weights={"chain": 0.01, "region": 0.9})
    assert index.fit_weights(db_session) == find_tuned_weights(db_session)


def test_tune_apply_by_someone_not_an_operator_is_refused(app, db_session):
    _judge(db_session, CHAIN_TRUTH)
    result = _tune(app, "--apply", "--by", "nobody@example.com")
    assert result.exit_code != 0 and "not an active operator" in result.output
    assert db_session.scalar(select(MatchWeightsChange)) is None


def test_weights_history_is_append_only(app, db_session):
    _judge(db_session, CHAIN_TRUTH)
    assert _tune(app, "--apply").exit_code == 0
    change = db_session.scalar(select(MatchWeightsChange))
    change.weights_after = {**change.weights_after, "text": 1.0}
    with pytest.raises(WeightsHistoryIsAppendOnlyError):
        db_session.flush()
    db_session.rollback()
    db_session.delete(db_session.scalar(select(MatchWeightsChange)))
    with pytest.raises(WeightsHistoryIsAppendOnlyError):
        db_session.flush()


def test_the_jobs_page_shows_the_last_tuning(app, db_session, login_as):
    _judge(db_session, CHAIN_TRUTH)
    page = login_as("admin").get("/admin/jobs").get_data(as_text=True)
    assert 'data-testid="last-tuning"' not in page
    assert _tune(app, "--apply", "--by", demo_email("admin")).exit_code == 0
    report = db_session.scalar(select(MatchWeightsChange)).report
    page = login_as("admin").get("/admin/jobs").get_data(as_text=True)
    assert 'data-testid="last-tuning"' in page
    assert f"{report['held_out_before']['ndcg@10']:.3f} → " \
           f"{report['held_out_after']['ndcg@10']:.3f}" in page


@pytest.mark.skipif(not IS_POSTGRES, reason="the database's own refusal is PostgreSQL's trigger")
@pytest.mark.parametrize("statement", ["UPDATE match_weight_changes SET via = 'edited'",
                                       "DELETE FROM match_weight_changes"])
def test_postgres_refuses_changes_to_the_weights_history(app, db_session, statement):
    _judge(db_session, CHAIN_TRUTH)
    assert _tune(app, "--apply").exit_code == 0
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(text(statement))
