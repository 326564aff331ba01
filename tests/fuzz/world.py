"""The fuzz's world: a rolled-back database with a few extra rows, signed-in roles, the ids a
request may name, the forms the pages offer, and one savepoint per example.

Nothing here commits to the test session's database: every test case runs inside an outer
transaction that is rolled back (as conftest's db_session does), and every example inside a
savepoint of it, so an example that signs out, changes the password, deletes the account or
edits a chain leaves nothing behind for the next example or the next test.
"""
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import Integer, select
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from matchmaker.auth import services as auth_services
from matchmaker.auth import sessions
from matchmaker.auth.models import User
from matchmaker.extensions import db, limiter
from matchmaker.jobs import BackgroundJob, JobStatus
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.seed import demo_email
from tests.conftest import _TestSession, login
from tests.fuzz.forms import FieldSpec, FormSpec, parse_forms

# role -> demo account (seed key); None is a visitor without an account.
ROLES = {"anonymous": None, "institution": "qcut", "enterprise": "h2-ent-01",
         "broker": "broker-zhangmin", "operator": "admin"}
# Cookie settings and Flask-Login's default name for the remember-me one.
COOKIES = (("SESSION_COOKIE_NAME", "session"), ("REMEMBER_COOKIE_NAME", "remember_token"))
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Which table a path id names, so that existing ids are tried where they mean something.
# An argument not listed here gets ids from every table (still fuzzed, just less targeted).
ARG_TABLES = {"need_id": "tech_needs", "output_id": "research_outputs", "chain_id": "chains",
              "segment_id": "chain_segments", "user_id": "users", "request_id": "join_requests",
              "session_id": "user_sessions", "broker_id": "brokers",
              "job_id": "background_jobs", "deal_id": "deals", "task_id": "deal_tasks",
              "ticket_id": "service_tickets", "notification_id": "notifications",
              "event_id": "events", "slot_id": "event_slots",
              "participant_id": "event_participants", "pairing_id": "event_pairings",
              "meeting_id": "event_meetings", "batch_id": "import_batches",
              "token_id": "api_tokens"}
ENDPOINT_ARG_TABLES = {("outputs", "item_id"): "research_outputs",
                       ("needs", "item_id"): "tech_needs",
                       ("orgs.institution", "org_id"): "institutions",
                       ("orgs.enterprise", "org_id"): "enterprises",
                       ("pipeline", "request_id"): "introduction_requests"}
OWNER_COLUMNS = ("user_id", "institution_id", "enterprise_id")
NEWCOMER_PASSWORD = "granite-lantern-orchard-7"


def table_for(rule: Rule, arg: str) -> str | None:
    """Return the table whose ids the path argument arg of rule names, if known."""
    blueprint = rule.endpoint.split(".")[0]
    return (ENDPOINT_ARG_TABLES.get((rule.endpoint, arg))
            or ENDPOINT_ARG_TABLES.get((blueprint, arg)) or ARG_TABLES.get(arg))


@contextmanager
def rolled_back(app: Flask) -> Iterator:
    """Yield a connection whose outer transaction is rolled back afterwards; db.session is
    bound to it with savepoints, as in conftest's db_session."""
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = _TestSession(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=lambda: "test")
    try:
        yield connection
    finally:
        db.session.registry().close()
        db.session = original
        outer.rollback()
        connection.close()


@contextmanager
def savepoint(connection) -> Iterator[None]:
    """Run one example in a savepoint that is rolled back, with a fresh rate limiter."""
    db.session.registry().close()
    nested = connection.begin_nested()
    limiter.reset()
    try:
        yield
    finally:
        db.session.registry().close()
        if nested.is_active:
            nested.rollback()


