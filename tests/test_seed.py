"""seed_data/: complete, consistent, idempotent and free of near-duplicate records."""
import itertools
import json
from collections import Counter
from pathlib import Path

import jieba
import pytest
from rapidfuzz import fuzz
from sqlalchemy import func, select

from matchmaker.auth.models import Broker, User
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.domain import DEAL_SET_STATUSES
from matchmaker.matching.rules import is_active_output
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.profiles.models import Patent, ResearchOutput, TechNeed
from matchmaker.seed import load_seed

SEED = Path(__file__).resolve().parent.parent / "seed_data"

# Two records whose word sets overlap this much say the same thing with a few words swapped.
# Measured on the shipped data (jieba words of title + text, rapidfuzz token_set_ratio):
# median pair 32, 99.9th percentile 53, closest pair of distinct records 72 (two SiC power
# modules from different labs); a record whose keywords are swapped for another chain's
# scores 97-98. 85 sits in that gap.
NEAR_DUPLICATE_TOKEN_SET = 85


def _rows(folder: str) -> list[dict]:
    return [row for p in sorted((SEED / folder).glob("*.json"))
            for row in json.loads(p.read_text(encoding="utf-8"))]


OUTPUTS, NEEDS, ENTERPRISES = _rows("outputs"), _rows("needs"), _rows("enterprises")


def _tokens(text: str) -> str:
    return " ".join(t for t in jieba.lcut(text.lower()) if t.strip() and len(t) > 1)


def test_seed_meets_the_minimum_counts():
    chains = list((SEED / "chains").glob("*.json"))
    assert len(json.loads((SEED / "institutions.json").read_text())) >= 12
    assert len(ENTERPRISES) >= 40
    assert len(json.loads((SEED / "brokers.json").read_text())) >= 8
    assert len(chains) >= 6
    assert len(OUTPUTS) >= 300
    assert len(NEEDS) >= 120


def test_every_chain_has_four_to_six_ordered_segments_with_keywords_and_ipc():
    for path in (SEED / "chains").glob("*.json"):
        chain = json.loads(path.read_text())
        positions = [s["position"] for s in chain["segments"]]
        assert 4 <= len(positions) <= 6, path.name
        assert positions == sorted(positions), path.name
        for seg in chain["segments"]:
            assert seg["keywords_zh"] and seg["keywords_en"] and seg["ipc_prefixes"], seg["key"]


def test_about_one_record_in_ten_is_in_english():
    share = sum(r["lang"] == "en" for r in OUTPUTS + NEEDS) / len(OUTPUTS + NEEDS)
    assert 0.05 <= share <= 0.2


def test_no_two_records_are_near_duplicates():
    records = [(r["key"], _tokens(r["title"] + " " + r.get("abstract", r.get("description", ""))))
               for r in OUTPUTS + NEEDS]
    offenders = []
    for (a, ta), (b, tb) in itertools.combinations(records, 2):
        score = fuzz.token_set_ratio(ta, tb)
        if score > NEAR_DUPLICATE_TOKEN_SET:
            offenders.append((a, b, round(score)))
    assert offenders == []


def test_titles_are_unique():
    titles = Counter(r["title"] for r in OUTPUTS + NEEDS)
    assert [t for t, n in titles.items() if n > 1] == []


def test_loaded_database_holds_every_seed_record(db_session):
    count = lambda model: db_session.scalar(select(func.count()).select_from(model))
    assert count(ResearchOutput) == len(OUTPUTS)
    assert count(TechNeed) == len(NEEDS)
    assert count(Enterprise) == len(ENTERPRISES)
    assert count(Institution) == len(json.loads((SEED / "institutions.json").read_text()))
    assert count(Patent) == sum(len(o["patents"]) for o in OUTPUTS)


def test_loading_the_seed_twice_creates_no_duplicates(app, db_session):
    models = (Region, Chain, ChainSegment, Institution, Enterprise, User, Broker, ResearchOutput,
              TechNeed, Patent)
    before = {m.__name__: db_session.scalar(select(func.count()).select_from(m)) for m in models}
    loader = load_seed(db_session, app.config["SEED_DIR"], password_hash="x")
    after = {m.__name__: db_session.scalar(select(func.count()).select_from(m)) for m in models}
    assert after == before
    assert sum(loader.created.values()) == 0
    assert loader.updated["outputs"] == len(OUTPUTS)


