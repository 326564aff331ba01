"""Operator actions on sector chains and segments."""
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from matchmaker import signals
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.errors import MatchmakerError


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


def _referring_columns():
    """Yield every column of another table with a foreign key to chain_segments.id.

    chains sits below the features that refer to segments (outputs, needs, deals), so it asks
    the schema who refers to a segment instead of importing their models.
    """
    segments = ChainSegment.__table__
    for table in ChainSegment.metadata.tables.values():
        if table is segments:
            continue
        for key in table.foreign_keys:
            if key.column.table is segments and key.column.name == "id":
                yield key.parent


def delete_segment(session: Session, segment: ChainSegment) -> None:
    """Delete segment unless a listing (or anything else) still refers to it."""
    for column in _referring_columns():
        if session.scalar(select(exists().where(column == segment.id))):
            raise SegmentInUseError(segment.key)
    chain = segment.chain
    session.delete(segment)
    session.flush()
    signals.chain_saved.send(chain, session=session)
