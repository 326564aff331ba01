"""What the services announce (blinker signals, as Flask itself uses).

Services send a signal after they flushed a change; subscribers (match refresh today; history,
notifications and KPIs next) react inside the same transaction, e.g. by enqueueing a job that
runs once the transaction commits. Senders never know who listens.
"""
from blinker import Namespace

_signals = Namespace()

# sender: the ResearchOutput or TechNeed; kwargs: session, side (domain.Side), change
# ("created", "updated" or "status").
profile_saved = _signals.signal("profile-saved")
# sender: the Chain; kwargs: session. Also sent when one of its segments is saved or deleted.
chain_saved = _signals.signal("chain-saved")