@pytest.mark.parametrize("chain_key", ["hydrogen", "photonics", "photovoltaics"])
def test_first_three_chains_have_many_outputs_and_needs(db_session, chain_key):
    chain = db_session.scalar(select(Chain).where(Chain.key == chain_key))
    outputs = db_session.scalar(select(func.count()).where(ResearchOutput.chain_id == chain.id))
    needs = db_session.scalar(select(func.count()).where(TechNeed.chain_id == chain.id))
    assert outputs >= 40 and needs >= 15


def test_reloading_bumps_version_only_when_a_record_changed(app, db_session, tmp_path):
    import shutil

    seed = tmp_path / "seed"
    shutil.copytree(app.config["SEED_DIR"], seed)
    path = seed / "outputs" / "hydrogen.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    changed, same = rows[0], rows[1]
    changed["modes"] = sorted(set(changed["modes"]) ^ {"pay_later"})  # modes only
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    by_ref = lambda ref: db_session.scalar(
        select(ResearchOutput).where(ResearchOutput.ref == ref))
    before = {ref: by_ref(ref).version for ref in (changed["key"], same["key"])}
    load_seed(db_session, seed, password_hash="x")
    db_session.flush()
    assert by_ref(changed["key"]).version == before[changed["key"]] + 1
    assert sorted(by_ref(changed["key"]).modes) == changed["modes"]
    assert by_ref(same["key"]).version == before[same["key"]]