def add_fixture_rows(app: Flask) -> None:
    """Add what the seed lacks so that every route has rows to act on: pending sign-ups that
    ask to join an institution and an enterprise (join-request decisions), and a session in
    "another browser" for every demo account used here and one more (other sessions to sign
    out, someone else's session id)."""
    session = db.session
    with app.app_context():
        for role, model, key, kind in (("institution", Institution, "qcut", "university"),
                                       ("enterprise", Enterprise, "h2-ent-01", "tech_sme")):
            member = session.scalar(select(User).where(User.email == demo_email(key)))
            org = session.get(model, member.institution_id or member.enterprise_id)
            auth_services.register_user(session, auth_services.SignupData(
                email=f"fuzz-newcomer-{role}@example.com", password=NEWCOMER_PASSWORD,
                display_name=f"新人 {role}", role=role, organisation_name=org.name,
                organisation_type=kind, region_name=org.region.name,
                join_organisation=f"{role}:{org.id}"), hash_method="pbkdf2:sha256:1000")
        for key in [k for k in ROLES.values() if k] + ["xipp"]:
            user = session.scalar(select(User).where(User.email == demo_email(key)))
            sessions.start_session(session, user, remember=False, user_agent="Firefox/120",
                                   keep_for=timedelta(days=30))
        # A pending introduction request, so that the today page shows its accept and decline
        # forms.
        from matchmaker.pipeline import services as pipeline
        from matchmaker.profiles.models import ResearchOutput, TechNeed

        need = session.scalar(select(TechNeed).where(TechNeed.status == "published")
                              .order_by(TechNeed.id).limit(1))
        asker = session.scalar(select(User).where(User.enterprise_id == need.enterprise_id,
                                                  User.status == "active").limit(1))
        output = session.scalar(select(ResearchOutput).where(
            ResearchOutput.status == "published").order_by(ResearchOutput.id).limit(1))
        pipeline.ask_introduction(session, need=need, output=output, actor=asker,
                                  message="fuzz fixture")
        # An unread notification for every demo account used here, so that the notification
        # centre shows its open, mark-read and mark-all-read forms.
        from matchmaker.notifications import services as notifications

        for key in [k for k in ROLES.values() if k]:
            user = session.scalar(select(User).where(User.email == demo_email(key)))
            notifications.notify(session, user, "deal_assigned", key=f"fuzz:{user.id}",
                                 params={"deal": "fuzz fixture"}, link=("pipeline.today", {}))
        _fixture_event(session)
        # The broker's WeCom group robot, so that the settings page shows its test and
        # disconnect forms (page_forms turns the channel on while it looks).
        from matchmaker.notifications import wecom

        broker = session.scalar(select(User).where(User.email == demo_email(ROLES["broker"])))
        wecom.set_robot(session, broker, "fuzz-fixture-robot-key", actor=broker)
        _fixture_faces(session, broker)
        _fixture_import(session)
        # A personal API token of the broker's, so that the tokens page shows its revoke form.
        from matchmaker.api import tokens

        tokens.create_token(session, broker, name="fuzz fixture", scope="read", days=30,
                            max_days=365)
        # A failed background job, so that the operators' jobs page shows its Retry form.
        session.add(BackgroundJob(name="jobs.sweep", args={}, queue="default",
                                  status=JobStatus.FAILED, error="RuntimeError: fuzz fixture"))
        session.commit()


@dataclass
class Visitor:
    """A signed-in role (or an anonymous visitor): its cookies and a valid CSRF token."""

    role: str
    user_id: int | None
    cookies: dict[str, str]
    csrf_token: str

    def client(self, app: Flask):
        """Return a new test client carrying the visitor's cookies."""
        client = app.test_client()
        for name, value in self.cookies.items():
            client.set_cookie(name, value)
        return client


def sign_in(app: Flask, role: str) -> Visitor:
    """Sign role's demo account in (nobody for anonymous) and read a CSRF token."""
    limiter.reset()
    client = app.test_client()
    key = ROLES[role]
    if key is not None:
        login(client, key)
    page = client.get("/auth/login" if key is None else "/account")
    token = _CSRF.search(page.get_data(as_text=True))
    assert token, f"no CSRF token for {role} (status {page.status_code})"
    cookies = {}
    for setting, default in COOKIES:
        cookie = client.get_cookie(app.config.get(setting, default))
        if cookie is not None:
            cookies[cookie.key] = cookie.value
    user_id = None
    if key is not None:
        user_id = db.session.scalar(select(User.id).where(User.email == demo_email(key)))
    db.session.registry().close()
    return Visitor(role, user_id, cookies, token.group(1))


