"""Human labels for the domain vocabulary, translated through Flask-Babel."""
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from matchmaker.domain import (
    AccountStatus,
    DeclineReason,
    EnterpriseSize,
    EnterpriseTier,
    FeedbackVerdict,
    InstitutionType,
    JoinRequestStatus,
    NeedStatus,
    OutputStatus,
    PatentStatus,
    ReformStatus,
    Role,
    TransferMode,
)

ROLE = {
    Role.INSTITUTION: _l("Institution"),
    Role.ENTERPRISE: _l("Enterprise"),
    Role.BROKER: _l("Broker"),
    Role.ADMIN: _l("Operator"),
}
ACCOUNT_STATUS = {
    AccountStatus.PENDING: _l("Awaiting approval"),
    AccountStatus.ACTIVE: _l("Active"),
    AccountStatus.REJECTED: _l("Rejected"),
    AccountStatus.DISABLED: _l("Disabled"),
}
JOIN_REQUEST_STATUS = {
    JoinRequestStatus.PENDING: _l("Waiting for confirmation"),
    JoinRequestStatus.CONFIRMED: _l("Membership confirmed"),
    JoinRequestStatus.DECLINED: _l("Request declined"),
    JoinRequestStatus.SEPARATE: _l("Registered as a separate organisation"),
}
DELETED_USER = _l("Deleted user")
INSTITUTION_TYPE = {
    InstitutionType.UNIVERSITY: _l("University"),
    InstitutionType.INSTITUTE: _l("Research institute"),
}
ENTERPRISE_TIER = {
    EnterpriseTier.TECH_SME: _l("Tech SME"),
    EnterpriseTier.HIGH_TECH: _l("High-tech enterprise"),
    EnterpriseTier.GAZELLE: _l("Gazelle"),
    EnterpriseTier.UNICORN: _l("Unicorn"),
    EnterpriseTier.SPECIALISED: _l("Specialised and innovative"),
    EnterpriseTier.CHAIN_LEADER: _l("Chain leader"),
}
ENTERPRISE_SIZE = {
    EnterpriseSize.MICRO: _l("Micro"),
    EnterpriseSize.SMALL: _l("Small"),
    EnterpriseSize.MEDIUM: _l("Medium"),
    EnterpriseSize.LARGE: _l("Large"),
}
TRANSFER_MODE = {
    TransferMode.ASSIGNMENT: _l("Assignment"),
    TransferMode.LICENCE: _l("Licence"),
    TransferMode.EXCLUSIVE_LICENCE: _l("Exclusive licence"),
    TransferMode.EQUITY: _l("Equity contribution"),
    TransferMode.PAY_LATER: _l("Use first, pay later"),
    TransferMode.RIGHTS_TRANSFER: _l("Rights transfer"),
    TransferMode.INVEST_THEN_EQUITY: _l("Invest first, equity later"),
    TransferMode.CUSTODY: _l("Technology custody"),
    TransferMode.JOINT_RD: _l("Joint R&D"),
}
REFORM_STATUS = {
    ReformStatus.NONE: _l("Not under the reforms"),
    ReformStatus.SEPARATELY_MANAGED: _l("Separately managed"),
    ReformStatus.OWNERSHIP_GRANTED: _l("Ownership granted to researchers"),
}
PATENT_STATUS = {
    PatentStatus.FILED: _l("Filed"),
    PatentStatus.GRANTED: _l("Granted"),
    PatentStatus.PCT: _l("PCT application"),
}
OUTPUT_STATUS = {
    OutputStatus.DRAFT: _l("Draft"),
    OutputStatus.PUBLISHED: _l("Published"),
    OutputStatus.UNDER_NEGOTIATION: _l("Under negotiation"),
    OutputStatus.TRANSFERRED: _l("Transferred"),
    OutputStatus.WITHDRAWN: _l("Withdrawn"),
}
NEED_STATUS = {
    NeedStatus.DRAFT: _l("Draft"),
    NeedStatus.PUBLISHED: _l("Published"),
    NeedStatus.MATCHED: _l("Matched"),
    NeedStatus.SOLVED: _l("Solved"),
    NeedStatus.CLOSED: _l("Closed"),
}
FEEDBACK_VERDICT = {
    FeedbackVerdict.RELEVANT: _l("Relevant"),
    FeedbackVerdict.DECLINED: _l("Declined"),
}
DECLINE_REASON = {
    DeclineReason.TOO_EARLY: _l("Too early stage"),
    DeclineReason.BENEFIT_UNCLEAR: _l("Benefit over current solution unclear"),
    DeclineReason.COMMERCIAL_ROUTE_UNCLEAR: _l("Commercial route unclear"),
    DeclineReason.DESCRIPTION_UNCLEAR: _l("Description unclear"),
    DeclineReason.PRICE: _l("Price"),
    DeclineReason.TRANSFER_MODE: _l("Transfer mode"),
    DeclineReason.NOT_OUR_FIELD: _l("Not our field"),
    DeclineReason.OTHER: _l("Other"),
}


def choices(labels: dict, *, optgroup: str | None = None) -> list[SelectChoice]:
    """Return WTForms choices from a label mapping, optionally inside one option group."""
    return [SelectChoice(str(value), label, optgroup=optgroup) for value, label in labels.items()]
