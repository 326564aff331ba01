"""Factory fixtures: each returns a function that builds one record through the services.

Tests build the organisations, accounts, listings and deals they are about instead of relying
on seed rows by key; the seed still provides the reference data (regions, sector chains), and
make_chain adds a chain of the test's own when a test needs one nobody else uses. Everything is
flushed into the test's rolled-back transaction. Listings are created as permissions.SYSTEM
unless an owner is given, and published by default with enough text to pass the publishing
minimum (profiles/publishing.py). Deals are made as a broker would make them
(pipeline.services), with the helpers qualify, agree_terms and sign_contract recording what
leaving a stage needs.
"""
import itertools
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker import permissions, signals
from matchmaker.auth import services as auth
from matchmaker.chains import services as chains
from matchmaker.chains.models import Chain
from matchmaker.domain import DEAL_SET_STATUSES, HOME_PROVINCE, Phase, Requirement, Role
from matchmaker.orgs import services as orgs
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.pipeline import clock, rules
from matchmaker.pipeline import services as pipeline
from matchmaker.profiles import services as profiles

PASSWORD = "Factory-pass 7741 zq!"  # passes the password policy
HASH_METHOD = "pbkdf2:sha256:1000"  # fast: factories make many accounts

OUTPUT_TITLE = "兆瓦级碱性电解槽复合隔膜"
OUTPUT_ABSTRACT = ("采用聚苯硫醚基复合隔膜，面电阻降低30%，在 80 ℃、30% KOH 电解液中连续运行 3000 小时"
                   "无明显衰减，氢中氧含量低于 0.2%，适用于兆瓦级碱性电解槽。")
NEED_TITLE = "氢燃料电池双极板防腐涂层"
NEED_DESCRIPTION = ("金属双极板在 0.6 V 工况下腐蚀电流偏高，接触电阻随运行时间上升，需要新的防腐涂层，"
                    "要求在 80 ℃ 酸性环境中耐久 5000 小时，适合不锈钢冲压板批量喷涂。")

_serial = itertools.count(1)


def _unique(label: str) -> str:
    """Return a name no other factory name resembles (organisation look-alikes are refused)."""
    return f"{label} {uuid.uuid4().hex[:12]}-{next(_serial)}"


def _region(session, name: str | None) -> Region:
    query = select(Region).order_by(Region.id)
    region = session.scalar(query.where(Region.name == name) if name else query)
    assert region is not None, f"no region {name!r}: the seed's regions are reference data"
    return region


def home_region(session) -> Region:
    """Return a seed region in the home province (landing there is local conversion)."""
    return session.scalar(select(Region).where(Region.province == HOME_PROVINCE)
                          .order_by(Region.id))


@pytest.fixture
def make_chain(db_session):
    """Return make_chain(key=None, name=None) -> Chain: a sector chain of the test's own (no
    broker specialises in it and no listing is on it unless the test says so).

    Saved by chains.services.save_chain as the seed loads its chains (a bulk load): an
    operator's edit would also queue a rebuild of every match (about 2 s), which a new chain
    with nothing on it does not need.
    """
    def make(key: str | None = None, name: str | None = None) -> Chain:
        n = next(_serial)
        key = key or f"test-chain-{uuid.uuid4().hex[:8]}-{n}"
        with signals.bulk_load(db_session):
            return chains.save_chain(db_session, None, {
                "key": key, "name_zh": name or f"测试链{n}", "name_en": f"Test chain {n}"})
    return make


@pytest.fixture
def make_institution(db_session):
    """Return make_institution(name=None, type="university", region=None) -> Institution."""
    def make(name: str | None = None, type: str = "university",
             region: str | None = None) -> Institution:
        return orgs.create_organisation(db_session, Institution,
                                        name=name or _unique("测试研究院"), type_=type,
                                        region=_region(db_session, region))
    return make


