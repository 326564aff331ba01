"""Operator actions on sector chains and segments."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import signals
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.errors import MatchmakerError
from matchmaker.profiles.models import ResearchOutput, TechNeed


class DuplicateKeyError(MatchmakerError):
    """Another chain (or segment of the same chain) already uses this key."""


class SegmentInUseError(MatchmakerError):
    """Outputs or needs still refer to the segment."""


def save_chain(session: Session, chain: Chain | None, values: dict) -> Chain:
    """Create a chain (chain=None) or update one from values; keys are unique."""
    other = session.scalar(select(Chain).where(Chain.key == values["key"]))
    if other is not None and other is not chain:
        raise DuplicateKeyError(values["key"])
    chain = chain or Chain()
    for name, value in values.items():
        setattr(chain, name, value)
    session.add(chain)
    session.flush()
    signals.chain_saved.send(chain, session=session)
    return chain


def save_segment(session: Session, chain: Chain, segment: ChainSegment | None,
                 values: dict) -> ChainSegment:
    """Create or update a segment of chain; keys are unique within the chain."""
    other = session.scalar(select(ChainSegment).where(
        ChainSegment.chain_id == chain.id, ChainSegment.key == values["key"]))
    if other is not None and other is not segment:
        raise DuplicateKeyError(values["key"])
    segment = segment or ChainSegment(chain=chain)
    for name, value in values.items():
        setattr(segment, name, value)
    session.add(segment)
    session.flush()
    signals.chain_saved.send(chain, session=session)
    return segment


def delete_segment(session: Session, segment: ChainSegment) -> None:
    """Delete segment unless outputs or needs still refer to it."""
    for model in (ResearchOutput, TechNeed):
        if session.scalar(select(model.id).where(model.segment_id == segment.id).limit(1)):
            raise SegmentInUseError(segment.key)
    chain = segment.chain
    session.delete(segment)
    session.flush()
    signals.chain_saved.send(chain, session=session)
