"""Chain and segment inference from keywords, typos and IPC codes; explicit chains win."""


def test_keywords_in_text_place_a_profile_in_chain_and_segment(mini_book):
    guess = mini_book.infer("碱性电解槽隔膜", "用于电解水制氢的复合隔膜，降低槽电压")
    assert (guess.chain, guess.segment, guess.source) == ("hydrogen", "production", "inferred")
    assert 0.5 < guess.confidence <= 1


def test_ipc_codes_alone_are_enough(mini_book):
    guess = mini_book.infer("A new device", "Details withheld.", ipc=["H02S 40/34"])
    assert (guess.chain, guess.segment) == ("photovoltaics", "modules")
    assert guess.confidence >= 0.5  # a patent class is strong evidence on its own


def test_a_misspelt_keyword_still_counts(mini_book):
    guess = mini_book.infer("Project X", "Confidential.", keywords=["heterojuntion"])
    assert (guess.chain, guess.segment) == ("photovoltaics", "cells")
    assert any("≈" in e for e in guess.evidence)


def test_english_keywords_need_word_boundaries(mini_book):
    # "topcon" must not fire inside an unrelated longer word
    assert mini_book.infer("Stopconfig tool", "software").chain is None


def test_explicit_chain_wins_over_text(mini_book):
    guess = mini_book.infer("燃料电池双极板", "双极板涂层", chain="photovoltaics")
    assert guess.chain == "photovoltaics" and guess.source == "explicit"


def test_explicit_segment_is_kept(mini_book):
    guess = mini_book.infer("x", "y", chain="hydrogen", segment="storage")
    assert (guess.segment, guess.confidence) == ("storage", 1.0)


def test_unrelated_text_gets_no_chain(mini_book):
    guess = mini_book.infer("面包配方", "一种口感松软的全麦面包")
    assert guess.chain is None and guess.confidence == 0


def test_mixed_evidence_lowers_confidence(mini_book):
    clear = mini_book.infer("双极板", "燃料电池膜电极与双极板")
    mixed = mini_book.infer("双极板与钙钛矿", "燃料电池双极板，钙钛矿异质结电池")
    assert mixed.confidence < clear.confidence


def test_a_lone_segment_keyword_in_running_text_is_weak_evidence(mini_book):
    lone = mini_book.infer("储能电站消防系统", "电站配套的液氢冷却装置与消防喷淋")
    backed = mini_book.infer("储能电站消防系统", "电站配套的液氢冷却装置，高压储氢与消防喷淋")
    assert lone.chain == backed.chain == "hydrogen"
    assert lone.confidence < 0.5 * backed.confidence


def test_core_terms_place_a_text_in_the_chain_without_a_segment():
    from matchmaker.matching import ChainBook
    from tests.matching.conftest import MINI_CHAINS

    book = ChainBook.from_dicts([{**MINI_CHAINS[1], "core_terms": ["光伏", "solar cell"]},
                                 MINI_CHAINS[0]])
    guess = book.infer("屋顶光伏发电量预测", "基于气象数据的光伏发电功率短期预测方法")
    assert (guess.chain, guess.segment) == ("photovoltaics", None)
    assert guess.confidence > 0.5
    assert ChainBook.from_dicts(MINI_CHAINS).infer(
        "屋顶光伏发电量预测", "基于气象数据的光伏发电功率短期预测方法").chain is None
    assert "光伏" in book.user_words()


# --- synonym collisions --------------------------------------------------------------------

def _spec(key, *, synonyms=(), keywords=(), core=()):
    from matchmaker.matching import ChainSpec, SegmentSpec
    segment = SegmentSpec(key="s", name_zh="s", name_en="s", position=1,
                          keywords_zh=tuple(keywords), keywords_en=())
    return ChainSpec(key=key, name_zh=key, name_en=key, segments=(segment,),
                     synonyms=tuple(tuple(g) for g in synonyms), core_terms=tuple(core))


def test_a_group_term_another_chain_uses_in_another_sense_is_flagged():
    from matchmaker.matching import synonym_collisions
    storage = _spec("storage", synonyms=[("荷电状态", "SOC", "state of charge")])
    vehicles = _spec("vehicles", keywords=["SoC", "域控制器"])
    [found] = synonym_collisions([storage, vehicles])
    assert (found.term, found.chain, found.other_chain, found.other_group) == (
        "soc", "storage", "vehicles", ())