def test_judgments_grade_known_pairs_once_each():
    outputs, needs = {o["key"] for o in OUTPUTS}, {n["key"] for n in NEEDS}
    pairs = Counter()
    for path in sorted((SEED / "judgments").glob("*.tsv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            need, zero, output, grade = line.split("\t")
            assert need in needs and output in outputs and zero == "0", (path.name, number)
            assert grade in {"0", "1", "2", "3"}, (path.name, number)
            pairs[need, output] += 1
    assert max(pairs.values()) == 1
    judged = {need for need, _ in pairs}
    assert len(judged) >= 60


def _technical_grades() -> dict[tuple[str, str], int]:
    return {(need, output): int(grade)
            for path in sorted((SEED / "judgments").glob("*.tsv"))
            for need, _, output, grade in (line.split("\t") for line in
                                           path.read_text(encoding="utf-8").splitlines())}


def test_as_posted_grades_lower_relevant_pairs_only_with_a_reason():
    """The "as posted" grades cover every technically relevant pair of an active output once;
    each of the two judges keeps or lowers the technical grade by at most 2 and says why; the
    grade is their mean."""
    technical = _technical_grades()
    status = {o["key"]: o["status"] for o in OUTPUTS}
    expected = {pair for pair, grade in technical.items()
                if grade >= 1 and is_active_output(status[pair[1]])}
    seen = Counter()
    lines = (SEED / "judgments" / "as-posted" / "grades.tsv").read_text(encoding="utf-8")
    for number, line in enumerate(lines.splitlines(), 1):
        need, zero, output, grade, judge_a, judge_b, reason = line.split("\t")
        pair, judges = (need, output), (int(judge_a), int(judge_b))
        seen[pair] += 1
        assert zero == "0" and pair in expected, number
        assert all(technical[pair] - 2 <= j <= technical[pair] and j >= 0 for j in judges), number
        assert float(grade) == sum(judges) / 2, number
        assert (reason.strip() not in {"", "-"}) == (min(judges) < technical[pair]), number
    assert set(seen) == expected and max(seen.values()) == 1


def _listing_state(session) -> set:
    return {(type(row).__name__, row.ref, row.version, row.updated_at, row.published_at,
             row.status)
            for model in (ResearchOutput, TechNeed) for row in session.scalars(select(model))}


def test_a_second_load_writes_no_listing_and_queues_no_job(app, db_session):
    from matchmaker.jobs.models import BackgroundJob

    jobs = lambda: db_session.scalar(select(func.count()).select_from(BackgroundJob))
    before, jobs_before = _listing_state(db_session), jobs()
    load_seed(db_session, app.config["SEED_DIR"], password_hash=db_session.scalar(
        select(User.password_hash).where(User.email == "admin@demo.example.com")))
    db_session.flush()
    db_session.expire_all()
    assert _listing_state(db_session) == before
    assert jobs() == jobs_before


def test_seed_publication_dates_are_stable_and_set_for_every_listing_that_left_draft(
        db_session):
    from matchmaker.seed import _published_at

    for model in (ResearchOutput, TechNeed):
        for row in db_session.scalars(select(model)):
            expected = None if row.status == "draft" else _published_at(row.ref)
            naive = lambda moment: moment and moment.replace(tzinfo=None)  # SQLite's are naive
            assert naive(row.published_at) == naive(expected), row.ref


def test_an_edited_seed_record_is_saved_through_the_services(app, db_session, tmp_path):
    """The loader announces the change (profile_saved) and keeps the publishing rule."""
    import shutil

    from matchmaker import signals

    seed = tmp_path / "seed"
    shutil.copytree(app.config["SEED_DIR"], seed)
    path = seed / "needs" / "hydrogen.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    rows[0]["keywords"] = [*rows[0]["keywords"], "新增关键词"]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    saved = []
    receiver = lambda listing, **kwargs: saved.append((listing.ref, kwargs["change"]))
    signals.profile_saved.connect(receiver)
    try:
        load_seed(db_session, seed, password_hash="x")
    finally:
        signals.profile_saved.disconnect(receiver)
    assert saved == [(rows[0]["key"], "updated")]

    rows[0]["description"] = "太短"  # a published need may not be edited down to nothing
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    from matchmaker.profiles.services import NotPublishableError

    with pytest.raises(NotPublishableError):
        load_seed(db_session, seed, password_hash="x")


def test_every_seed_listing_ends_in_its_files_status_or_where_its_deals_took_it(db_session):
    """A listing file says what its owner posted; statuses a deal owns (under negotiation,
    transferred, matched, solved) come from the seed deals' stories. So each listing ends in its
    file's status, or a published one ends where a deal of its took it."""
    from matchmaker.pipeline.models import Deal

    wanted = {**{o["key"]: o["status"] for o in OUTPUTS}, **{n["key"]: n["status"] for n in NEEDS}}
    with_deals = {ref for model, column in ((ResearchOutput, Deal.output_id),
                                            (TechNeed, Deal.need_id))
                  for ref in db_session.scalars(select(model.ref).join(Deal, column == model.id))}
    found = {row.ref: row.status for model in (ResearchOutput, TechNeed)
             for row in db_session.scalars(select(model).where(model.ref.in_(wanted)))}
    assert len(found) == len(wanted)
    moved = {ref: (wanted[ref], status) for ref, status in found.items()
             if status != wanted[ref]}
    assert all(old == "published" and status in DEAL_SET_STATUSES and ref in with_deals
               for ref, (old, status) in moved.items()), moved
    assert {status for _, status in moved.values()} == set(DEAL_SET_STATUSES)


def test_demo_owners_have_seen_what_was_on_the_market_when_they_last_looked(app, db_session):
    """The seed records, through recommendations.seen, that each demo institution and
    enterprise account was shown the counterparts in its listings' chains published before
    SEEN_BEFORE: its home page shows some listings with new matches and some without."""
    from sqlalchemy import delete

    from matchmaker.recommendations import seen
    from matchmaker.recommendations.models import SeenMatch
    from matchmaker.seed import SEEN_BEFORE, _published_at, demo_email

    db_session.execute(delete(SeenMatch))
    loader = load_seed(db_session, app.config["SEED_DIR"], password_hash="x")
    rows = db_session.execute(
        select(User.email, SeenMatch.side, TechNeed.ref, ResearchOutput.ref)
        .join(User, User.id == SeenMatch.user_id)
        .join(TechNeed, TechNeed.id == SeenMatch.need_id)
        .join(ResearchOutput, ResearchOutput.id == SeenMatch.output_id)).all()
    assert loader.created["seen matches"] == len(rows) > 1000
    assert {side for _, side, _, _ in rows} == {"need", "output"}
    assert all(email.endswith("@demo.example.com") and _published_at(need) < SEEN_BEFORE
               and _published_at(output) < SEEN_BEFORE for email, _, need, output in rows)

    def news_of(key: str):
        user = db_session.scalar(select(User).where(User.email == demo_email(key)))
        needs = db_session.scalars(select(TechNeed).where(
            TechNeed.enterprise_id == user.enterprise_id)).all()
        return seen.count_new_matches(db_session, user, needs).values()

    news = [n for enterprise in ENTERPRISES for n in news_of(enterprise["key"])]
    assert 0 in news and any(0 < n < 10 for n in news) and 10 in news
    assert sum(load_seed(db_session, app.config["SEED_DIR"], password_hash="x")
               .created.values()) == 0
