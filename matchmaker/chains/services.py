"""Operator actions on sector chains and segments."""
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from matchmaker import signals
from matchmaker.chains.models import Chain, ChainSegment
from matchmaker.errors import MatchmakerError
from matchmaker.matching import ChainBook, SynonymCollision, synonym_collisions


class DuplicateKeyError(MatchmakerError):
    """Another chain (or segment of the same chain) already uses this key."""


class SegmentInUseError(MatchmakerError):
    """Outputs or needs still refer to the segment."""


class SynonymCollisionError(MatchmakerError):
    """A synonym group would fold a term another chain uses in another sense."""

    def __init__(self, collisions: list[SynonymCollision]):
        super().__init__(collisions)
        self.collisions = collisions


def _chain_specs(session: Session):
    """Every chain as the matcher sees it (synonym groups, core terms, segment keywords)."""
    rows = [{"key": c.key, "synonyms": c.synonym_groups, "core_terms": list(c.core_terms),
             "segments": [{"key": s.key, "keywords_zh": list(s.keywords_zh),
                           "keywords_en": list(s.keywords_en)} for s in c.segments]}
            for c in session.scalars(select(Chain).order_by(Chain.id))]
    return ChainBook.from_dicts(rows).chains


def _refuse_collisions(session: Session, chain: Chain) -> None:
    """Raise SynonymCollisionError if chain's groups or keywords now clash with another chain's."""
    session.expire(chain, ["segments"])
    found = synonym_collisions(_chain_specs(session), involving=chain.key)
    if found:
        raise SynonymCollisionError(found)


def save_chain(session: Session, chain: Chain | None, values: dict) -> Chain:
    """Create a chain (chain=None) or update one from values; keys are unique, and no synonym
    group may fold a term another chain uses in another sense (SynonymCollisionError)."""
    other = session.scalar(select(Chain).where(Chain.key == values["key"]))
    if other is not None and other is not chain:
        raise DuplicateKeyError(values["key"])
    chain = chain or Chain()
    for name, value in values.items():
        setattr(chain, name, value)
    session.add(chain)
    session.flush()
    _refuse_collisions(session, chain)
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
    _refuse_collisions(session, chain)
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
