"""Every user-visible string is translated, the compiled catalogue is current, and pages show
interface text only in their own language (user content in Chinese is marked lang="zh")."""
import re
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from matchmaker.auth.models import Broker
from matchmaker.chains.models import Chain
from matchmaker.jobs import BackgroundJob, JobStatus
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.profiles.models import ResearchOutput, TechNeed
from tests.conftest import submit

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "matchmaker" / "translations" / "zh" / "LC_MESSAGES"


def _ids(catalog) -> set[str]:
    return {m.id for m in catalog if m.id}


def test_every_extracted_string_is_translated_to_chinese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        wanted = _ids(read_po(f))
    with (CATALOG / "messages.po").open("rb") as f:
        po = read_po(f)
    translated = {m.id for m in po if m.id and m.string and "fuzzy" not in m.flags}
    assert sorted(wanted - translated) == []


def _key(value):
    """Plural entries come back as tuples from the .po reader and lists from the .mo reader."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_compiled_catalogue_matches_the_po_file():
    with (CATALOG / "messages.po").open("rb") as f:
        po = {_key(m.id): _key(m.string) for m in read_po(f) if m.id}
    with (CATALOG / "messages.mo").open("rb") as f:
        mo = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert mo == po, "run: pybabel compile -d matchmaker/translations"


def test_pages_default_to_chinese_and_switch_to_english(client):
    assert '<html lang="zh-CN">' in client.get("/auth/login").get_data(as_text=True)
    from tests.conftest import submit
    submit(client, "/auth/locale/en", {"next": "/auth/login"}, form_url="/auth/login")
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Keep me signed in" in page


# --- rendered pages: interface text in the page's language, user content marked -----------

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
VISIBLE_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label", "label")


class _Texts(HTMLParser):
    """Collect the visible texts of a page's body with the language each one is marked in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.texts: list[tuple[str, str | None, str]] = []  # text, nearest lang, element path

    def _lang(self) -> str | None:
        return next((lang for _, lang in reversed(self.stack) if lang), None)

    def _path(self) -> str:
        return "/".join(tag for tag, _ in self.stack[-4:])

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        if tag not in VOID:
            self.stack.append((tag, lang))
        visible = [name for name in VISIBLE_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and attrs.get("type", "text") in ("text", "search") and attrs.get("value"):
            visible.append("value")  # what a text box holds is on screen too
        for name in visible:
            if self._inside_body():
                self.texts.append((attrs[name], lang or self._lang(), f"{self._path()}@{name}"))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def _inside_body(self) -> bool:
        tags = [tag for tag, _ in self.stack]
        return "body" in tags and not {"script", "style", "template"} & set(tags)

    def handle_data(self, data):
        if data.strip() and self._inside_body():
            self.texts.append((data.strip(), self._lang(), self._path()))


def visible_texts(html: str) -> list[tuple[str, str | None, str]]:
    """Return (text, lang of the nearest marked ancestor, path) for every text of the body."""
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def chinese_outside_user_content(html: str) -> list[tuple[str, str]]:
    """Return the texts with Chinese characters that are not inside an element marked zh."""
    return [(text, path) for text, lang, path in visible_texts(html)
            if CJK.search(text) and not (lang or "").startswith("zh")]


def _interface_patterns() -> list[tuple[str, re.Pattern]]:
    """Return every translated msgid as a whole-text pattern (placeholders match anything)."""
    with (CATALOG / "messages.po").open("rb") as f:
        catalog = read_po(f)
    patterns = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if not msgid or msgid in strings or not re.search(r"[A-Za-z]{2}", msgid):
                continue  # identical in both languages (TRL), or no words to translate
            parts = re.split(r"%\(\w+\)[sd]|%%", msgid)
            body = ".+?".join(re.escape(p.strip() if len(parts) == 1 else p) for p in parts)
            patterns.append((msgid, re.compile(rf"^{body}$", re.DOTALL)))
    return patterns


def untranslated_interface_texts(html: str) -> list[tuple[str, str]]:
    """Return English interface strings (known msgids) shown outside user content."""
    patterns = _interface_patterns()
    found = []
    for text, lang, path in visible_texts(html):
        if (lang or "zh").startswith("zh") and not CJK.search(text):
            found += [(text, path) for msgid, pattern in patterns if pattern.match(text)]
    return found


def test_the_page_checks_can_fail():
    """The checks below see unmarked Chinese and untranslated interface strings."""
    english = ('<html lang="en"><body><p>Budget <span>面议</span></p>'
               '<p lang="zh">碱性电解槽</p><input placeholder="搜索"></body></html>')
    assert [t for t, _ in chinese_outside_user_content(english)] == ["面议", "搜索"]
    chinese = ('<html lang="zh-CN"><body><button>Sign out</button><span>3 results</span>'
               '<p lang="en">Sign out</p><p>退出</p></body></html>')
    assert [t for t, _ in untranslated_interface_texts(chinese)] == ["Sign out", "3 results"]


def _record(db_session, model, ref):
    return db_session.scalar(select(model).where(model.ref == ref))


def _page_urls(db_session) -> dict[str, list[str]]:
    need = _record(db_session, TechNeed, "h2-n-001")
    own_output = db_session.scalar(
        select(ResearchOutput).where(ResearchOutput.status == "published",
                                     ResearchOutput.institution.has(ref="shri"))
        .order_by(ResearchOutput.id))
    english_output = db_session.scalar(
        select(ResearchOutput).where(ResearchOutput.status == "published",
                                     ResearchOutput.lang == "en").order_by(ResearchOutput.id))
    draft = db_session.scalar(select(TechNeed).where(TechNeed.status == "draft",
                                                     TechNeed.enterprise.has(ref="h2-ent-02")))
    need_pages = [f"/needs/{need.id}", f"/needs/{need.id}/edit", "/needs/?mine=1", "/needs/new"]
    if draft is not None:
        need_pages.append(f"/needs/{draft.id}")
    orgs = _org_urls(db_session)
    jobs = _job_urls(db_session)
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    deals = _deal_urls(db_session)
    return {
        "broker-zhangmin": [*orgs, "/", "/outputs/", "/needs/", "/outputs/?chain=semiconductor",
                            f"/needs/{need.id}", f"/outputs/{own_output.id}",
                            f"/outputs/{english_output.id}", "/needs/?chain=hydrogen&segment=7",
                            f"/recommendations/needs/{need.id}/outputs/{own_output.id}/feedback",
                            *deals["broker-zhangmin"], f"/deals/new?output_id={own_output.id}",
                            f"/deals/new?need_id={need.id}&output_id={own_output.id}&match=1"],
        "shri": ["/", "/deals/", *deals["shri"], "/outputs/?mine=1", f"/outputs/{own_output.id}",
                 f"/outputs/{own_output.id}/edit", "/outputs/new"],
        "h2-ent-02": need_pages,
        "admin": ["/", "/deals/overview", "/deals/board", "/deals/today", "/deals/stages",
                  "/deals/stages/new?after=negotiating", "/deals/stages/landed/edit",
                  "/admin/chains", "/outputs/", f"/needs/{need.id}/edit",
                  f"/admin/chains/{chain.id}/edit", "/admin/chains/new",
                  f"/admin/segments/{chain.segments[0].id}/edit",
                  f"/admin/chains/{chain.id}/segments/new", *jobs, *orgs],
    }


def _deal_urls(db_session) -> dict[str, list[str]]:
    """The pipeline's pages: a broker's workspace and deals at several stages, and a deal page
    as the institution whose output it is sees it."""
    from matchmaker.auth.models import User
    from matchmaker.pipeline.models import Deal, DealStage

    broker = db_session.scalar(select(User).where(User.email.like("broker-zhangmin@%")))
    pages = ["/deals/", "/deals/board", "/deals/today", "/brokers/me"]
    for key in ("negotiating", "serving", "lost", "contract_signed"):
        deal = db_session.scalar(select(Deal).join(DealStage).where(
            Deal.owner_id == broker.id, DealStage.key == key).order_by(Deal.id).limit(1))
        if deal is not None:
            pages.append(f"/deals/{deal.id}")
    shri = db_session.scalar(select(Deal).join(Deal.output).where(
        ResearchOutput.institution.has(ref="shri")).order_by(Deal.id).limit(1))
    return {"broker-zhangmin": pages, "shri": [f"/deals/{shri.id}"] if shri else []}


def _org_urls(db_session) -> list[str]:
    """The public organisation pages: an institution with aliases, an enterprise with a
    Chinese industry and description, the brokers and a broker with a Chinese biography."""
    institution = db_session.scalar(select(Institution).where(Institution.ref == "qcut"))
    enterprise = db_session.scalar(select(Enterprise).where(Enterprise.ref == "h2-ent-01"))
    broker = db_session.scalar(select(Broker).where(Broker.certificate_no == "SNJJ-2023-0117"))
    return [f"/institutions/{institution.id}", f"/enterprises/{enterprise.id}", "/brokers",
            f"/brokers/{broker.id}"]


def _job_urls(db_session) -> list[str]:
    """The background-jobs pages, with a running and a failed job on them."""
    running = BackgroundJob(name="matches.rebuild", args={}, queue="matching",
                            status=JobStatus.RUNNING, progress_done=1, progress_total=4,
                            message="ranking", attempts=1)
    failed = BackgroundJob(name="jobs.sweep", args={}, queue="default", status=JobStatus.FAILED,
                           error="Traceback …\nRuntimeError: 数据库连接中断", attempts=1)
    db_session.add_all([running, failed])
    db_session.commit()
    return ["/admin/jobs", "/admin/jobs?status=failed", f"/admin/jobs/{running.id}",
            f"/admin/jobs/{failed.id}"]


def _switch(client, code: str) -> None:
    submit(client, f"/auth/locale/{code}", {"next": "/"}, form_url="/")


def _give_feedback(login_as, db_session) -> None:
    """Leave a Chinese comment on a match so that feedback (names, comment) is on the pages."""
    need = _record(db_session, TechNeed, "h2-n-001")
    broker = login_as("broker-zhangmin")
    html = broker.get(f"/needs/{need.id}").get_data(as_text=True)
    output_id = re.search(r'data-testid="match" data-candidate="(\d+)"', html).group(1)
    url = f"/recommendations/needs/{need.id}/outputs/{output_id}/feedback"
    response = submit(broker, url, {"verdict": "declined", "reason": "other",
                                    "comment": "价格偏高，需要再谈", "back": "need"})
    assert response.status_code == 302


@pytest.mark.parametrize("account", ["broker-zhangmin", "shri", "h2-ent-02", "admin"])
def test_english_pages_show_chinese_only_in_marked_user_content(login_as, db_session, account):
    _give_feedback(login_as, db_session)
    client = login_as(account)
    _switch(client, "en")
    for url in _page_urls(db_session)[account]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html
        assert chinese_outside_user_content(html) == [], url


def test_english_public_pages_show_chinese_only_in_marked_user_content(client, db_session):
    _switch(client, "en")
    for url in _org_urls(db_session):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html
        assert chinese_outside_user_content(html) == [], url


def test_english_organisation_pages_name_regions_in_english_and_list_aliases_with_commas(
        client, db_session):
    _switch(client, "en")
    institution = db_session.scalar(select(Institution).where(Institution.ref == "qcut"))
    html = unescape(client.get(f"/institutions/{institution.id}").get_data(as_text=True))
    assert institution.region.name_en in html and institution.region.name not in html
    assert "、" not in html and "秦川理工</span>, <span lang=\"en\">QCUT" in html
    _switch(client, "zh")
    html = client.get(f"/institutions/{institution.id}").get_data(as_text=True)
    assert institution.region.name in html and "秦川理工</span>、<span lang=\"en\">QCUT" in html


def test_english_form_errors_are_english(login_as, db_session):
    client = login_as("h2-ent-02")
    _switch(client, "en")
    response = submit(client, "/needs/new", {"title": "", "description": "", "budget_min": "NaN",
                                             "budget_max": "-1", "prize": "1e400"})
    html = response.get_data(as_text=True)
    assert "Budget from (10k yuan) must be a number" in html and "cannot be negative" in html
    assert chinese_outside_user_content(html) == []


@pytest.mark.parametrize("account", ["broker-zhangmin", "shri", "h2-ent-02", "admin"])
def test_chinese_pages_show_no_english_interface_strings(login_as, db_session, account):
    _give_feedback(login_as, db_session)
    client = login_as(account)
    _switch(client, "zh")
    for url in _page_urls(db_session)[account]:
        html = client.get(url).get_data(as_text=True)
        assert '<html lang="zh-CN">' in html
        assert untranslated_interface_texts(html) == [], url


def test_rules_name_regions_and_amounts_in_the_page_language(app):
    from flask import session
    from flask_babel import refresh

    from matchmaker.extensions import db
    from matchmaker.recommendations.labels import ChainNames, hint_text, rule_text

    rule = {"code": "local_conversion", "region": "西安市"}
    hint = {"code": "price_over_budget", "price_min": 300.0, "budget_max": 150.0}
    with app.test_request_context():
        names = ChainNames.load(db.session)
        session["locale"] = "en"
        assert rule_text(rule, names) == "Local conversion: both in Xi'an"
        assert hint_text(hint) == "Asking price from ¥3 million exceeds the budget of ¥1.5 million"
        session["locale"] = "zh"
        refresh()
        assert rule_text(rule, names) == "就地转化：双方都在西安市"
        assert hint_text(hint) == "报价 300 万元起，超出预算 150 万元"
        db.session.remove()


def test_templates_follow_a_locale_forced_inside_a_request(app):
    """Templates keep each language's catalogue (templating._install_gettext): a locale
    forced for part of a request (an e-mail in its recipient's language) still switches them,
    and the request's own language comes back after it."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Sign out') }}|{{ ngettext('%(num)d unread', '%(num)d unread', 2) }}"
    with app.test_request_context("/"):
        chinese = render_template_string(page)
        with force_locale("en"):
            english = render_template_string(page)
        again = render_template_string(page)
    assert english == "Sign out|2 unread"
    assert chinese != english
    assert again == chinese
