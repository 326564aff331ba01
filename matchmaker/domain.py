"""Domain vocabulary shared by models, forms, the matcher's adapters and the seed loader.

Plain Python: no Flask, no SQLAlchemy. Labels for the UI live in matchmaker.labels.
"""
import re
from enum import StrEnum


class Side(StrEnum):
    """The two kinds of listing that are matched: a research output or a technology need."""

    OUTPUT = "output"
    NEED = "need"

    @property
    def other(self) -> "Side":
        return Side.NEED if self is Side.OUTPUT else Side.OUTPUT


class Role(StrEnum):
    INSTITUTION = "institution"
    ENTERPRISE = "enterprise"
    BROKER = "broker"
    ADMIN = "admin"


class AccountStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    DISABLED = "disabled"


class JoinRequestStatus(StrEnum):
    """A sign-up's request to join an organisation already on the platform."""

    PENDING = "pending"
    CONFIRMED = "confirmed"  # a member of the organisation or an operator said yes
    DECLINED = "declined"
    SEPARATE = "separate"  # an operator found it a different organisation and registered it


class InstitutionType(StrEnum):
    UNIVERSITY = "university"
    INSTITUTE = "institute"


class EnterpriseTier(StrEnum):
    TECH_SME = "tech_sme"
    HIGH_TECH = "high_tech"
    GAZELLE = "gazelle"
    UNICORN = "unicorn"
    SPECIALISED = "specialised"
    CHAIN_LEADER = "chain_leader"


