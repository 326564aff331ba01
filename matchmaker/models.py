"""Import every model so that Alembic's autogenerate and the shell see the whole schema."""
from matchmaker.auth.models import Broker, JoinRequest, User, UserSession, broker_chains
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.jobs.models import BackgroundJob
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.profiles.models import NeedMode, OutputMode, Patent, ResearchOutput, TechNeed
from matchmaker.recommendations.models import (
    MatchFeedback,
    MatchGeneration,
    MatchSet,
    StoredMatch,
)

__all__ = [
    "BackgroundJob", "Broker", "Chain", "ChainSegment", "Enterprise", "Institution",
    "JoinRequest", "MatchFeedback", "MatchGeneration", "MatchSet", "NeedMode", "OutputMode",
    "Patent", "Region", "ResearchOutput", "StoredMatch", "TechNeed", "User", "UserSession",
    "broker_chains",
]
