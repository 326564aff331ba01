"""Attachments on outputs and needs: uploads through the page, who is served each
visibility, the headers, and files that follow the transaction."""
import hashlib
import io
import os

import pytest
from PIL import Image

from matchmaker.domain import Role
from matchmaker.errors import PermissionDeniedError
from matchmaker.media import labels, services, storage
from matchmaker.media.models import Attachment
from matchmaker.pipeline import landing
from tests.conftest import submit
from tests.media.images import HTML, PDF, SVG, image_bytes, png_bomb


@pytest.fixture
def attach(app):
    """Return attach(session, listing, actor, data=PDF, name=…, visibility=…, kind=…)."""
    def add(session, listing, actor, data=PDF, *, name="产品手册.pdf", visibility="public",
            kind="brochure") -> Attachment:
        with app.app_context():
            return services.add_attachment(session, listing, services.Upload(name, data),
                                           kind=kind, visibility=visibility, actor=actor)
    return add


@pytest.fixture
def file_path(app):
    """Return file_path(row, thumb=False): where row's file is kept."""
    def where(row, *, thumb=False):
        with app.app_context():
            return services.file_path(row, thumb=thumb)
    return where


def upload(client, listing, data: bytes, name: str, **fields):
    page = f"/outputs/{listing.id}"
    form = {"file": (io.BytesIO(data), name), "kind": "brochure", "visibility": "public",
            **fields}
    return submit(client, f"/media/outputs/{listing.id}/attachments", form, form_url=page,
                  content_type="multipart/form-data", follow_redirects=True)