@pytest.fixture
def make_enterprise(db_session):
    """Return make_enterprise(name=None, tier="tech_sme", region=None) -> Enterprise."""
    def make(name: str | None = None, tier: str = "tech_sme",
             region: str | None = None) -> Enterprise:
        return orgs.create_organisation(db_session, Enterprise,
                                        name=name or _unique("测试科技有限公司"), type_=tier,
                                        region=_region(db_session, region))
    return make


@pytest.fixture
def make_user(db_session):
    """Return make_user(role="enterprise", organisation=None, status="active", chains=(),
    region=None, email=None, name=None) -> User.

    An institution or enterprise account gets a new organisation of its own (in region, a
    seed region's name; default the first) unless one is given; then it asks to join it and
    an operator confirms, as on the platform. A broker specialises in chains (Chain rows or
    keys), set through the broker-profile service. The password is tests.factories.PASSWORD.
    """
    def make(role: str = Role.ENTERPRISE, *, organisation=None, status: str = "active",
             email: str | None = None, name: str | None = None, chains=(),
             region: str | None = None):
        email = email or f"{uuid.uuid4().hex[:12]}@factory.example.com"
        name = name or _unique("测试用户")
        if role == Role.ADMIN:
            user = auth.create_admin(db_session, email, PASSWORD, name, hash_method=HASH_METHOD)
        else:
            user = _sign_up(role, organisation, email, name, region)
        if status != user.status:
            auth.set_account_status(db_session, user, status)
        if chains:
            _specialise(user, chains)
        return user

    def _specialise(user, chain_list):
        assert user.broker is not None, "only brokers specialise in chains"
        found = [c if isinstance(c, Chain) else
                 db_session.scalar(select(Chain).where(Chain.key == c)) for c in chain_list]
        broker = user.broker
        actor = user if permissions.is_broker(user) else make(Role.ADMIN)
        auth.update_broker_profile(db_session, broker, actor=actor, chains=found,
                                   certificate_no=broker.certificate_no or "",
                                   organisation=broker.organisation or "",
                                   bio=broker.bio or "", competencies={})

    def _sign_up(role, organisation, email, name, region):
        data = auth.SignupData(email=email, password=PASSWORD, display_name=name, role=role)
        if role in (Role.INSTITUTION, Role.ENTERPRISE):
            org_type = "university" if role == Role.INSTITUTION else "tech_sme"
            data.organisation_type = getattr(organisation, "type", None) or \
                getattr(organisation, "tier", None) or org_type
            data.organisation_name = organisation.name if organisation else _unique("测试机构")
            data.region_name = (organisation.region if organisation else
                                _region(db_session, region)).name
            if organisation is not None:
                data.join_organisation = orgs.organisation_key(organisation)
        user = auth.register_user(db_session, data, hash_method=HASH_METHOD)
        if organisation is not None:
            operator = make(Role.ADMIN)
            auth.decide_join_request(db_session, user.pending_join_request, "confirmed",
                                     decider=operator)
        return user

    return make


@pytest.fixture
def make_broker(make_user):
    """Return make_broker(**make_user options) -> the broker's User (with user.broker)."""
    def make(**options):
        return make_user(Role.BROKER, **options)
    return make


def output_data(**overrides) -> profiles.OutputData:
    """Return OutputData for a publishable hydrogen output, with overrides."""
    values = {"title": OUTPUT_TITLE, "abstract": OUTPUT_ABSTRACT, "trl": 5,
              "modes": ["licence"], "keywords": ["碱性电解", "隔膜"],
              "inventors": ["王立新", "赵敏"], "chain_key": "hydrogen",
              "patents": [{"number": "ZL202110345678.2", "ipc": ["C25B 1/04"],
                           "status": "granted"}],
              "price_min": Decimal(50), "price_max": Decimal(120)}
    return profiles.OutputData(**(values | overrides))


def need_data(**overrides) -> profiles.NeedData:
    """Return NeedData for a publishable hydrogen need, with overrides."""
    values = {"title": NEED_TITLE, "description": NEED_DESCRIPTION,
              "modes": ["licence", "pay_later"], "keywords": ["双极板", "涂层"],
              "chain_key": "hydrogen", "min_trl": 6, "budget_min": Decimal(30),
              "budget_max": Decimal(80), "deadline": date.today() + timedelta(days=200)}
    return profiles.NeedData(**(values | overrides))


