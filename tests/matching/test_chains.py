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
