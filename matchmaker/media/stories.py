"""Write and read landed-project stories and product exhibits, and their images.

Brokers write and publish their own pieces; operators edit any (permissions._story). A story
may link a deal of its broker's that has landed (the "landed" stage or beyond, not lost) and a
published research output. Pieces are public once published: /stories/ lists them.
"""
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker import permissions, signals
from matchmaker.chains.models import Chain
from matchmaker.domain import PUBLIC_OUTPUT_STATUSES, Phase, StageKey
from matchmaker.errors import NotFoundError, PermissionDeniedError
from matchmaker.media import services, storage
from matchmaker.media.models import STORY_KINDS, Story, StoryImage
from matchmaker.media.services import MediaRefusedError, Upload
from matchmaker.permissions import Action
from matchmaker.pipeline.models import Deal, DealStage
from matchmaker.profiles.models import ResearchOutput
from matchmaker.types import utcnow

IMAGES_MAX = 12
SLUG_MAX = 80
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass
class StoryData:
    """What the broker fills in."""

    kind: str
    title: str
    summary: str = ""
    body: str = ""
    slug: str = ""
    chain_id: int | None = None
    deal_id: int | None = None
    output_id: int | None = None


def slugify(title: str, kind: str) -> str:
    """Return a URL slug from the ASCII words of title (the kind's name if there are none)."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = "-".join(words)[:SLUG_MAX].strip("-")
    return slug or ("landed-project" if kind == "story" else "product-exhibit")


def landed_stage_position(session: Session) -> int | None:
    """Return the board position of the "landed" stage (None if an operator removed it)."""
    return session.scalar(select(DealStage.position).where(DealStage.key == StageKey.LANDED))


def has_landed(session: Session, deal: Deal) -> bool:
    """Return whether deal is at the landed stage or beyond, and not lost."""
    position = landed_stage_position(session)
    return (position is not None and deal.stage.phase != Phase.LOST
            and deal.stage.position >= position)


def _check(session: Session, data: StoryData, actor) -> None:
    if data.kind not in STORY_KINDS:
        raise MediaRefusedError("kind_unknown", "kind")
    if not data.title.strip():
        raise MediaRefusedError("title_required", "title")
    if data.slug and (len(data.slug) > SLUG_MAX or not _SLUG.fullmatch(data.slug)):
        raise MediaRefusedError("slug_invalid", "slug")
    if data.chain_id is not None and session.get(Chain, data.chain_id) is None:
        raise MediaRefusedError("chain_unknown", "chain_id")
    if data.deal_id is not None:
        deal = session.get(Deal, data.deal_id)
        if deal is None or not permissions.can(actor, Action.EDIT, deal):
            raise MediaRefusedError("deal_not_yours", "deal_id")
        if data.kind == "story" and not has_landed(session, deal):
            raise MediaRefusedError("deal_not_landed", "deal_id")
    if data.output_id is not None:
        output = session.get(ResearchOutput, data.output_id)
        if output is None or output.status not in PUBLIC_OUTPUT_STATUSES:
            raise MediaRefusedError("output_not_public", "output_id")


def _assign(story: Story, data: StoryData) -> None:
    story.kind, story.title = data.kind, data.title.strip()[:200]
    story.slug = data.slug or slugify(data.title, data.kind)
    story.summary, story.body = data.summary.strip()[:500], data.body.strip()
    story.chain_id, story.deal_id, story.output_id = data.chain_id, data.deal_id, data.output_id


def create_story(session: Session, data: StoryData, *, actor, ref: str | None = None) -> Story:
    """Create a draft story or exhibit written by actor (a broker or an operator)."""
    if not permissions.may_create(actor, "story"):
        raise PermissionDeniedError("story")
    _check(session, data, actor)
    story = Story(author_id=actor.id, status="draft", ref=ref)
    _assign(story, data)
    session.add(story)
    session.flush()
    return story


def update_story(session: Session, story: Story, data: StoryData, *, actor) -> Story:
    """Change a piece's text and links (its broker or an operator)."""
    permissions.require(actor, Action.EDIT, story)
    _check(session, data, actor)
    _assign(story, data)
    session.flush()
    return story


