"""Index, ranking in both directions, batch all-pairs, incremental updates and stability."""
import dataclasses

import pytest

from matchmaker.domain import Side
from matchmaker.matching import Matcher, config
from tests.matching.conftest import need, output


def _ids(ranking):
    return [m.candidate_id for m in ranking.matches]


def test_ranking_is_deterministic(seed_data, mini_book, seed_matcher):
    outputs, needs = seed_data
    again = Matcher(seed_matcher.chains, regions=seed_matcher.regions).fit(outputs, needs)
    for n in needs[:25]:
        first, second = seed_matcher.rank_outputs(n), again.rank_outputs(n)
        assert [(m.candidate_id, m.score) for m in first.matches] == \
               [(m.candidate_id, m.score) for m in second.matches]


def test_all_pairs_equals_single_rankings_in_input_order(seed_data, seed_matcher):
    _, needs = seed_data
    batch = list(seed_matcher.all_pairs(limit=10, chunk_size=37))
    assert [r.query_id for r in batch] == [n.id for n in needs]
    by_id = {n.id: n for n in needs}
    for ranking in batch[:60]:
        single = seed_matcher.rank_outputs(by_id[ranking.query_id], limit=10)
        assert [(m.candidate_id, m.score) for m in ranking.matches] == \
               [(m.candidate_id, m.score) for m in single.matches]


def test_all_pairs_over_outputs_equals_single_need_rankings(seed_data, seed_matcher):
    outputs, _ = seed_data
    batch = list(seed_matcher.all_pairs(limit=10, chunk_size=41, queries=Side.OUTPUT))
    assert [r.query_id for r in batch] == [o.id for o in outputs]
    by_id = {o.id: o for o in outputs}
    for ranking in batch[:60]:
        single = seed_matcher.rank_needs(by_id[ranking.query_id], limit=10)
        assert [(m.candidate_id, m.score) for m in ranking.matches] == \
               [(m.candidate_id, m.score) for m in single.matches]
        assert [m.explanation for m in ranking.matches] == \
               [m.explanation for m in single.matches]


def test_needs_are_ranked_for_an_output_too(seed_data, seed_matcher):
    outputs, _ = seed_data
    output_ = next(o for o in outputs if o.id == "h2-o-001")
    ranking = seed_matcher.rank_needs(output_, limit=5)
    assert len(ranking.matches) == 5
    assert ranking.matches[0].candidate_id == "h2-n-001"  # the need it was written for
    # mostly hydrogen needs; an off-grid PV electrolyser need may join them on its text
    assert sum(m.candidate_id.startswith("h2-n-") for m in ranking.matches) >= 4


CORPUS = [
    output("o1", "碱性电解槽复合隔膜", "聚苯硫醚复合隔膜降低面电阻，提高氢气纯度，适合兆瓦级碱性电解槽"),
    output("o2", "PEM电解槽膜电极", "低铱载量膜电极，质子交换膜电解槽电流密度两安培每平方厘米"),
    output("o3", "高压储氢瓶内胆", "四型储氢瓶尼龙内胆阻隔改性，氢气渗透率降低一半，快速放气不起泡"),
    output("o4", "燃料电池双极板涂层", "金属双极板碳基涂层，接触电阻低，耐腐蚀，适合车用燃料电池电堆"),
    output("o5", "钙钛矿叠层电池", "钙钛矿晶硅叠层电池效率百分之二十八，稳定运行一千小时以上"),
    output("o6", "电解槽智能调度", "多台碱性电解槽随风电光伏功率波动的协同调度，减少启停和氧中氢超标"),
]
NEEDS = [
    need("n1", "电解槽隔膜和能耗问题", "碱性电解槽隔膜老化，氢中氧含量升高，直流电耗偏高，希望更换复合隔膜"),
    need("n2", "储氢瓶快速放气起泡", "四型瓶快速放气后内胆起泡，需要改性尼龙内胆材料和工艺"),
]


