"""Import every model so that Alembic's autogenerate and the shell see the whole schema."""
from matchmaker.api.models import ApiToken
from matchmaker.auth.models import Broker, JoinRequest, User, UserSession, broker_chains
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.dashboard.models import YearTarget
from matchmaker.events.models import (
    Event,
    EventMeeting,
    EventMeetingRequest,
    EventPairing,
    EventParticipant,
    EventSlot,
)
from matchmaker.imports.models import ImportBatch
from matchmaker.jobs.models import BackgroundJob
from matchmaker.media.models import Attachment, Story, StoryImage
from matchmaker.notifications.models import (
    CalendarFeed,
    DigestedMatch,
    Notification,
    NotificationPreference,
    WecomPost,
    WecomRobot,
)
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.pipeline.models import (
    Activity,
    Contract,
    Deal,
    DealHistory,
    DealStage,
    DealTask,
    IntroductionRequest,
    ServiceTicket,
    StageChange,
    deal_co_brokers,
)
from matchmaker.profiles.models import NeedMode, OutputMode, Patent, ResearchOutput, TechNeed
from matchmaker.recommendations.models import (
    MatchFeedback,
    MatchGeneration,
    MatchSet,
    SeenMatch,
    StoredMatch,
)
from matchmaker.recommendations.weights import MatchWeightsChange
from matchmaker.showcase.models import ContactRequest

__all__ = [
    "Activity", "ApiToken", "Attachment", "BackgroundJob", "Broker", "CalendarFeed", "Chain",
    "ChainSegment", "ContactRequest", "Contract",
    "Deal", "DealHistory", "DealStage", "DealTask", "DigestedMatch", "Enterprise", "Event",
    "EventMeeting", "EventMeetingRequest", "EventPairing", "EventParticipant", "EventSlot",
    "ImportBatch", "Institution",
    "IntroductionRequest", "JoinRequest", "MatchFeedback", "MatchGeneration", "MatchSet",
    "MatchWeightsChange",
    "NeedMode", "Notification", "NotificationPreference", "OutputMode", "Patent", "Region",
    "ResearchOutput", "SeenMatch", "ServiceTicket", "StageChange", "StoredMatch", "Story",
    "StoryImage", "TechNeed", "User", "UserSession", "WecomPost", "WecomRobot", "YearTarget",
    "broker_chains", "deal_co_brokers",
]
