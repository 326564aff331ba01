"""The pipeline's rules, pure: no app, no database."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from matchmaker.domain import Phase
from matchmaker.pipeline import rules
from matchmaker.pipeline.rules import (
    BrokerLoad,
    ContractFacts,
    DealFacts,
    Refusal,
    StageDef,
    check_move,
)

DISCOVERED = StageDef("discovered", Phase.MINE, 10, 5, 30)
QUALIFIED = StageDef("qualified", Phase.MINE, 20, 15, 30, ("qualification",))
INTRODUCED = StageDef("introduced", Phase.LAND, 30, 25, 21)
NEGOTIATING = StageDef("negotiating", Phase.LAND, 40, 45, 21, ("terms",))
SIGNED = StageDef("contract_signed", Phase.LAND, 50, 80, 45, ("contract",))
LANDED = StageDef("landed", Phase.LAND, 60, 95, 60, ("landing",))
SERVING = StageDef("serving", Phase.SERVE, 70, 100, 60)
SHOWCASED = StageDef("showcased", Phase.SHOWCASE, 80, 100, 90)
LOST = StageDef("lost", Phase.LOST, 90, 0, None)
RETIRED = StageDef("retired", Phase.LAND, 35, 30, 21, is_active=False)
STAGES = [DISCOVERED, QUALIFIED, INTRODUCED, NEGOTIATING, SIGNED, LANDED, SERVING, SHOWCASED,
          LOST, RETIRED]

QUALIFIED_FACTS = {"ip_checked": True, "team_willing": True, "reform_status": "separately_managed"}
TERMS = {"transfer_mode": "licence", "price": Decimal(150), "payment_kind": "royalty"}
CONTRACT = ContractFacts(Decimal(150), date(2026, 11, 20), "秦川理工大学", "沣渭氢能")
LANDING = {"landing_name": "沣渭氢电科技有限公司", "landing_region": "西咸新区",
               "landed_on": date(2026, 11, 28)}
EVERYTHING = DealFacts(**QUALIFIED_FACTS, **TERMS, contract=CONTRACT, **LANDING,
                       showcase_material="路演视频")


def _codes(refusals):
    return [r.code for r in refusals]


def _move(facts, source, target, **kwargs):
    passed = rules.stages_between(STAGES, source, target) if rules.is_forward(source, target) \
        else []
    return _codes(check_move(facts, source, target, passed=passed, **kwargs))


# --- allowed moves ---------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "target"), [
    (DISCOVERED, QUALIFIED), (QUALIFIED, INTRODUCED), (INTRODUCED, NEGOTIATING),
    (NEGOTIATING, SIGNED), (SIGNED, LANDED), (LANDED, SERVING), (SERVING, SHOWCASED),
    (DISCOVERED, SHOWCASED),  # a skip is fine when every skipped stage's needs are met
])
def test_forward_moves_with_everything_recorded_are_allowed(source, target):
    assert _move(EVERYTHING, source, target) == []


def test_a_stage_without_requirements_is_left_freely():
    assert _move(DealFacts(), DISCOVERED, QUALIFIED) == []
    assert _move(DealFacts(), INTRODUCED, NEGOTIATING) == []


def test_a_backward_move_with_a_reason_is_allowed_without_requirements():
    assert _move(DealFacts(), SIGNED, NEGOTIATING, reason="合同被法务退回重谈") == []


def test_lost_with_reason_and_lost_reason_is_allowed_from_any_stage():
    for stage in (DISCOVERED, NEGOTIATING, SERVING):
        assert _move(DealFacts(), stage, LOST, reason="企业转向", lost_reason="need_changed") == []


def test_reopening_a_lost_deal_with_a_reason_is_allowed():
    assert _move(DealFacts(), LOST, INTRODUCED, reason="企业新一年预算到位") == []


# --- refused moves, one by one ------------------------------------------------------------------

def test_moving_to_the_same_stage_is_refused():
    assert _move(EVERYTHING, NEGOTIATING, NEGOTIATING) == ["same_stage"]


def test_moving_to_an_inactive_stage_is_refused():
    assert _move(EVERYTHING, INTRODUCED, RETIRED) == ["stage_inactive"]


def test_a_backward_move_without_a_reason_is_refused():
    assert _move(EVERYTHING, NEGOTIATING, QUALIFIED) == ["reason_required"]
    assert _move(EVERYTHING, NEGOTIATING, QUALIFIED, reason="   ") == ["reason_required"]


def test_lost_needs_a_reason_and_a_lost_reason():
    assert _move(EVERYTHING, NEGOTIATING, LOST) == ["reason_required", "lost_reason_required"]
    assert _move(EVERYTHING, NEGOTIATING, LOST, reason="价格谈不拢") == ["lost_reason_required"]
    assert _move(EVERYTHING, NEGOTIATING, LOST, lost_reason="price") == ["reason_required"]


def test_leaving_lost_needs_a_reason():
    assert _move(EVERYTHING, LOST, NEGOTIATING) == ["reason_required"]


@pytest.mark.parametrize(("missing", "code"), [
    ("ip_checked", "ip_not_checked"),
    ("team_willing", "team_not_willing"),
    ("reform_status", "reform_status_unknown"),
])
def test_leaving_qualified_forward_needs_each_qualification(missing, code):
    facts = DealFacts(**{**QUALIFIED_FACTS, missing: None if missing == "reform_status" else False})
    assert _move(facts, QUALIFIED, INTRODUCED) == [code]


def test_reform_status_none_counts_as_known():
    assert _move(DealFacts(**{**QUALIFIED_FACTS, "reform_status": "none"}),
                 QUALIFIED, INTRODUCED) == []


@pytest.mark.parametrize(("missing", "code"), [
    ("transfer_mode", "transfer_mode_missing"),
    ("price", "price_missing"),
    ("payment_kind", "payment_kind_missing"),
])
def test_leaving_negotiating_forward_needs_each_term(missing, code):
    facts = DealFacts(**{**TERMS, missing: None})
    assert _move(facts, NEGOTIATING, SIGNED) == [code]


@pytest.mark.parametrize(("contract", "codes"), [
    (None, ["contract_amount_missing", "contract_date_missing", "contract_parties_missing"]),
    (ContractFacts(None, CONTRACT.signed_on, "甲", "乙"), ["contract_amount_missing"]),
    (ContractFacts(Decimal(0), CONTRACT.signed_on, "甲", "乙"), ["contract_amount_missing"]),
    (ContractFacts(Decimal(10), None, "甲", "乙"), ["contract_date_missing"]),
    (ContractFacts(Decimal(10), CONTRACT.signed_on, "甲", " "), ["contract_parties_missing"]),
    (ContractFacts(Decimal(10), CONTRACT.signed_on, "", "乙"), ["contract_parties_missing"]),
])
def test_leaving_contract_signed_forward_needs_amount_date_and_parties(contract, codes):
    assert _move(DealFacts(contract=contract), SIGNED, LANDED) == codes


@pytest.mark.parametrize(("missing", "code"), [
    ("landing_name", "landing_name_missing"),
    ("landing_region", "landing_location_missing"),
    ("landed_on", "landing_date_missing"),
])
def test_leaving_landed_forward_needs_name_location_and_date(missing, code):
    facts = DealFacts(**{**LANDING, missing: "" if missing == "landing_name" else None})
    assert _move(facts, LANDED, SERVING) == [code]


def test_the_showcase_needs_material():
    assert _move(DealFacts(), SERVING, SHOWCASED) == ["showcase_material_missing"]


def test_skipping_stages_needs_what_each_skipped_stage_needs():
    assert _move(DealFacts(), DISCOVERED, SIGNED) == [
        "ip_not_checked", "team_not_willing", "reform_status_unknown",
        "transfer_mode_missing", "price_missing", "payment_kind_missing"]
    # the inactive stage between is not asked about
    assert _move(DealFacts(**QUALIFIED_FACTS), QUALIFIED, NEGOTIATING) == []


def test_refusals_name_the_field_to_fix():
    refusals = check_move(DealFacts(), QUALIFIED, INTRODUCED)
    assert Refusal("ip_not_checked", "ip_checked") in refusals


def test_every_refusal_code_has_a_message_in_both_languages(app):
    from flask_babel import force_locale

    from matchmaker.pipeline.labels import REFUSAL

    codes = {"same_stage", "stage_inactive", "reason_required", "lost_reason_required",
             "ip_not_checked", "team_not_willing", "reform_status_unknown",
             "transfer_mode_missing", "price_missing", "payment_kind_missing",
             "contract_amount_missing", "contract_date_missing", "contract_parties_missing",
             "landing_name_missing", "landing_location_missing", "landing_date_missing",
             "showcase_material_missing", "cannot_start_here"}
    assert codes <= set(REFUSAL)
    with app.test_request_context():
        for code in codes:
            with force_locale("en"):
                english = str(REFUSAL[code])
            with force_locale("zh"):
                chinese = str(REFUSAL[code])
            assert english and chinese != english, code


# --- flags ----------------------------------------------------------------------------------

TODAY = date(2026, 12, 6)


def test_overdue_is_a_next_step_past_its_date_on_an_open_deal():
    assert rules.is_overdue(DealFacts(next_step_due=TODAY - timedelta(days=1)), TODAY)
    assert not rules.is_overdue(DealFacts(next_step_due=TODAY), TODAY)
    assert not rules.is_overdue(DealFacts(next_step_due=TODAY - timedelta(days=9),
                                          is_open=False), TODAY)


def test_stale_counts_idle_days_against_the_stage():
    idle = DealFacts(last_activity_on=TODAY - timedelta(days=22))
    assert rules.is_stale(idle, INTRODUCED, TODAY)  # 21 days allowed
    assert not rules.is_stale(DealFacts(last_activity_on=TODAY - timedelta(days=21)),
                              INTRODUCED, TODAY)
    assert not rules.is_stale(idle, SIGNED, TODAY)  # 45 days allowed
    assert not rules.is_stale(idle, LOST, TODAY)


def test_a_snooze_silences_the_stale_flag_until_its_date_inclusive():
    snoozed = DealFacts(last_activity_on=TODAY - timedelta(days=40), snoozed_until=TODAY)
    assert not rules.is_stale(snoozed, INTRODUCED, TODAY)
    assert rules.is_stale(snoozed, INTRODUCED, TODAY + timedelta(days=1))


def test_expected_value_uses_the_override_else_the_stage_default():
    assert rules.probability(DealFacts(), NEGOTIATING) == 45
    assert rules.probability(DealFacts(probability=70), NEGOTIATING) == 70
    assert rules.probability(DealFacts(probability=0), NEGOTIATING) == 0
    assert rules.expected_value(Decimal(200), 45) == Decimal("90.00")
    assert rules.expected_value(None, 45) == Decimal("0.00")


# --- assignment -----------------------------------------------------------------------------

def test_choose_broker_prefers_the_specialist_with_the_lowest_load():
    candidates = [BrokerLoad(1, frozenset({7}), 5), BrokerLoad(2, frozenset({7, 8}), 3),
                  BrokerLoad(3, frozenset({8}), 0)]
    assert rules.choose_broker(candidates, 7) == 2


def test_choose_broker_breaks_ties_by_id():
    candidates = [BrokerLoad(9, frozenset({7}), 2), BrokerLoad(4, frozenset({7}), 2)]
    assert rules.choose_broker(candidates, 7) == 4


def test_choose_broker_falls_back_to_the_least_loaded_of_all():
    candidates = [BrokerLoad(1, frozenset({8}), 4), BrokerLoad(2, frozenset(), 1)]
    assert rules.choose_broker(candidates, 7) == 2
    assert rules.choose_broker(candidates, None) == 2
    assert rules.choose_broker([], 7) is None


# --- confidentiality ------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "status", "expires", "expected"), [
    ("output_side", "none", None, True),
    ("staff", "none", None, True),
    ("counterparty", "none", None, False),
    ("counterparty", "sent", None, False),
    ("counterparty", "signed", None, True),
    ("counterparty", "signed", TODAY, True),
    ("counterparty", "signed", TODAY - timedelta(days=1), False),
    ("counterparty", "expired", None, False),
    ("stranger", "signed", None, False),
])
def test_confidential_part_is_shown_to_the_enterprise_only_under_a_signed_nda(
        who, status, expires, expected):
    assert rules.may_see_confidential(
        is_output_side=who == "output_side", is_staff=who == "staff",
        is_counterparty=who == "counterparty", nda_status=status, nda_expires_on=expires,
        today=TODAY) is expected


# --- operators' figures -----------------------------------------------------------------------

def test_funnel_counts_a_deal_in_every_column_up_to_its_furthest():
    assert rules.funnel([10, 30, 50, 50], [10, 20, 30, 40, 50]) == [4, 3, 3, 2, 2]


def test_conversion_rate_and_median_days():
    assert rules.conversion_rate(0, 0) == 0.0
    assert rules.conversion_rate(8, 2) == 0.25
    assert rules.median_days([1, 3, 10]) == 3.0
    assert rules.median_days([]) is None


# --- where a deal may start -------------------------------------------------------------------

@pytest.mark.parametrize(("stage", "codes"), [
    (DISCOVERED, []), (QUALIFIED, []), (INTRODUCED, []),
    (NEGOTIATING, ["cannot_start_here"]), (SIGNED, ["cannot_start_here"]),
    (SERVING, ["cannot_start_here"]), (LOST, ["cannot_start_here"]),
    (RETIRED, ["stage_inactive"]),
])
def test_a_deal_starts_while_mining_or_at_the_introduction(stage, codes):
    assert _codes(rules.check_start(stage, STAGES)) == codes


def test_stage_durations_count_the_days_between_entries():
    from datetime import datetime

    path = [("discovered", datetime(2026, 11, 1, 10)), ("qualified", datetime(2026, 11, 4, 22)),
            ("introduced", datetime(2026, 11, 14, 22))]
    assert rules.stage_durations(path) == [("discovered", 3.5), ("qualified", 10.0)]
    assert rules.stage_durations(path[:1]) == []