def _reach(session, listing, status: str, move, owner):
    """Bring a new listing to status: by its owner's moves, then, for a status only a deal
    sets (under negotiation, transferred, matched, solved), as a deal would."""
    if status not in DEAL_SET_STATUSES:
        return move(session, listing, status, editor=owner)
    move(session, listing, "published", editor=owner)
    if status in ("transferred", "solved"):  # a deal goes through negotiation first
        profiles.apply_deal_status(session, listing, "under_negotiation" if status ==
                                   "transferred" else "matched", deal_id=None)
    profiles.apply_deal_status(session, listing, status, deal_id=None)
    assert listing.status == status
    return listing


@pytest.fixture
def make_output(db_session, make_institution):
    """Return make_output(status="published", institution=None, owner=None, **OutputData
    fields) -> ResearchOutput. Without an institution, the owner's or a new one."""
    def make(*, status: str = "published", institution=None, owner=None, ref=None,
             **overrides):
        owner = owner or permissions.SYSTEM
        institution = institution or getattr(owner, "institution", None) or make_institution()
        output = profiles.create_output(db_session, output_data(**overrides), owner=owner,
                                        institution=institution, ref=ref)
        return _reach(db_session, output, status, profiles.move_output_to, owner)
    return make


@pytest.fixture
def make_need(db_session, make_enterprise):
    """Return make_need(status="published", enterprise=None, owner=None, **NeedData fields)
    -> TechNeed. Without an enterprise, the owner's or a new one."""
    def make(*, status: str = "published", enterprise=None, owner=None, ref=None,
             **overrides):
        owner = owner or permissions.SYSTEM
        enterprise = enterprise or getattr(owner, "enterprise", None) or make_enterprise()
        need = profiles.create_need(db_session, need_data(**overrides), owner=owner,
                                    enterprise=enterprise, ref=ref)
        return _reach(db_session, need, status, profiles.move_need_to, owner)
    return make


DEAL_NEXT_STEP = "约课题组负责人面谈"
_MAKE_ONE = object()


def qualify(session, deal, actor):
    """Record what leaving "qualified" needs: IP checked, team willing, reform status."""
    return pipeline.update_deal(session, deal, actor=actor, version=deal.version,
                                ip_checked=True, team_willing=True,
                                reform_status="separately_managed")


def agree_terms(session, deal, actor):
    """Record what leaving "negotiating" needs: transfer mode, price, payment kind."""
    return pipeline.update_deal(session, deal, actor=actor, version=deal.version,
                                transfer_mode="licence", price=Decimal(150),
                                payment_kind="royalty")


def sign_contract(session, deal, actor, **overrides):
    """Save a complete contract on the deal (what leaving "contract signed" needs)."""
    data = pipeline.ContractData(**{
        "contract_type": "licence", "seller_name": "测试大学", "buyer_name": "测试企业有限公司",
        "total_amount": Decimal(150), "technical_amount": Decimal(140),
        "signed_on": date(2026, 11, 20), **overrides})
    return pipeline.save_contract(session, deal, data, actor=actor)


def _record_what_leaving_needs(session, deal, actor, *, into_showcase: bool) -> None:
    """Record the facts still missing for the deal to leave its stage forward."""
    needs = set(deal.stage.requirements) | ({Requirement.SHOWCASE_MATERIAL} if into_showcase
                                            else set())
    if Requirement.QUALIFICATION in needs and not (deal.ip_checked and deal.team_willing
                                                   and deal.reform_status is not None):
        qualify(session, deal, actor)
    if Requirement.TERMS in needs and not (deal.transfer_mode and deal.price is not None
                                           and deal.payment_kind):
        agree_terms(session, deal, actor)
    if Requirement.CONTRACT in needs and deal.contract is None:
        sign_contract(session, deal, actor)
    if Requirement.LANDING in needs and deal.landed_on is None:
        pipeline.mark_landed(session, deal, actor=actor, name="沣渭氢电科技有限公司",
                             region=home_region(session), landed_on=clock.today())
    if Requirement.SHOWCASE_MATERIAL in needs and not deal.showcase_material.strip():
        pipeline.update_deal(session, deal, actor=actor, version=deal.version,
                             showcase_material="路演视频与样机照片")


