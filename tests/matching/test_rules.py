"""Every rule changes the order of two outputs whose text is identical."""
import pytest

from matchmaker.matching import Matcher
from tests.matching.conftest import need, output

TEXT = ("碱性电解槽复合隔膜", ("聚苯硫醚基复合隔膜用于碱性电解槽，面电阻降低百分之三十，气体纯度提高，"
                          "适合兆瓦级电解水制氢装置长期运行"))
NEED = need("n1", "碱性电解槽隔膜升级", "现有碱性电解槽隔膜面电阻高、气体纯度下降，希望更换新型复合隔膜，"
            "用于兆瓦级电解水制氢项目", chain="hydrogen", segment="production", min_trl=6,
            modes=("licence",), budget_max=100, region="西安市")
FILLER = [
    output("f1", "钙钛矿叠层电池", "钙钛矿与晶硅叠层电池效率百分之二十八，封装后稳定运行一千小时"),
    output("f2", "光伏组件封装胶膜", "抗电势诱导衰减的封装胶膜，适用于双面光伏组件"),
    output("f3", "燃料电池金属双极板", "钛基双极板涂层，接触电阻低，适合车用燃料电池电堆"),
]
BASE = {"chain": "hydrogen", "segment": "production", "trl": 7, "modes": ("licence",),
        "price_min": 50, "price_max": 80, "region": "西安市"}
REGIONS = {"西安市": "陕西省", "宝鸡市": "陕西省", "上海市": "上海市"}


def _order(book, worse: dict, better: dict, query=NEED):
    # "a" would win every tie (ids break ties), so "b" first proves the rule moved it.
    outputs = [output("a", *TEXT, **(BASE | worse)), output("b", *TEXT, **(BASE | better)),
               *FILLER]
    matcher = Matcher(book, regions=REGIONS).fit(outputs, [query])
    ranking = matcher.rank_outputs(query, limit=2)
    return [m.candidate_id for m in ranking.matches], ranking


def test_identical_outputs_tie_and_the_smaller_id_wins(mini_book):
    order, ranking = _order(mini_book, {}, {})
    assert order == ["a", "b"]
    assert ranking.matches[0].score == ranking.matches[1].score


@pytest.mark.parametrize("rule, worse, better", [
    ("trl_gap", {"trl": 3}, {"trl": 7}),
    ("mode_mismatch", {"modes": ("assignment",)}, {"modes": ("licence",)}),
    ("price_over_budget", {"price_min": 500, "price_max": 800}, {"price_min": 50}),
    ("other_chain", {"chain": "photovoltaics", "segment": "cells"}, {}),
    ("same_chain", {"segment": "fuel_cell"}, {"segment": "production"}),
])
def test_rule_puts_the_better_fitting_output_first(mini_book, rule, worse, better):
    order, ranking = _order(mini_book, worse, better)
    assert order == ["b", "a"]
    worse_rules = {r["code"] for r in ranking.matches[1].explanation["rules"]}
    assert rule in worse_rules


def test_adjacent_segment_beats_a_distant_one(mini_book):
    order, ranking = _order(mini_book, {"segment": "fuel_cell"}, {"segment": "storage"})
    assert order == ["b", "a"]
    assert ranking.matches[0].explanation["rules"][0]["code"] == "adjacent_segment"


def test_local_conversion_bonus_for_the_same_region(mini_book):
    order, ranking = _order(mini_book, {"region": "上海市"}, {"region": "西安市"})
    assert order == ["b", "a"]
    assert {"code": "local_conversion", "region": "西安市"} in ranking.matches[0].explanation[
        "rules"]


def test_same_province_counts_half(mini_book):
    order, _ = _order(mini_book, {"region": "上海市"}, {"region": "宝鸡市"})
    assert order == ["b", "a"]


def test_an_exclusive_licence_partly_satisfies_a_licence_wish(mini_book):
    order, ranking = _order(mini_book, {"modes": ("assignment",)},
                            {"modes": ("exclusive_licence",)})
    assert order == ["b", "a"]
    assert ranking.matches[0].explanation["rules"][2]["code"] == "mode_compatible"


def test_a_mode_mismatch_costs_less_when_the_need_lists_several_modes(mini_book):
    """A need that accepts only a licence left no room; one that also accepts joint R&D or
    equity is open to renegotiating the mode, so the same mismatch costs less."""
    flexible = need(NEED.id, NEED.title, NEED.description, chain="hydrogen",
                    segment="production", min_trl=6, modes=("licence", "joint_rd"),
                    budget_max=100, region="西安市")
    strict_order, strict = _order(mini_book, {"modes": ("assignment",)}, {})
    flexible_order, loose = _order(mini_book, {"modes": ("assignment",)}, {}, query=flexible)
    assert strict_order == flexible_order == ["b", "a"]
    strict_mode = strict.matches[1].explanation["components"]["mode"]
    loose_mode = loose.matches[1].explanation["components"]["mode"]
    assert strict_mode == 0.0 and 0.0 < loose_mode < 0.7
    assert strict.matches[1].score < loose.matches[1].score
    assert "mode_mismatch" in {r["code"] for r in loose.matches[1].explanation["rules"]}


@pytest.mark.parametrize("status", ["withdrawn", "transferred"])
def test_withdrawn_and_transferred_outputs_never_appear(mini_book, status):
    outputs = [output("a", *TEXT, **BASE, status=status), output("b", *TEXT, **BASE), *FILLER]
    ranking = Matcher(mini_book).fit(outputs, [NEED]).rank_outputs(NEED, limit=10)
    assert "a" not in [m.candidate_id for m in ranking.matches]
    assert "b" in [m.candidate_id for m in ranking.matches]


def test_unrelated_outputs_are_not_returned(mini_book):
    ranking = Matcher(mini_book).fit([*FILLER], [NEED]).rank_outputs(NEED, limit=10)
    assert "f1" not in [m.candidate_id for m in ranking.matches]


def test_the_chain_bound_is_never_below_the_chain_fit():
    """The ranking skips rows whose text cannot reach the top with chain_fit_bound: every pair
    of chains, segments, confidences and chain evidence stays at or under it."""
    import numpy as np

    from matchmaker.matching import rules

    rng = np.random.default_rng(7)
    n, chains = 4000, 4
    c = type("C", (), {})()
    c.chain = rng.integers(-1, chains, n)
    c.seg_pos = np.where(c.chain >= 0, rng.integers(-1, 5, n), -1)
    c.chain_conf = rng.choice([0.0, 0.3, 0.8, 1.0], n)
    c_mix = rng.dirichlet(np.ones(chains), n) * rng.choice([0.0, 1.0], (n, 1))
    for q_chain in range(-1, chains):
        for q_seg in (-1, 0, 2, 4):
            for q_conf in (0.0, 0.5, 1.0):
                q = type("Q", (), {"chain": q_chain, "seg_pos": q_seg, "chain_conf": q_conf})()
                q_mix = np.eye(chains)[max(q_chain, 0)] if q_chain >= 0 else np.zeros(chains)
                fit = rules.chain_fit(q, c, q_mix, c_mix)
                bound = np.broadcast_to(rules.chain_fit_bound(q, c.chain, c.chain_conf), (n,))
                assert (fit <= bound + 1e-12).all()
                # and tight: some pair reaches it whenever the query has a chain
                assert np.isclose(fit, bound).any()