class EnterpriseSize(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class TransferMode(StrEnum):
    ASSIGNMENT = "assignment"
    LICENCE = "licence"
    EXCLUSIVE_LICENCE = "exclusive_licence"
    EQUITY = "equity"
    PAY_LATER = "pay_later"
    RIGHTS_TRANSFER = "rights_transfer"
    INVEST_THEN_EQUITY = "invest_then_equity"
    CUSTODY = "custody"
    JOINT_RD = "joint_rd"


class ReformStatus(StrEnum):
    NONE = "none"
    SEPARATELY_MANAGED = "separately_managed"
    OWNERSHIP_GRANTED = "ownership_granted"


class PatentStatus(StrEnum):
    FILED = "filed"
    GRANTED = "granted"
    PCT = "pct"


class OutputStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNDER_NEGOTIATION = "under_negotiation"
    TRANSFERRED = "transferred"
    WITHDRAWN = "withdrawn"


class NeedStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    MATCHED = "matched"
    SOLVED = "solved"
    CLOSED = "closed"


# Statuses that everyone signed in may see; the others are visible to the owner and admins only.
PUBLIC_OUTPUT_STATUSES = (
    OutputStatus.PUBLISHED,
    OutputStatus.UNDER_NEGOTIATION,
    OutputStatus.TRANSFERRED,
)
PUBLIC_NEED_STATUSES = (NeedStatus.PUBLISHED, NeedStatus.MATCHED, NeedStatus.SOLVED)

# Allowed owner actions: status -> statuses it may move to. Deals own the rest (see
# DEAL_OUTPUT_TRANSITIONS): an owner publishes, withdraws and closes, but "under negotiation",
# "transferred", "matched" and "solved" are set by the pipeline, so that a listing never says
# transferred or solved without a deal whose signed contract records counterparty, amount and date.
OUTPUT_TRANSITIONS = {
    OutputStatus.DRAFT: {OutputStatus.PUBLISHED, OutputStatus.WITHDRAWN},
    OutputStatus.PUBLISHED: {OutputStatus.WITHDRAWN},
    OutputStatus.UNDER_NEGOTIATION: {OutputStatus.WITHDRAWN},
    OutputStatus.TRANSFERRED: set(),
    OutputStatus.WITHDRAWN: {OutputStatus.PUBLISHED},
}
NEED_TRANSITIONS = {
    NeedStatus.DRAFT: {NeedStatus.PUBLISHED, NeedStatus.CLOSED},
    NeedStatus.PUBLISHED: {NeedStatus.CLOSED},
    NeedStatus.MATCHED: {NeedStatus.CLOSED},
    NeedStatus.SOLVED: set(),
    NeedStatus.CLOSED: {NeedStatus.PUBLISHED},
}
# What the pipeline may do to a listing's status: a deal entering the land phase puts a
# published listing under negotiation / matched, a deal leaving it (back to mining, or lost)
# with no other deal still landing puts it back, and a signed contract transfers / solves it.
DEAL_OUTPUT_TRANSITIONS = {
    OutputStatus.PUBLISHED: {OutputStatus.UNDER_NEGOTIATION, OutputStatus.TRANSFERRED},
    OutputStatus.UNDER_NEGOTIATION: {OutputStatus.PUBLISHED, OutputStatus.TRANSFERRED},
}
DEAL_NEED_TRANSITIONS = {
    NeedStatus.PUBLISHED: {NeedStatus.MATCHED, NeedStatus.SOLVED},
    NeedStatus.MATCHED: {NeedStatus.PUBLISHED, NeedStatus.SOLVED},
}
# The statuses only a deal sets.
DEAL_SET_STATUSES = frozenset(
    status for table in (DEAL_OUTPUT_TRANSITIONS, DEAL_NEED_TRANSITIONS)
    for targets in table.values() for status in targets) - {OutputStatus.PUBLISHED}

TRL_MIN, TRL_MAX = 1, 9
TITLE_MAX = 200
TEXT_MAX = 5000
KEYWORDS_MAX = 12
KEYWORD_LEN_MAX = 40

_IPC_RE = re.compile(r"^([A-H])\s*(\d{2})\s*([A-Z])(?:\s*(\d{1,4})(?:\s*/\s*(\d{2,6}))?)?$")


def normalize_ipc(code: str, *, full: bool = False) -> str | None:
    """Return code in the canonical form 'C25B 1/04', or None if it is not an IPC symbol.

    Parameters
    ----------
    code : the symbol as typed, e.g. 'c25b1/04', 'C25B 1 / 04', 'H01M 8', 'F17C'.
    full : require a complete symbol with main group and subgroup (a patent's classification);
        otherwise a prefix (subclass, or subclass and main group) is accepted too.
    """
    text = code.strip().upper().replace("\u3000", " ").replace("／", "/")
    match = _IPC_RE.match(text)
    if not match:
        return None
    section, klass, subclass, group, subgroup = match.groups()
    if full and (group is None or subgroup is None):
        return None
    result = f"{section}{klass}{subclass}"
    if group is not None:
        result += f" {int(group)}"
        if subgroup is not None:
            result += f"/{subgroup}"
    return result


class FeedbackVerdict(StrEnum):
    RELEVANT = "relevant"
    DECLINED = "declined"


class DeclineReason(StrEnum):
    TOO_EARLY = "too_early"
    BENEFIT_UNCLEAR = "benefit_unclear"
    COMMERCIAL_ROUTE_UNCLEAR = "commercial_route_unclear"
    DESCRIPTION_UNCLEAR = "description_unclear"
    PRICE = "price"
    TRANSFER_MODE = "transfer_mode"
    NOT_OUR_FIELD = "not_our_field"
    OTHER = "other"


# Statuses whose profiles take part in matching (the matcher itself also drops the others).
MATCHABLE_OUTPUT_STATUSES = (OutputStatus.PUBLISHED, OutputStatus.UNDER_NEGOTIATION)
MATCHABLE_NEED_STATUSES = (NeedStatus.PUBLISHED, NeedStatus.MATCHED)


# --- the broker's pipeline (deals) ---------------------------------------------------------
# Stages themselves are data (table deal_stages: an operator renames them or adds sub-steps);
# what is fixed here is the vocabulary the rules and the reports reason with.

class Phase(StrEnum):
    """The broker's chain 挖掘 → 落地 → 服务 → 展示, plus lost. Every stage belongs to one."""

    MINE = "mine"
    LAND = "land"
    SERVE = "serve"
    SHOWCASE = "showcase"
    LOST = "lost"


PHASE_ORDER = (Phase.MINE, Phase.LAND, Phase.SERVE, Phase.SHOWCASE)


class StageKey(StrEnum):
    """The keys of the default stages the migration creates (operators may add others)."""

    DISCOVERED = "discovered"
    QUALIFIED = "qualified"
    INTRODUCED = "introduced"
    NEGOTIATING = "negotiating"
    CONTRACT_SIGNED = "contract_signed"
    LANDED = "landed"
    SERVING = "serving"
    SHOWCASED = "showcased"
    LOST = "lost"


# The stages the code names: an operator may rename them and change their figures, but never
# switch them off or move them to another phase. A new deal starts at discovered
# (services.create_deal), an accepted introduction at introduced, the conversion rate counts
# the deals that reached contract_signed (queries.operator_figures), and a lost deal goes to
# lost. Every other stage, the defaults included, is the operators' to switch off.
FIXED_STAGES = frozenset({StageKey.DISCOVERED, StageKey.INTRODUCED, StageKey.CONTRACT_SIGNED,
                          StageKey.LOST})
# Fixed stages that must stay first of their phase: rules.check_start lets a deal start at the
# first land stage only, and an accepted introduction starts at introduced.
LEADING_STAGES = {StageKey.INTRODUCED: Phase.LAND}
# Keys are stored in history rows, URLs and the board's data attributes.
STAGE_KEY_PATTERN = r"[a-z][a-z0-9_]{1,39}"
STALE_DAYS_MAX = 3650  # a stage's stale limit, in days (ten years: "never" is no limit)


class StageAction(StrEnum):
    """What a stage_changes row records: a stage added, its fields edited, or its place."""

    CREATED = "created"
    CHANGED = "changed"
    MOVED = "moved"


class Requirement(StrEnum):
    """What a stage may need before a deal leaves it forward (deal_stages.requirements)."""

    QUALIFICATION = "qualification"  # IP status checked, team willing, reform status known
    TERMS = "terms"  # transfer mode, price, payment kind
    CONTRACT = "contract"  # a contract with amount, signing date and both parties
    LANDING = "landing"  # company or project name, location, date
    SHOWCASE_MATERIAL = "showcase_material"  # the material to show


class LostReason(StrEnum):
    NO_BUDGET = "no_budget"
    PRICE = "price"
    TECH_NOT_READY = "tech_not_ready"
    IP_ISSUE = "ip_issue"
    TEAM_UNWILLING = "team_unwilling"
    NEED_CHANGED = "need_changed"
    COMPETITOR = "competitor"
    NO_RESPONSE = "no_response"
    LANDED_ELSEWHERE = "landed_elsewhere"
    OTHER = "other"


class PaymentKind(StrEnum):
    LUMP_SUM = "lump_sum"
    ROYALTY = "royalty"
    EQUITY = "equity"
    PAY_LATER = "pay_later"


class NdaStatus(StrEnum):
    NONE = "none"
    SENT = "sent"
    SIGNED = "signed"
    EXPIRED = "expired"


class ContractType(StrEnum):
    """The contract types of 技术合同认定登记."""

    DEVELOPMENT = "development"
    TRANSFER = "transfer"
    LICENCE = "licence"
    CONSULTING = "consulting"
    SERVICE = "service"


class ActivityKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    MEETING = "meeting"
    EMAIL = "email"
    NOTE = "note"
    COMMENT = "comment"  # written by anyone who may comment, the deal's parties included


class TicketKind(StrEnum):
    """Services after landing (服务): what a broker arranges for a landed team."""

    POLICY = "policy"
    REGISTRATION = "registration"
    LEGAL = "legal"
    IP = "ip"
    FINANCING = "financing"
    SPACE = "space"
    TALENT = "talent"
    PILOT = "pilot"  # pilot test / concept verification


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


class FinancingKind(StrEnum):
    FUND = "fund"
    LOAN = "loan"
    LEASE = "lease"


class IntroductionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class HistoryKind(StrEnum):
    """What a deal history row records."""

    CREATED = "created"
    STAGE = "stage"
    FIELD = "field"
    ASSIGN = "assign"
    CO_BROKER = "co_broker"
    TICKET = "ticket"
    NDA = "nda"
    CONTRACT = "contract"
    ACTIVITY = "activity"
    COMMENT = "comment"
    SNOOZE = "snooze"
    NEXT_STEP = "next_step"
    TASK = "task"


# A landing counts as local conversion (就地转化) when it is in this province.
HOME_PROVINCE = "陕西省"
