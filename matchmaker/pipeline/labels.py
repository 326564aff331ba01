"""Human labels for the pipeline's vocabulary and the rules' refusal codes (Flask-Babel)."""
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
}


def refusal_message(code: str):
    """Return the message of a refusal code (lazy: it follows the reader's language)."""
    return REFUSAL.get(code, REFUSAL["unknown_value"])
