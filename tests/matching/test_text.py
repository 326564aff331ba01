"""Normalisation and segmentation of Chinese, English and mixed technical text."""
from matchmaker.matching.text import Analyzer, normalize

ANALYZER = Analyzer(user_words=["碱性电解槽", "质子交换膜"],
                    synonyms=[["质子交换膜", "PEM", "proton exchange membrane"],
                              ["电解槽", "electrolyser", "electrolyzer"]])


def test_full_width_and_traditional_text_is_normalised():
    assert normalize("ＰＥＭ電解槽　３０ＭＷ") == "pem电解槽 30mw"


def test_chinese_words_are_segmented_with_the_domain_dictionary():
    words = Analyzer(user_words=["钙钛矿叠层"]).words("钙钛矿叠层电池效率达到百分之二十八")
    assert "钙钛矿叠层" in words and "电池" in words and "效率" in words


def test_stop_words_and_single_characters_are_dropped():
    words = ANALYZER.words("我们的技术可以用于燃料电池")
    assert "我们" not in words and "的" not in words and "可以" not in words
    assert "燃料电池" in words


def test_technical_tokens_stay_whole():
    words = Analyzer().words("TOPCon电池 30MW 示范线，C-V2X 路侧单元，LiFePO4 正极")
    assert {"topcon", "30mw", "c-v2x", "lifepo4"} <= set(words)


def test_quantities_with_a_space_become_one_token():
    assert "0.1mm" in Analyzer().words("厚度 0.1 mm 的钛板")


def test_ipc_codes_are_kept_whole_with_their_subclass():
    words = Analyzer().words("分类号 C25B 1/04 与 H01M8/1004")
    assert {"c25b1/04", "c25b", "h01m8/1004", "h01m"} <= set(words)


def test_chinese_and_english_synonyms_become_one_token():
    zh = ANALYZER.words("质子交换膜电解")
    en = ANALYZER.words("proton exchange membranes for electrolysers")
    abbreviation = ANALYZER.words("PEM stack")
    shared = set(zh) & set(en) & set(abbreviation)
    assert len(shared) == 1 and ANALYZER.display(shared.pop()).startswith("质子交换膜")
    assert set(ANALYZER.words("碱性电解槽")) & set(en)  # 电解槽 ~ electrolyser


def test_english_plurals_fold_to_the_singular():
    assert Analyzer().words("bipolar plates") == ["bipolar", "plate"]


def test_character_bigrams_back_off_for_unknown_words():
    assert ANALYZER.char_ngrams("氢气循环泵") == ["氢气", "气循", "循环", "环泵"]
    assert ANALYZER.char_ngrams("PEM only") == []


def test_glossary_groups_join_only_where_meant():
    """A term in two groups merges them (设备 = equipment = 装备); an ambiguous English word
    must not marry unrelated Chinese terms (localisation once made 定位 = 国产化)."""
    from collections import defaultdict

    from matchmaker.matching.text import load_glossary, load_translations

    groups_of = defaultdict(list)
    for group in (*load_glossary(), *load_translations()):
        for term in group:
            groups_of[term.lower()].append(group)
    shared = {term for term, groups in groups_of.items() if len(groups) > 1}
    assert shared <= {"equipment", "calibration", "thermal conductivity"}


def test_translations_let_english_meet_chinese_without_recutting_chinese():
    from matchmaker.matching.text import load_translations

    plain = Analyzer()
    translating = Analyzer(translations=load_translations())
    english = set(translating.words("1200 V SiC JBS diode with high surge-current capability "
                                    "and a low forward voltage drop"))
    chinese = set(translating.words("车载充电机碳化硅二极管浪涌电流不足，正向压降不能增加"))
    # The Chinese heads are cut as in Chinese text: 浪涌电流 → 浪涌 电流, 正向压降 → 正向 压降.
    assert {"二极管", "浪涌", "电流", "正向", "压降"} <= english & chinese
    assert chinese == set(plain.words("车载充电机碳化硅二极管浪涌电流不足，正向压降不能增加"))
    assert not {"二极管", "浪涌"} & set(plain.words("diode with high surge current"))
    # A Chinese variant becomes its head (热交换器 → 换热器); other Chinese text is untouched.
    text = "氢燃料电池汽车的换热器与热交换器、传热系数"
    assert translating.words(text) == ["氢", "燃料电池", "汽车", "换热器", "换热器", "传热系数"]
    assert plain.words(text) == ["氢", "燃料电池", "汽车", "换热器", "热交换器", "传热系数"]


def test_one_character_words_are_kept_but_do_not_make_a_profile_specific():
    from matchmaker.matching.engine import content_words

    analyzer = Analyzer()
    # 有机水溶肥 is cut 有机 / 水溶 / 肥: the 肥 (fertiliser) is what it shares with 生物肥 listings.
    assert analyzer.words("有机水溶肥配方") == ["有机", "水溶", "肥", "配方"]
    # One-character function words stay stop words.
    assert "的" not in analyzer.words("泵的膜") and "膜" in analyzer.words("泵的膜")
    # They count in the similarity, not towards the words a profile needs to be matched.
    assert content_words(["肥", "膜", "泵", "配方"]) == 1
    assert content_words(["有机", "水溶", "配方"]) == 3


