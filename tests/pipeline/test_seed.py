"""seed_data/deals/: loaded through the services, consistent with the listings, complete enough
for a demo (every stage and chain, every broker's board), and idempotent."""
import json
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from matchmaker.auth.models import User
from matchmaker.domain import NeedStatus, OutputStatus, Phase
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import (
    Activity,
    Contract,
    Deal,
    DealHistory,
    DealStage,
    IntroductionRequest,
    ServiceTicket,
)
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.seed import demo_email, load_seed

SEED = Path(__file__).resolve().parents[2] / "seed_data"
BROKERS = [b["key"] for b in json.loads((SEED / "brokers.json").read_text())]


def _seed_deals(session) -> list[Deal]:
    return list(session.scalars(select(Deal).where(Deal.ref.like("deal-%")).order_by(Deal.id)))


def test_the_seed_holds_enough_deals_over_every_stage_and_chain(db_session):
    deals = _seed_deals(db_session)
    assert len(deals) >= 80
    stages = {s.key for s in db_session.scalars(select(DealStage))}
    assert {d.stage.key for d in deals} == stages
    assert {d.chain.key for d in deals} == {"hydrogen", "photonics", "photovoltaics", "icv",
                                            "additive", "semiconductor"}
    lost = [d for d in deals if d.stage.phase == Phase.LOST]
    assert len(lost) >= 8 and all(d.lost_reason and d.lost_note for d in lost)
    assert len({d.lost_reason for d in lost}) >= 5


def test_every_demo_broker_has_a_full_board(db_session):
    today = clock.today()
    for key in BROKERS:
        broker = db_session.scalar(select(User).where(User.email == demo_email(key)))
        mine = [d for d in _seed_deals(db_session) if d.owner_id == broker.id]
        phases = {d.stage.phase for d in mine}
        assert len(mine) >= 8, key
        assert {Phase.MINE, Phase.LAND} <= phases and len({d.stage.key for d in mine}) >= 5, key
        flags = [services.deal_flags(d, today) for d in mine]
        assert any(overdue for overdue, _ in flags), key
        assert any(stale for _, stale in flags), key
        assert services.today_lists(db_session, broker).overdue, key


def test_seed_deals_carry_contracts_landings_tickets_ndas_and_activities(db_session):
    deals = _seed_deals(db_session)
    ids = [d.id for d in deals]
    contracts = db_session.scalars(select(Contract).where(Contract.deal_id.in_(ids))).all()
    assert len(contracts) >= 20 and all(c.total_amount > 0 and c.signed_on for c in contracts)
    assert any(c.registration_no for c in contracts)
    landed = [d for d in deals if d.landed_on]
    assert sum(d.local_conversion is True for d in landed) >= 15
    assert any(d.local_conversion is False for d in landed)
    tickets = db_session.scalars(select(ServiceTicket).where(ServiceTicket.deal_id.in_(ids))).all()
    assert {t.kind for t in tickets} >= {"registration", "financing", "policy"}
    assert any(t.amount_raised for t in tickets if t.kind == "financing")
    assert sum(d.nda_status == "signed" for d in deals) >= 20
    kinds = Counter(db_session.scalars(select(Activity.kind).where(Activity.deal_id.in_(ids))))
    assert {"visit", "call", "meeting", "email", "note", "comment"} <= set(kinds)
    assert db_session.scalar(select(func.count()).select_from(IntroductionRequest)
                             .where(IntroductionRequest.deal_id.in_(ids))) >= 5
    assert any(d.co_brokers for d in deals) and any(d.snoozed_until for d in deals)
    assert any(d.match_score is None for d in deals)


def test_seed_deals_are_consistent_with_their_listings_and_history(db_session):
    deals = _seed_deals(db_session)
    for deal in deals:
        assert deal.is_open == (deal.stage.phase != Phase.LOST), deal.ref
        if deal.is_open:
            assert deal.next_step and deal.next_step_due, deal.ref
        rows = db_session.scalars(select(DealHistory).where(DealHistory.deal_id == deal.id)
                                  .order_by(DealHistory.id)).all()
        assert rows[0].kind == "created", deal.ref
        stage_rows = [r for r in rows if r.field == "stage"]
        assert stage_rows[-1].new_value == deal.stage.key, deal.ref
        assert [r.at for r in rows] == sorted(r.at for r in rows), deal.ref
    for deal in deals:  # the contract is what was negotiated
        if deal.contract and deal.price is not None:
            assert deal.contract.total_amount == deal.price, deal.ref
    numbers = [d.contract.registration_no for d in deals if d.contract
               and d.contract.registration_no]
    assert len(numbers) == len(set(numbers))
    # no listing says transferred or solved without a deal whose contract records it
    signed = {d.output_id for d in deals if d.contract and d.contract.signed_on}
    solved = {d.need_id for d in deals if d.contract and d.contract.signed_on}
    transferred = db_session.scalars(select(ResearchOutput.id).where(
        ResearchOutput.status == OutputStatus.TRANSFERRED)).all()
    assert set(transferred) <= signed
    assert set(db_session.scalars(select(TechNeed.id).where(
        TechNeed.status == NeedStatus.SOLVED))) <= solved
    landing = {d.output_id for d in deals if d.is_open and d.stage.phase != Phase.MINE}
    under = db_session.scalars(select(ResearchOutput.id).where(
        ResearchOutput.status == OutputStatus.UNDER_NEGOTIATION)).all()
    assert set(under) <= landing


def test_loading_the_seed_twice_changes_no_deal(app, db_session):
    def snapshot():
        deals = _seed_deals(db_session)
        return ([(d.ref, d.stage.key, d.next_step_due, d.is_open) for d in deals],
                db_session.scalar(select(func.count()).select_from(DealHistory)),
                db_session.scalar(select(func.count()).select_from(Activity)),
                sorted(db_session.execute(select(ResearchOutput.ref, ResearchOutput.status))),
                sorted(db_session.execute(select(TechNeed.ref, TechNeed.status))))

    before = snapshot()
    loader = load_seed(db_session, app.config["SEED_DIR"], password_hash="!")
    assert loader.created["deals"] == 0 and loader.updated["deals"] == len(before[0])
    db_session.expire_all()
    assert snapshot() == before


def test_the_sql_flags_agree_with_the_rules_on_every_seed_deal(db_session):
    admin = db_session.scalar(select(User).where(User.email == demo_email("admin")))
    stages = services.list_stages(db_session, active_only=False)
    today = clock.today()

    def listed(**flags):
        query = services.list_deals_query(admin, services.DealFilters(include_lost=True,
                                                                      **flags),
                                          stages=stages, today=today)
        return {d.id for d in db_session.scalars(query)}

    deals = _seed_deals(db_session)
    flags = {d.id: services.deal_flags(d, today) for d in deals}
    ids = set(flags)
    assert listed(overdue=True) & ids == {i for i, (late, _) in flags.items() if late}
    assert listed(stale=True) & ids == {i for i, (_, stale) in flags.items() if stale}
    assert any(stale for _, stale in flags.values())
