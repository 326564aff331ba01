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

# Allowed owner actions: status -> statuses it may move to.
OUTPUT_TRANSITIONS = {
    OutputStatus.DRAFT: {OutputStatus.PUBLISHED, OutputStatus.WITHDRAWN},
    OutputStatus.PUBLISHED: {OutputStatus.WITHDRAWN, OutputStatus.UNDER_NEGOTIATION},
    OutputStatus.UNDER_NEGOTIATION: {OutputStatus.PUBLISHED, OutputStatus.TRANSFERRED,
                                     OutputStatus.WITHDRAWN},
    OutputStatus.TRANSFERRED: set(),
    OutputStatus.WITHDRAWN: {OutputStatus.PUBLISHED},
}
NEED_TRANSITIONS = {
    NeedStatus.DRAFT: {NeedStatus.PUBLISHED, NeedStatus.CLOSED},
    NeedStatus.PUBLISHED: {NeedStatus.CLOSED, NeedStatus.MATCHED},
    NeedStatus.MATCHED: {NeedStatus.PUBLISHED, NeedStatus.SOLVED, NeedStatus.CLOSED},
    NeedStatus.SOLVED: set(),
    NeedStatus.CLOSED: {NeedStatus.PUBLISHED},
}

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