def _stage_path(session, target: str) -> tuple[str, list[str]]:
    """Return the stage a new deal bound for target starts at (the latest one a deal may
    start at, rules.check_start), and the stages it then moves through, one at a time."""
    stages = [pipeline.stage_def(s) for s in pipeline.list_stages(session)]
    goal = next((s for s in stages if s.key == target), None)
    assert goal is not None, f"no active stage {target!r}"
    chain = [s for s in stages if not s.is_lost]
    if goal.is_lost:
        return chain[0].key, [goal.key]
    starts = [s for s in chain if s.position <= goal.position and not rules.check_start(s, stages)]
    start = starts[-1]
    return start.key, [s.key for s in chain if start.position < s.position <= goal.position]


@pytest.fixture
def make_deal(db_session, make_user, make_output, make_need):
    """Return make_deal(stage_key="discovered", owner=None, output=…, need=…, actor=None,
    chain_key=None, **create_deal fields) -> Deal, made as a broker would.

    The owner (a new broker unless given) creates the deal with pipeline.services.create_deal
    (actor: the owner unless given, e.g. an operator), at stage_key when a deal may start
    there, else at the latest stage it may start at (introduced); then moves it one stage at a
    time, recording on the way what leaving each stage needs (qualify, agree_terms,
    sign_contract, the landing in the home province, showcase material). "lost" is reached
    from discovered with a reason. Without output or need, new published ones are made, owned
    by new institution and enterprise accounts (on chain_key when given); output=None or
    need=None leaves that side out. Defaults: next step DEAL_NEXT_STEP due in 7 days,
    expected value 120 (10k yuan).
    """
    def make(*, stage_key: str = "discovered", owner=None, actor=None,
             output=_MAKE_ONE, need=_MAKE_ONE, chain_key: str | None = None,
             **fields):
        owner = owner or make_user(Role.BROKER)
        on_chain = {"chain_key": chain_key} if chain_key else {}
        if output is _MAKE_ONE:
            output = make_output(owner=make_user(Role.INSTITUTION), **on_chain)
        if need is _MAKE_ONE:
            need = make_need(owner=make_user(Role.ENTERPRISE), **on_chain)
        start, path = _stage_path(db_session, stage_key)
        values = {"next_step": DEAL_NEXT_STEP, "next_step_due": clock.today() + timedelta(days=7),
                  "expected_value": Decimal(120), **fields}
        deal = pipeline.create_deal(db_session, actor=actor or owner, owner=owner,
                                    output=output, need=need, stage_key=start, **values)
        for key in path:
            target = pipeline.get_stage(db_session, key)
            if target.phase == Phase.LOST:
                pipeline.move_deal(db_session, deal, key, actor=owner, lost_reason="other",
                                   reason="测试：企业转向其他方案")
                continue
            _record_what_leaving_needs(db_session, deal, owner,
                                       into_showcase=target.phase == Phase.SHOWCASE)
            pipeline.move_deal(db_session, deal, key, actor=owner)
        return deal
    return make


@pytest.fixture
def sign_in(app, client):
    """Return sign_in(user) -> a new test client signed in as user (a factory account)."""
    from matchmaker.extensions import limiter
    from tests.conftest import submit

    def sign(user):
        limiter.reset()
        fresh = app.test_client()
        response = submit(fresh, "/auth/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return fresh
    return sign


__all__ = ["make_broker", "make_chain", "make_deal", "make_enterprise", "make_institution",
           "make_need", "make_output", "make_user", "sign_in"]
