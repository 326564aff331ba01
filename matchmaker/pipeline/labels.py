"""Human labels for the pipeline's vocabulary and the rules' refusal codes (Flask-Babel)."""
from flask_babel import LazyString, ngettext
from flask_babel import lazy_gettext as _l

from matchmaker.domain import (
    ActivityKind,
    ContractType,
    FinancingKind,
    HistoryKind,
    IntroductionStatus,
    LostReason,
    NdaStatus,
    PaymentKind,
    Phase,
    Requirement,
    StageAction,
    TicketKind,
    TicketStatus,
)

PHASE = {
    Phase.MINE: _l("Mine"),
    Phase.LAND: _l("Land"),
    Phase.SERVE: _l("Serve"),
    Phase.SHOWCASE: _l("Showcase"),
    Phase.LOST: _l("Lost"),
}
LOST_REASON = {
    LostReason.NO_BUDGET: _l("No budget"),
    LostReason.PRICE: _l("Price not agreed"),
    LostReason.TECH_NOT_READY: _l("Technology not ready"),
    LostReason.IP_ISSUE: _l("IP problem"),
    LostReason.TEAM_UNWILLING: _l("Team unwilling"),
    LostReason.NEED_CHANGED: _l("Need changed"),
    LostReason.COMPETITOR: _l("Went to a competitor"),
    LostReason.NO_RESPONSE: _l("No response"),
    LostReason.LANDED_ELSEWHERE: _l("Landed outside the region"),
    LostReason.OTHER: _l("Other"),
}
PAYMENT_KIND = {
    PaymentKind.LUMP_SUM: _l("Lump sum"),
    PaymentKind.ROYALTY: _l("Royalty"),
    PaymentKind.EQUITY: _l("Equity"),
    PaymentKind.PAY_LATER: _l("Use first, pay later"),
}
NDA_STATUS = {
    NdaStatus.NONE: _l("No NDA"),
    NdaStatus.SENT: _l("NDA sent"),
    NdaStatus.SIGNED: _l("NDA signed"),
    NdaStatus.EXPIRED: _l("NDA expired"),
}
CONTRACT_TYPE = {
    ContractType.DEVELOPMENT: _l("Technology development"),
    ContractType.TRANSFER: _l("Technology transfer"),
    ContractType.LICENCE: _l("Technology licence"),
    ContractType.CONSULTING: _l("Technology consulting"),
    ContractType.SERVICE: _l("Technology service"),
}
ACTIVITY_KIND = {
    ActivityKind.CALL: _l("Call"),
    ActivityKind.VISIT: _l("Visit"),
    ActivityKind.MEETING: _l("Meeting"),
    ActivityKind.EMAIL: _l("E-mail"),
    ActivityKind.NOTE: _l("Note"),
    ActivityKind.COMMENT: _l("Comment"),
}
TICKET_KIND = {
    TicketKind.POLICY: _l("Policy consulting"),
    TicketKind.REGISTRATION: _l("Company registration"),
    TicketKind.LEGAL: _l("Legal advice"),
    TicketKind.IP: _l("Intellectual property"),
    TicketKind.FINANCING: _l("Financing"),
    TicketKind.SPACE: _l("Space"),
    TicketKind.TALENT: _l("Talent"),
    TicketKind.PILOT: _l("Pilot test / concept verification"),
}
TICKET_STATUS = {
    TicketStatus.OPEN: _l("Open"),
    TicketStatus.IN_PROGRESS: _l("In progress"),
    TicketStatus.DONE: _l("Done"),
    TicketStatus.CANCELLED: _l("Cancelled"),
}
FINANCING_KIND = {
    FinancingKind.FUND: _l("Fund"),
    FinancingKind.LOAN: _l("Loan"),
    FinancingKind.LEASE: _l("Lease"),
}
INTRODUCTION_STATUS = {
    IntroductionStatus.PENDING: _l("Waiting for the broker"),
    IntroductionStatus.ACCEPTED: _l("Accepted"),
    IntroductionStatus.DECLINED: _l("Declined"),
}
HISTORY_KIND = {
    HistoryKind.CREATED: _l("Deal created"),
    HistoryKind.STAGE: _l("Stage changed"),
    HistoryKind.FIELD: _l("Field changed"),
    HistoryKind.ASSIGN: _l("Reassigned"),
    HistoryKind.CO_BROKER: _l("Co-brokers changed"),
    HistoryKind.TICKET: _l("Service ticket"),
    HistoryKind.NDA: _l("NDA"),
    HistoryKind.CONTRACT: _l("Contract"),
    HistoryKind.ACTIVITY: _l("Activity"),
    HistoryKind.COMMENT: _l("Comment"),
    HistoryKind.SNOOZE: _l("Stale flag snoozed"),
    HistoryKind.NEXT_STEP: _l("Next step"),
    HistoryKind.TASK: _l("Task"),
}
STAGE_ACTION = {
    StageAction.CREATED: _l("Stage added"),
    StageAction.CHANGED: _l("Stage changed"),
    StageAction.MOVED: _l("Stage moved"),
}
# The stage fields a change row names (stage_changes.field).
STAGE_FIELD = {
    "key": _l("Key"),
    "phase": _l("Phase"),
    "position": _l("Position"),
    "name_zh": _l("Chinese name"),
    "name_en": _l("English name"),
    "default_probability": _l("Default win probability"),
    "stale_after_days": _l("Stale after (days)"),
    "requirements": _l("Requirements before leaving"),
    "is_active": _l("Active"),
}
REQUIREMENT = {
    Requirement.QUALIFICATION: _l("Qualification: IP checked, team willing, reform status"),
    Requirement.TERMS: _l("Terms: transfer mode, price, payment"),
    Requirement.CONTRACT: _l("Contract: amount, signing date, both parties"),
    Requirement.LANDING: _l("Landing: company or project, place, date"),
    Requirement.SHOWCASE_MATERIAL: _l("Showcase material"),
}