def test_a_term_in_two_chains_groups_naming_different_concepts_is_flagged_once():
    from matchmaker.matching import synonym_collisions
    storage = _spec("storage", synonyms=[("荷电状态", "SOC")])
    chips = _spec("chips", synonyms=[("系统级芯片", "SoC", "system on chip")])
    [found] = synonym_collisions([storage, chips])
    assert found.term == "soc"
    assert {found.chain, found.other_chain} == {"storage", "chips"}
    assert found.other_group in (("荷电状态", "SOC"), ("系统级芯片", "SoC", "system on chip"))


def test_a_term_shared_in_the_same_sense_is_not_a_collision():
    from matchmaker.matching import synonym_collisions
    chips = _spec("chips", synonyms=[("碳化硅", "SiC", "silicon carbide")])
    # the same group in another chain, or the term beside another member of the group
    vehicles = _spec("vehicles", synonyms=[("碳化硅", "SiC")])
    solar = _spec("solar", keywords=["SiC", "碳化硅"])
    assert synonym_collisions([chips, vehicles, solar]) == []


def test_involving_limits_the_report_to_one_chains_collisions():
    from matchmaker.matching import synonym_collisions
    storage = _spec("storage", synonyms=[("荷电状态", "SOC")])
    vehicles = _spec("vehicles", keywords=["SoC"])
    other = _spec("other", core=["other"])
    assert synonym_collisions([storage, vehicles, other], involving="other") == []
    assert len(synonym_collisions([storage, vehicles, other], involving="vehicles")) == 1


def test_the_shipped_chains_have_no_synonym_collisions():
    """seed_data/chains is what a new platform starts with: every group means one thing."""
    from pathlib import Path

    from matchmaker.matching import ChainBook, synonym_collisions
    book = ChainBook.from_path(Path(__file__).resolve().parents[2] / "seed_data" / "chains")
    assert len(book.chains) >= 6
    assert synonym_collisions(book.chains) == []


def test_fuzzy_matches_equal_rapidfuzz_over_the_whole_vocabulary():
    """_fuzzy only asks rapidfuzz about terms of a reachable length and remembers answers;
    both change nothing: the answer is extractOne's over every term, before and after a
    pickle."""
    import pickle
    from pathlib import Path

    from rapidfuzz import fuzz, process

    from matchmaker.matching import ChainBook
    from matchmaker.matching.chains import FUZZY_CUTOFF

    book = ChainBook.from_path(Path(__file__).resolve().parents[2] / "seed_data" / "chains")
    words = list(book._vocabulary)
    probes = [w[:-1] for w in words] + [w + "s" for w in words] + [w[1:] + "x" for w in words]
    probes += [w.replace("电", "点") for w in words] + ["electroliser", "质子交换模", "abc"]
    probes = [p for p in probes if len(p) >= 3]
    found = 0
    for copy in (book, pickle.loads(pickle.dumps(book))):
        for probe in probes * 2:  # the second time from the memo
            best = process.extractOne(probe, words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            assert copy._fuzzy(probe) == (best[0] if best else None)
            found += best is not None
    assert found > len(probes)  # most probes do have a near term


def test_term_finder_gives_every_occurrence_by_end_then_longest_first():
    """TermFinder reports overlapping and nested occurrences in the order the fit relies on
    (chain evidence is summed in it): by end, then the longest first; it survives a pickle."""
    import pickle

    from matchmaker.matching.text import TermFinder

    finder = TermFinder([("电解", 1), ("电解槽", 2), ("解槽", 3), ("槽", 4), ("", 5),
                         ("电解", 6), ("pem", 7)])
    assert len(finder) == 5  # the empty term is left out, a repeated term keeps its first value
    expected = [(0, 2, 1), (0, 3, 2), (1, 3, 3), (2, 3, 4), (4, 7, 7), (7, 9, 1)]
    text = "电解槽 pem电解"
    assert finder.find(text) == expected
    assert pickle.loads(pickle.dumps(finder)).find(text) == expected
    assert TermFinder([]).find(text) == []


def test_a_pickled_chain_book_infers_as_the_original(seed_data):
    import pickle
    from pathlib import Path

    from matchmaker.matching import ChainBook

    book = ChainBook.from_path(Path(__file__).resolve().parents[2] / "seed_data" / "chains")
    copy = pickle.loads(pickle.dumps(book))
    outputs, needs = seed_data
    for profile in (*outputs[:40], *needs[:40]):
        body = getattr(profile, "abstract", None) or profile.description
        assert copy.infer(profile.title, body, keywords=profile.keywords) == book.infer(
            profile.title, body, keywords=profile.keywords)