def test_analyzer_pickles_and_serves_other_threads():
    """The index is pickled between processes (flask match rebuild) and one analyzer serves
    the web server's threads; the Rust segmenter must survive both."""
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    from matchmaker.matching.text import load_translations

    analyzer = Analyzer(user_words=["双极板"], synonyms=[("质子交换膜", "PEM")],
                        translations=load_translations())
    text = "PEM fuel cell 双极板涂层，surge current 测试"
    expected = analyzer.words(text)
    assert "双极板" in expected and "燃料电池" in expected
    assert pickle.loads(pickle.dumps(analyzer)).words(text) == expected
    with ThreadPoolExecutor(4) as pool:
        assert set(map(tuple, pool.map(analyzer.words, [text] * 40))) == {tuple(expected)}


def test_normalize_remembers_recent_texts_without_changing_them():
    """normalize keeps its last answers (a fit asks about a title and body twice); a
    remembered answer is the computed one."""
    from matchmaker.matching.text import normalize

    texts = ["ＰＥＭ電解槽 Electrolyser", "質子交換膜", "", None, "ΣΑΣ Test"] * 3
    for text in texts:
        assert normalize(text) == normalize.__wrapped__(text)
    assert normalize.cache_info().hits >= 10


# Texts OpenCC converts in surprising ways: phrases whose characters stay alone (一目瞭然),
# characters outside the Basic Multilingual Plane, compatibility ideographs, mixed scripts.
TRICKY_TEXTS = ["一目瞭然", "反覆性的测试", "重覆", "質子交換膜", "电解槽", "二噁英检测",
                "﨑山", "豈", "\U0002005e", "abc \U0002005e", "ＰＥＭ電解槽　３０ＭＷ",
                "ΑΣ Σα", "e\u0301 x", "İstanbul", "", "only ascii"]


def _slow_normalize(text):
    """normalize as it was before it skipped OpenCC: convert every text with Chinese."""
    import re
    import unicodedata

    from matchmaker.matching.text import _CJK, _t2s

    text = unicodedata.normalize("NFKC", text or "")
    if re.search(f"[{_CJK}]", text):
        text = _t2s().convert(text)
    return text.lower()


def test_normalize_skips_opencc_only_where_it_converts_nothing():
    from matchmaker.matching.text import _t2s, _t2s_trigger

    assert _t2s_trigger() is not None  # the list matches the installed OpenCC
    for text in TRICKY_TEXTS:
        assert normalize.__wrapped__(text) == _slow_normalize(text), text
    # Every character whose own conversion differs is a trigger.
    for code in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00)):
        char = chr(code)
        if _t2s().convert(char) != char:
            assert _t2s_trigger().search(char), char


def test_normalize_converts_every_chinese_text_under_another_opencc(monkeypatch):
    from matchmaker.matching import text as module

    module._t2s_trigger.cache_clear()
    monkeypatch.setattr(module.opencc, "__version__", "0.0.0", raising=False)
    try:
        assert module._t2s_trigger() is None
        for text in TRICKY_TEXTS:
            assert module.normalize.__wrapped__(text) == _slow_normalize(text), text
            assert module.normalize_joined([text, "氢能", text]) == _slow_normalize(
                f"{text} 氢能 {text}")
    finally:
        module._t2s_trigger.cache_clear()


def test_joined_pieces_normalise_as_their_joined_text():
    """normalize_joined(pieces) is normalize(" ".join(pieces)): across a space, with pieces
    with and without Chinese (a lone supplementary-plane character converts only inside a
    text that has Chinese)."""
    import itertools

    from matchmaker.matching.text import normalize_joined

    for pieces in itertools.product(TRICKY_TEXTS, repeat=2):
        assert normalize_joined(pieces) == _slow_normalize(" ".join(pieces)), pieces
    for pieces in (["质子", "\U0002005e", ""], ["Σ", "ς", "氢"], ["", "", ""], ["a"]):
        assert normalize_joined(pieces) == _slow_normalize(" ".join(pieces)), pieces


def test_opencc_character_list_matches_the_installed_dictionaries():
    """data/opencc_t2s_chars.json is what scripts/opencc_t2s_chars.py makes from the installed
    OpenCC (rerun it after an OpenCC upgrade; until then normalize converts every text)."""
    import subprocess
    import sys
    from pathlib import Path

    import opencc
    import pytest

    tool = Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict"
    if not tool.exists():
        pytest.skip("this OpenCC build ships no opencc_dict")
    script = Path(__file__).resolve().parents[2] / "scripts" / "opencc_t2s_chars.py"
    assert subprocess.run([sys.executable, str(script), "--check"], check=False).returncode == 0