# Why a stage move, or another pipeline change, was refused (rules.Refusal codes).
REFUSAL = {
    "same_stage": _l("The deal is already at that stage."),
    "unknown_stage": _l("That stage does not exist."),
    "stage_inactive": _l("That stage is no longer in use."),
    "reason_required": _l("Say why: moving a deal back, to lost or out of lost needs a "
                          "reason."),
    "lost_reason_required": _l("Choose why the deal was lost."),
    "ip_not_checked": _l("Check the IP status before qualifying the deal further."),
    "team_not_willing": _l("The research team has not confirmed it is willing to transfer."),
    "reform_status_unknown": _l("Record the reform status (separately managed, ownership "
                                "granted or none): it decides who may sign."),
    "transfer_mode_missing": _l("Agree the transfer mode before leaving negotiation."),
    "price_missing": _l("Agree the price before leaving negotiation."),
    "payment_kind_missing": _l("Agree how it is paid (lump sum, royalty, equity or use first, "
                               "pay later) before leaving negotiation."),
    "contract_amount_missing": _l("The contract needs its amount."),
    "contract_date_missing": _l("The contract needs its signing date."),
    "contract_parties_missing": _l("The contract needs both parties, seller and buyer."),
    "landing_name_missing": _l("Name the company registered or the project started."),
    "landing_location_missing": _l("Say where it landed."),
    "landing_date_missing": _l("Give the date it landed."),
    "showcase_material_missing": _l("Add the material to show before marking the deal for "
                                    "the showcase."),
    "cannot_start_here": _l("A new deal starts while mining, or at the introduction; later "
                            "stages are reached by moving it."),
    "next_step_required": _l("An open deal needs a next step with a due date."),
    "listing_required": _l("A deal starts from a research output, a technology need or "
                           "both."),
    "not_a_broker": _l("Only a broker can own or co-own a deal."),
    "already_co_broker": _l("That broker already works on this deal."),
    "not_co_broker": _l("That broker does not co-own this deal."),
    "owner_cannot_be_co_broker": _l("The owner cannot also be a co-broker."),
    "deal_closed": _l("The deal is lost; reopen it first."),
    "already_decided": _l("This request has already been decided."),
    "pair_required": _l("An introduction is asked on a match: a need and an output."),
    "amounts_order": _l("The technical-transaction amount cannot exceed the total amount."),
    "term_order": _l("The term cannot end before it starts."),
    "financing_only": _l("Financing kind and amount raised belong to financing tickets."),
    "unknown_value": _l("That value is not one of the choices."),
    "value_negative": _l("The amount cannot be negative."),
    "probability_range": _l("The probability is a percentage between 0 and 100."),
    "title_required": _l("Give it a title."),
    "text_required": _l("Write something."),
    "no_broker": _l("No broker is available to take this request."),
    "snooze_in_past": _l("Snooze until a date after today."),
    # The stages page (operators): each message names the field it is about.
    "stage_key_format": _l("Key: 2 to 40 lower-case letters, digits or underscores, starting "
                           "with a letter."),
    "stage_key_taken": _l("Key: another stage already uses it."),
    "stage_name_required": _l("Name: a stage needs its Chinese and its English name."),
    "stage_name_too_long": _l("Name: at most 40 characters in Chinese and 60 in English."),
    "stage_probability_range": _l("Default win probability: a percentage between 0 and 100."),
    "stage_stale_days_range": _l("Stale after: a number of days from 1 to 3650, or empty for "
                                 "never."),
    "fixed_stage_phase": _l("Phase: this stage cannot move to another phase, the pipeline's "
                            "code relies on it."),
    "fixed_stage_inactive": _l("Active: this stage cannot be switched off, the pipeline's code "
                               "relies on it."),
    "stage_lost_single": _l("Phase: lost is a single stage; say why a deal was lost with its "
                            "reasons instead."),
    "stage_position_taken": _l("Position: another stage already has this position."),
    "stage_phase_order": _l("Position: a stage stays among the stages of its own phase."),
    "stage_must_lead": _l("Position: “Introduced” stays the first stage of the land phase, "
                          "where accepted introductions start."),
    "stage_at_edge": _l("Order: the stage is already at that end of its phase."),
}

# Refusals that count something (rules.Refusal.count): num → a lazy message (ngettext is
# called where the message is read, so it follows the reader's language; the extractor sees
# the call).
REFUSAL_COUNTED = {
    "stage_has_open_deals": lambda num: LazyString(lambda: ngettext(
        "Active: %(num)d open deal is still at this stage; move it to another stage first.",
        "Active: %(num)d open deals are still at this stage; move them to other stages first.",
        num)),
}


def refusal_message(code: str, count: int | None = None):
    """Return the message of a refusal code (lazy: it follows the reader's language)."""
    if code in REFUSAL_COUNTED:
        return REFUSAL_COUNTED[code](count or 0)
    return REFUSAL.get(code, REFUSAL["unknown_value"])