@dataclass
class IdPools:
    """Ids a path may name: samples of every table, and the visitor's own rows."""

    existing: dict[str, list[int]] = field(default_factory=dict)
    own: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, user_id: int | None) -> "IdPools":
        session = db.session
        pools = cls()
        user = session.get(User, user_id) if user_id else None
        owners = {"user_id": user_id,
                  "institution_id": user.institution_id if user else None,
                  "enterprise_id": user.enterprise_id if user else None}
        own_pk = {"users": owners["user_id"], "institutions": owners["institution_id"],
                  "enterprises": owners["enterprise_id"]}
        for table in db.metadata.sorted_tables:
            pk = table.c.get("id")
            if pk is None or not isinstance(pk.type, Integer):
                continue
            ids = session.scalars(select(pk).order_by(pk)).all()
            step = max(1, len(ids) // 20)
            pools.existing[table.name] = sorted(set(ids[:3] + ids[-3:] + ids[::step]))
            own = [own_pk[table.name]] if own_pk.get(table.name) else []
            for column in OWNER_COLUMNS:
                if column in table.c and owners[column] is not None:
                    own += session.scalars(select(pk).where(table.c[column] == owners[column])
                                           .order_by(pk).limit(10)).all()
            pools.own[table.name] = sorted(set(own))
        db.session.registry().close()
        return pools

    def for_arg(self, rule: Rule, arg: str) -> tuple[list[int], list[int]]:
        """Return (existing, own) ids for the path argument arg of rule."""
        table = table_for(rule, arg)
        if table is not None:
            return self.existing.get(table, []), self.own.get(table, [])
        everything = sorted({i for ids in self.existing.values() for i in ids})
        return everything, sorted({i for ids in self.own.values() for i in ids})


def crawl_urls(app: Flask, pools: IdPools) -> list[str]:
    """Return a page URL of every GET route (with up to two ids per argument) to read forms
    from."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        candidates: list[dict[str, str]] = [{}]
        for arg in rule.arguments:
            existing, own = pools.for_arg(rule, arg)
            values = ([str(i) for i in (own + existing)[:2]] if arg.endswith("id") else ["en"])
            candidates = [{**c, arg: v} for c in candidates for v in values]
        for values in candidates:
            url = rule.rule
            for arg, value in values.items():
                url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, url)
            urls.append(url)
    return (urls + _pipeline_urls() + _event_urls() + _faces_urls()
            + _account_link_urls(app))


def _account_link_urls(app: Flask) -> list[str]:
    """A valid password-reset link (its form is on no other page)."""
    from matchmaker.auth import tokens

    user = db.session.scalar(select(User).where(User.email == demo_email("xipp")))
    return [f"/auth/reset/{tokens.make_reset_token(app.config['SECRET_KEY'], user)}"]


def _pipeline_urls() -> list[str]:
    """Deal pages whose forms the generic crawl may miss: a deal with service tickets, a
    snoozed one, one with co-brokers, one seen by its institution (the comment box), the
    new-deal form, and a stage's edit form (its <key> is no id the crawl fills)."""
    from matchmaker.pipeline.models import Deal, DealStage, ServiceTicket, deal_co_brokers

    session = db.session
    ticketed = session.scalar(select(ServiceTicket.deal_id).order_by(ServiceTicket.id).limit(1))
    snoozed = session.scalar(select(Deal.id).where(Deal.snoozed_until.is_not(None))
                             .order_by(Deal.id).limit(1))
    qcut = session.scalar(select(User).where(User.email == demo_email("qcut")))
    from matchmaker.profiles.models import ResearchOutput

    theirs = session.scalar(select(Deal.id).join(Deal.output).where(
        ResearchOutput.institution_id == qcut.institution_id).order_by(Deal.id).limit(1))
    output = session.scalar(select(ResearchOutput.id).where(ResearchOutput.status == "published")
                            .order_by(ResearchOutput.id).limit(1))
    shared = session.scalar(select(deal_co_brokers.c.deal_id).limit(1))
    stage = session.scalar(select(DealStage.key).order_by(DealStage.position).limit(1))
    return [f"/deals/{deal_id}" for deal_id in (ticketed, snoozed, shared, theirs)
            if deal_id] + [
        f"/deals/new?output_id={output}", f"/deals/stages/{stage}/edit"]


FUZZ_EVENT = "fuzz-event"


def _fixture_event(session) -> None:
    """An open event of broker-zhangmin with an unpublished schedule, an invited participant
    and an unconfirmed pairing, so that its page shows the publish, confirm and register
    forms (the seed's events are further along); a meeting request asked of qcut."""
    from matchmaker.events import scheduling
    from matchmaker.events import services as events
    from matchmaker.orgs.models import Institution
    from matchmaker.profiles.models import ResearchOutput, TechNeed

    def listing(model, ref):
        return session.scalar(select(model).where(model.ref == ref))

    organiser = session.scalar(select(User).where(User.email == demo_email("broker-zhangmin")))
    day = date.today() + timedelta(days=20)
    event = events.create_event(session, events.EventData(
        title="fuzz event", starts_on=day, ends_on=day, tables=2), actor=organiser)
    event.ref = FUZZ_EVENT
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
    events.add_slot(session, event, start, start + timedelta(minutes=20), actor=organiser)
    events.set_event_status(session, event, "open", actor=organiser)
    need, other_need = listing(TechNeed, "h2-n-005"), listing(TechNeed, "h2-n-021")
    output = listing(ResearchOutput, "h2-o-009")
    for org, ids in ((need.enterprise, [need.id, other_need.id]),
                     (output.institution, [output.id])):
        participant = events.invite_participant(session, event, org, actor=organiser,
                                                listing_ids=ids)
        events.confirm_participant(session, participant, actor=organiser)
    events.invite_participant(session, event, session.scalar(
        select(Institution).where(Institution.ref == "xuei")), actor=organiser)
    scheduling.add_pairing(session, event, need, output, actor=organiser)
    proposed = scheduling.add_pairing(session, event, other_need, output, actor=organiser)
    scheduling.confirm_pairing(session, proposed, actor=organiser, confirmed=False)
    scheduling.generate_schedule(session, event, actor=organiser)
    # qcut (the institution role) takes part, and another participant asks it for a meeting,
    # so that its page shows the accept and decline forms.
    from matchmaker.events import requests

    theirs = listing(ResearchOutput, "h2-o-018")
    participant = events.invite_participant(session, event, theirs.institution,
                                            actor=organiser, listing_ids=[theirs.id])
    events.confirm_participant(session, participant, actor=organiser)
    asker = session.scalar(select(User).where(User.enterprise_id == need.enterprise_id,
                                              User.status == "active").limit(1))
    requests.request_meeting(session, event, actor=asker, own_listing_id=need.id,
                             their_listing_id=theirs.id, reason="fuzz fixture")


def _fixture_import(session) -> None:
    """A dry-run import of qcut's waiting for confirmation, with a likely duplicate (its page
    then shows the confirm form and the per-row choice)."""
    import io

    from openpyxl import Workbook

    from matchmaker.imports.models import ImportBatch

    book = Workbook()
    for row in (["成果名称", "成果简介", "技术成熟度", "转化方式"], ["重复的成果", "简介", 5, "许可"],
                ["", "简介", 5, "许可"]):
        book.active.append(row)
    content = io.BytesIO()
    book.save(content)
    owner = session.scalar(select(User).where(User.email == demo_email("qcut")))
    rows = [{"row": 2, "outcome": "duplicate", "title": "重复的成果", "errors": [], "notes": [],
             "target": None, "duplicate": {"row": 1, "title": "重复的成果", "score": 100,
                                           "organisation": "秦川理工大学"}},
            {"row": 3, "outcome": "error", "title": "", "notes": [], "target": None,
             "errors": [{"column": "title", "message": "Enter a title."}], "duplicate": None}]
    session.add(ImportBatch(
        kind="outputs", filename="fuzz.xlsx", size=len(content.getvalue()),
        content=content.getvalue(), locale="zh", status="planned", created_by_id=owner.id,
        plan={"kind": "outputs", "format": "xlsx", "encoding": None, "header_row": 1,
              "columns": {"title": "成果名称"}, "ignored": [], "missing": [],
              "counts": {"create": 0, "update": 0, "unchanged": 0, "duplicate": 1, "error": 1},
              "rows": rows}))


def _fixture_faces(session, broker) -> None:
    """A PDF attached to one of qcut's outputs (its page then shows the delete form) and an
    open contact request on the broker's today page (its "handled" form)."""
    from matchmaker.media import services as media
    from matchmaker.profiles.models import ResearchOutput
    from matchmaker.showcase import contact

    qcut = session.scalar(select(User).where(User.email == demo_email(ROLES["institution"])))
    output = session.scalar(select(ResearchOutput).where(
        ResearchOutput.institution_id == qcut.institution_id,
        ResearchOutput.status == "published").order_by(ResearchOutput.id).limit(1))
    media.add_attachment(session, output, media.Upload("brochure.pdf", b"%PDF-1.4\n%fuzz\n"),
                         kind="brochure", visibility="public", actor=qcut)
    request = contact.create_contact_request(session, output, contact.ContactData(
        name="访客", organisation="", email="visitor@example.com", phone="",
        message="fuzz fixture"), ip_hash="")
    request.broker_id = broker.id


def _faces_urls() -> list[str]:
    """Pages whose forms the generic crawl misses: the output with the fixture's attachment,
    and a yearly target's edit form (its <metric> is no id the crawl fills)."""
    from matchmaker.dashboard.models import YearTarget
    from matchmaker.media.models import Attachment

    output_id = db.session.scalar(select(Attachment.output_id).where(
        Attachment.original_name == "brochure.pdf").order_by(Attachment.id.desc()).limit(1))
    target = db.session.scalar(select(YearTarget).order_by(YearTarget.year.desc()).limit(1))
    return [f"/outputs/{output_id}", f"/dashboard/targets/{target.year}/{target.metric}"]


def _event_urls() -> list[str]:
    """The fixture event's page (its forms: publish, confirm a participant or a pairing,
    register)."""
    from matchmaker.events.models import Event

    event_id = db.session.scalar(select(Event.id).where(Event.ref == FUZZ_EVENT))
    return [f"/events/{event_id}"] if event_id else []


def _rule_of(adapter, form: FormSpec) -> Rule | None:
    """Return the rule a form posts to, or None if the app does not route its action."""
    try:
        return adapter.match(form.action.split("?")[0], method=form.method, return_rule=True)[0]
    except HTTPException:
        return None


def discover_forms(app: Flask, visitor: Visitor, pools: IdPools) -> dict[tuple[str, str],
                                                                          FormSpec]:
    """Return the forms the visitor's pages offer, by (rule, method) of their action, and for
    rules with arguments also by (path, method): that page's own values (an edit form's
    version, the status buttons an item offers) let a fuzzed request to the same path pass."""
    adapter = app.url_map.bind("localhost")
    found: dict[tuple[str, str], FormSpec] = {}
    client = visitor.client(app)
    for url in crawl_urls(app, pools):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()  # a file being sent (an image, an export) is closed, not left
            continue
        for form in parse_forms(response.get_data(as_text=True), url):
            rule = _rule_of(adapter, form)
            if rule is None:
                continue
            keys = [(rule.rule, form.method)]
            if rule.arguments:
                keys.append((form.action.split("?")[0], form.method))
            for key in keys:
                spec = found.setdefault(key, FormSpec(form.method, key[0]))
                for name, field_spec in form.fields.items():
                    spec.add(name, FieldSpec(field_spec.kind, set(field_spec.options),
                                             set(field_spec.defaults), field_spec.multiple))
        db.session.registry().close()
    return found
