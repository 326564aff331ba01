"""Personal API tokens: made on the tokens page (shown once, stored as a digest), used as a
bearer token (last use recorded), refused when expired, revoked, read-only for a write, or
when the account is disabled; and no way in with the browser's cookies alone."""
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker.api import tokens
from matchmaker.api.models import ApiToken
from matchmaker.auth import services as auth
from matchmaker.domain import Role
from matchmaker.errors import ValidationFailedError
from matchmaker.profiles.models import ResearchOutput
from matchmaker.types import utcnow
from tests.api.conftest import Api
from tests.conftest import submit

TOKEN_RE = re.compile(r'data-testid="new-token-value">(mm_[0-9a-f]{8}_[A-Za-z0-9_-]+)<')


def _make_on_page(web, **fields):
    data = {"name": "ERP sync", "scope": "write", "days": "30", **fields}
    return submit(web, "/account/api-tokens/", data)


def test_token_is_shown_once_and_only_its_digest_is_kept(app, client, make_user, sign_in,
                                                         db_session):
    user = make_user(Role.INSTITUTION)
    web = sign_in(user)
    page = web.get("/account")
    assert 'href="/account/api-tokens/"' in page.get_data(as_text=True)
    made = _make_on_page(web)
    assert made.status_code == 200
    raw = TOKEN_RE.search(made.get_data(as_text=True)).group(1)
    row = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[:11] and row.scope == "write" and row.last_used_at is None
    assert raw not in (row.name, row.prefix, row.token_hash)
    assert timedelta(days=29) < tokens.aware(row.expires_at) - utcnow() <= timedelta(days=30)
    again = web.get("/account/api-tokens/").get_data(as_text=True)
    assert raw not in again and row.prefix in again  # never shown again, told apart by prefix
    used = Api(client, raw).get("/outputs/")
    assert used.status_code == 200
    db_session.refresh(row)
    assert row.last_used_at is not None


def test_page_needs_a_signed_in_user_and_csrf(app, client, make_user, sign_in, db_session):
    assert client.get("/account/api-tokens/").status_code == 302  # to the sign-in page
    user = make_user(Role.ENTERPRISE)
    web = sign_in(user)
    forged = web.post("/account/api-tokens/", data={"name": "x", "scope": "write",
                                                     "days": "30"})
    assert forged.status_code == 400
    assert db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None
    invalid = _make_on_page(web, name="", days="9999")
    assert invalid.status_code == 400 and not TOKEN_RE.search(invalid.get_data(as_text=True))


def test_revoked_token_stops_working_and_others_tokens_cannot_be_revoked(
        app, client, make_user, make_token, sign_in, db_session):
    owner, stranger = make_user(Role.INSTITUTION), make_user(Role.INSTITUTION)
    raw = make_token(owner)
    row = db_session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    foreign = submit(sign_in(stranger), f"/account/api-tokens/{row.id}/revoke", {},
                     form_url="/account/api-tokens/")
    assert foreign.status_code == 404
    assert Api(client, raw).get("/chains/").status_code == 200
    revoked = submit(sign_in(owner), f"/account/api-tokens/{row.id}/revoke", {},
                     form_url="/account/api-tokens/")
    assert revoked.status_code == 302
    response = Api(client, raw).get("/chains/")
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_invalid"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_expired_token_and_disabled_account_are_refused(client, make_user, make_token,
                                                        db_session):
    user = make_user(Role.BROKER)
    raw = make_token(user)
    row = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert Api(client, raw).get("/deals/").status_code == 401
    row.expires_at = utcnow() + timedelta(days=1)
    db_session.flush()
    assert Api(client, raw).get("/deals/").status_code == 200
    auth.set_account_status(db_session, user, "disabled")
    db_session.flush()
    assert Api(client, raw).get("/deals/").status_code == 401


def test_read_scope_reads_but_never_writes(api_as, make_output):
    api, user = api_as(Role.INSTITUTION, scope="read")
    item = make_output(owner=user, status="draft")
    read = api.get(f"/outputs/{item.id}")
    assert read.status_code == 200
    for response in (api.patch(f"/outputs/{item.id}", json={"trl": 7},
                               headers={"If-Match": read.headers["ETag"]}),
                     api.post("/outputs/", json={"title": "x"}),
                     api.post(f"/outputs/{item.id}/status", json={"status": "published"},
                              headers={"If-Match": read.headers["ETag"]})):
        assert response.status_code == 403
        assert response.get_json()["code"] == "token_read_only"
    assert api.get(f"/outputs/{item.id}").get_json()["trl"] == item.trl


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ",
                                    "Bearer nonsense", "Bearer mm_00000000_" + "x" * 36,
                                    "Bearer " + "x" * 5000, "Bearer é☃"])
def test_no_or_bad_token_is_401_with_a_challenge(client, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/v1/outputs/", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="matchmaker"')
    assert response.get_json()["code"] == ("token_missing" if header is None
                                           else "token_invalid")


def test_session_cookie_alone_opens_nothing_and_posts_nothing(app, make_user, sign_in,
                                                              db_session):
    user = make_user(Role.INSTITUTION)
    web = sign_in(user)  # a browser signed in on the site
    assert web.get("/account").status_code == 200
    assert web.get("/api/v1/outputs/").status_code == 401
    count = len(db_session.scalars(select(ResearchOutput.id)).all())
    created = web.post("/api/v1/outputs/", json={"title": "跨站请求", "abstract": "x",
                                                 "trl": 3, "modes": ["licence"]})
    assert created.status_code == 401  # not a CSRF refusal: no cookie is read on the API
    assert len(db_session.scalars(select(ResearchOutput.id)).all()) == count


def test_a_token_is_created_only_within_its_rules(db_session, make_user):
    user = make_user(Role.ENTERPRISE)
    with pytest.raises(ValidationFailedError) as refused:
        tokens.create_token(db_session, user, name=" ", scope="admin", days=400, max_days=365)
    assert set(refused.value.reasons) == {"name", "scope", "days"}
    made = tokens.create_token(db_session, user, name="ok", scope="read", days=1, max_days=365)
    assert tokens.authenticate(db_session, made.secret) is made.row
    assert tokens.authenticate(db_session, made.secret + "x") is None
