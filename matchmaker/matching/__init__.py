"""The matcher engine: pure Python (no Flask, no SQLAlchemy), usable as a library.

python -m matchmaker.matching is its batch CLI.
"""
from matchmaker.matching.chains import ChainBook, ChainGuess, SynonymCollision, synonym_collisions
from matchmaker.matching.engine import INSUFFICIENT, Match, Matcher, Ranking
from matchmaker.matching.profiles import ChainSpec, NeedProfile, OutputProfile, SegmentSpec

__all__ = ["INSUFFICIENT", "ChainBook", "ChainGuess", "ChainSpec", "Match", "Matcher",
           "NeedProfile", "OutputProfile", "Ranking", "SegmentSpec", "SynonymCollision",
           "synonym_collisions"]
