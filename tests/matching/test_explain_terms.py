"""Explanations name specific shared terms only: never numbers, function words or generic ones."""
import pytest

from matchmaker.matching import ChainBook, Matcher
from matchmaker.matching.terms import is_quantity, term_filter
from tests.matching.conftest import MINI_CHAINS, need, output

ANODE = need("n1", "钛毡阳极涂层", "现有装置的底部连接结构不到两个月就腐蚀，需要钛毡阳极涂层与铱催化剂，"
             "功率120kW，工作温度80°C，效率提高50%")
COATING = output("o1", "钛毡阳极铱涂层", "在钛毡阳极上沉积铱催化剂涂层，现有装置底部连接结构不变，"
                 "两个月内不到衰减，功率120kW，80°C运行，效率提高50%")
BREAD = output("o2", "全麦面包发酵", "全麦面包的发酵与烘焙，口感松软")


@pytest.fixture(scope="module")
def matcher(mini_book):
    return Matcher(mini_book, min_score=0.0).fit([COATING, BREAD], [ANODE])


@pytest.fixture(scope="module")
def allowed(matcher):
    return term_filter(matcher.analyzer_, matcher.chains_)


def _named(matcher, query, candidate_id) -> list[str]:
    matches = {m.candidate_id: m for m in matcher.rank_outputs(query).matches}
    return [t.split(" / ")[0] for t in matches[candidate_id].explanation["shared_terms"]]


def test_only_the_specific_shared_terms_are_named(matcher):
    shared = set(matcher.analyzer_.words(ANODE.description)) & set(
        matcher.analyzer_.words(COATING.abstract))
    assert {"现有", "装置", "底部", "连接结构", "不到", "两个", "120kw", "80°c", "50%"} <= shared
    named = _named(matcher, ANODE, "o1")
    assert {"涂层", "阳极", "催化剂"} <= set(named)
    # 钛毡 is cut 钛 / 毡 (titanium, felt): one-character words are ranking tokens too.
    assert set(named) <= {"钛毡", "钛", "毡", "阳极", "涂层", "催化剂", "铱", "功率"}


def test_a_pair_sharing_only_generic_words_names_none(mini_book):
    thin = need("n2", "现有装置底部连接结构", "现有装置的底部连接结构，不到两个，工作温度30°C，进行改进")
    vague = output("o3", "现有装置底部连接结构改进", "现有装置底部连接结构，不到两个，30°C，采用新型方式")
    matcher = Matcher(mini_book, min_score=0.0).fit([vague, BREAD], [thin])
    matches = {m.candidate_id: m for m in matcher.rank_outputs(thin).matches}
    assert matches["o3"].explanation["shared_terms"] == []
    assert matches["o3"].parts["text"] > 0  # they do share words, none worth naming


def _crowd(size: int, extra: str) -> list:
    """size outputs that all mention the electrolyser and extra, otherwise distinct."""
    return [output(f"c{i}", f"电解槽 {extra} widget{i}", f"电解槽 {extra} gadget{i} gizmo{i}")
            for i in range(size)]


def test_chain_terms_survive_even_when_every_profile_has_them(mini_book):
    query = need("q", "电解槽 prototype gadget0", "电解槽 prototype gizmo0 gadget0")
    matcher = Matcher(mini_book, min_score=0.0).fit(_crowd(40, "prototype"), [query])
    named = _named(matcher, query, "c0")
    assert "电解槽" in named  # a chain keyword in all 40 profiles
    assert "prototype" not in named  # as common across profiles, but no chain term
    assert "gadget0" in named


def test_quantities_and_numbers_are_not_specific(allowed):
    for term in ("30°c", "120kw", "50%", "3.5mm", "1000", "cm2", "第二", "两个", "三种", "万吨"):
        assert allowed.reason(term) == "quantity", term
    for term in ("co2", "h2", "v2x", "3d", "三维", "多孔"):
        assert not is_quantity(term), term


def test_a_chain_term_that_looks_like_a_quantity_stays_specific():
    hydrogen = {**MINI_CHAINS[0], "core_terms": ["70MPa", "5G专网"]}  # 5G inside a keyword
    with_chain = Matcher(ChainBook.from_dicts([hydrogen])).fit([COATING, BREAD], [ANODE])
    without = Matcher(ChainBook.from_dicts(MINI_CHAINS)).fit([COATING, BREAD], [ANODE])
    for term in ("70mpa", "5g"):
        assert term_filter(with_chain.analyzer_, with_chain.chains_).reason(term) is None
        assert term_filter(without.analyzer_, without.chains_).reason(term) == "quantity"


def test_function_words_are_not_specific(allowed):
    for term in ("底部", "国内", "其中", "左右"):  # locality, place, pronoun, numeral
        assert allowed.reason(term) == "function word", term
    assert allowed.reason("逐层") is None  # layer by layer: a rare word jieba tags as adverb
    assert allowed.reason("阵列") is None  # array: jieba tags it as a quantifier (hand list)


def test_common_verbs_and_adjectives_are_not_specific_rare_ones_are(allowed):
    for term in ("连接", "不到", "现有", "提供", "有效"):
        assert allowed.reason(term) == "common word", term
    for term in ("焊接", "烘干", "嫁接"):
        assert allowed.reason(term) is None, term


def test_common_nouns_are_generic_unless_few_profiles_use_them(allowed):
    assert allowed.reason("汽车", 0.05) == "common word"
    assert allowed.reason("汽车", 0.001) is None  # a rare subject in this corpus: it says much
    assert allowed.reason("问题", 0.0) == "common word"  # too common in any text


def test_listed_generic_words_are_not_specific_in_either_language(allowed, matcher):
    equipment = matcher.analyzer_.words("设备")  # folded with equipment / 装备
    assert len(equipment) == 1
    for term in ("装置", "技术", "based", "technology", "method", equipment[0]):
        assert allowed.reason(term) == "generic list", term


def test_glossary_terms_stay_specific_however_common(allowed, matcher):
    catalyst = matcher.analyzer_.words("catalyst")  # English folds to the glossary's 催化剂
    assert len(catalyst) == 1
    assert allowed.reason(catalyst[0], 0.9) is None
    assert matcher.analyzer_.words("spraying") == ["喷涂"]  # a translation's head, a plain word
    assert allowed.reason("喷涂", 0.9) is None  # a common verb otherwise (jieba: v)


def test_compounds_of_generic_parts_are_generic(allowed):
    assert allowed.reason("控制技术") == "generic compound"
    assert allowed.reason("激光测距") is None


def test_terms_in_a_large_share_of_profiles_are_generic(allowed):
    assert allowed.reason("prototype", 0.5) == "frequent in corpus"
    assert allowed.reason("prototype", 0.05) is None
    assert allowed.reason("prototype", None) is None  # too few profiles to tell


def test_the_filter_keeps_its_answers_per_token_and_share_within_a_bound(allowed, monkeypatch):
    from matchmaker.matching import terms

    allowed._reasons.clear()
    monkeypatch.setattr(terms, "REASONS_KEPT", 3)
    asked = [("30°c", None), ("燃料电池", None), ("隔膜", None), ("隔膜", 0.5)]
    first = [allowed.reason(token, share) for token, share in asked]
    # the share is part of the key: the same token is frequent in one corpus, not in another
    assert first == ["quantity", None, None, "frequent in corpus"]
    assert len(allowed._reasons) <= 3  # started afresh when full
    assert [allowed.reason(token, share) for token, share in asked] == first
    assert [allowed._reason(token, share) for token, share in asked] == first  # not the cache's
