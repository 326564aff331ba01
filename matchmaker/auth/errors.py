"""Errors of the accounts feature."""
from matchmaker.errors import MatchmakerError
from matchmaker.orgs.services import OrgMatch


class DuplicateEmailError(MatchmakerError):
    """An account with this e-mail address already exists."""


class WeakPasswordError(MatchmakerError):
    """The password breaks the policy; reason is a key of passwords.REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class WrongPasswordError(MatchmakerError):
    """The current password given to confirm an action is wrong."""


class OrganisationExistsError(MatchmakerError):
    """The organisation named at sign-up is already on the platform (or looks like one that
    is); the person must ask to join it explicitly."""

    def __init__(self, match: OrgMatch):
        super().__init__(match.organisation.name)
        self.match = match


class ActivationBlockedError(MatchmakerError):
    """The account cannot be activated yet; reason: join_pending, no_organisation, deleted."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class AlreadyDecidedError(MatchmakerError):
    """The join request was decided already."""


class NameTakenError(MatchmakerError):
    """Another organisation of this kind already has this name."""


class LastOperatorError(MatchmakerError):
    """The platform's last active operator cannot delete their account."""


class InvalidLinkError(MatchmakerError):
    """An e-mailed link that cannot be used; reason: "invalid", "expired" or "used"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