def status_of(client, url: str, **kwargs) -> int:
    """GET url and return its status (the file sent is read and closed)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response.status_code


def refusal(app, code: str, field: str = "file", **params) -> str:
    with app.test_request_context():
        message = str(labels.REFUSAL[code])
        return labels.refusal_text(field, message % params if params else message)


# --- uploads through the page ----------------------------------------------------------------

def test_the_owner_uploads_a_pdf_from_the_output_page(world, sign_in, uploads, db_session, file_path):
    client = sign_in(world.owner)
    page = upload(client, world.output, PDF, "手册.pdf", visibility="after_nda")
    assert page.status_code == 200
    row = db_session.query(Attachment).filter_by(output_id=world.output.id).one()
    assert (row.content_type, row.visibility, row.original_name) == (
        "application/pdf", "after_nda", "手册.pdf")
    assert row.sha256 == hashlib.sha256(PDF).hexdigest() and row.size == len(PDF)
    assert file_path(row).read_bytes() == PDF
    assert "手册.pdf" in client.get(f"/outputs/{world.output.id}").get_data(as_text=True)


@pytest.mark.parametrize("data, name, code", [
    (PDF, "photo.png", None),  # a .png that is a PDF: accepted as what it is, a PDF
    (HTML, "brochure.pdf", "wrong_type"),  # a .pdf that is an HTML page
    (SVG, "logo.png", "svg"),
    (png_bomb(), "bomb.png", "too_many_pixels"),
])
def test_the_type_is_judged_by_content_not_by_name(app, world, sign_in, db_session, data,
                                                   name, code, file_path):
    page = upload(sign_in(world.owner), world.output, data, name)
    rows = db_session.query(Attachment).filter_by(output_id=world.output.id).all()
    if code is None:
        assert [r.content_type for r in rows] == ["application/pdf"]
        assert file_path(rows[0]).suffix == ".pdf"
    else:
        assert rows == []
        params = {"mp": "40"} if code == "too_many_pixels" else {}
        assert refusal(app, code, **params) in page.get_data(as_text=True)


def test_a_png_sent_as_a_pdf_is_stored_as_a_png(world, sign_in, db_session, file_path):
    upload(sign_in(world.owner), world.output, image_bytes("PNG"), "scan.pdf",
           kind="patent_certificate")
    row = db_session.query(Attachment).filter_by(output_id=world.output.id).one()
    assert row.content_type == "image/png" and file_path(row).suffix == ".png"
    assert file_path(row, thumb=True).is_file()


def test_a_file_name_with_path_characters_stays_display_text(world, sign_in, uploads,
                                                             db_session, file_path):
    upload(sign_in(world.owner), world.output, image_bytes("PNG"), "../../etc/passwd.png")
    row = db_session.query(Attachment).filter_by(output_id=world.output.id).one()
    assert row.original_name == "passwd.png"
    path = file_path(row)
    assert path.resolve().is_relative_to(uploads.resolve())
    assert path.name == f"{row.token}.png" and "passwd" not in str(path)
    assert not any("passwd" in name for _root, _dirs, names in os.walk(uploads)
                   for name in names)


def test_a_file_over_the_upload_limit_is_refused_by_name(app, world, sign_in, db_session,
                                                         monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024 * 1024)
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert out.tell() > 1024 * 1024
    page = upload(sign_in(world.owner), world.output, out.getvalue(), "big.png")
    assert refusal(app, "too_large", mb="1") in page.get_data(as_text=True)
    assert db_session.query(Attachment).filter_by(output_id=world.output.id).count() == 0


def test_a_body_over_max_content_length_gets_a_page_not_a_raw_413(app, world, sign_in,
                                                                  monkeypatch):
    client = sign_in(world.owner)
    token_page = f"/outputs/{world.output.id}"
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    response = submit(client, f"/media/outputs/{world.output.id}/attachments",
                      {"file": (io.BytesIO(b"%PDF-" + b"0" * 60_000), "big.pdf"),
                       "kind": "brochure", "visibility": "public"}, form_url=token_page,
                      content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "<nav" in page and "10 MB" in page


def test_only_the_owner_sees_the_upload_form(world, sign_in):
    url = f"/outputs/{world.output.id}"
    assert 'data-testid="attachment-form"' in sign_in(world.owner).get(url).get_data(True)
    assert 'data-testid="attachment-form"' not in sign_in(world.counterpart).get(url) \
        .get_data(True)


def test_a_stranger_cannot_upload(world, sign_in, db_session):
    client = sign_in(world.stranger)
    response = client.post(f"/media/outputs/{world.output.id}/attachments", data={
        "file": (io.BytesIO(PDF), "x.pdf"), "kind": "brochure", "visibility": "public"},
        content_type="multipart/form-data")
    assert response.status_code in (400, 403)
    assert db_session.query(Attachment).count() == 0


def test_the_owner_deletes_an_attachment_and_its_file_goes(world, sign_in, db_session, attach, file_path):
    row = attach(db_session, world.output, world.owner, image_bytes("PNG"), name="a.png")
    db_session.commit()
    paths = [file_path(row), file_path(row, thumb=True)]
    assert all(p.is_file() for p in paths)
    client = sign_in(world.owner)
    submit(client, f"/media/attachments/{row.id}/delete", {},
           form_url=f"/outputs/{world.output.id}")
    assert db_session.get(Attachment, row.id) is None
    assert not any(p.exists() for p in paths)


def test_a_need_takes_attachments_too(db_session, make_user, make_need, sign_in, attach):
    owner = make_user(Role.ENTERPRISE)
    need = make_need(owner=owner)
    row = attach(db_session, need, owner, visibility="private")
    db_session.commit()
    assert status_of(sign_in(owner), f"/media/attachments/{row.id}") == 200
    page = sign_in(owner).get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'data-testid="attachments"' in page and "产品手册.pdf" in page


# --- who is served what ------------------------------------------------------------------------

WHO = ("owner", "operator", "broker", "other_broker", "counterpart", "stranger", "anonymous")
SERVED = {
    "public": set(WHO),
    "after_nda": {"owner", "operator", "broker"},
    "private": {"owner", "operator"},
}


def _status(world, who, client, sign_in, row) -> int:
    viewer = client if who == "anonymous" else sign_in(getattr(world, who))
    return status_of(viewer, f"/media/attachments/{row.id}")


@pytest.mark.parametrize("visibility", sorted(SERVED))
def test_each_visibility_is_served_only_to_those_allowed(world, client, sign_in, db_session,
                                                         visibility, attach):
    row = attach(db_session, world.output, world.owner, visibility=visibility)
    db_session.commit()
    served = {who for who in WHO if _status(world, who, client, sign_in, row) == 200}
    assert served == SERVED[visibility]


@pytest.mark.parametrize("nda, counterpart_served", [
    ("none", False), ("sent", False), ("signed", True), ("expired", False)])
def test_after_nda_opens_to_the_counterpart_only_under_a_signed_nda(
        world, sign_in, db_session, nda, counterpart_served, attach):
    row = attach(db_session, world.output, world.owner, visibility="after_nda")
    if nda != "none":
        landing.set_nda(db_session, world.deal, nda, actor=world.broker)
    db_session.commit()
    status = status_of(sign_in(world.counterpart), f"/media/attachments/{row.id}")
    assert status == (200 if counterpart_served else 404)
    # Whatever the NDA, another enterprise never sees it.
    assert status_of(sign_in(world.stranger), f"/media/attachments/{row.id}") == 404


def test_a_public_attachment_of_an_unpublished_listing_is_not_public(
        db_session, make_user, make_output, client, sign_in, attach):
    owner = make_user(Role.INSTITUTION)
    draft = make_output(owner=owner, status="draft")
    row = attach(db_session, draft, owner, visibility="public")
    db_session.commit()
    assert status_of(client, f"/media/attachments/{row.id}") == 404
    assert sign_in(make_user(Role.ENTERPRISE)).get(
        f"/media/attachments/{row.id}").status_code == 404
    assert status_of(sign_in(owner), f"/media/attachments/{row.id}") == 200


def test_the_listing_page_lists_only_the_attachments_the_viewer_may_open(world, sign_in,
                                                                        db_session, attach):
    attach(db_session, world.output, world.owner, name="公开手册.pdf", visibility="public")
    attach(db_session, world.output, world.owner, name="保密数据.pdf", visibility="after_nda")
    attach(db_session, world.output, world.owner, name="内部记录.pdf", visibility="private")
    db_session.commit()
    url = f"/outputs/{world.output.id}"
    stranger = sign_in(world.stranger).get(url).get_data(as_text=True)
    assert "公开手册.pdf" in stranger and "保密数据.pdf" not in stranger
    broker = sign_in(world.broker).get(url).get_data(as_text=True)
    assert "保密数据.pdf" in broker and "内部记录.pdf" not in broker
    owner = sign_in(world.owner).get(url).get_data(as_text=True)
    assert all(name in owner for name in ("公开手册.pdf", "保密数据.pdf", "内部记录.pdf"))


# --- headers -----------------------------------------------------------------------------------

def test_a_pdf_is_sent_as_a_download_with_its_headers(world, sign_in, db_session, attach):
    row = attach(db_session, world.output, world.owner, name="产品 手册.pdf",
                 visibility="after_nda")
    db_session.commit()
    response = sign_in(world.broker).get(f"/media/attachments/{row.id}")
    body = response.get_data()
    response.close()
    headers = response.headers
    assert headers["Content-Type"] == "application/pdf"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"__ __.pdf\"; "
        "filename*=UTF-8''%E4%BA%A7%E5%93%81%20%E6%89%8B%E5%86%8C.pdf")
    assert headers["Cache-Control"] == "private, no-cache"
    assert response.get_etag()[0] == hashlib.sha256(PDF).hexdigest()
    assert body == PDF


def test_a_public_image_is_inline_cacheable_and_revalidated_by_etag(world, client,
                                                                    db_session, attach):
    row = attach(db_session, world.output, world.owner, image_bytes("JPEG"), name="照片.jpg",
                 kind="product_photo")
    db_session.commit()
    response = client.get(f"/media/attachments/{row.id}")
    response.close()
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline; ")
    assert response.headers["Cache-Control"].startswith("public")
    etag = response.headers["ETag"]
    assert status_of(client, f"/media/attachments/{row.id}",
                     headers={"If-None-Match": etag}) == 304
    thumb = client.get(f"/media/attachments/{row.id}/thumb")
    thumb.close()
    assert thumb.status_code == 200 and thumb.headers["ETag"] != etag


# --- files follow the transaction -------------------------------------------------------------

def test_a_rolled_back_upload_leaves_no_file(world, db_session, uploads, attach, file_path):
    row = attach(db_session, world.output, world.owner, image_bytes("PNG"), name="a.png")
    path = file_path(row)
    assert path.is_file()
    db_session.rollback()
    assert not path.exists()
    assert [p for p in uploads.rglob("*") if p.is_file()] == []


def test_a_deleted_attachment_keeps_its_file_until_the_commit(app, world, db_session, attach, file_path):
    row = attach(db_session, world.output, world.owner)
    db_session.commit()
    path = file_path(row)
    with app.app_context():
        services.delete_attachment(db_session, row, actor=world.owner)
    db_session.rollback()
    assert path.is_file()  # the deletion was rolled back: the row and its file stay
    row = db_session.get(Attachment, row.id)
    with app.app_context():
        services.delete_attachment(db_session, row, actor=world.owner)
    db_session.commit()
    assert not path.exists()


def test_sweep_removes_files_that_no_row_holds(world, db_session, app, uploads, attach, file_path):
    row = attach(db_session, world.output, world.owner)
    db_session.commit()
    orphan = uploads / "ab" / ("ab" + "0" * 30 + ".pdf")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(PDF)
    with app.app_context():
        removed = storage.sweep(db_session, (Attachment,), older_than=0,
                                now=orphan.stat().st_mtime + 1)
    assert removed == [orphan] and file_path(row).is_file()


def test_only_the_owner_or_an_operator_deletes(app, world, db_session, attach):
    row = attach(db_session, world.output, world.owner)
    with pytest.raises(PermissionDeniedError):  # a public file: they see it, cannot delete it
        services.delete_attachment(db_session, row, actor=world.stranger)
    with app.app_context():
        services.delete_attachment(db_session, row, actor=world.operator)