def publish_story(session: Session, story: Story, *, actor,
                  published_at: datetime | None = None) -> Story:
    """Make a piece public (it needs a summary and a text)."""
    permissions.require(actor, Action.EDIT, story)
    if not story.summary.strip() or not story.body.strip():
        raise MediaRefusedError("publish_needs_body", "body")
    story.status = "published"
    story.published_at = published_at or story.published_at or utcnow()
    session.flush()
    signals.story_changed.send(story, session=session, actor=actor, change="published")
    return story


def unpublish_story(session: Session, story: Story, *, actor) -> Story:
    """Take a piece back to draft (it leaves the public pages)."""
    permissions.require(actor, Action.EDIT, story)
    story.status = "draft"
    session.flush()
    signals.story_changed.send(story, session=session, actor=actor, change="unpublished")
    return story


def get_story(session: Session, story_id: int, *, viewer) -> Story:
    """Return the piece viewer may see; NotFoundError otherwise."""
    story = session.get(Story, story_id)
    if story is None:
        raise NotFoundError(story_id)
    permissions.require(viewer, Action.VIEW, story)
    return story


def list_published(session: Session, *, kind: str | None = None, limit: int | None = None,
                   offset: int = 0) -> list[Story]:
    """Return published pieces, newest first."""
    query = select(Story).where(Story.status == "published")
    if kind in STORY_KINDS:
        query = query.where(Story.kind == kind)
    query = query.order_by(Story.published_at.desc(), Story.id.desc()).offset(offset)
    return list(session.scalars(query.limit(limit) if limit else query))


def count_published(session: Session, *, kind: str | None = None) -> int:
    """Return how many pieces are published (of kind)."""
    query = select(func.count(Story.id)).where(Story.status == "published")
    if kind in STORY_KINDS:
        query = query.where(Story.kind == kind)
    return session.scalar(query) or 0


def list_written_by(session: Session, viewer) -> list[Story]:
    """Return the pieces viewer writes (every piece for an operator), newest first."""
    query = select(Story).order_by(Story.updated_at.desc(), Story.id.desc())
    if not permissions.is_admin(viewer):
        query = query.where(Story.author_id == viewer.id)
    return list(session.scalars(query))


# --- images ----------------------------------------------------------------------------------

def add_story_image(session: Session, story: Story, upload: Upload, *, alt: str,
                    actor) -> StoryImage:
    """Add an image (PNG, JPEG or WebP, re-encoded) at the end of a piece's images."""
    permissions.require(actor, Action.EDIT, story)
    if not alt.strip():
        raise MediaRefusedError("alt_required", "alt")
    if len(story.images) >= IMAGES_MAX:
        raise MediaRefusedError("too_many_images", "file", n=IMAGES_MAX)
    checked = services.check(upload, field="file", allow_pdf=False)
    position = max((image.position for image in story.images), default=-1) + 1
    image = StoryImage(story=story, position=position, alt=alt.strip()[:200])
    services.store(session, image, checked, upload, actor=actor)
    return image


def delete_story_image(session: Session, image: StoryImage, *, actor) -> None:
    """Remove an image from its piece; its files go once the transaction commits."""
    permissions.require(actor, Action.EDIT, image.story)
    image.story.images.remove(image)
    session.flush()
    storage.remove_after_commit(session, image.token, services.extension_of(image))


def move_story_image(session: Session, image: StoryImage, *, up: bool, actor) -> None:
    """Swap an image with the one before (up) or after it."""
    permissions.require(actor, Action.EDIT, image.story)
    images = list(image.story.images)
    index = images.index(image)
    other = index - 1 if up else index + 1
    if 0 <= other < len(images):
        images[index], images[other] = images[other], images[index]
        for position, row in enumerate(images):
            row.position = position
        session.flush()
        session.expire(image.story, ["images"])
