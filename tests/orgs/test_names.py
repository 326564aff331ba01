"""Organisation-name matching (pure): folding, exact matches, look-alikes and the threshold."""
import pytest

from matchmaker.orgs.names import LOOKALIKE_MIN_SCORE, best_match
from matchmaker.textclean import fold_name

CANDIDATES = [
    (1, ["陕西氢能技术研究院", "Shaanxi Hydrogen Energy Research Institute", "陕氢院", "SHRI"]),
    (2, ["秦川理工大学", "Qinchuan University of Technology", "秦川理工", "QCUT"]),
    (3, ["西安铂镕激光成形技术有限公司", "Xi'an Borong Laser Forming Technology Co., Ltd."]),
    (4, ["西北大学"]),
    (5, ["中国科学院西安光学精密机械研究所"]),
]


@pytest.mark.parametrize("typed, key, score", [
    ("陕西氢能技术研究院", 1, 100),
    (" 陕西氢能技术研究院\t", 1, 100),
    ("陕西氢能\u200b技术\u2060研究院\u200d", 1, 100),
    ("陕西 氢能\u3000技术研究院", 1, 100),
    ("ＳＨＲＩ", 1, 100),
    ("shaanxi hydrogen ENERGY research institute", 1, 100),
    ("陕西氢能技木研究院", 1, 88),
    ("西安铂熔激光成形技术有限公司", 3, 92),
    ("Xi'an Borong Laser Forming Technology Co Ltd", 3, 96),
    ("西北大学", 4, 100),
])
def test_the_same_name_in_disguise_and_small_typos_match(typed, key, score):
    found = best_match(typed, CANDIDATES)
    assert (found.key, found.score) == (key, score)


@pytest.mark.parametrize("typed", [
    "东北大学",                           # short names match exactly only
    "秦川理工大校",                       # a typo in a six-character name is too risky to guess
    "中国科学院上海光学精密机械研究所",   # another institute that differs in one place word
    "陕西新测氢能科技有限公司",
    "", "   ", "\u200b\u200b",
])
def test_different_or_empty_names_do_not_match(typed):
    assert best_match(typed, CANDIDATES) is None


def test_the_threshold_is_between_typos_and_real_neighbours():
    assert 87.5 < LOOKALIKE_MIN_SCORE <= 88.9


def test_folding_removes_what_cannot_be_seen():
    assert fold_name("Ｑｉｎ\u00a0Chuan\u200b\u202e大学\x00") == "qinchuan大学"


def test_folding_composes_a_mark_left_behind_by_a_removed_space():
    """NFKC makes ¨ a space and a combining mark; without the space the mark joins the A
    (found by the parser fuzz): both spellings fold to the same key, and folding is stable."""
    assert fold_name("A¨rzte") == fold_name("Ärzte") == "ärzte"
    assert fold_name(fold_name("A¨")) == fold_name("A¨")