def test_adding_one_output_ranks_like_a_full_refit(mini_book):
    # Made of text the index already knows: new words wait for the next refit (which would
    # count them), so only a known-vocabulary profile can rank exactly as after a refit.
    new = output("o7", CORPUS[0].title, CORPUS[5].abstract)
    incremental = Matcher(mini_book).fit(CORPUS, NEEDS)
    incremental.upsert_output(new)
    full = Matcher(mini_book).fit([*CORPUS, new], NEEDS)
    for n in NEEDS:
        assert _ids(incremental.rank_outputs(n)) == _ids(full.rank_outputs(n))
    assert "o7" in _ids(incremental.rank_outputs(NEEDS[0]))


def test_updating_an_output_replaces_its_old_version(mini_book):
    matcher = Matcher(mini_book).fit(CORPUS, NEEDS)
    assert "o3" in _ids(matcher.rank_outputs(NEEDS[1]))
    matcher.upsert_output(dataclasses.replace(CORPUS[2], title="钙钛矿组件封装",
                                              abstract="钙钛矿组件柔性封装，阻水阻氧，适合建筑光伏幕墙"))
    assert "o3" not in _ids(matcher.rank_outputs(NEEDS[1]))


def test_removed_and_withdrawn_outputs_disappear(mini_book):
    matcher = Matcher(mini_book).fit(CORPUS, NEEDS)
    matcher.remove_output("o1")
    matcher.upsert_output(dataclasses.replace(CORPUS[5], status="withdrawn"))
    ids = _ids(matcher.rank_outputs(NEEDS[0]))
    assert "o1" not in ids and "o6" not in ids


def test_refit_keeps_the_current_version_of_every_profile(mini_book):
    matcher = Matcher(mini_book).fit(CORPUS, NEEDS)
    matcher.upsert_output(dataclasses.replace(CORPUS[0], title="碱性电解槽复合隔膜（第二版）"))
    matcher.refit()
    assert len(matcher.outputs_) == len(CORPUS)
    assert matcher.outputs_.profiles[0].title == "碱性电解槽复合隔膜（第二版）"


def test_one_keyword_more_or_less_does_not_swing_the_ranking(seed_data, seed_matcher):
    _, needs = seed_data
    swings = []
    for n in [n for n in needs if n.status == "published"][:40]:
        before = _ids(seed_matcher.rank_outputs(n, limit=10, explain=False))
        added = dataclasses.replace(n, keywords=n.keywords + ("测试",))
        removed = dataclasses.replace(n, keywords=n.keywords[:-1])
        for variant in (added, removed):
            after = _ids(seed_matcher.rank_outputs(variant, limit=10, explain=False))
            swings.append(len(set(before) - set(after)))
    # On average at most one of ten results changes, and never more than four.
    assert sum(swings) / len(swings) <= 1.0 and max(swings) <= 4


def test_frozen_idf_updates_stay_close_to_a_full_refit(seed_data, monkeypatch):
    """Above EXACT_IDF_LIMIT updates skip reweighing; rankings must still agree closely."""
    from matchmaker.matching import config

    outputs, needs = seed_data
    held_out, kept = outputs[::40], [o for i, o in enumerate(outputs) if i % 40]
    monkeypatch.setattr(config, "EXACT_IDF_LIMIT", 0)
    book = Matcher().chains
    incremental = Matcher(book).fit(kept, needs)
    for o in held_out:
        incremental.upsert_output(o)
    assert incremental.outputs_.delta_words  # the frozen path was taken
    full = Matcher(book).fit([*kept, *held_out], needs)
    published = [n for n in needs if n.status == "published"][:60]
    overlap = [len(set(_ids(incremental.rank_outputs(n, explain=False)))
                   & set(_ids(full.rank_outputs(n, explain=False)))) for n in published]
    assert sum(overlap) / len(overlap) >= 9.5


def test_the_engine_imports_without_flask_or_sqlalchemy():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, matchmaker.matching; "
            "print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], check=True)
    assert result.stdout.strip() == "[]"


