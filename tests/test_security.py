"""Security defaults: headers, hashed passwords, pages need sign-in, errors stay friendly."""
import pytest
from sqlalchemy import func, select

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.textclean import clean_line, clean_text, is_blank
from tests.conftest import submit
from tests.profiles.test_views import need_form, output_form


def test_every_response_carries_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_passwords_are_stored_hashed(db_session):
    user = db_session.scalar(select(User).where(User.email == "admin@demo.example.com"))
    assert user.password_hash.startswith(("pbkdf2:", "scrypt:"))
    assert "demo-pass" not in user.password_hash


def test_unknown_page_gets_a_friendly_404(client):
    response = client.get("/outputs/999999999")
    assert response.status_code == 302  # not signed in: sent to the sign-in page first
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_logout_requires_post_with_csrf(login_as):
    client = login_as("qcut")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/outputs/").status_code == 200


# --- input hygiene: NUL bytes, invisible text, zero-width and control characters ------------

INVISIBLE = ["   ", "\u200b\u200c\u200d", "\u3000\u00a0\t", "\u2060\ufeff", "\u3164\u2800",
             "\x01\x07\x1b", "\u202e\u202d"]


@pytest.mark.parametrize("url, data", [
    ("/auth/login", {"email": "a\x00@example.com", "password": "x"}),
    ("/auth/signup", {"display_name": "李\x00工"}),
])
def test_a_nul_byte_in_a_form_is_refused_with_a_translated_400(client, url, data):
    response = submit(client, url, data)
    assert response.status_code == 400
    assert "空字符" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_query_or_a_signed_in_form_is_refused_never_a_500(login_as, db_session):
    client = login_as("h2-ent-01")
    for url in ("/outputs/?q=%00", "/needs/?q=abc%00def", "/?x=%00", "/brokers?%00=1",
                "/institutions/1?next=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
    before = db_session.scalar(select(func.count()).select_from(TechNeed))
    response = submit(client, "/needs/new", need_form(description="腐蚀\x00电流"))
    assert response.status_code == 400 and "空字符" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(TechNeed)) == before
    feedback = client.post("/auth/locale/en", data={"next": "/\x00"})
    assert feedback.status_code == 400


@pytest.mark.parametrize("query", ["page=%00", "page=1%00", "q=%00&page=2", "page=abc&x=%00"])
def test_a_nul_byte_beside_the_page_number_is_a_400_not_a_404(login_as, query):
    """The NUL guard runs before the page-number check (found by the route fuzz)."""
    response = login_as("broker-zhangmin").get(f"/outputs/?{query}")
    assert response.status_code == 400
    assert "空字符" in response.get_data(as_text=True)


@pytest.mark.parametrize("blank", INVISIBLE)
def test_text_made_only_of_invisible_characters_counts_as_empty(login_as, db_session, blank):
    client = login_as("h2-ent-01")
    before = db_session.scalar(select(func.count()).select_from(TechNeed))
    page = submit(client, "/needs/new", need_form(title=blank, description=blank))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "请输入标题" in html and "请描述需要解决的问题" in html
    assert db_session.scalar(select(func.count()).select_from(TechNeed)) == before


def test_invisible_names_are_refused_in_sign_up_and_the_chain_editor(client, login_as,
                                                                     db_session):
    page = submit(client, "/auth/signup", {"display_name": "\u200b\u3000", "email": " ",
                                           "password": "\u200b" * 12})
    html = page.get_data(as_text=True)
    assert "请输入姓名" in html and "请输入邮箱" in html and "请设置密码" in html
    admin = login_as("admin")
    before = db_session.scalar(select(func.count()).select_from(Chain))
    html = submit(admin, "/admin/chains/new", {"key": "blank_chain", "name_zh": "\u200b\u200d",
                                              "name_en": "\u3164", "is_active": "y"}
                  ).get_data(as_text=True)
    assert html.count("请输入名称") == 2
    assert db_session.scalar(select(func.count()).select_from(Chain)) == before


def test_zero_width_and_control_characters_are_stripped_from_single_line_fields(login_as,
                                                                                db_session):
    client = login_as("qcut")
    response = submit(client, "/outputs/new", output_form(
        db_session, title="\u200b兆瓦级\u200d碱性\x07电解槽\u202e复合隔膜 ",
        keywords="碱性\u200b电解，隔膜\u2060",
        abstract="第一行\r\n第二行\x00"[:-1] + "\x0b第三行\u200d😀"))
    assert response.status_code == 302
    output = db_session.scalar(select(ResearchOutput).order_by(ResearchOutput.id.desc()))
    assert output.title == "兆瓦级碱性电解槽复合隔膜"
    assert output.keywords == ["碱性电解", "隔膜"]
    assert output.abstract == "第一行\n第二行\n第三行\u200d😀"  # lines kept, controls gone


