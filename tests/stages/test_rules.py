"""The rules about configuring stages, in plain Python (no app, no database)."""
import pytest

from matchmaker.domain import Phase
from matchmaker.pipeline import rules
from matchmaker.pipeline.rules import Refusal, StageDef

NAMES = {"name_zh": "尽职调查", "name_en": "Due diligence"}
DEFAULTS = [
    StageDef("discovered", Phase.MINE, 10), StageDef("qualified", Phase.MINE, 20),
    StageDef("introduced", Phase.LAND, 30), StageDef("negotiating", Phase.LAND, 40),
    StageDef("contract_signed", Phase.LAND, 50), StageDef("landed", Phase.LAND, 60),
    StageDef("serving", Phase.SERVE, 70), StageDef("showcased", Phase.SHOWCASE, 80),
    StageDef("lost", Phase.LOST, 90),
]
BY_KEY = {s.key: s for s in DEFAULTS}


def _codes(refusals) -> list[str]:
    return [r.code for r in refusals]


@pytest.mark.parametrize("key", ["due_diligence", "dd", "step2", "a" * 40])
def test_a_new_key_of_lower_case_letters_digits_and_underscores_is_accepted(key):
    assert rules.check_stage(StageDef(key, Phase.LAND, 45), names=NAMES) == []


@pytest.mark.parametrize("key", ["Due", "due-diligence", "d", "2nd", "_x", "a" * 41, "尽调",
                                 "due diligence", ""])
def test_a_new_key_outside_the_format_is_refused_on_the_key_field(key):
    assert rules.check_stage(StageDef(key, Phase.LAND, 45), names=NAMES) == [
        Refusal("stage_key_format", "key")]


def test_an_existing_key_is_not_checked_again():
    before = BY_KEY["contract_signed"]
    assert rules.check_stage(before, names=NAMES, before=before) == []


@pytest.mark.parametrize(("names", "expected"), [
    ({"name_zh": " ", "name_en": "x"}, [Refusal("stage_name_required", "name_zh")]),
    ({"name_zh": "x", "name_en": ""}, [Refusal("stage_name_required", "name_en")]),
    ({"name_zh": "长" * 41, "name_en": "x"}, [Refusal("stage_name_too_long", "name_zh")]),
    ({"name_zh": "x", "name_en": "e" * 61}, [Refusal("stage_name_too_long", "name_en")]),
    ({"name_zh": "长" * 40, "name_en": "e" * 60}, []),
])
def test_both_names_are_needed_and_fit_their_columns(names, expected):
    assert rules.check_stage(StageDef("dd", Phase.LAND, 45), names=names) == expected


@pytest.mark.parametrize(("probability", "stale", "expected"), [
    (-1, None, ["stage_probability_range"]), (101, None, ["stage_probability_range"]),
    (0, 0, ["stage_stale_days_range"]), (100, 3651, ["stage_stale_days_range"]),
    (0, None, []), (100, 3650, []), (50, 1, []),
])
def test_probability_is_a_percentage_and_stale_days_a_positive_bounded_number(
        probability, stale, expected):
    stage = StageDef("dd", Phase.LAND, 45, default_probability=probability,
                     stale_after_days=stale)
    assert _codes(rules.check_stage(stage, names=NAMES)) == expected


@pytest.mark.parametrize("key", ["discovered", "introduced", "contract_signed", "lost"])
def test_a_fixed_stage_cannot_be_switched_off_even_when_empty(key):
    before = BY_KEY[key]
    after = StageDef(key, before.phase, before.position, is_active=False)
    assert rules.check_stage(after, names=NAMES, before=before) == [
        Refusal("fixed_stage_inactive", "is_active")]


@pytest.mark.parametrize("key", ["discovered", "introduced", "contract_signed"])
def test_a_fixed_stage_cannot_change_phase(key):
    before = BY_KEY[key]
    after = StageDef(key, Phase.SERVE, before.position)
    assert rules.check_stage(after, names=NAMES, before=before) == [
        Refusal("fixed_stage_phase", "phase")]


def test_other_default_stages_can_be_switched_off_when_they_hold_no_open_deal():
    for key in ("qualified", "negotiating", "landed", "serving", "showcased"):
        before = BY_KEY[key]
        after = StageDef(key, before.phase, before.position, is_active=False)
        assert rules.check_stage(after, names=NAMES, before=before, open_deals=0) == [], key


def test_a_stage_holding_open_deals_cannot_be_switched_off_and_the_refusal_counts_them():
    before = BY_KEY["negotiating"]
    after = StageDef("negotiating", Phase.LAND, 40, is_active=False)
    assert rules.check_stage(after, names=NAMES, before=before, open_deals=3) == [
        Refusal("stage_has_open_deals", "is_active", count=3)]
    # a stage already off is not refused for being saved again (e.g. renamed)
    assert rules.check_stage(after, names=NAMES, before=after, open_deals=3) == []


def test_lost_stays_a_single_stage():
    assert _codes(rules.check_stage(StageDef("lost_late", Phase.LOST, 95), names=NAMES)) == [
        "stage_lost_single"]
    moved = StageDef("serving", Phase.LOST, 70)
    assert _codes(rules.check_stage(moved, names=NAMES, before=BY_KEY["serving"])) == [
        "stage_lost_single"]


def test_the_default_order_is_a_board_order():
    assert rules.check_stage_order(DEFAULTS) == []


def test_two_stages_cannot_share_a_position():
    stages = [*DEFAULTS, StageDef("dd", Phase.LAND, 40)]
    assert rules.check_stage_order(stages) == [Refusal("stage_position_taken", "position")]


def test_a_stage_stays_among_the_stages_of_its_phase():
    stages = [*DEFAULTS, StageDef("dd", Phase.SERVE, 45)]
    assert rules.check_stage_order(stages) == [Refusal("stage_phase_order", "position")]
    stages = [*DEFAULTS, StageDef("dd", Phase.LAND, 65)]  # last of land, before serving
    assert rules.check_stage_order(stages) == []


def test_introduced_stays_first_of_the_land_phase():
    stages = [*DEFAULTS, StageDef("visit", Phase.LAND, 25)]
    assert rules.check_stage_order(stages) == [Refusal("stage_must_lead", "position")]


def test_inserting_after_a_stage_shifts_only_the_later_ones():
    positions = rules.positions_with(DEFAULTS, "dd", "negotiating")
    assert positions["dd"] == 50
    assert [positions[k] for k in ("discovered", "qualified", "introduced", "negotiating")] == [
        10, 20, 30, 40]
    assert [positions[k] for k in ("contract_signed", "landed", "serving", "showcased",
                                   "lost")] == [60, 70, 80, 90, 100]


def test_moving_a_stage_swaps_it_with_its_neighbour_in_the_phase():
    positions = rules.positions_moving(DEFAULTS, "landed", -1)
    assert (positions["landed"], positions["contract_signed"]) == (50, 60)
    assert positions["negotiating"] == 40


@pytest.mark.parametrize(("key", "step"), [("discovered", -1), ("qualified", 1),
                                           ("landed", 1), ("serving", -1), ("lost", 1),
                                           ("negotiating", 2)])
def test_a_stage_at_the_end_of_its_phase_moves_no_further(key, step):
    assert rules.positions_moving(DEFAULTS, key, step) == Refusal("stage_at_edge", "position")
