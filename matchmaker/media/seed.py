"""Load seed_data/stories.json through media.stories (the one write path).

Each piece is written by its broker, linked to a seed deal (and output) by key; its images are
drawn in code (media.drawings) and uploaded through the same checks as a broker's; a piece with
a `published_day` (relative to the load day) is published then, 10:00 Shanghai time. Pieces are
keyed by `key` (Story.ref): a second load changes nothing. Format: seed_data/README.md,
"stories.json".
"""
import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.media import drawings, stories
from matchmaker.media.models import Story
from matchmaker.media.services import Upload
from matchmaker.pipeline import clock
from matchmaker.pipeline.models import Deal
from matchmaker.profiles.models import ResearchOutput

SHANGHAI = ZoneInfo("Asia/Shanghai")


class StorySeeder:
    """Replay story records; created and updated count what was done."""

    def __init__(self, session: Session, seed_dir: Path, *, email_of,
                 today: date | None = None):
        self.session, self.path = session, Path(seed_dir) / "stories.json"
        self.email_of, self.today = email_of, today or clock.today()
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()

    def load(self) -> "StorySeeder":
        if not self.path.is_file():
            return self
        for record in json.loads(self.path.read_text(encoding="utf-8")):
            if self.session.scalar(select(Story.id).where(Story.ref == record["key"])):
                self.updated["stories"] += 1
                continue
            self._record(record)
            self.created["stories"] += 1
        self.session.flush()
        return self

    def _one(self, model, column, value, what: str):
        row = self.session.scalar(select(model).where(column == value))
        if row is None:
            raise LookupError(f"seed stories: no {what} {value!r}")
        return row

    def _record(self, record: dict) -> None:
        author = self._one(User, User.email, self.email_of(record["author"]), "account")
        deal = self._one(Deal, Deal.ref, record["deal"], "deal") if record.get("deal") else None
        output = (self._one(ResearchOutput, ResearchOutput.ref, record["output"], "output")
                  if record.get("output") else None)
        chain = self._one(Chain, Chain.key, record["chain"], "chain") if record.get("chain") \
            else None
        data = stories.StoryData(
            kind=record["kind"], title=record["title"], slug=record.get("slug", ""),
            summary=record["summary"], body=record["body"],
            chain_id=chain.id if chain else None, deal_id=deal.id if deal else None,
            output_id=output.id if output else None)
        story = stories.create_story(self.session, data, actor=author, ref=record["key"])
        for image in record.get("images", []):
            params = {"values": image["values"]} if "values" in image else {}
            png = drawings.draw(image["draw"], **params)
            stories.add_story_image(self.session, story, Upload(f"{image['draw']}.png", png),
                                    alt=image["alt"], actor=author)
            self.created["story images"] += 1
        if record.get("published_day") is not None:
            day = self.today + timedelta(days=record["published_day"])
            stories.publish_story(self.session, story, actor=author, published_at=datetime
                                  .combine(day, time(10, 0), SHANGHAI))


def load_stories(session: Session, seed_dir: Path, *, email_of,
                 today: date | None = None) -> StorySeeder:
    """Load seed_data/stories.json into session (flushed, not committed)."""
    return StorySeeder(session, seed_dir, email_of=email_of, today=today).load()