def test_skipping_rows_that_cannot_reach_the_top_changes_no_ranking(seed_data, seed_matcher,
                                                                    monkeypatch):
    """_candidates scores a pool by text, then only the rows whose upper bound reaches the
    tenth score: the rankings (ids, scores, order) are those of scoring every row."""
    from matchmaker.matching import config

    outputs, needs = seed_data

    def rankings():
        return ([[(m.candidate_id, m.score) for m in seed_matcher.rank_outputs(n, explain=False)
                  .matches] for n in needs],
                [[(m.candidate_id, m.score) for m in seed_matcher.rank_needs(o, explain=False)
                  .matches] for o in outputs])

    monkeypatch.setattr(config, "CANDIDATE_POOL", 10)  # a pool of 100: most rows skipped
    pruned = rankings()
    monkeypatch.setattr(config, "CANDIDATE_POOL", 10 ** 9)  # every row scored
    full = rankings()
    assert pruned == full and sum(map(len, full[0])) > 10 * len(needs) * 0.8


def test_query_vectors_equal_the_weighed_counts_and_scikit_learn(seed_data, seed_matcher):
    """A ranking's query rows (_Channel.vectors, built straight from arrays) are exactly the
    weighed count rows, which are scikit-learn's sublinear TF-IDF of the fitted vocabulary."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfTransformer

    _, needs = seed_data
    channel = seed_matcher.words_
    docs = [seed_matcher._words(n) for n in needs[:20]]
    one, two = sorted(set(docs[0]) & set(channel.counter.vocabulary_))[:2]
    docs += [[], ["不在词表里的词"], [one, one, one, "不在词表里的词", two]]
    vectors = channel.vectors(docs)
    weighed = channel.weigh(channel.counts(docs))
    assert vectors.shape == weighed.shape == (len(docs), len(channel.counter.vocabulary_))
    assert np.array_equal(vectors.indptr, weighed.indptr)
    assert np.array_equal(vectors.indices, weighed.indices)
    assert np.array_equal(vectors.data, weighed.data)
    assert vectors[len(docs) - 3].nnz == 0 and vectors[len(docs) - 2].nnz == 0
    assert vectors[len(docs) - 1].nnz == 2  # two known terms, one of them thrice
    reference = TfidfTransformer(sublinear_tf=True, norm="l2")
    reference.idf_ = channel.weigher.idf_
    expected = reference.transform(channel.counter.transform(docs)).toarray()
    assert np.allclose(vectors.toarray(), expected, atol=1e-6)


def test_tallied_counts_equal_count_vectorizer(seed_data, seed_matcher):
    """The fit counts terms itself (_Tally); its matrix and vocabulary are CountVectorizer's,
    down to the order of each row's entries, for min_df 1 and 2."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    from matchmaker.matching.engine import _identity, _Tally

    outputs, needs = seed_data
    docs = [seed_matcher._words(p) for p in (*outputs, *needs)]
    docs += [seed_matcher._chars(p) for p in needs[:30]] + [[], ["x", "x", "y"], []]
    for min_df in (1, 2):
        tally = _Tally()
        for doc in docs:
            tally.add(doc)
        counts, vocabulary = tally.matrix(min_df)
        reference = CountVectorizer(analyzer=_identity, min_df=min_df, dtype=np.float32)
        expected = reference.fit_transform(docs)
        assert vocabulary == reference.vocabulary_
        assert counts.shape == expected.shape and counts.dtype == expected.dtype
        for got, want in ((counts.data, expected.data), (counts.indices, expected.indices),
                          (counts.indptr, expected.indptr)):
            assert got.dtype == want.dtype and np.array_equal(got, want)
        assert not np.all(np.diff(counts.indices[:counts.indptr[1]]) > 0)  # not sorted


