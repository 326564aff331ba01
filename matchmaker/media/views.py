"""Attachments on the output and need pages, the views that serve every kept file after a
permission check, and what media adds to the app (blocks, permission facts, the 413 page).

Files are never static paths: each request checks permissions, then sends the file with its
stored type, nosniff, a Content-Disposition (attachment for PDFs, inline for images, with the
display name in RFC 5987 form), a Cache-Control (private unless public) and an ETag from its
sha256.
"""
import io
from urllib.parse import quote

import click
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from PIL import Image

from matchmaker import blocks, forms_common, permissions, security
from matchmaker.errors import error_response
from matchmaker.extensions import db
from matchmaker.forms_common import flash_form_errors
from matchmaker.media import forms, labels, services, storage
from matchmaker.media.models import Attachment, StoredFile, StoryImage
from matchmaker.permissions import Action
from matchmaker.profiles.models import ResearchOutput, TechNeed

bp = Blueprint("media", __name__)
LISTINGS = {"outputs": ResearchOutput, "needs": TechNeed}


def read_upload(file) -> services.Upload:
    """Return the uploaded file's name and bytes, read up to one byte past the limit."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    return services.Upload(file.filename or "", file.stream.read(limit + 1))


def attempt(change, success: str | None) -> bool:
    """Run change() and commit (forms_common.attempt); a refusal names its field."""
    return forms_common.attempt(change, success, refusal=labels.refusal_text)


def listing_url(listing) -> str:
    """Return the page of an output or need."""
    return url_for(f"{listing.side}s.detail", item_id=listing.id)


# --- attachments -------------------------------------------------------------------------------

@bp.route("/media/<any(outputs, needs):kind>/<int:listing_id>/attachments", methods=["POST"])
@login_required
def upload_attachment(kind: str, listing_id: int):
    listing = db.session.get(LISTINGS[kind], listing_id)
    if listing is None:
        abort(404)
    permissions.require(current_user, Action.EDIT, listing)
    form = forms.AttachmentForm()
    if form.validate_on_submit():
        attempt(lambda: services.add_attachment(
            db.session, listing, read_upload(form.file.data), kind=form.kind.data,
            visibility=form.visibility.data, actor=current_user), _("File attached."))
    else:
        flash_form_errors(form)
    return redirect(listing_url(listing) + "#attachments")


@bp.route("/media/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(attachment_id: int):
    row = services.get_attachment(db.session, attachment_id, viewer=current_user)
    listing = row.listing
    if forms.ActionForm().validate_on_submit():
        attempt(lambda: services.delete_attachment(db.session, row, actor=current_user),
                _("Attachment deleted."))
    return redirect(listing_url(listing) + "#attachments")


@bp.route("/media/attachments/<int:attachment_id>")
@bp.route("/media/attachments/<int:attachment_id>/<any(thumb):variant>")
def attachment_file(attachment_id: int, variant: str = ""):
    row = services.get_attachment(db.session, attachment_id, viewer=current_user)
    is_public = row.visibility == "public" and permissions.can(None, Action.VIEW, row)
    return send_stored(row, thumb=variant == "thumb", is_public=is_public)


@bp.route("/media/story-images/<int:image_id>")
@bp.route("/media/story-images/<int:image_id>/<any(thumb):variant>")
def story_image_file(image_id: int, variant: str = ""):
    image = db.session.get(StoryImage, image_id)
    if image is None:
        abort(404)
    permissions.require(current_user, Action.VIEW, image.story)
    return send_stored(image, thumb=variant == "thumb",
                       is_public=image.story.status == "published")


def content_disposition(row: StoredFile) -> str:
    """Return the Content-Disposition of row: attachment for PDFs, inline for images, with
    an ASCII fallback name and the display name in RFC 5987 form (filename*)."""
    kind = "inline" if row.is_image else "attachment"
    name = row.original_name or "file"
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_"
                       for ch in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def send_stored(row: StoredFile, *, thumb: bool, is_public: bool):
    """Send row's kept file (or its thumbnail) with the headers the module docstring lists."""
    thumb = thumb and row.is_image
    path = services.file_path(row, thumb=thumb)
    if not path.is_file():
        abort(404)
    etag = f"{row.sha256}-thumb" if thumb else row.sha256
    # Read whole (at most UPLOAD_MAX_BYTES): Werkzeug leaves a file it opened itself open
    # when it answers without the body (HEAD, 304, a refused range).
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=row.content_type, etag=etag,
                         conditional=True, max_age=None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = content_disposition(row)
    response.headers["Cache-Control"] = ("public, max-age=300" if is_public
                                         else "private, no-cache")
    response.headers.pop("Pragma", None)
    return response


# --- the attachments block on an output's or need's page -------------------------------------

def attachments_context(item) -> dict | None:
    """The attachments viewer may see on a listing, and the owner's upload form."""
    rows = services.list_attachments(db.session, item, viewer=current_user)
    may_attach = services.may_attach(current_user, item)
    if not rows and not may_attach:
        return None
    return {"attachments": rows, "may_attach": may_attach,
            "attachment_form": forms.AttachmentForm(formdata=None) if may_attach else None,
            "attachment_kind": item.side + "s", "listing": item,
            "media_labels": labels, "action_form": forms.ActionForm(formdata=None),
            "may_delete": {row.id: permissions.can(current_user, Action.EDIT, row)
                           for row in rows}}


def too_large(error):
    """A request body beyond MAX_CONTENT_LENGTH: say so, in the reader's language."""
    megabytes = "{:g}".format(current_app.config["UPLOAD_MAX_BYTES"] / (1024 * 1024))
    return error_response(413, _("File too large"), _(
        "The file is too large (at most %(mb)s MB). Go back and choose a smaller file.",
        mb=megabytes))


@click.group("media")
def media_cli():
    """Uploaded files."""


@media_cli.command("sweep")
@click.option("--older-than", default=3600, show_default=True, help="Seconds.")
def sweep_command(older_than: int):
    """Delete uploaded files no row holds (left by a crash) and stale temporary files."""
    from matchmaker.media.models import Story  # noqa: F401  (mapped with its images)

    removed = storage.sweep(db.session, (Attachment, StoryImage), older_than=older_than)
    click.echo(f"removed {len(removed)} file(s)")


def register(app: Flask) -> None:
    """Add media's blueprint, blocks, permission facts, 413 page and CLI to app."""
    from matchmaker.media import story_views

    app.register_blueprint(bp)
    # Pillow refuses (we catch) images past this many pixels even before our own check.
    Image.MAX_IMAGE_PIXELS = app.config["UPLOAD_MAX_PIXELS"]
    services.register_relations()
    for endpoint in ("media.attachment_file", "media.story_image_file"):
        security.keep_cache_control(endpoint)
    blocks.register_block(app, "media-attachments", "listing", "media/_attachments.html",
                          attachments_context)
    blocks.register_block(app, "media-latest-stories", "showcase-home",
                          "media/_latest_stories.html", story_views.latest_stories_context)
    app.register_error_handler(413, too_large)
    app.cli.add_command(media_cli)
