"""Factories for pipeline tests: people, organisations, published listings and deals, all made
through the services (no seed rows by key), inside the test's rolled-back transaction."""
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from matchmaker.auth.models import Broker, User
from matchmaker.chains.models import Chain
from matchmaker.domain import AccountStatus, Role
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.pipeline import clock, services
from matchmaker.profiles import services as profiles

_serial = itertools.count(1)

ABSTRACT = ("课题组开发了一种碱性电解槽用镍基多孔电极，采用梯度孔结构和表面硫化处理，在80摄氏度、"
            "电流密度每平方厘米0.4安时槽压降低约120毫伏，已在兆瓦级样机上连续运行两千小时。")
NEED_TEXT = ("我公司现有碱性电解制氢装置槽压偏高、能耗大，希望引进新型电极或催化剂技术，"
             "在现有电解槽上改造，降低直流电耗百分之八以上，并保证连续运行一年以上不衰减。")


@pytest.fixture
def region(db_session) -> Region:
    """A region in the home province (local conversion) of the test's own."""
    n = next(_serial)
    row = Region(name=f"测试区{n}", name_en=f"Test district {n}", province="陕西省")
    db_session.add(row)
    db_session.flush()
    return row


@pytest.fixture
def far_region(db_session) -> Region:
    """A region outside the home province."""
    n = next(_serial)
    row = Region(name=f"外省测试市{n}", name_en=f"Far city {n}", province="广东省")
    db_session.add(row)
    db_session.flush()
    return row


@pytest.fixture
def chain(db_session) -> Chain:
    n = next(_serial)
    row = Chain(key=f"test-chain-{n}", name_zh=f"测试链{n}", name_en=f"Test chain {n}")
    db_session.add(row)
    db_session.flush()
    return row


@pytest.fixture
def make_user(db_session, region):
    """Return make_user(role, **fields): an active account; institution and enterprise
    accounts get an organisation of their own unless one is given; brokers a profile."""

    def _make(role: str, *, institution=None, enterprise=None, chains=(), name=None,
              status=AccountStatus.ACTIVE) -> User:
        n = next(_serial)
        if role == Role.INSTITUTION and institution is None:
            institution = Institution(name=f"测试大学{n}", type="university", region=region)
        if role == Role.ENTERPRISE and enterprise is None:
            enterprise = Enterprise(name=f"测试企业{n}有限公司", tier="tech_sme", size="small",
                                    region=region)
        user = User(email=f"pipeline-{n}@test.example.com", password_hash="!",
                    display_name=name or f"{role} {n}", role=role, status=status,
                    institution=institution, enterprise=enterprise)
        if role == Role.BROKER:
            user.broker = Broker(chains=list(chains))
        db_session.add(user)
        db_session.flush()
        return user

    return _make


@pytest.fixture
def admin(make_user) -> User:
    return make_user(Role.ADMIN)


@pytest.fixture
def broker(make_user, chain) -> User:
    return make_user(Role.BROKER, chains=[chain], name="测试经纪人")


@pytest.fixture
def make_output(db_session, make_user, chain):
    """Return make_output(owner=None, **fields): a published research output."""

    def _make(owner: User | None = None, **fields):
        owner = owner or make_user(Role.INSTITUTION)
        data = profiles.OutputData(
            title=fields.pop("title", f"碱性电解槽镍基多孔电极 {next(_serial)}"),
            abstract=fields.pop("abstract", ABSTRACT), trl=fields.pop("trl", 6),
            modes=fields.pop("modes", ["licence"]), chain_key=chain.key,
            reform_status=fields.pop("reform_status", "separately_managed"),
            confidential_note=fields.pop("confidential_note", None))
        output = profiles.create_output(db_session, data, owner=owner)
        for name, value in fields.items():
            setattr(output, name, value)
        profiles.change_output_status(db_session, output, "published", editor=owner)
        return output

    return _make


@pytest.fixture
def make_need(db_session, make_user, chain):
    """Return make_need(owner=None, **fields): a published technology need."""

    def _make(owner: User | None = None, **fields):
        owner = owner or make_user(Role.ENTERPRISE)
        data = profiles.NeedData(
            title=fields.pop("title", f"降低碱性电解槽槽压 {next(_serial)}"),
            description=fields.pop("description", NEED_TEXT),
            modes=fields.pop("modes", ["licence"]), chain_key=chain.key)
        need = profiles.create_need(db_session, data, owner=owner)
        profiles.change_need_status(db_session, need, "published", editor=owner)
        return need

    return _make


@pytest.fixture
def make_deal(db_session, broker, make_output, make_need):
    """Return make_deal(**overrides): a deal made by create_deal (owner: the broker fixture,
    on a fresh output and need unless given; output=None or need=None leaves one out).

    stage_key beyond the introduction is reached as a broker would: created at "introduced",
    then moved, the facts each stage needs recorded on the way (terms, contract).
    """

    def _make(**overrides):
        actor = overrides.pop("actor", None)
        owner = overrides.pop("owner", broker)
        output = overrides.pop("output") if "output" in overrides else make_output()
        need = overrides.pop("need") if "need" in overrides else make_need()
        target = overrides.pop("stage_key", "discovered")
        start = target if target in ("discovered", "qualified", "introduced") else "introduced"
        values = {"next_step": "约课题组负责人面谈", "next_step_due": clock.today() + timedelta(days=7),
                  "expected_value": Decimal(120), **overrides}
        deal = services.create_deal(db_session, actor=actor or owner, owner=owner,
                                    output=output, need=need, stage_key=start, **values)
        if target == "contract_signed":
            services.move_deal(db_session, deal, "negotiating", actor=owner)
            agree_terms(db_session, deal, owner)
        if target != start:
            services.move_deal(db_session, deal, target, actor=owner)
        return deal

    return _make


def qualify(session, deal, actor):
    """Fill what leaving "qualified" needs."""
    return services.update_deal(session, deal, actor=actor, version=deal.version,
                                ip_checked=True, team_willing=True,
                                reform_status="separately_managed")


def agree_terms(session, deal, actor):
    """Fill what leaving "negotiating" needs."""
    return services.update_deal(session, deal, actor=actor, version=deal.version,
                                transfer_mode="licence", price=Decimal(150),
                                payment_kind="royalty")


def sign_contract(session, deal, actor, **overrides):
    """Save a complete contract on the deal."""
    data = services.ContractData(**{
        "contract_type": "licence", "seller_name": "测试大学", "buyer_name": "测试企业有限公司",
        "total_amount": Decimal(150), "technical_amount": Decimal(140),
        "signed_on": date(2026, 11, 20), **overrides})
    return services.save_contract(session, deal, data, actor=actor)