def test_sign_up_strips_invisible_characters_from_names(client, db_session):
    from tests.auth.test_views import SIGNUP

    response = submit(client, "/auth/signup", SIGNUP | {
        "display_name": "\u200b李\u200d工\u3000", "email": " li.gong@newco.example.com\u200b",
        "organisation_name": "陕西新测\u200b氢能科技有限公司\x1f"})
    assert response.status_code == 302
    user = db_session.scalar(select(User).where(User.email == "li.gong@newco.example.com"))
    assert user.display_name == "李工"
    assert user.enterprise.name == "陕西新测氢能科技有限公司"


def test_the_feedback_form_uses_the_same_hygiene(login_as, db_session):
    need = db_session.scalar(select(TechNeed).where(TechNeed.ref == "h2-n-001"))
    output = db_session.scalar(select(ResearchOutput).where(ResearchOutput.status == "published")
                               .order_by(ResearchOutput.id))
    client = login_as("broker-zhangmin")
    url = f"/recommendations/needs/{need.id}/outputs/{output.id}/feedback"
    html = submit(client, url, {"verdict": "declined", "reason": "other",
                                "comment": "\u200b \u3000"}).get_data(as_text=True)
    assert "选择“其他”时，请说明具体原因" in html  # the blank comment counts as none


@pytest.mark.parametrize("text, line, multi", [
    ("  a\u200bb\tc\n", "ab c", "  a\u200bb\tc\n"),
    ("\x00x\x7f", "x", "x"),
    ("\u200b\u3000", "", ""),
    ("a\r\nb\u2028c", "a b c", "a\nb\nc"),
    ("👩\u200d💻", "👩💻", "👩\u200d💻"),
])
def test_the_cleaners(text, line, multi):
    assert clean_line(text) == line
    assert clean_text(text) == multi
    assert is_blank("\u200b \u3164\u2800\x00")


GARBAGE = {"email": "x" * 5000, "password": "\u200b", "confirm": ["a", "b"],
           "display_name": "a" * 300, "role": "admin", "organisation_name": "\U0001F600" * 200,
           "organisation_type": "unicorn", "region": "月球", "join_existing": "y",
           "join_organisation": "institution:99999999999999999999999999", "accept_privacy": "maybe",
           "current_password": "", "new_password": "x" * 1000, "decision": "pending",
           "status": "superuser", "title": "\u202e" * 10, "trl": "nine", "modes": "teleport",
           "chain": "../etc", "segment": "-1", "deadline": "32/13/2026", "budget_min": "1e999",
           "key": "Robert'); DROP TABLE users;--", "position": "NaN", "verdict": "maybe"}


@pytest.mark.parametrize("account, url", [
    (None, "/auth/login"), (None, "/auth/signup"), (None, "/auth/locale/xx"),
    ("qcut", "/account/password"), ("qcut", "/account/delete"), ("qcut", "/account/consent"),
    ("shri", "/account/join-requests/1"), ("qcut", "/account/sessions/999999/revoke"),
    ("qcut", "/account/sessions/revoke-others"), ("qcut", "/outputs/new"),
    ("h2-ent-01", "/needs/new"), ("admin", "/admin/chains/new"),
    ("admin", "/admin/users/2/status"), ("admin", "/admin/join-requests/1"),
])
@pytest.mark.parametrize("data", [{}, GARBAGE])
def test_no_input_gives_a_server_error(client, login_as, account, url, data):
    browser = login_as(account) if account else client
    response = submit(browser, url, data, form_url="/")
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


NAMELESS_PART = b"--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--b--\r\n"


def test_a_form_part_without_a_name_is_dropped_not_a_500(client):
    """Werkzeug keyed it None and Flask-WTF's CSRF check failed on it before any view, for
    every POST route, signed in or not (found by the route fuzz)."""
    from tests.conftest import csrf_token

    response = client.post("/auth/login", data=NAMELESS_PART,
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data=NAMELESS_PART, headers={"X-CSRFToken": token},
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 200
    assert "请输入邮箱" in response.get_data(as_text=True)


def test_a_liveness_probe_with_a_signed_in_cookie_reads_nothing_from_the_database(
        login_as, db_session):
    """/healthz answers without loading the user or touching their session, even when a
    browser's cookies come along (the load test's baseline), and still says no-store; a
    signed-in page with the same cookies does load the user."""
    from sqlalchemy import event

    client = login_as("broker-zhangmin")
    engine = db_session.get_bind().engine
    statements: dict[str, list[str]] = {}

    for url in ("/healthz", "/outputs/"):
        seen = statements[url] = []

        def record(conn, cursor, statement, *args, seen=seen):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
    # (The test configuration's job runner looks for queued jobs after every request.)
    assert [s for s in statements["/healthz"] if "background_jobs" not in s] == []
    assert any("user_sessions" in s for s in statements["/outputs/"])
