"""Factory fixtures: each returns a function that builds one record through the services.

Tests build the organisations, accounts and listings they are about instead of relying on seed
rows by key; the seed still provides the reference data (regions, sector chains). Everything is
flushed into the test's rolled-back transaction. Listings are created as permissions.SYSTEM
unless an owner is given, and published by default with enough text to pass the publishing
minimum (profiles/publishing.py).
"""
import itertools
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker import permissions
from matchmaker.auth import services as auth
from matchmaker.domain import DEAL_SET_STATUSES, Role
from matchmaker.orgs import services as orgs
from matchmaker.orgs.models import Enterprise, Institution, Region
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
    """Return make_user(role="enterprise", organisation=None, status="active", …) -> User.

    An institution or enterprise account gets a new organisation of its own unless one is
    given; then it asks to join it and an operator confirms, as on the platform. The password
    is tests.factories.PASSWORD.
    """
    def make(role: str = Role.ENTERPRISE, *, organisation=None, status: str = "active",
             email: str | None = None, name: str | None = None):
        email = email or f"{uuid.uuid4().hex[:12]}@factory.example.com"
        name = name or _unique("测试用户")
        if role == Role.ADMIN:
            user = auth.create_admin(db_session, email, PASSWORD, name, hash_method=HASH_METHOD)
        else:
            user = _sign_up(role, organisation, email, name)
        if status != user.status:
            auth.set_account_status(db_session, user, status)
        return user

    def _sign_up(role, organisation, email, name):
        data = auth.SignupData(email=email, password=PASSWORD, display_name=name, role=role)
        if role in (Role.INSTITUTION, Role.ENTERPRISE):
            org_type = "university" if role == Role.INSTITUTION else "tech_sme"
            data.organisation_type = getattr(organisation, "type", None) or \
                getattr(organisation, "tier", None) or org_type
            data.organisation_name = organisation.name if organisation else _unique("测试机构")
            data.region_name = (organisation.region if organisation else
                                _region(db_session, None)).name
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


__all__ = ["make_broker", "make_enterprise", "make_institution", "make_need",
           "make_output", "make_user", "sign_in"]