def _fitted_state(matcher) -> list:
    """Everything a fit learns, as comparable values (arrays as bytes with their dtypes)."""
    state = [matcher.words_.counter.vocabulary_, matcher.chars_.counter.vocabulary_,
             list(matcher.terms_)]
    for channel in (matcher.words_, matcher.chars_):
        state += [channel.df.tobytes(), channel.weigher.idf_.tobytes(), channel.n]
    for side in (matcher.outputs_, matcher.needs_):
        for matrix in (*side.counts.values(), side.words, side.chars):
            state += [(a.dtype.str, a.tobytes()) for a in (matrix.data, matrix.indices,
                                                            matrix.indptr)]
        state += [side.ids, side.guesses, side.thin, side.mix.tobytes()]
        state += [(name, values.tobytes()) for name, values in sorted(side.arrays.items())]
    return state


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_a_fit_split_over_processes_equals_one_pass(seed_data, seed_matcher, n_jobs):
    """Workers analyse parts of the profiles and their tallies are joined: vocabulary, counts
    (entry order included), weights, guesses and rankings are those of one pass."""
    outputs, needs = seed_data
    split = Matcher(seed_matcher.chains, regions=seed_matcher.regions,
                    n_jobs=n_jobs).fit(outputs, needs)
    serial = Matcher(seed_matcher.chains, regions=seed_matcher.regions,
                     n_jobs=1).fit(outputs, needs)
    assert _fitted_state(split) == _fitted_state(serial) == _fitted_state(seed_matcher)
    for query in needs[:10]:
        assert split.rank_outputs(query) == serial.rank_outputs(query)


