"""Explanations: shared terms, fired rules, what would make a pair fit, thin profiles."""
from matchmaker.matching import INSUFFICIENT, Matcher
from tests.matching.conftest import need, output

DIAPHRAGM = output("o1", "PEM电解槽钛毡阳极涂层", "在质子交换膜电解槽阳极侧的钛毡与钛双极板上沉积铱钽氧化物涂层，"
                   "接触电阻低于五毫欧，运行两千小时衰减小", trl=4, modes=("assignment",),
                   price_min=300, price_max=400, region="西安市", chain="hydrogen",
                   segment="production")
OTHER = output("o2", "钙钛矿电池封装", "钙钛矿电池的柔性封装材料，水汽透过率低，适合建筑光伏")
NEED = need("n1", "PEM electrolyser anode coating", "Our PEM electrolyser titanium felt and bipolar "
            "plates corrode at the anode; we need a coating that keeps contact resistance low "
            "for thousands of hours", min_trl=6, modes=("licence",), budget_max=200,
            region="西安市", keywords=("钛毡", "涂层"))


def _top(mini_book):
    return Matcher(mini_book).fit([DIAPHRAGM, OTHER], [NEED]).rank_outputs(NEED, limit=5)


def test_explanation_names_the_shared_terms_across_languages(mini_book):
    match = _top(mini_book).matches[0]
    terms = match.explanation["shared_terms"]
    assert match.candidate_id == "o1"
    assert any(t.startswith("质子交换膜") for t in terms)  # PEM ~ 质子交换膜
    assert "钛毡" in terms and any(t.startswith("涂层") for t in terms)


def test_explanation_carries_components_and_inferred_chains(mini_book):
    explanation = _top(mini_book).matches[0].explanation
    assert set(explanation["components"]) == {"text", "chain", "trl", "mode", "price", "region"}
    assert explanation["need_chain"]["chain"] == "hydrogen"
    assert explanation["need_chain"]["source"] == "inferred"
    assert explanation["output_chain"]["source"] == "explicit"


def test_almost_fitting_pair_says_what_is_missing(mini_book):
    hints = {h["code"]: h["message"] for h in _top(mini_book).matches[0].explanation["hints"]}
    assert hints["trl_gap"] == "TRL 4 < required 6: needs a pilot line (中试)"
    assert hints["mode_mismatch"] == "offers assignment only; the need wants a licence"
    assert hints["price_over_budget"] == "asking price from 300 万元 exceeds the budget of 200 万元"


def test_a_title_only_need_gets_not_enough_information(mini_book):
    thin = need("n2", "电解槽", "")
    ranking = Matcher(mini_book).fit([DIAPHRAGM, OTHER], [NEED]).rank_outputs(thin)
    assert ranking.notice == INSUFFICIENT and ranking.matches == ()


def test_a_short_but_specific_title_is_still_matched(mini_book):
    short = need("n3", "钛毡阳极涂层", "")
    ranking = Matcher(mini_book).fit([DIAPHRAGM, OTHER], [NEED]).rank_outputs(short)
    assert ranking.notice is None
    assert [m.candidate_id for m in ranking.matches] == ["o1"]


def test_a_thin_output_is_never_offered(mini_book):
    thin = output("o3", "阳极涂层", "")  # shares words with NEED, but a title alone
    ranking = Matcher(mini_book).fit([DIAPHRAGM, OTHER, thin], [NEED]).rank_outputs(NEED)
    assert "o3" not in [m.candidate_id for m in ranking.matches]


def test_scores_stay_in_the_unit_interval(seed_matcher, seed_data):
    _, needs = seed_data
    for n in needs[:40]:
        for match in seed_matcher.rank_outputs(n, limit=10).matches:
            assert 0.0 <= match.score <= 1.0
            assert all(0.0 <= v <= 1.0 for v in match.parts.values())


def test_generic_words_are_never_named_even_when_nothing_specific_is_shared(mini_book):
    ranging = need("n9", "激光测距技术", "需要激光测距技术，用于港口起重机")
    laser = output("o9", "相位式激光测距技术", "相位式激光测距技术，适用于起重机")
    bread = output("o8", "全麦面包发酵技术", "面包发酵与烘焙技术，口感松软")
    matcher = Matcher(mini_book, min_score=0.0).fit([laser, bread], [ranging])
    shared = {m.candidate_id: m.explanation["shared_terms"]
              for m in matcher.rank_outputs(ranging).matches}
    named = {term.split(" / ")[0] for term in shared["o9"]}  # synonyms show as "激光 / laser"
    assert named == {"激光", "测距", "起重机"}  # 技术 is shared too, but says nothing
    assert shared["o8"] == []  # 技术 only: nothing specific to name


def test_explanation_names_translated_terms_in_both_languages(mini_book):
    """An English output and a Chinese need meet on translated terms, and the explanation
    shows both forms, so a broker reading either language sees why."""
    diode = output("o3", "1200 V SiC JBS diode with high surge-current capability",
                   "A merged PiN Schottky diode whose surge current reaches twelve times the "
                   "rated current while the forward voltage drop stays low")
    charger = need("n2", "车载充电机二极管浪涌失效", "车载充电机PFC电路上电时浪涌电流大，现用碳化硅二极管"
                   "在浪涌试验中失效，希望引进抗浪涌电流能力强、正向压降低的二极管设计")
    match = Matcher(mini_book).fit([diode, OTHER], [charger]).rank_outputs(charger).matches[0]
    assert match.candidate_id == "o3"
    assert "二极管 / diode" in match.explanation["shared_terms"]
