"""Write and read attachments on outputs and needs; the file checks every upload shares.

Every write is `verb_noun(session, …, actor=…)`: it checks permissions.py, flushes and never
commits. Refusals are MediaRefusedError, a ValidationFailedError whose reasons are keyed by
the field to fix and say why in the reader's language. Files follow the transaction
(media.storage): placed after the row's flush, removed again if it rolls back.
"""
import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from matchmaker import permissions
from matchmaker.errors import NotFoundError, ValidationFailedError
from matchmaker.extensions import db
from matchmaker.media import files, labels, storage
from matchmaker.media.models import ATTACHMENT_KINDS, VISIBILITIES, Attachment, StoredFile
from matchmaker.permissions import Action
from matchmaker.pipeline import clock, rules
from matchmaker.pipeline.models import Deal, deal_co_brokers
from matchmaker.profiles.models import ResearchOutput, TechNeed


class MediaRefusedError(ValidationFailedError):
    """An upload or a change the media rules refuse; code is a labels.REFUSAL key."""

    def __init__(self, code: str, field: str, **params):
        self.code = code
        super().__init__({field: str(labels.REFUSAL[code]) % params if params
                          else str(labels.REFUSAL[code])})


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it: its name (display text only) and its bytes."""

    filename: str
    data: bytes


def check(upload: Upload, *, field: str, allow_pdf: bool) -> files.CheckedFile:
    """Return the checked file, or raise MediaRefusedError naming field and why."""
    config = current_app.config
    max_bytes, max_pixels = config["UPLOAD_MAX_BYTES"], config["UPLOAD_MAX_PIXELS"]
    try:
        return files.check_upload(upload.data, allow_pdf=allow_pdf, max_bytes=max_bytes,
                                  max_pixels=max_pixels)
    except files.FileRefusedError as error:
        params = {"too_large": {"mb": _megabytes(max_bytes)},
                  "too_many_pixels": {"mp": _megabytes(max_pixels, 1_000_000)}}
        raise MediaRefusedError(error.code, field, **params.get(error.code, {})) from None


def _megabytes(value: int, unit: int = 1024 * 1024) -> str:
    return f"{value / unit:g}"


def store(session: Session, row: StoredFile, checked: files.CheckedFile, upload: Upload,
          *, actor) -> None:
    """Fill row's file columns from checked, add and flush it, then place its files."""
    row.token = storage.new_token()
    row.content_type = checked.content_type
    row.original_name = files.display_name(upload.filename)
    row.size = len(checked.main.data)
    row.sha256 = hashlib.sha256(checked.main.data).hexdigest()
    row.width, row.height = checked.main.width, checked.main.height
    row.uploaded_by_id = getattr(actor, "id", None)
    staged = storage.stage(checked)
    try:
        session.add(row)
        session.flush()
    except Exception:
        storage.discard(staged)
        raise
    storage.place(session, staged, row.token, checked.extension)


def extension_of(row: StoredFile) -> str:
    """Return the extension of row's kept file."""
    return files.EXTENSIONS[row.content_type]


def file_path(row: StoredFile, *, thumb: bool = False):
    """Return the path of row's file (or thumbnail)."""
    return storage.path_of(row.token, extension_of(row), thumb=thumb and row.is_image)


# --- attachments ---------------------------------------------------------------------------

def add_attachment(session: Session, listing: ResearchOutput | TechNeed, upload: Upload, *,
                   kind: str, visibility: str, actor) -> Attachment:
    """Attach an uploaded file to an output or a need (its organisation or an operator)."""
    row = Attachment(kind=kind, visibility=visibility)
    if listing.permission_kind == "output":
        row.output = listing
    else:
        row.need = listing
    permissions.require(actor, Action.EDIT, row)
    if kind not in ATTACHMENT_KINDS:
        raise MediaRefusedError("kind_unknown", "kind")
    if visibility not in VISIBILITIES:
        raise MediaRefusedError("visibility_unknown", "visibility")
    checked = check(upload, field="file", allow_pdf=True)
    store(session, row, checked, upload, actor=actor)
    return row


def delete_attachment(session: Session, attachment: Attachment, *, actor) -> None:
    """Delete an attachment (the owning organisation or an operator); its files go once the
    transaction commits."""
    permissions.require(actor, Action.EDIT, attachment)
    session.delete(attachment)
    session.flush()
    storage.remove_after_commit(session, attachment.token, extension_of(attachment))


def get_attachment(session: Session, attachment_id: int, *, viewer) -> Attachment:
    """Return the attachment viewer may see; NotFoundError otherwise."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFoundError(attachment_id)
    permissions.require(viewer, Action.VIEW, row)
    return row


def list_attachments(session: Session, listing, *, viewer) -> list[Attachment]:
    """Return the attachments of listing that viewer may see, oldest first."""
    column = Attachment.output_id if listing.permission_kind == "output" else Attachment.need_id
    rows = session.scalars(select(Attachment).where(column == listing.id)
                           .order_by(Attachment.created_at, Attachment.id)).all()
    return [row for row in rows if permissions.can(viewer, Action.VIEW, row)]


def may_attach(viewer, listing) -> bool:
    """Return whether viewer may add attachments to listing."""
    return permissions.role_of(viewer) is not None and permissions.can(viewer, Action.EDIT,
                                                                         listing)


# --- facts the attachment rule asks for (registered in permissions) ------------------------

def _deals_of(listing):
    column = Deal.output_id if listing.permission_kind == "output" else Deal.need_id
    return select(Deal).where(column == listing.id)


def works_on_listing_deal(viewer, listing) -> bool:
    """Return whether viewer is a broker (owner or co-broker) of a deal on listing."""
    if not permissions.is_broker(viewer):
        return False
    co_broker = exists().where(deal_co_brokers.c.deal_id == Deal.id,
                               deal_co_brokers.c.user_id == viewer.id)
    query = _deals_of(listing).where(or_(Deal.owner_id == viewer.id, co_broker)).limit(1)
    return db.session.scalar(query) is not None


def nda_counterpart_of_listing(viewer, listing) -> bool:
    """Return whether viewer's organisation is the other side of a deal on listing whose NDA
    is signed and in force."""
    today = clock.today()
    for deal in db.session.scalars(_deals_of(listing).where(Deal.nda_status == "signed")):
        if not rules.nda_in_force(deal.nda_status, deal.nda_expires_on, today):
            continue
        if listing.permission_kind == "output":
            if permissions.member_of_enterprise(viewer, deal.enterprise_id):
                return True
        elif permissions.member_of_institution(viewer, deal.institution_id):
            return True
    return False


def register_relations() -> None:
    """Answer the attachment rule's questions about deals (permissions.register_relation)."""
    permissions.register_relation(permissions.WORKS_ON_LISTING_DEAL, works_on_listing_deal)
    permissions.register_relation(permissions.NDA_COUNTERPART_OF_LISTING,
                                  nda_counterpart_of_listing)
