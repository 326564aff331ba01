"""A small world on a chain of the test's own, so the seed's deals never enter the boards:

- deal 1: owned by broker A with broker B as co-broker, contract 300 signed on 31 March 2026;
- deal 2: owned by broker B, contract 100 signed on 1 April 2026.

Broker value, Q1 2026: A 150, B 150 (tie: one contract each, both on 31 March → by name, A).
Year 2026: B 250 (two contracts), A 150.
"""
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from matchmaker.chains.models import Chain
from matchmaker.domain import Role
from matchmaker.pipeline import services as pipeline
from tests.factories import sign_contract


@dataclass
class World:
    chain: Chain
    broker_a: object
    broker_b: object
    deal_1: object
    deal_2: object

    def url(self, board: str, period: str, suffix: str = "") -> str:
        return f"/rankings/{board}{suffix}?period={period}&chain={self.chain.key}"


@pytest.fixture
def world(db_session, make_chain, make_broker, make_deal, make_user) -> World:
    tag = uuid.uuid4().hex[:6]
    chain = make_chain()
    a = make_broker(name=f"RankTest A {tag}", chains=[chain])
    b = make_broker(name=f"RankTest B {tag}", chains=[chain])
    deal_1 = make_deal(stage_key="contract_signed", owner=a, chain_key=chain.key)
    pipeline.add_co_broker(db_session, deal_1, b, actor=a)
    sign_contract(db_session, deal_1, a, signed_on=date(2026, 3, 31),
                  total_amount=Decimal(300), technical_amount=Decimal(280))
    deal_2 = make_deal(stage_key="contract_signed", owner=b, chain_key=chain.key)
    sign_contract(db_session, deal_2, b, signed_on=date(2026, 4, 1),
                  total_amount=Decimal(100), technical_amount=Decimal(90))
    db_session.flush()
    assert deal_1.chain_id == chain.id and deal_2.chain_id == chain.id
    return World(chain, a, b, deal_1, deal_2)


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)
