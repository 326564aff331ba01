"""Pages of landed-project stories and product exhibits: the public list and story pages, and
the broker's editor (write, add images, publish). Routes on media.bp."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker import permissions
from matchmaker.chains.models import Chain
from matchmaker.domain import PUBLIC_OUTPUT_STATUSES, Phase
from matchmaker.extensions import db
from matchmaker.forms_common import flash_form_errors
from matchmaker.media import forms, labels, stories
from matchmaker.media.models import Story, StoryImage
from matchmaker.media.views import attempt, bp, read_upload
from matchmaker.permissions import Action
from matchmaker.pipeline import queries
from matchmaker.pipeline.models import Deal, DealStage
from matchmaker.routing import page_number
from matchmaker.templating import localized

PER_PAGE = 12
LATEST_ON_HOME = 3


def story_url(story: Story, **kwargs) -> str:
    """Return the canonical address of a piece."""
    return url_for("media.story_detail", story_id=story.id, slug=story.slug, **kwargs)


# --- public pages ----------------------------------------------------------------------------

@bp.route("/stories/")
def story_index():
    kind = request.args.get("kind", "")[:12]
    page = page_number()
    total = stories.count_published(db.session, kind=kind)
    rows = stories.list_published(db.session, kind=kind, limit=PER_PAGE,
                                  offset=(page - 1) * PER_PAGE)
    if page > 1 and not rows:
        abort(404)
    return render_template("media/story_index.html", stories=rows, kind=kind, page=page,
                           has_next=page * PER_PAGE < total, media_labels=labels,
                           may_write=permissions.may_create(current_user, "story"))


@bp.route("/stories/<int:story_id>")
@bp.route("/stories/<int:story_id>-<slug>")
def story_detail(story_id: int, slug: str = ""):
    story = stories.get_story(db.session, story_id, viewer=current_user)
    if slug != story.slug:
        return redirect(story_url(story), 301)
    return render_template("media/story_detail.html", story=story, media_labels=labels,
                           may_edit=permissions.can(current_user, Action.EDIT, story))


def latest_stories_context(_obj) -> dict | None:
    """The latest published pieces with their thumbnails (block "showcase-home")."""
    rows = stories.list_published(db.session, limit=LATEST_ON_HOME)
    if not rows:
        return None
    return {"latest_stories": rows, "media_labels": labels}


# --- the broker's editor -------------------------------------------------------------------

def _load(story_id: int) -> Story:
    story = stories.get_story(db.session, story_id, viewer=current_user)
    permissions.require(current_user, Action.EDIT, story)
    return story


@bp.route("/stories/mine")
@login_required
def story_mine():
    if not permissions.may_create(current_user, "story"):
        abort(403)
    return render_template("media/story_mine.html", media_labels=labels,
                           stories=stories.list_written_by(db.session, current_user))


def _choices(form: forms.StoryForm, story: Story | None) -> None:
    none = [("", _("— none —"))]
    chains = db.session.scalars(select(Chain).where(Chain.is_active).order_by(Chain.id))
    form.chain_id.choices = forms.choices(none + [(str(c.id), localized(c)) for c in chains])
    author = story.author if story is not None else current_user
    position = stories.landed_stage_position(db.session) or 0
    deals = db.session.scalars(
        queries.list_deals_query(author, queries.DealFilters(include_lost=True))
        .join(DealStage, Deal.stage_id == DealStage.id)
        .where(DealStage.phase != Phase.LOST, DealStage.position >= position)).unique().all()
    form.deal_id.choices = forms.choices(none + [(str(d.id), d.title) for d in deals])
    outputs = {d.output.id: d.output for d in deals
               if d.output is not None and d.output.status in PUBLIC_OUTPUT_STATUSES}
    if story is not None and story.output is not None:
        outputs.setdefault(story.output.id, story.output)
    form.output_id.choices = forms.choices(none + [(str(i), o.title)
                                                   for i, o in outputs.items()])


def _id(value) -> int | None:
    return int(value) if (value or "").isdigit() and len(value) < 10 else None


def _data(form: forms.StoryForm) -> stories.StoryData:
    return stories.StoryData(
        kind=form.kind.data, title=form.title.data or "", slug=(form.slug.data or "").strip(),
        summary=form.summary.data or "", body=form.body.data or "",
        chain_id=_id(form.chain_id.data), deal_id=_id(form.deal_id.data),
        output_id=_id(form.output_id.data))


@bp.route("/stories/new", methods=["GET", "POST"])
@login_required
def story_new():
    if not permissions.may_create(current_user, "story"):
        abort(403)
    form = forms.StoryForm()
    _choices(form, None)
    if form.validate_on_submit():
        made = []
        if attempt(lambda: made.append(stories.create_story(
                db.session, _data(form), actor=current_user)),
                _("Saved as a draft. Add images, then publish.")):
            return redirect(url_for("media.story_edit", story_id=made[0].id))
    elif form.is_submitted():
        flash_form_errors(form)
    return render_template("media/story_edit.html", form=form, story=None, media_labels=labels)


@bp.route("/stories/<int:story_id>/edit", methods=["GET", "POST"])
@login_required
def story_edit(story_id: int):
    story = _load(story_id)
    form = forms.StoryForm(obj=story)
    _choices(form, story)
    if request.method == "GET":
        for name in ("chain_id", "deal_id", "output_id"):
            value = getattr(story, name)
            form[name].data = str(value) if value is not None else ""
    if form.validate_on_submit():
        if attempt(lambda: stories.update_story(db.session, story, _data(form),
                                                actor=current_user), _("Saved.")):
            return redirect(url_for("media.story_edit", story_id=story.id))
    elif form.is_submitted():
        flash_form_errors(form)
    return render_template("media/story_edit.html", form=form, story=story, media_labels=labels,
                           image_form=forms.StoryImageForm(formdata=None),
                           action_form=forms.ActionForm(formdata=None),
                           images_max=stories.IMAGES_MAX)


@bp.route("/stories/<int:story_id>/<any(publish, unpublish):action>", methods=["POST"])
@login_required
def story_status(story_id: int, action: str):
    story = _load(story_id)
    if forms.ActionForm().validate_on_submit():
        if action == "publish":
            if attempt(lambda: stories.publish_story(db.session, story, actor=current_user),
                       _("Published: the story is on the public pages.")):
                return redirect(url_for("media.story_detail", story_id=story.id,
                                        slug=story.slug))
        else:
            attempt(lambda: stories.unpublish_story(db.session, story, actor=current_user),
                    _("Back to draft: the story left the public pages."))
    return redirect(url_for("media.story_edit", story_id=story.id))


@bp.route("/stories/<int:story_id>/images", methods=["POST"])
@login_required
def story_image_add(story_id: int):
    story = _load(story_id)
    form = forms.StoryImageForm()
    if form.validate_on_submit():
        attempt(lambda: stories.add_story_image(db.session, story, read_upload(form.file.data),
                                                alt=form.alt.data or "", actor=current_user),
                _("Image added."))
    else:
        flash_form_errors(form)
    return redirect(url_for("media.story_edit", story_id=story.id) + "#images")


def _image(story: Story, image_id: int) -> StoryImage:
    image = db.session.get(StoryImage, image_id)
    if image is None or image.story_id != story.id:
        abort(404)
    return image


@bp.route("/stories/<int:story_id>/images/<int:image_id>/<any(up, down, delete):action>",
          methods=["POST"])
@login_required
def story_image_change(story_id: int, image_id: int, action: str):
    story = _load(story_id)
    image = _image(story, image_id)
    if forms.ActionForm().validate_on_submit():
        if action == "delete":
            attempt(lambda: stories.delete_story_image(db.session, image, actor=current_user),
                    _("Image removed."))
        else:
            attempt(lambda: stories.move_story_image(db.session, image, up=action == "up",
                                                     actor=current_user), None)
    else:
        flash(_("The form expired. Submit it again."), "danger")
    return redirect(url_for("media.story_edit", story_id=story.id) + "#images")