def test_a_fit_that_cannot_start_workers_analyses_alone(seed_data, seed_matcher, monkeypatch):
    import multiprocessing

    class NoProcesses:
        def Pool(self, *args, **kwargs):
            raise OSError("fork: Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: NoProcesses())
    outputs, needs = seed_data
    alone = Matcher(seed_matcher.chains, regions=seed_matcher.regions,
                    n_jobs=2).fit(outputs, needs)
    assert _fitted_state(alone) == _fitted_state(seed_matcher)


def test_only_large_fits_start_workers_by_default(monkeypatch):
    from matchmaker.matching import engine

    assert engine._jobs(None, config.PARALLEL_PROFILES - 1) == 1
    assert engine._jobs(1, 10 ** 6) == 1 and engine._jobs(4, 1) == 1
    assert engine._jobs(3, 100) == 3
    monkeypatch.setattr(engine.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(engine.threading, "active_count", lambda: 1)
    assert engine._jobs(None, config.PARALLEL_PROFILES) == 2
    monkeypatch.setattr(engine.threading, "active_count", lambda: 2)  # a web process's jobs
    assert engine._jobs(None, config.PARALLEL_PROFILES) == 1
    assert engine._jobs(2, config.PARALLEL_PROFILES) == 2  # unless asked for
    monkeypatch.setattr(engine.sys, "platform", "darwin")  # no fork there
    assert engine._jobs(None, config.PARALLEL_PROFILES) == 1


def test_tallies_joined_in_order_equal_one_tally(seed_data, seed_matcher):
    """_Tally.extend (also after a pickle, as workers return them) numbers terms as one tally
    over all documents would."""
    import pickle

    from matchmaker.matching.engine import _Tally

    outputs, needs = seed_data
    docs = [seed_matcher._chars(p) for p in (*outputs, *needs)] + [[], ["新词", "新词"]]
    whole, first, second, third = _Tally(), _Tally(), _Tally(), _Tally()
    for i, doc in enumerate(docs):
        whole.add(doc)
        (first if i < 50 else second if i < 51 else third).add(doc)
    for part in (second, third):
        first.extend(pickle.loads(pickle.dumps(part)))
    assert list(first.ids.items()) == list(whole.ids.items())
    for got, want in ((first.indices, whole.indices), (first.data, whole.data),
                      (first.indptr, whole.indptr)):
        assert got == want
    first.add(["又一个新词"])  # numbering goes on after a join
    assert first.ids["又一个新词"] == len(whole.ids)


@pytest.mark.parametrize("chunk", [1 << 20, 300])
def test_bigram_tally_counts_as_a_tally_of_the_bigrams(seed_data, seed_matcher, monkeypatch,
                                                      chunk):
    """_BigramTally (bigrams counted on code points, a chunk of texts at a time, joined after
    a pickle as workers return them) gives _Tally's matrix and vocabulary for the bigrams of
    the same texts, sentinels included, for min_df 1 and 2."""
    import pickle

    import numpy as np

    from matchmaker.matching.engine import SENTINEL, _BigramTally, _Tally
    from matchmaker.matching.text import normalize

    monkeypatch.setattr(_BigramTally, "CHUNK", chunk)
    outputs, needs = seed_data
    texts = [seed_matcher._char_text(p) for p in (*outputs, *needs)]
    texts += ["", "pem only", normalize("電解槽 氢气a氢气 \ufa0e\ufa0e龥\u3400"), "氢"]
    for min_df in (1, 2):
        tally, whole, parts = _Tally(), _BigramTally(), [_BigramTally() for _ in range(3)]
        for i, text in enumerate(texts):
            tally.add(seed_matcher.analyzer_.normalized_ngrams(text))
            whole.add_text(text)
            parts[0 if i < 40 else 1 if i < 41 else 2].add_text(text)
        for part in parts[1:]:
            parts[0].extend(pickle.loads(pickle.dumps(part)))
        for t in (tally, whole, parts[0]):
            t.add([SENTINEL])
            t.add([SENTINEL])
        expected, vocabulary = tally.matrix(min_df)
        for bigrams in (whole, parts[0]):
            counts, got = bigrams.matrix(min_df)
            assert got == vocabulary
            assert counts.shape == expected.shape and counts.dtype == expected.dtype
            for a, b in ((counts.data, expected.data), (counts.indices, expected.indices),
                         (counts.indptr, expected.indptr)):
                assert a.dtype == b.dtype and np.array_equal(a, b)


def test_fit_bigrams_are_those_of_the_query_path(seed_data, seed_matcher):
    """The fit counts the bigrams of _char_text; a query takes _chars: the same tokens."""
    outputs, needs = seed_data
    for profile in (*outputs, *needs):
        text = seed_matcher._char_text(profile)
        assert seed_matcher._chars(profile) == seed_matcher.analyzer_.char_ngrams(
            f"{profile.title} {seed_matcher._body(profile)} {' '.join(profile.keywords)}")
        assert seed_matcher.analyzer_.normalized_ngrams(text) == seed_matcher._chars(profile)


def test_side_rows_written_at_once_equal_one_append_after_another(seed_data, seed_matcher):
    """_SideIndex.extend (a fit's rows) gives append's buffers, views and row numbers, an
    updated profile (the same id again) deactivating its earlier row."""
    import numpy as np

    from matchmaker.matching.engine import _SideIndex

    outputs, _ = seed_data
    profiles = [*outputs, outputs[3], *outputs[:70], outputs[5]]  # repeated ids
    rows = [seed_matcher._row(p, 10 if i % 7 else 1, seed_matcher._guess(p))
            for i, p in enumerate(profiles)]
    for split in (0, 1, 64, 65):
        one_by_one, at_once = _SideIndex(), _SideIndex()
        for row in rows:
            if row[0].id in one_by_one.row_of:
                one_by_one.arrays["active"][one_by_one.row_of[row[0].id]] = False
            one_by_one.append(*row)
        for row in rows[:split]:  # rows already there before a bulk write
            if row[0].id in at_once.row_of:
                at_once.arrays["active"][at_once.row_of[row[0].id]] = False
            at_once.append(*row)
        at_once.extend(rows[split:])
        assert at_once.ids == one_by_one.ids and at_once.row_of == one_by_one.row_of
        assert at_once.thin == one_by_one.thin and at_once.guesses == one_by_one.guesses
        assert np.array_equal(at_once.mix, one_by_one.mix)
        for name, buffer in one_by_one._buffers.items():
            assert at_once._buffers[name].shape == buffer.shape
            assert at_once._buffers[name].dtype == buffer.dtype
            assert np.array_equal(at_once._buffers[name], buffer, equal_nan=True), name
        for name, view in one_by_one.arrays.items():
            assert np.array_equal(at_once.arrays[name], view, equal_nan=True), name
        assert not one_by_one.arrays["active"][3]
